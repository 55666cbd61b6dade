"""The 3PC participant: vote, get ready to commit, commit; and what it does when the coordinator is silent.

Phases: ``working`` (no CanCommit yet) -> ``uncertain`` (voted yes: it does
not know whether anyone is ready to commit) -> ``prepared`` (acknowledged
PreCommit: everyone voted yes) -> ``committed``; or ``aborted`` from any
undecided phase. Every waiting phase is bounded by the one timer ``timeout``;
what a timeout does depends on the phase and on ``termination``
(protocols/threephase/termination.py runs the elected leader's side).

The log holds ``uncertain`` (forced before the yes vote leaves),
``prepared`` (before the acknowledgement leaves) and the outcome with whose decision
it is (``by``: the coordinator, a termination leader, or itself).
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, Start, State
from protocols.threephase import termination as t

TIMER = t.TIMER


def initial(ctx: Context) -> State:
    """Return a participant's state at boot and after a crash, before its recovery handler runs."""
    return {"phase": "working", "vote": None, "round": 0, "was": None, "replies": {}, "acks": [], "decided_by": None}


def planned_vote(ctx: Context) -> str:
    """Return this participant's vote: its entry in ``votes``, the only entry for all, or yes."""
    votes: list[str] = [v.strip() for v in ctx.params["votes"].split(",")]
    place = t.participants(ctx).index(ctx.node)
    if len(votes) == 1:
        return votes[0]
    return votes[place] if place < len(votes) else "yes"


def start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Fix the vote; wait a bounded time for CanCommit."""
    return {**state, "vote": planned_vote(ctx)}, [t.arm(ctx)]


def vote(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer CanCommit: a yes is forced to the log first (now uncertain); a no aborts at once."""
    coordinator = event.message.src
    if state["vote"] == "no":
        aborted, logged = t.settle(state, "aborted", ctx.node)
        return aborted, [*logged, Send(dest=coordinator, type="vote", body={"vote": "no"})]
    effects: list[Effect] = [Persist(record={"type": "uncertain"}),
                             Send(dest=coordinator, type="vote", body={"vote": "yes"})]
    if ctx.params["termination"] != "none":
        effects.append(t.arm(ctx))
    else:
        effects.append(CancelTimer(name=TIMER))  # Without termination it waits as long as it takes.
    return {**state, "phase": "uncertain"}, effects


def no_can_commit(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No CanCommit in time: abort alone (it never voted, so nobody can have counted on it)."""
    return {**state, "phase": "aborted", "decided_by": ctx.node}, [Persist(record={"type": "aborted", "by": ctx.node})]


def precommit(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """PreCommit: everyone voted yes. Force ``prepared``, acknowledge, wait for DoCommit."""
    effects: list[Effect] = [Persist(record={"type": "prepared"}),
                             Send(dest=event.message.src, type="ack", in_reply_to=event.message.msg_id)]
    if ctx.params["termination"] != "none":
        effects.append(t.arm(ctx))
    return {**state, "phase": "prepared"}, effects


def reack(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """PreCommit again (a leader's, a duplicate): acknowledge again, it changes nothing here."""
    return state, [Send(dest=event.message.src, type="ack", in_reply_to=event.message.msg_id)]


def precommit_while_collecting(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A leader still collecting states gets PreCommit: it is now prepared itself, and says so."""
    effects: list[Effect] = [Send(dest=event.message.src, type="ack", in_reply_to=event.message.msg_id)]
    if state["was"] != "prepared":
        effects.insert(0, Persist(record={"type": "prepared"}))
    return {**state, "was": "prepared"}, effects


def told(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """DoCommit or Abort (from the coordinator, a leader, or a peer answering): log it and stop waiting."""
    outcome = "committed" if event.message.type == "do_commit" else "aborted"
    return t.settle(state, outcome, event.message.src)


def timed_out(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Uncertain or prepared, and nothing came in time: the coordinator (or a leader) is suspected.

    ``termination=elected``: elect the next leader and let it decide
    (termination.py). ``unilateral``: the bare timeout rules, deciding
    alone: uncertain aborts (had the coordinator precommitted, its PreCommit
    would have come by now), prepared commits (everyone voted yes). Unsafe when the coordinator crashed halfway
    through its PreCommits: one side is prepared, the other uncertain.
    """
    if ctx.params["termination"] == "unilateral":
        outcome = "committed" if state["phase"] == "prepared" else "aborted"
        settled, effects = t.settle(state, outcome, ctx.node)
        return settled, [Note(text=f"timed out {state['phase']}: {outcome} alone"), *effects,
                         *t.tell_coordinator(ctx, outcome)]
    return t.suspect(ctx, state)


def report(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A leader asks for this participant's state: say it, and wait for that leader's decision."""
    reply = Send(dest=event.message.src, type="state_reply", body={"phase": t.reported(state)},
                 in_reply_to=event.message.msg_id)
    if state["phase"] in ("committed", "aborted"):
        return state, [reply]
    if state["phase"] == "working":  # Never voted: it may abort, and answers so.
        aborted, effects = t.settle(state, "aborted", ctx.node)
        return aborted, [*effects, Send(dest=event.message.src, type="state_reply",
                                                    body={"phase": "aborted"}, in_reply_to=event.message.msg_id)]
    if state["phase"] in ("collecting", "precommitting"):
        return state, [reply]  # A leader itself: it answers and goes on with its own round.
    leader_round = t.participants(ctx).index(event.message.src) + 1
    return {**state, "round": leader_round}, [reply, t.arm(ctx)]


def answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A recovered node asks for the outcome: send it."""
    kind = "do_commit" if state["phase"] == "committed" else "abort"
    return state, [Send(dest=event.message.src, type=kind, in_reply_to=event.message.msg_id)]


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Rebuild from the log: an outcome stays; uncertain or prepared asks everyone, then waits as before."""
    logged = [r["type"] for r in event.durable]
    last = logged[-1] if logged else None
    vote = "yes" if "uncertain" in logged else ("no" if last == "aborted" else planned_vote(ctx))
    state = {**state, "vote": vote}
    if last in ("committed", "aborted"):
        return {**state, "phase": last, "decided_by": event.durable[-1].get("by")}, ()
    if last is None:
        return {**state, "phase": "aborted", "decided_by": ctx.node}, [
            Persist(record={"type": "aborted", "by": ctx.node}), Note(text="recovered before voting: abort")]
    others = [n for n in ctx.roles if n != ctx.node]
    effects: list[Effect] = [Note(text=f"recovered {last}: asking who knows the outcome")]
    effects += [Send(dest=n, type="decision_req") for n in others]
    if ctx.params["termination"] != "none":
        effects.append(t.arm(ctx))
    return {**state, "phase": last}, effects

