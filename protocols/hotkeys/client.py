"""The clients: a closed loop of Zipf reads and writes, routed on the ring, with an optional near-cache.

A client ``ci`` thinks for ``think_ms``, draws its next operation from the
shared workload (:func:`protocols.common.workload.next_op`, on a stream
seeded from its start draw), and sends it to the cache the ring names
(:mod:`protocols.hotkeys.placement`): a write to the key's owner, a read to
the owner or, for a replicated hot key, to the replica its number picks. It
waits for the answer, or gives the operation up after ``timeout_ms`` (there
are no retries: a lost message costs one operation, never a wrong answer).

With ``remedy=near-cache`` the client keeps what it reads of a hot key in
``near`` for ``near_ttl_ms`` (a timer per hot key, ``near_k0``...): a read
of a hot key found there is answered at once, without a message, and may be
stale, which is the price. A client's own write drops its near entry, so it
reads its own writes.

Every finished operation is recorded in ``last`` (``via``: the cache that
answered, ``near``, or ``timeout``), which the checker and the summary read.
Phases: ``thinking -> waiting -> thinking ... -> done``; a recovered client
has lost its stream and does nothing more.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Receive, Send, SetTimer, Start, State
from protocols.common.rng import Stream, seed_from_draw
from protocols.common.workload import next_op
from protocols.hotkeys.placement import is_hot, read_target, write_target

WORKLOAD_SALT = 0xC0
"""The same salt as the coherence clients': with one seed, every family's clients draw the same operations."""
NEAR_TIMER = "near_"
"""A near-cache entry's timer is ``near_`` + its key."""


def client_initial() -> dict[str, Any]:
    """Return a client at boot: no stream yet, nothing done, an empty near-cache."""
    return {"phase": "thinking", "rng": 0, "done": 0, "op": None, "near": {}, "last": None}


def client_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the workload stream from the start draw and think before the first operation."""
    state = {**state, "rng": seed_from_draw(event.draw, WORKLOAD_SALT)}
    if ctx.params["ops_per_client"] == 0:
        return {**state, "phase": "done"}, ()
    return state, [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]


def _finish(ctx: Context, state: State, last: dict[str, Any]) -> tuple[dict[str, Any], list[Effect]]:
    """Record a finished operation; think again, or stop when all are done."""
    done = state["done"] + 1
    state = {**state, "done": done, "op": None, "last": last}
    if done >= ctx.params["ops_per_client"]:
        return {**state, "phase": "done"}, []
    return {**state, "phase": "thinking"}, [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]


def client_think(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Draw the next operation: answer a hot read from the near-cache, or send it where the ring says."""
    stream = Stream(state["rng"])
    n = state["done"] + 1
    op = {**next_op(stream, ctx.params, ctx.node, n), "n": n}
    state = {**state, "rng": stream.state}
    key = op["key"]
    entry = state["near"].get(key)
    if op["op"] == "read" and entry is not None:
        return _finish(ctx, state, {"n": n, "op": "read", "key": key, "value": entry["v"], "ver": entry["ver"],
                                    "via": "near"})
    index = int(ctx.node.removeprefix("c"))
    if op["op"] == "read":
        dest, body = read_target(ctx.params, key, index), {"key": key, "n": n}
    else:
        dest, body = write_target(ctx.params, key), {"key": key, "value": op["value"], "n": n}
    return {**state, "phase": "waiting", "op": op}, [
        Send(dest=dest, type=op["op"], body=body), SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])]


def client_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Take the answer to the outstanding operation; a hot read fills the near-cache, an own write empties it."""
    message = event.message
    op, body = state["op"], message.body
    if op is None or body.get("n") != op["n"] or message.type != op["op"] + "_ok":
        return state, [Note(text=f"ignored a stray {message.type} (not the answer awaited)")]
    key = op["key"]
    effects: list[Effect] = [CancelTimer(name="timeout")]
    near = dict(state["near"])
    if ctx.params["remedy"] == "near-cache" and is_hot(ctx.params, key):
        if op["op"] == "read":
            near[key] = {"v": body["value"], "ver": body["ver"]}
            effects.append(SetTimer(name=NEAR_TIMER + key, delay_ms=ctx.params["near_ttl_ms"]))
        elif near.pop(key, None) is not None:
            effects.append(CancelTimer(name=NEAR_TIMER + key))
    last = {"n": op["n"], "op": op["op"], "key": key, "value": body["value"], "ver": body["ver"],
            "via": message.src}
    state, more = _finish(ctx, {**state, "near": near}, last)
    return state, [*effects, *more]


def client_timeout(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer in time: give the operation up (no retry) and go on."""
    op = state["op"]
    return _finish(ctx, state, {"n": op["n"], "op": op["op"], "key": op["key"], "value": None, "ver": 0,
                                "via": "timeout"})


def client_near_expired(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A near-cache entry's TTL ran out: drop it, so the next read of its key asks the cache."""
    key = event.name.removeprefix(NEAR_TIMER)
    return {**state, "near": {k: v for k, v in state["near"].items() if k != key}}, ()


def client_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A recovered client has lost its stream and its place: it issues nothing more."""
    return {**state, "phase": "done"}, [Note(text="recovered without its workload: no more operations")]
