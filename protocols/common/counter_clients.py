"""The counter clients the replicated-counter family shares: same names, same workload, same stream.

Theory of operation
-------------------
Clients ``c1..cN`` each issue ``increments_per_client`` operations one
after another (an operation is an increment, or for a PN-counter possibly a
decrement), waiting for each to be acknowledged; then each reads the
counter once and stops. Between operations a client thinks for a jittered
``think_ms``. Each client seeds two streams from its ``Start.draw``: one
for think times, one for its operations (decrement or not, the sharded
counter's sub-key). Clients are placed first and send nothing at start, so
with one seed every protocol of the family hands them the same draws:
``manage.py compare`` runs all of them on one workload.

How an operation or a read travels is the protocol's business; this module
keeps the common life of a client and takes the rest as :class:`Hooks`.
An unanswered request is sent again every ``retry_ms`` until the horizon
``duration_ms``; after it a client still waiting gives up (phase
``stopped``), so every run ends.

Clients journal their progress (operation number, the acknowledged counts)
in the durable log at each step, so a crashed client resumes where it
stopped (with freshly seeded streams) and re-sends the operation it was waiting for
under the same number: servers recognise the repeat and do not count it
twice. A recovered client also starts a new *epoch* (one more than the
restarts its log records): its reads carry the epoch, servers echo it, and
an answer from an earlier epoch (to a read sent before the crash) is
ignored, never taken for an answer to the new read. A client that never
restarted is in epoch 0, which its messages leave unsaid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Note,
    Outcome,
    Persist,
    Receive,
    Recover,
    SetTimer,
    Start,
    State,
    Transition,
)
from protocols.common.ring import stable_hash
from protocols.common.rng import Stream, seed_from_draw
from protocols.spec import Param

CLIENT = "client"
THINK_SALT = 0x5EED_C0
"""The think-time stream's salt: the same as the counter-and-lock family's clients
(``protocols/counters/client.py``), so ``manage.py compare`` gives every counter the same think times."""
OPS_SALT = 0x0B5_C0
"""The operation stream's salt (decrement or not, a sub-key): separate from think times, so a protocol
that draws more per operation does not shift everyone's think times."""

CLIENT_PARAMS = (
    Param(name="clients", kind="int", default=3, min=1, max=8, help="How many clients (c1..cN) use the counter."),
    Param(name="increments_per_client", kind="int", default=3, min=0, max=50,
          help="How many operations each client issues, one after another, before it reads."),
    Param(name="think_ms", kind="int", default=20, min=0, max=10_000,
          help="Mean pause of a client between two operations; each client jitters it from its own seeded "
               "stream."),
    Param(name="retry_ms", kind="int", default=80, min=10, max=10_000,
          help="How long a client waits for an answer before it asks again."),
    Param(name="duration_ms", kind="int", default=1500, min=100, max=600_000,
          help="Horizon: after it clients stop retrying and servers stop background work, so the run ends."),
)
"""The workload every counter takes: the first four as in ``protocols/counters/params.py``."""

PHASES = ("thinking", "adding", "reading", "done", "stopped")


def client_names(params: Mapping[str, Any]) -> dict[str, str]:
    """Return ``c1..cN`` with their role, in placement order (first, so their draws match)."""
    return {f"c{i}": CLIENT for i in range(1, params["clients"] + 1)}


def client_state() -> dict[str, Any]:
    """Return the fields every client starts with."""
    return {"phase": "thinking", "stream": 0, "draws": 0, "ops": 0, "delta": 0,
            "acked_inc": 0, "acked_dec": 0, "read": None}


def acknowledged_and_issued(states: Iterable[State]) -> tuple[dict[str, int], dict[str, int]]:
    """Return increments ("p") and decrements ("n") acknowledged to clients, and those issued.

    Issued adds each client's operation still waiting for its answer (or given
    up on): a server may or may not have counted it. With every client done
    the two are equal.
    """
    acked, issued = {"p": 0, "n": 0}, {"p": 0, "n": 0}
    for state in states:
        acked["p"] += state.get("acked_inc", 0)
        acked["n"] += state.get("acked_dec", 0)
        pending = state.get("ops", 0) > state.get("acked_inc", 0) + state.get("acked_dec", 0)
        if pending:
            issued["n" if state.get("delta", 1) < 0 else "p"] += 1
    return acked, {k: acked[k] + issued[k] for k in acked}


