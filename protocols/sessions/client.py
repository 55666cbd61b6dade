"""A client session: writes go to the primary, reads to a replica, one operation at a time.

A client ``ci`` thinks ``think_ms``, then issues its next operation: from
its ``script`` if the script names it, else drawn from the shared workload
(``protocols.common.workload.next_op`` on a stream seeded by its start
draw). A write goes to the primary, which answers with the write's log
position. A read goes to a replica chosen per read: by a seeded draw
(``read_from=random``) or in turn, ``ci`` starting at replica ``r((i-1) mod R)+1``
(``read_from=round-robin``). With ``guarantee=primary-reads`` it goes to
the primary.

The session remembers two positions: ``written`` (its last acknowledged
write's) and ``seen`` (the furthest log position any of its reads reflected:
the answering node's applied position). With ``guarantee=session-token``
every read carries ``token = max(written, seen)`` and the replica holds it
until it has applied that far: read-your-writes (it holds the client's own
writes) and monotonic reads (it holds all an earlier read reflected). A
client waits ``wait_ms`` for a replica's answer, then reads at the primary
instead (a *redirected* read; a lost message ends the same way), and gives a
write or a primary read up after ``timeout_ms``.

Phases: ``thinking -> waiting -> thinking ... -> done``; a recovered client
issues nothing more (``done``). ``last`` records the latest operation's
result: what the detectors, the figures and the panel read.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Receive, Send, SetTimer, Start, State
from protocols.common.rng import Stream, seed_from_draw
from protocols.common.workload import next_op
from protocols.sessions.common import PRIMARY_NODE, REPLICA, parse_script

WORKLOAD_SALT = 0x5E55
"""Separates the workload stream from any other stream a client might draw."""
OP_TIMERS = ("wait", "timeout")


def initial(ctx: Context) -> State:
    """Return a client before it starts: no stream, no session positions."""
    return {"phase": "thinking", "rng": 0, "n": 0, "turn": 0, "written": 0, "seen": 0, "op": None, "last": None}


def total_ops(ctx: Context) -> int:
    """Return how many operations this client issues: its script's length, or ops_per_client."""
    script = parse_script(ctx.params["script"])
    return len(script[ctx.node]) if ctx.node in script else int(ctx.params["ops_per_client"])


def start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the workload stream from the start draw; think before the first operation."""
    state = {**state, "rng": seed_from_draw(event.draw, WORKLOAD_SALT)}
    if total_ops(ctx) == 0:
        return {**state, "phase": "done"}, ()
    return state, [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]


def token(ctx: Context, state: State) -> int:
    """Return the session token a read carries: the furthest position this session wrote or saw (0: none)."""
    return max(state["written"], state["seen"]) if ctx.params["guarantee"] == "session-token" else 0


def _replica(ctx: Context, state: State, stream: Stream) -> tuple[str, int]:
    """Choose the replica of the next read, and the client's next turn (round-robin)."""
    replicas = ctx.nodes_with_role(REPLICA)
    if ctx.params["read_from"] == "random":
        return stream.choice(replicas), state["turn"]
    first = int(ctx.node[1:]) - 1
    return replicas[(first + state["turn"]) % len(replicas)], state["turn"] + 1


def think(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Issue the next operation: a write to the primary, a read to a replica (or the primary)."""
    n = state["n"] + 1
    stream = Stream(state["rng"])
    script = parse_script(ctx.params["script"])
    if ctx.node in script:
        kind, key = script[ctx.node][n - 1]
        op: dict[str, Any] = {"op": kind, "key": key}
    else:
        op = next_op(stream, ctx.params, ctx.node, n)
    op = {"n": n, "op": op["op"], "key": op["key"], "since": now}
    turn = state["turn"]
    if op["op"] == "write":
        op.update(value=f"{ctx.node}:{n}", at=PRIMARY_NODE)
        send = Send(dest=PRIMARY_NODE, type="write", body={"key": op["key"], "value": op["value"], "n": n})
        timer = SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])
    elif ctx.params["guarantee"] == "primary-reads":
        _replica(ctx, state, stream)  # Drawn all the same: every guarantee sees the same operations on one seed.
        op.update(at=PRIMARY_NODE, token=0)
        send = Send(dest=PRIMARY_NODE, type="read", body={"key": op["key"], "n": n})
        timer = SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])
    else:
        replica, turn = _replica(ctx, state, stream)
        op.update(at=replica, token=token(ctx, state))
        send = Send(dest=replica, type="read", body={"key": op["key"], "n": n, "token": op["token"]})
        timer = SetTimer(name="wait", delay_ms=ctx.params["wait_ms"])
    state = {**state, "phase": "waiting", "n": n, "rng": stream.state, "turn": turn, "op": op}
    return state, [send, timer]


def finish(ctx: Context, state: State, result: dict[str, Any], now: int) -> Outcome:
    """End the operation in progress with ``result``; think, or stop after the last one."""
    op = state["op"]
    last = {"n": op["n"], "op": op["op"], "key": op["key"], "ms": now - op["since"], **result}
    effects: list[Effect] = [CancelTimer(name=t) for t in OP_TIMERS]
    if state["n"] >= total_ops(ctx):
        return {**state, "phase": "done", "op": None, "last": last}, effects
    effects.append(SetTimer(name="think", delay_ms=ctx.params["think_ms"]))
    return {**state, "phase": "thinking", "op": None, "last": last}, effects


def _current(state: State, event: Receive) -> bool:
    op = state["op"]
    m = event.message
    if op is None or m.body.get("n") != op["n"] or m.type != op["op"] + "_ok":
        return False
    return m.type == "write_ok" or m.body.get("replica") == op["at"]


def answered(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The answer to the operation in progress: move the session's positions, record the result."""
    if not _current(state, event):
        return state, ()  # A late answer: from the replica after the client went to the primary, or a duplicate.
    body = event.message.body
    op = state["op"]
    if event.message.type == "write_ok":
        state = {**state, "written": max(state["written"], int(body["pos"]))}
        return finish(ctx, state, {"ok": True, "value": op["value"], "pos": int(body["pos"]), "at": op["at"]}, now)
    state = {**state, "seen": max(state["seen"], int(body["pos"]))}
    result = {"ok": True, "value": body["value"], "ver": int(body["ver"]), "pos": int(body["pos"]),
              "at": op["at"], "token": op["token"], "waited_ms": int(body.get("waited_ms", 0)),
              "redirected": bool(op.get("redirected", False))}
    return finish(ctx, state, result, now)


def waited(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The replica has not answered within wait_ms: read at the primary instead."""
    op = {**state["op"], "at": PRIMARY_NODE, "redirected": True}
    send = Send(dest=PRIMARY_NODE, type="read", body={"key": op["key"], "n": op["n"], "redirected": True})
    return {**state, "op": op}, [send, SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])]


def timed_out(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer from the primary in time: give the operation up (a write may still have taken effect)."""
    op = state["op"]
    return finish(ctx, state, {"ok": False, "value": op.get("value", ""), "at": op["at"]}, now)


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A crashed client session does not resume: its workload and its positions are gone."""
    return {**state, "phase": "done", "op": None}, ()
