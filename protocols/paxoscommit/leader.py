"""The leaders: the registrar that starts the transaction (``leader``) and a ``backup`` that takes over.

Both learn: every acceptor reports each acceptance to both, and an
instance's value is chosen once a quorum of acceptors (F+1 of 2F+1) accepted
it in the same ballot. The transaction commits when every instance chose
``prepared``, and aborts as soon as one chose ``aborted``.

The leader sends BEGIN and waits; when its timeout fires with instances
still open (a resource manager crashed before proposing, or its proposals
were lost) it runs ballot 1. The backup stands by, learning, until a
resource manager asks it for help: it answers with the outcome if it learned
it, and otherwise runs ballot 2. A ballot: phase 1 asks the acceptors to
promise it and report what they accepted; with a quorum of promises, each
instance gets the value of the highest ballot reported, or ``aborted`` if
none was (its resource manager cannot have prepared and been counted);
phase 2 proposes those values. Paxos keeps every chosen value chosen, so the
outcome cannot change whoever leads. Each leader runs one ballot at most:
with the quorum of acceptors down, it waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, State

TIMER = "timeout"
OWN_BALLOT = {"leader": 1, "backup": 2}
"""The one ballot each leader may run; ballot 0 of each instance is its resource manager's."""


def quorum(ctx: Context) -> int:
    """Return how many acceptors make a value chosen, and how many promises a ballot needs: F+1 of 2F+1."""
    return int(ctx.params["f"]) + 1


def instances(ctx: Context) -> list[str]:
    """Return the instances: one per resource manager, named after it."""
    return ctx.nodes_with_role("participant")


def initial(ctx: Context) -> State:
    """Return a leader's state at boot and after a crash, before its recovery handler runs."""
    return {"phase": "init", "ballot": 0, "heard": {}, "promises": [], "reported": {}, "chosen": {}, "outcome": None}


def chosen(ctx: Context, heard: Mapping[str, Mapping[str, list[Any]]]) -> dict[str, str]:
    """Return each instance whose value a quorum of acceptors accepted in one ballot, and that value."""
    found = {}
    for instance, by_acceptor in heard.items():
        tally: dict[tuple[int, str], int] = {}
        for ballot, value in by_acceptor.values():
            tally[(ballot, value)] = tally.get((ballot, value), 0) + 1
        winners = [value for (_, value), count in tally.items() if count >= quorum(ctx)]
        if winners:
            found[instance] = winners[0]
    return found


def verdict(ctx: Context, heard: Mapping[str, Mapping[str, list[Any]]]) -> str | None:
    """Return the transaction's outcome once the chosen values settle it, else None."""
    values = chosen(ctx, heard)
    if "aborted" in values.values():
        return "aborted"
    return "committed" if len(values) == len(instances(ctx)) else None


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The leader tells every resource manager to begin; the backup stands by."""
    if ctx.node != "leader":
        return {**state, "phase": "standby"}, ()
    effects: list[Effect] = [Send(dest=p, type="begin") for p in instances(ctx)]
    effects.append(SetTimer(name=TIMER, delay_ms=ctx.params["leader_timeout_ms"]))
    return {**state, "phase": "collecting"}, effects


def hear(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """An acceptor accepted: note it; a leader at work decides once the chosen values settle the outcome."""
    body, acceptor = event.message.body, event.message.src
    heard = {i: dict(a) for i, a in state["heard"].items()}
    for instance, value in body["values"].items():
        latest = heard.setdefault(instance, {}).get(acceptor)
        if latest is None or latest[0] <= body["ballot"]:
            heard[instance][acceptor] = [body["ballot"], value]
    state = {**state, "heard": heard, "chosen": chosen(ctx, heard), "outcome": verdict(ctx, heard)}
    if state["outcome"] is None or state["phase"] == "standby":
        return state, ()
    return announce(ctx, state)


def announce(ctx: Context, state: State) -> Outcome:
    """Log the outcome and tell every resource manager."""
    outcome = state["outcome"]
    kind = "commit" if outcome == "committed" else "abort"
    effects: list[Effect] = [Note(text=f"every instance's value is chosen: {outcome}"),
                             Persist(record={"type": outcome}), CancelTimer(name=TIMER)]
    effects += [Send(dest=p, type=kind) for p in instances(ctx)]
    return {**state, "phase": outcome}, effects


def run_ballot(ctx: Context, state: State, why: str) -> Outcome:
    """Phase 1 of this leader's own ballot, for every instance at once (``recovery=blind``: no phase 1)."""
    ballot = OWN_BALLOT[ctx.node]
    if ctx.params["recovery"] == "blind":  # The deliberate bug: it never asks what was accepted.
        values = {i: "aborted" for i in instances(ctx)}
        state = {**state, "ballot": ballot, "promises": [], "reported": {}}
        return propose(ctx, state, values, f"{why}: ballot {ballot}, aborted for all without phase 1")
    effects: list[Effect] = [Note(text=f"{why}: ballot {ballot}, phase 1")]
    effects += [Send(dest=a, type="p1a", body={"ballot": ballot}) for a in ctx.nodes_with_role("acceptor")]
    return {**state, "phase": "preparing", "ballot": ballot, "promises": [], "reported": {}}, effects


