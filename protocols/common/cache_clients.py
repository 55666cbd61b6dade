"""The client the coherence protocols share: a closed loop of reads and writes from the shared workload.

A client ``ci`` thinks for ``think_ms``, draws its next operation from the
shared workload (:func:`protocols.common.workload.next_op`, on a stream
seeded from its start draw), sends it to the node its protocol names, waits
for the answer, and starts over until it has done ``ops_per_client``
operations. One operation is outstanding at a time; each carries its number
``n`` and an answer with another number (a late duplicate) is ignored.

Both protocols of the family use it: ``mesi`` sends to the client's cache,
``consistent-hashing`` to the ring's router. Clients come first in both
placements, so with one seed both draw the very same workload.

Phases: ``thinking -> waiting -> thinking ... -> done``. A crash loses the
stream; a recovered client issues nothing more (``done``). Its state
(:class:`ClientState`) and its liveness check (:data:`CLIENTS_FINISH`) are
declared here, once, for both protocols.
"""

# No ``from __future__ import annotations``: TypedDict must see NotRequired unquoted to make a key optional.

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, NotRequired, TypedDict

from protocols.base import (
    ANY_PHASE,
    Context,
    Effect,
    Note,
    Outcome,
    Receive,
    Send,
    SetTimer,
    Start,
    State,
    Transition,
)
from protocols.common.rng import Stream, seed_from_draw
from protocols.common.workload import next_op
from protocols.spec import Finding, Invariant, NodeView

CLIENT = "client"
CLIENT_PHASES = ("thinking", "waiting", "done")
REPLIES = ("read_ok", "write_ok")
WORKLOAD_SALT = 0xC0
"""Separates the workload stream from any other stream a protocol might seed from the same draw."""

Route = Callable[[Context, str], str]
"""Given a client's context and a key, return the node the request goes to."""


class ClientOp(TypedDict):
    key: str
    n: int
    op: str
    value: NotRequired[str]


class ClientState(TypedDict):
    done: int
    op: ClientOp | None
    phase: Literal['done', 'thinking', 'waiting']
    rng: int


def client_initial() -> dict[str, Any]:
    """Return a client's state at boot: no stream yet, nothing done."""
    return {"phase": "thinking", "rng": 0, "done": 0, "op": None}


def client_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the workload stream from the start draw and think before the first operation."""
    state = {**state, "rng": seed_from_draw(event.draw, WORKLOAD_SALT)}
    if ctx.params["ops_per_client"] == 0:
        return {**state, "phase": "done"}, ()
    return state, [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]


def client_think(route: Route) -> Callable[[Context, State, Any, int], Outcome]:
    """Return the handler that draws the next operation and sends it where ``route`` says."""

    def think(ctx: Context, state: State, event: Any, now: int) -> Outcome:
        """Draw the next operation and send it; wait for its answer."""
        stream = Stream(state["rng"])
        number = state["done"] + 1
        op = {**next_op(stream, ctx.params, ctx.node, number), "n": number}
        body: dict[str, Any] = {k: op[k] for k in ("key", "value", "n") if k in op}
        effect = Send(dest=route(ctx, op["key"]), type=op["op"], body=body)
        return {**state, "phase": "waiting", "rng": stream.state, "op": op}, [effect]

    return think


def client_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Take the answer to the outstanding operation; think again, or stop when all are done."""
    message = event.message
    op = state["op"]
    if op is None or message.body.get("n") != op["n"] or message.type != op["op"] + "_ok":
        return state, [Note(text=f"ignored a stray {message.type} (not the answer awaited)")]
    done = state["done"] + 1
    if done >= ctx.params["ops_per_client"]:
        return {**state, "phase": "done", "done": done, "op": None}, ()
    effects: list[Effect] = [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]
    return {**state, "phase": "thinking", "done": done, "op": None}, effects


def client_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A recovered client has lost its stream and its place: it issues nothing more."""
    return {**state, "phase": "done"}, [Note(text="recovered without its workload: no more operations")]


def client_rows(route: Route) -> list[Transition]:
    """Return the client's transition rows, sending its requests where ``route`` says."""
    rows = [
        Transition(role=CLIENT, phase="thinking", on="start", to=("thinking", "done"), handler=client_start),
        Transition(role=CLIENT, phase="thinking", on="timer:think", to=("waiting",), handler=client_think(route)),
        Transition(role=CLIENT, phase=ANY_PHASE, on="recover", to=("done",), handler=client_recover),
    ]
    for reply in REPLIES:
        rows.append(Transition(role=CLIENT, phase="waiting", on="msg:" + reply,
                               to=("waiting", "thinking", "done"), handler=client_answer))
        for phase in ("thinking", "done"):
            rows.append(Transition(role=CLIENT, phase=phase, on="msg:" + reply, to=(phase,),
                                   why="a late or duplicated answer to an operation already finished"))
    return rows


def clients_finish(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Every client completes its operations once nothing more can happen."""
    stuck = [n for n, v in views.items() if v.role == "client" and v.state.get("phase") != "done"]
    if stuck:
        yield Finding(nodes=tuple(stuck), id="clients-still-waiting", data={"nodes": stuck})


CLIENTS_FINISH = Invariant(
    name="clients-finish", kind="liveness", check=clients_finish,
    description="With all nodes up and the network whole, every client finishes its operations.",
    findings={"clients-still-waiting": "clients still waiting when nothing more could happen: {nodes}"})
"""The liveness check of every protocol whose clients are these."""
