"""What every counter and lock client shares: a jittered think time, numbered operations, recovery.

Theory of operation
-------------------
A client runs a fixed workload, one operation at a time: ``ops`` of them
(``increments_per_client`` or ``writes_per_client``). Between two operations
it *thinks* for a time drawn from its own seeded stream around ``think_ms``,
so two clients rarely move in step and the interleavings change with the
seed. The stream is seeded from ``Start.draw`` and lives in the client's
state as an integer; clients are placed first, so with the same seed every
protocol of the family hands its clients the same draws and the same think
times.

Each operation has a number and an id (``c1#2``: client c1's second). Before
it starts, the client forces ``{"type": "op", "op": n, "stream": ...}`` to its
durable log, so a client that crashes and recovers goes on with the next
number (the interrupted operation is abandoned) and ids are never reused.

Limits: a client asks at most ``max_tries`` times in a row without hearing
back before it gives the operation up, so a store or lock that is down for
good cannot keep a run alive forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Recover, SetTimer, Start, State
from protocols.common.ring import stable_hash
from protocols.common.rng import Stream, seed_from_draw

STREAM_SALT = 0x5EED_C0
"""Separates the clients' think-time stream from any other stream seeded by the same draw."""

RETRY = "retry"
THINK = "think"


def total_ops(ctx: Context) -> int:
    """Return how many operations this client performs."""
    params = ctx.params
    return int(params["increments_per_client"] if "increments_per_client" in params else params["writes_per_client"])


def op_id(node: str, op: int) -> str:
    """Return an operation's id: the client's name and the operation's number (``c1#2``)."""
    return f"{node}#{op}"


def current_op(ctx: Context, state: State) -> str:
    """Return the id of the operation the client is working on."""
    return op_id(ctx.node, state["op"])


def think_time(stream: Stream, think_ms: int) -> int:
    """Draw a think time from half to one and a half times ``think_ms``."""
    return stream.between(think_ms // 2, think_ms + think_ms // 2)


def initial_client_state(extra: dict[str, Any]) -> dict[str, Any]:
    """Return a client's boot state: no operation yet, a stream to be seeded at start."""
    return {"phase": "thinking", "op": 0, "tries": 0, "stream": 0, **extra}


def client_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed this client's stream from its start draw and think before the first operation."""
    return think(ctx, {**state, "stream": Stream(seed_from_draw(event.draw, STREAM_SALT)).state}, [])


def think(ctx: Context, state: State, effects: Sequence[Effect]) -> Outcome:
    """Think before the next operation, or stop when the workload is done."""
    if state["op"] >= total_ops(ctx):
        return {**state, "phase": "done", "tries": 0}, [*effects, Note(text=f"{ctx.node} has done its work")]
    stream = Stream(state["stream"])
    delay = think_time(stream, ctx.params["think_ms"])
    return {**state, "phase": "thinking", "tries": 0, "stream": stream.state}, [
        *effects, SetTimer(name=THINK, delay_ms=delay)]


def begin_op(ctx: Context, state: State) -> tuple[dict[str, Any], list[Effect]]:
    """Number the next operation and force the number to the log before anything is sent."""
    op = state["op"] + 1
    return {**state, "op": op, "tries": 0}, [Persist(record={"type": "op", "op": op, "stream": state["stream"]})]


def finish_op(ctx: Context, state: State, effects: Sequence[Effect], why: str = "") -> Outcome:
    """Close the current operation (stop asking) and think before the next one."""
    notes: list[Effect] = [Note(text=why)] if why else []
    return think(ctx, state, [*effects, CancelTimer(name=RETRY), *notes])


def out_of_tries(ctx: Context, state: State) -> bool:
    """Say whether the client has sent ``max_tries`` requests in a row without an answer."""
    return int(state["tries"]) >= int(ctx.params["max_tries"])


def gave_up_text(ctx: Context, state: State, asked: str) -> str:
    """Say why a client abandons its operation."""
    return (f"{ctx.node} gives up {current_op(ctx, state)}: {state['tries']} {asked} requests "
            "without an answer")


def client_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Go on after the last operation the log names; the interrupted one is abandoned."""
    ops = [r for r in event.durable if r.get("type") == "op"]
    if ops:
        last = ops[-1]
        state = {**state, "op": int(last["op"]), "stream": int(last["stream"])}
        text = f"{ctx.node} recovers: {op_id(ctx.node, last['op'])} was interrupted and is abandoned"
    else:
        # No operation began before the crash, and the start draw is gone: seed from the name.
        state = {**state, "stream": Stream(stable_hash(ctx.node)).state}
        text = f"{ctx.node} recovers before its first operation"
    return think(ctx, state, [Note(text=text)])
