"""The storage node: a register (the counter) or an append-only log, optionally fenced.

Theory of operation
-------------------
One node, ``store``, always in phase ``serving``. It answers ``read`` with the
register's value and applies ``write``. Every applied write is forced to its
durable log before it is acknowledged, so a crash loses nothing that was
acknowledged and a recovery rebuilds the value (or the log's content) and the
highest token from the records.

Fencing (``counter-locked``, and ``lock-lease`` with ``fencing=on``): a
request may carry the token of the lease its client holds. The store
remembers the highest token it has seen (raised by reads and writes alike,
and forced to the log before it answers) and refuses, with a definite
``stale_token`` error, a write whose token is lower: its sender's lease has
been taken over by a newer holder, whatever that sender believes. Without
fencing the store records the highest token for display but never refuses.
Whether it fences is a parameter of the run (``store_fences(ctx.params)``),
read where it is needed rather than copied into the store's state.
"""

from __future__ import annotations

from typing import Any

from protocols.base import (
    ANY_PHASE,
    Context,
    Effect,
    Note,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    State,
    Transition,
)
from protocols.counters.params import store_fences

STALE_TOKEN = "stale_token"
"""Error code of a refused write: definite, the write was not applied."""


def initial_store_state(kind: str, tokens: bool) -> dict[str, Any]:
    """Return the store's boot state: a register (``kind="register"``) or a log; tracking tokens or not."""
    state: dict[str, Any] = {"phase": "serving"}
    if kind == "register":
        state["value"] = 0
    else:
        state["content"] = []
    if tokens:
        state["max_token"] = 0
    return state


def _reply(event: Receive, type_: str, body: dict[str, Any]) -> Send:
    message = event.message
    return Send(dest=message.src, type=type_, body=body, in_reply_to=message.msg_id)


def store_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer with the value; a higher token raises (and forces) the highest token seen."""
    token = event.message.body.get("token")
    effects: list[Effect] = []
    if token is not None and "max_token" in state and token > state["max_token"]:
        state = {**state, "max_token": token}
        effects.append(Persist(record={"type": "fence", "max_token": token}))
    body: dict[str, Any] = {"value": state["value"]}
    if token is not None:
        body["token"] = token
    if "op" in event.message.body:
        body["op"] = event.message.body["op"]  # Which increment the read was for: a late answer is known as late.
    return state, [*effects, _reply(event, "read_ok", body)]


def _refuse(ctx: Context, state: State, event: Receive) -> Outcome | None:
    """Return the refusal of a write with a stale token, or None if the write may go ahead."""
    token = event.message.body.get("token")
    tracked = "max_token" in state  # The naive counter's store knows nothing of tokens.
    if not tracked or not store_fences(ctx.params) or token is None or token >= state["max_token"]:
        return None
    body = event.message.body
    return state, [
        Note(text=f"refuse {body.get('op')} from {event.message.src}: token {token} is below "
                  f"{state['max_token']}, the highest seen"),
        _reply(event, "error", {"code": STALE_TOKEN, "definite": True, "op": body.get("op"),
                                "token": token, "max_token": state["max_token"]}),
    ]


def _raised(state: State, token: Any) -> dict[str, Any]:
    if token is None or "max_token" not in state:
        return dict(state)
    return {**state, "max_token": max(state["max_token"], token)}


def store_write_register(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Set the register to the written value (unless fenced out), force it, acknowledge it."""
    refused = _refuse(ctx, state, event)
    if refused is not None:
        return refused
    body, src = event.message.body, event.message.src
    record: dict[str, Any] = {"type": "write", "value": body["value"], "op": body["op"], "by": src,
                              "read": body.get("read")}
    if "token" in body:
        record["token"] = body["token"]
    state = {**_raised(state, body.get("token")), "value": body["value"]}
    return state, [Persist(record=record), _reply(event, "write_ok", {"op": body["op"]})]


def store_write_log(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Append the operation's id to the log (once; unless fenced out), force it, acknowledge it."""
    refused = _refuse(ctx, state, event)
    if refused is not None:
        return refused
    body, src = event.message.body, event.message.src
    ok = _reply(event, "write_ok", {"op": body["op"]})
    if body["op"] in state["content"]:
        return state, [ok]  # A re-sent write already applied: the log keeps each operation once.
    state = {**_raised(state, body.get("token")), "content": [*state["content"], body["op"]]}
    record = {"type": "write", "op": body["op"], "by": src, "token": body.get("token")}
    return state, [Persist(record=record), ok]


def store_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Rebuild the value (or the log) and the highest token from the durable records."""
    writes = [r for r in event.durable if r.get("type") == "write"]
    if "value" in state:
        state = {**state, "value": writes[-1]["value"] if writes else 0}
    else:
        state = {**state, "content": [r["op"] for r in writes]}
    if "max_token" in state:
        tokens = [r.get("token") or 0 for r in writes] + [r["max_token"] for r in event.durable
                                                            if r.get("type") == "fence"]
        state = {**state, "max_token": max(tokens, default=0)}
    return state, [Note(text="store recovers its data from the log")]


def store_rows(kind: str) -> list[Transition]:
    """Return the store's rows of a transition table: a register answers reads and writes, a log takes writes."""
    serving = ("serving",)
    rows = [Transition(role="store", phase="serving", on="start", to=serving, why="the store waits for requests")]
    if kind == "register":
        rows += [Transition(role="store", phase="serving", on="msg:read", to=serving, handler=store_read),
                 Transition(role="store", phase="serving", on="msg:write", to=serving, handler=store_write_register)]
    else:
        rows.append(Transition(role="store", phase="serving", on="msg:write", to=serving, handler=store_write_log))
    rows.append(Transition(role="store", phase=ANY_PHASE, on="recover", to=serving, handler=store_recover))
    return rows