def think_delay(stream: Stream, params: Mapping[str, Any]) -> int:
    """Draw a think time from half to one and a half times ``think_ms`` (as the other counters do)."""
    think = int(params["think_ms"])
    return stream.between(think // 2, think + think // 2)


def past_horizon(ctx: Context, now: int) -> bool:
    """Say whether the run's horizon has passed on this node's clock."""
    return now >= int(ctx.params["duration_ms"])


def retry_timer(ctx: Context) -> SetTimer:
    """Return the timer after which an unanswered request is sent again."""
    return SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])


@dataclass(frozen=True, slots=True)
class Hooks:
    """What a protocol supplies to the shared client."""

    choose: Callable[[Context, State], State]
    """Draw what a new operation needs (``delta``, a target) from the op stream (``draws``)."""
    begin_op: Callable[[Context, State], Outcome]
    """Send operation number ``ops`` (again, on a retry)."""
    begin_read: Callable[[Context, State], Outcome]
    """Start the read."""
    add_ok: Callable[[Context, State, Receive], Outcome]
    """An acknowledgement arrived while adding."""
    read_ok: Callable[[Context, State, Receive], Outcome]
    """An answer to the read arrived."""
    retry_read: Callable[[Context, State, int], Outcome]
    """The read's retry timer fired (before the horizon)."""


