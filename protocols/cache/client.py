"""Clients: issue one operation at a time, wait for its answer or a timeout, think, repeat.

A client's operations come from the shared workload (``next_op`` over a
stream seeded by its start draw, so every policy sees the same sequence on
one seed) or from the ``script`` parameter. Its state names the operation in
progress (``op``) and the last one answered (``last``); the detectors and the
views read both, so they stay small::

    {"phase": "waiting", "n": 3, "rng": 123, "step": "cache",
     "op": {"n": 3, "op": "write", "key": "k1", "value": "c1:3"},
     "last": {"n": 2, "op": "read", "key": "k0", "value": "c2:1", "ok": true, "hit": true}}

Phases: ``idle`` (thinking), ``waiting`` (an operation in flight), ``done``
(finished its operations, or recovered from a crash: an application instance
that crashed does not resume its workload). Answers carry the operation's
number ``n``; one for an operation already given up is ignored.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Receive, Send, SetTimer, Start, State
from protocols.cache.common import CACHE, cache_of, parse_script
from protocols.common.rng import Stream, seed_from_draw
from protocols.common.workload import next_op

WORKLOAD_SALT = 0xCAC4E
"""Separates the workload stream from any other stream a client might draw."""

OP_TIMERS = ("timeout", "double_delete")
"""Timers that belong to one operation: cancelled when it ends."""


def initial_client(ctx: Context) -> dict[str, Any]:
    """Return a client's state before it starts."""
    return {"phase": "idle", "n": 0, "rng": 0, "step": "", "op": None, "last": None}


def total_ops(ctx: Context) -> int:
    """Return how many operations this client issues: its script's length, or ops_per_client."""
    script = parse_script(ctx.params["script"])
    return len(script[ctx.node]) if ctx.node in script else int(ctx.params["ops_per_client"])


def my_cache(ctx: Context) -> str:
    """Return the cache this client talks to."""
    return cache_of(ctx.node, len(ctx.nodes_with_role(CACHE)))


def client_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the workload stream from the start draw; think before the first operation."""
    state = {**state, "rng": seed_from_draw(event.draw, WORKLOAD_SALT)}
    if total_ops(ctx) == 0:
        return {**state, "phase": "done"}, ()
    return state, [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]


def draw_op(ctx: Context, state: State) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the next operation and the state with the stream advanced and the operation in progress."""
    n = state["n"] + 1
    script = parse_script(ctx.params["script"])
    stream = Stream(state["rng"])
    if ctx.node in script:
        kind, key = script[ctx.node][n - 1]
        op: dict[str, Any] = {"op": kind, "key": key}
        if kind == "write":
            op["value"] = f"{ctx.node}:{n}"
    else:
        op = next_op(stream, ctx.params, ctx.node, n)
    op = {"n": n, **op}
    new_state = {**state, "phase": "waiting", "n": n, "rng": stream.state, "op": op}
    return op, new_state


def request(ctx: Context, op: dict[str, Any]) -> Send:
    """Return the message that starts an operation at this client's cache (the proxy policies)."""
    if op["op"] == "read":
        return Send(dest=my_cache(ctx), type="get", body={"key": op["key"], "n": op["n"]})
    return Send(dest=my_cache(ctx), type="put", body={"key": op["key"], "value": op["value"], "n": op["n"]})


def client_think(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Issue the next operation to this client's cache and wait, bounded, for its answer."""
    op, state = draw_op(ctx, state)
    state = {**state, "step": "cache"}
    return state, [request(ctx, op), SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])]


def finish(ctx: Context, state: State, last: dict[str, Any]) -> Outcome:
    """End the operation in progress with ``last`` as its result; think, or stop after the last one."""
    op = state["op"] or {}
    result = {"n": op.get("n"), "op": op.get("op"), "key": op.get("key"), **last}
    effects: list[Effect] = [CancelTimer(name=t) for t in OP_TIMERS]
    if state["n"] >= total_ops(ctx):
        return {**state, "phase": "done", "step": "", "op": None, "last": result}, effects
    effects.append(SetTimer(name="think", delay_ms=ctx.params["think_ms"]))
    return {**state, "phase": "idle", "step": "", "op": None, "last": result}, effects


def current(state: State, event: Receive) -> bool:
    """Say whether an answer belongs to the operation in progress (not to one given up)."""
    op = state["op"]
    body = event.message.body
    number = body.get("n", (body.get("echo") or {}).get("n"))
    return op is not None and number == op["n"]


def client_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A cache answered: the operation is done (a late answer to an abandoned one is ignored)."""
    if not current(state, event):
        return state, ()
    body = event.message.body
    if event.message.type == "get_ok":
        return finish(ctx, state, {"value": body.get("value"), "ok": True, "hit": bool(body.get("hit"))})
    if event.message.type == "put_ok":
        return finish(ctx, state, {"value": state["op"]["value"], "ok": True})
    return finish(ctx, state, {"value": state["op"].get("value"), "ok": False,
                               "why": str(body.get("code", "error")), "definite": bool(body.get("definite"))})


def client_timeout(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer in time: give the operation up (a write may still take effect) and move on."""
    return finish(ctx, state, {"value": state["op"].get("value"), "ok": False, "why": "timeout",
                               "definite": False})


def client_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A crashed application instance does not resume its workload: it stays done."""
    return {**state, "phase": "done"}, ()

