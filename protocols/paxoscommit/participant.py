"""A resource manager: it proposes its own vote in its own Paxos instance, at ballot 0, to every acceptor.

Phases: ``working`` -> ``prepared`` (voted yes: forced to the log, then
proposed) or ``aborted`` (voted no, or nothing came in time: it may abort
alone before it has prepared, and proposes so) -> ``committed``/``aborted``
when a leader tells it the outcome. Prepared and told nothing in time, it
asks the backup leader once; after that it waits.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Persist, Receive, Recover, Send, SetTimer, State

TIMER = "timeout"
HELPER = "backup"
"""The leader a resource manager asks when the outcome is late."""


def acceptors(ctx: Context) -> list[str]:
    """Return the acceptors, in placement order."""
    return ctx.nodes_with_role("acceptor")


def initial(ctx: Context) -> State:
    """Return a resource manager's state at boot and after a crash, before its recovery handler runs."""
    return {"phase": "working", "vote": None, "asked": False}


def own_vote(ctx: Context) -> str:
    """Return this resource manager's vote from ``votes`` (one entry for all, or one each; missing: yes)."""
    given: list[str] = ctx.params["votes"].replace(" ", "").split(",")
    place = ctx.nodes_with_role("participant").index(ctx.node)
    return given[0] if len(given) == 1 else dict(enumerate(given)).get(place, "yes")


def _propose(ctx: Context, value: str) -> list[Effect]:
    """Phase 2a of ballot 0 of this resource manager's own instance: its value, to every acceptor."""
    body = {"ballot": 0, "values": {ctx.node: value}}
    return [Send(dest=a, type="p2a", body=body) for a in acceptors(ctx)]


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Fix the vote; wait a bounded time for the leader's BEGIN."""
    return {**state, "vote": own_vote(ctx)}, [SetTimer(name=TIMER, delay_ms=ctx.params["participant_timeout_ms"])]


def begin(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The transaction is to commit: a yes is forced to the log, then proposed; a no aborts and is proposed."""
    if state["vote"] == "no":
        return {**state, "phase": "aborted"}, [Persist(record={"type": "aborted"}), CancelTimer(name=TIMER),
                                               *_propose(ctx, "aborted")]
    effects: list[Effect] = [Persist(record={"type": "prepared"}), *_propose(ctx, "prepared"),
                             SetTimer(name=TIMER, delay_ms=ctx.params["participant_timeout_ms"])]
    return {**state, "phase": "prepared"}, effects


def give_up(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No BEGIN in time: abort alone (it never prepared) and propose so."""
    return {**state, "phase": "aborted"}, [Persist(record={"type": "aborted"}), *_propose(ctx, "aborted")]


def ask(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Prepared, and no outcome in time: ask the backup leader, once."""
    if state["asked"]:
        return state, ()
    return {**state, "asked": True}, [Send(dest=HELPER, type="help")]


def learn(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A leader's outcome: log it and stop waiting."""
    phase = "committed" if event.message.type == "commit" else "aborted"
    return {**state, "phase": phase}, [Persist(record={"type": phase}), CancelTimer(name=TIMER)]


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Rebuild from the log: decided stays; prepared asks the backup; nothing logged aborts (it never proposed)."""
    last = event.durable[-1]["type"] if event.durable else None
    vote = own_vote(ctx)
    if last in ("committed", "aborted"):
        return {**state, "phase": last, "vote": vote}, ()
    if last == "prepared":
        return {**state, "phase": "prepared", "vote": vote, "asked": True}, [Send(dest=HELPER, type="help")]
    return {**state, "phase": "aborted", "vote": vote}, [Persist(record={"type": "aborted"})]