def epoch_body(state: State, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a request's body stamped with the client's epoch (left out in epoch 0, its first life)."""
    epoch = state.get("epoch", 0)
    return {**(body or {}), "epoch": epoch} if epoch else dict(body or {})


def echo_epoch(request: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """Return a reply's body carrying the epoch of the request it answers, if it had one."""
    return {**body, "epoch": request["epoch"]} if "epoch" in request else dict(body)


def progress(state: State, pending: bool) -> dict[str, Any]:
    """Return the journal record of a client's progress (enough to resume after a crash)."""
    record = {key: state[key] for key in ("ops", "delta", "acked_inc", "acked_dec", "read")}
    if "target" in state:
        record["target"] = state["target"]
    return {"type": "progress", "pending": pending, "done": state["phase"] == "done", **record}


def op_acknowledged(ctx: Context, state: State) -> Outcome:
    """Count the current operation as acknowledged; journal it and think before the next."""
    key = "acked_inc" if state["delta"] > 0 else "acked_dec"
    think = Stream(state["stream"])
    delay = think_delay(think, ctx.params)
    new = {**state, "phase": "thinking", key: state[key] + 1, "stream": think.state}
    return new, [Persist(record=progress(new, pending=False)), CancelTimer(name="retry"),
                 SetTimer(name="think", delay_ms=delay)]


def read_finished(state: State, value: Any) -> Outcome:
    """Keep the value read and stop: the client's work is done."""
    new = {**state, "phase": "done", "read": value}
    return new, [Persist(record=progress(new, pending=False)), CancelTimer(name="retry")]


def give_up(state: State, why: str) -> Outcome:
    """Stop waiting: the horizon has passed without an answer."""
    return {**state, "phase": "stopped"}, [Note(text=f"gives up: {why}")]


class Client:
    """The shared client's handlers, bound to one protocol's hooks."""

    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks

    def start(self, ctx: Context, state: State, event: Start, now: int) -> Outcome:
        """Seed the two streams from the start draw; think before the first operation."""
        think = Stream(seed_from_draw(event.draw, THINK_SALT))
        delay = think_delay(think, ctx.params)
        state = {**state, "stream": think.state, "draws": seed_from_draw(event.draw, OPS_SALT)}
        return state, [SetTimer(name="think", delay_ms=delay)]

    def think_over(self, ctx: Context, state: State, event: Any, now: int) -> Outcome:
        """Issue the next operation, or the read once every operation is acknowledged."""
        if state["ops"] >= ctx.params["increments_per_client"]:
            new, effects = self.hooks.begin_read(ctx, {**state, "phase": "reading"})
            return new, [*effects, retry_timer(ctx)]
        new = self.hooks.choose(ctx, {**state, "phase": "adding", "ops": state["ops"] + 1})
        new, effects = self.hooks.begin_op(ctx, new)
        return new, [Persist(record=progress(new, pending=True)), *effects, retry_timer(ctx)]

    def add_ok(self, ctx: Context, state: State, event: Receive, now: int) -> Outcome:
        """An acknowledgement: the protocol decides whether the operation is now done."""
        return self.hooks.add_ok(ctx, state, event)

    def retry_op(self, ctx: Context, state: State, event: Any, now: int) -> Outcome:
        """No acknowledgement in time: send the operation again, or give up past the horizon."""
        if past_horizon(ctx, now):
            return give_up(state, f"operation {state['ops']} unacknowledged at the horizon")
        new, effects = self.hooks.begin_op(ctx, state)
        return new, [*effects, retry_timer(ctx)]

    def read_ok(self, ctx: Context, state: State, event: Receive, now: int) -> Outcome:
        """An answer to the read: the protocol decides whether the read is now done.

        An answer from an earlier epoch answers a read sent before a crash, not this one: ignored.
        """
        if event.message.body.get("epoch", 0) != state.get("epoch", 0):
            return state, [Note(text=f"ignores {event.message.src}'s answer to a read sent before its restart")]
        return self.hooks.read_ok(ctx, state, event)

    def retry_read(self, ctx: Context, state: State, event: Any, now: int) -> Outcome:
        """No (complete) answer in time: the protocol retries or settles; past the horizon, give up."""
        if past_horizon(ctx, now):
            return give_up(state, "no answer to the read by the horizon")
        return self.hooks.retry_read(ctx, state, now)

    def recover(self, ctx: Context, state: State, event: Recover, now: int) -> Outcome:
        """Resume from the journal: re-send the pending operation, think, or stay done."""
        records = [r for r in event.durable if r.get("type") == "progress"]
        # A new epoch, forced first, so that answers to requests of an earlier life are told apart.
        epoch = 1 + sum(1 for r in event.durable if r.get("type") == "restart")
        state = {**state, "epoch": epoch}
        restart = Persist(record={"type": "restart", "epoch": epoch})
        think = SetTimer(name="think", delay_ms=ctx.params["think_ms"])
        if not records:  # Crashed before its first operation: start thinking afresh.
            return {**state, "phase": "thinking"}, [restart, think]
        new, effects = self._resume(ctx, state, records[-1], now)
        return new, [restart, *effects]

    def _resume(self, ctx: Context, state: State, last: Mapping[str, Any], now: int) -> Outcome:
        """Carry on from the last progress record: re-send, think, or stay done."""
        think = SetTimer(name="think", delay_ms=ctx.params["think_ms"])
        restored = {**state, **{k: v for k, v in last.items() if k not in ("type", "pending", "done")}}
        # The streams died with the node; reseed from its name and its epoch (deterministic, not logged). Not
        # from the time: every restart time would then be a world of its own for the explorer.
        restored["stream"] = stable_hash(f"{ctx.node}#{state.get('epoch', 0)}/think")
        restored["draws"] = stable_hash(f"{ctx.node}#{state.get('epoch', 0)}/ops")
        if last["done"]:
            return {**restored, "phase": "done"}, ()
        if past_horizon(ctx, now):
            return give_up(restored, "recovered after the horizon")
        if last["pending"]:
            new, effects = self.hooks.begin_op(ctx, {**restored, "phase": "adding"})
            return new, [*effects, retry_timer(ctx)]
        return {**restored, "phase": "thinking"}, [think]

    def rows(self) -> list[Transition]:
        """Return the client's rows of the transition table."""
        c = CLIENT
        late = "a late or repeated answer, for a request already settled (or sent before a crash)"
        rows = [
            Transition(role=c, phase="thinking", on="start", to=("thinking",), handler=self.start),
            Transition(role=c, phase="thinking", on="timer:think", to=("adding", "reading"),
                       handler=self.think_over),
            Transition(role=c, phase="adding", on="msg:add_ok", to=("adding", "thinking"), handler=self.add_ok),
            Transition(role=c, phase="adding", on="timer:retry", to=("adding", "stopped"), handler=self.retry_op),
            Transition(role=c, phase="reading", on="msg:read_ok", to=("reading", "done"), handler=self.read_ok),
            Transition(role=c, phase="reading", on="timer:retry", to=("reading", "done", "stopped"),
                       handler=self.retry_read),
            Transition(role=c, phase=ANY_PHASE, on="recover", to=("thinking", "adding", "done", "stopped"),
                       handler=self.recover),
        ]
        for phase in PHASES:
            if phase != "adding":
                rows.append(Transition(role=c, phase=phase, on="msg:add_ok", to=(phase,), why=late))
            if phase != "reading":
                rows.append(Transition(role=c, phase=phase, on="msg:read_ok", to=(phase,), why=late))
        return rows
