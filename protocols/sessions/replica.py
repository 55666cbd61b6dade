"""A replica: it applies the primary's log late, and answers reads from what it has applied.

The replica keeps each key's value and version (``data``) and ``applied``,
the log position up to which it has applied every entry. Replication is
asynchronous and lags on purpose: an entry received is held ``lag_ms``
(the replica's own lag, from ``lags_ms``) in ``pending`` before it is
applied, and entries are applied in log order only (one that arrives
beyond a gap waits for the missing ones). Each entry applied is forced to
the replica's durable log (a restart keeps ``applied``) and acknowledged to
the primary (``replicate_ok``). When a replicate message shows positions
the replica neither applied nor holds (a message lost, a restart), the
acknowledgement says ``gap`` and the primary ships again from ``applied``.

A read carries the client's session ``token`` (0 without one). A replica
that has applied the token's position answers at once; one behind holds the
read in ``held`` and answers it the moment it applies that far. It never
redirects: it is the client that stops waiting after ``wait_ms`` and asks
the primary instead (a late answer from the replica is then ignored).
Without a token (``guarantee=none``) every read is answered at once, from
whatever the replica has applied: the anomalies this model is about.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Outcome, Persist, Receive, Send, SetTimer, State
from protocols.sessions.common import NOTHING, PRIMARY_NODE, lag_of

SERVING = "serving"
APPLY_TIMER = "apply"


def initial(ctx: Context) -> State:
    """Return a replica at boot: nothing applied, nothing held."""
    return {"phase": SERVING, "applied": 0, "head": 0, "data": {}, "pending": [], "held": []}


def answer(ctx: Context, state: State, client: str, key: str, n: int, req: str, token: int,
           waited_ms: int) -> Send:
    """Return the answer to a read, from what this replica has applied."""
    entry = state["data"].get(key)
    value, version = (entry["v"], entry["ver"]) if entry else (NOTHING, 0)
    body = {"key": key, "value": value, "ver": version, "n": n, "pos": state["applied"], "replica": ctx.node,
            "token": token, "waited_ms": waited_ms}
    return Send(dest=client, type="read_ok", in_reply_to=req, body=body)


def on_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer at once if this replica has applied the session token's position; else hold the read."""
    m = event.message
    token = int(m.body.get("token", 0))
    if token <= state["applied"]:
        return state, [answer(ctx, state, m.src, str(m.body["key"]), int(m.body["n"]), m.msg_id, token, 0)]
    held = {"client": m.src, "key": str(m.body["key"]), "n": int(m.body["n"]), "req": m.msg_id, "token": token,
            "since": now}
    return {**state, "held": [*state["held"], held]}, ()


def _arm(ctx: Context, state: State, now: int) -> list[Effect]:
    """Ask to be woken when the next entry in log order is due, if the replica holds it."""
    pending = state["pending"]
    if not pending or pending[0]["pos"] != state["applied"] + 1:
        return []
    return [SetTimer(name=APPLY_TIMER, delay_ms=max(0, int(pending[0]["due"]) - now))]


def _holds_through(state: State) -> int:
    """Return the last position this replica has applied or holds without a gap."""
    last = state["applied"]
    for entry in state["pending"]:
        if entry["pos"] != last + 1:
            break
        last = entry["pos"]
    return int(last)


def on_replicate(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Hold the new entries for this replica's lag; ask for the rest if some positions are missing."""
    body = event.message.body
    have = {int(e["pos"]) for e in state["pending"]}
    due = now + lag_of(ctx.params, ctx.node)
    new = [{"pos": int(e["pos"]), "key": str(e["key"]), "value": str(e["value"]), "due": due}
           for e in body["entries"] if int(e["pos"]) > state["applied"] and int(e["pos"]) not in have]
    pending = sorted([*state["pending"], *new], key=lambda e: int(e["pos"]))
    state = {**state, "pending": pending, "head": max(state["head"], int(body["head"]))}
    effects: list[Effect] = _arm(ctx, state, now)
    if int(body["head"]) > _holds_through(state):
        effects.append(Send(dest=PRIMARY_NODE, type="replicate_ok", body={"applied": state["applied"], "gap": True}))
    return state, effects


def on_apply(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Apply the due entries in log order (the first at least), answer the reads they release, acknowledge."""
    data, applied, pending = dict(state["data"]), state["applied"], list(state["pending"])
    effects: list[Effect] = []
    while pending and pending[0]["pos"] == applied + 1 and (applied == state["applied"] or pending[0]["due"] <= now):
        entry = pending.pop(0)
        applied = int(entry["pos"])
        data[entry["key"]] = {"v": entry["value"], "ver": applied}
        effects.append(Persist(record={"type": "apply", "pos": applied, "key": entry["key"],
                                       "value": entry["value"]}))
    if applied == state["applied"]:
        return state, ()  # Nothing in log order to apply (its predecessor is missing): wait for it.
    state = {**state, "data": data, "applied": applied, "pending": pending}
    ready = [h for h in state["held"] if h["token"] <= applied]
    for h in ready:
        effects.append(answer(ctx, state, h["client"], h["key"], h["n"], h["req"], h["token"], now - h["since"]))
    state = {**state, "held": [h for h in state["held"] if h["token"] > applied]}
    effects.append(Send(dest=PRIMARY_NODE, type="replicate_ok", body={"applied": applied, "gap": False}))
    return state, [*effects, *_arm(ctx, state, now)]


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild what was applied from the durable log; held reads and pending entries died; ask for the rest."""
    data: dict[str, Any] = {}
    applied = 0
    for record in event.durable:
        if record.get("type") == "apply":
            applied = int(record["pos"])
            data[str(record["key"])] = {"v": str(record["value"]), "ver": applied}
    state = {**initial(ctx), "data": data, "applied": applied, "head": applied}
    return state, [Send(dest=PRIMARY_NODE, type="replicate_ok", body={"applied": applied, "gap": True})]
