"""The store the lock protects: an append-only log of writes, fenced by the lock's tokens or not.

It applies each write once (a write sent again is only acknowledged again) and
forces it to its log before acknowledging. With ``fencing=on`` it keeps the
highest token among the writes it applied and refuses, with a definite
``stale_token`` error, a write whose token is lower: that writer's lock node
is older than one whose holder has already written, so its lock is gone,
whatever it believes. With ``fencing=off`` it applies everything.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Outcome, Persist, Receive, Recover, Send, State

STORE = "store"
STALE_TOKEN = "stale_token"
"""Error code of a write fenced out: definite, the write was not applied."""


def store_initial() -> dict[str, Any]:
    """Return the store's state at boot: nothing written, no token seen."""
    return {"phase": "serving", "log": [], "max_token": 0}


def store_write(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Apply a write unless it was applied already or, fenced, its token is below the highest applied."""
    message = event.message
    op, token = str(message.body["op"]), int(message.body["token"])
    if any(entry["op"] == op for entry in state["log"]):
        return state, [Send(dest=message.src, type="write_ok", body={"op": op}, in_reply_to=message.msg_id)]
    if ctx.params["fencing"] == "on" and token < state["max_token"]:
        body = {"code": STALE_TOKEN, "definite": True, "op": op, "token": token, "max_token": state["max_token"]}
        return state, [Send(dest=message.src, type="error", body=body, in_reply_to=message.msg_id)]
    entry = {"op": op, "by": message.src, "token": token}
    state = {**state, "log": [*state["log"], entry], "max_token": max(state["max_token"], token)}
    return state, [Persist(record={"type": "write", **entry}),
                   Send(dest=message.src, type="write_ok", body={"op": op}, in_reply_to=message.msg_id)]


def store_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Take the log back from the durable records, and the highest token with it."""
    writes = [r for r in event.durable if r.get("type") == "write"]
    log = [{"op": str(r["op"]), "by": str(r["by"]), "token": int(r["token"])} for r in writes]
    return {"phase": "serving", "log": log, "max_token": max((int(r["token"]) for r in writes), default=0)}, ()