def late_votes(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The leader's timeout: instances are still open, so it runs its own ballot to close them."""
    open_ = [i for i in instances(ctx) if i not in chosen(ctx, state["heard"])]
    return run_ballot(ctx, state, "no value chosen in time for " + ", ".join(open_))


def help_asked(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A resource manager asks the standing-by backup: the outcome if it learned one, else its own ballot."""
    if state["outcome"] is None:
        return run_ballot(ctx, state, f"{event.message.src} asks for help and no outcome is known")
    kind = "commit" if state["outcome"] == "committed" else "abort"
    return state, [Send(dest=event.message.src, type=kind, in_reply_to=event.message.msg_id)]


def tell(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A decided leader is asked: say the outcome."""
    kind = "commit" if state["phase"] == "committed" else "abort"
    return state, [Send(dest=event.message.src, type=kind, in_reply_to=event.message.msg_id)]


def promised(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Phase 1b: a promise for this leader's ballot; with a quorum of them, propose a value for every instance."""
    body = event.message.body
    if body["ballot"] != state["ballot"]:
        return state, ()  # A promise for another ballot of this leader's: there is none, but say so.
    reported = {i: list(v) for i, v in state["reported"].items()}
    for instance, (ballot, value) in body["accepted"].items():
        if instance not in reported or reported[instance][0] < ballot:
            reported[instance] = [ballot, value]
    promises = sorted({*state["promises"], event.message.src})
    state = {**state, "promises": promises, "reported": reported}
    if len(promises) < quorum(ctx):
        return state, ()
    values = {i: reported[i][1] if i in reported else "aborted" for i in instances(ctx)}
    listed = ", ".join(f"{i}={v}" for i, v in values.items())
    return propose(ctx, state, values, f"a quorum promised: phase 2 with {listed}")


def propose(ctx: Context, state: State, values: Mapping[str, str], why: str) -> Outcome:
    """Phase 2a of this leader's ballot: the values, to every acceptor."""
    effects: list[Effect] = [Note(text=why)]
    effects += [Send(dest=a, type="p2a", body={"ballot": state["ballot"], "values": dict(values)})
                for a in ctx.nodes_with_role("acceptor")]
    return {**state, "phase": "proposing"}, effects


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """A logged outcome is sent again; without one the leader has forgotten what it heard, and stands by."""
    if event.durable:
        outcome = event.durable[-1]["type"]
        return announce(ctx, {**state, "outcome": outcome})
    return {**state, "phase": "standby"}, [Note(text="recovered with no outcome logged: standing by")]
