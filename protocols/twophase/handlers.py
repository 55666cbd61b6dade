"""Two-phase commit handlers: one function per row of the transition table.

Vocabulary follows Gray and Lamport's TCommit/TwoPhase specifications.
Participants (resource managers) move ``working -> prepared -> committed``
or ``-> aborted``; the coordinator (transaction manager) moves ``init ->
committed | aborted``. Durable records sit where the textbook puts them: a
participant forces ``prepared`` before voting yes, the coordinator forces its
decision before sending it.
"""

from __future__ import annotations

from typing import Any

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Note,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    State,
)

OUTCOME_PHASE = {"commit": "committed", "abort": "aborted"}


def participants(ctx: Context) -> list[str]:
    """Return the participants, in placement order."""
    return ctx.nodes_with_role("participant")


def planned_vote(ctx: Context, draw: float) -> str:
    """Return this participant's vote from the ``votes`` parameter and its start draw."""
    tokens = [t.strip() for t in ctx.params["votes"].split(",")]
    index = participants(ctx).index(ctx.node)
    token = tokens[0] if len(tokens) == 1 else (tokens[index] if index < len(tokens) else "yes")
    if token in ("yes", "no"):
        return token
    return "yes" if draw < float(token) else "no"


# --------------------------------------------------------------- coordinator


def coordinator_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Ask every participant to prepare and wait, bounded, for their votes."""
    effects: list[Effect] = [Send(dest=p, type="prepare") for p in participants(ctx)]
    effects.append(SetTimer(name="vote_timeout", delay_ms=ctx.params["vote_timeout_ms"]))
    return state, effects


def coordinator_vote(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Record a vote; decide as soon as the votes allow."""
    votes = {**state["votes"], event.message.src: event.message.body["vote"]}
    state = {**state, "votes": votes}
    everyone = participants(ctx)
    yes = sum(1 for v in votes.values() if v == "yes")
    if ctx.params["variant"] == "majority-commit":
        # The deliberate bug: a no vote is outvoted instead of being a veto.
        if yes * 2 > len(everyone):
            return decide(ctx, state, "commit", why="a majority voted yes (the deliberate bug)")
        if len(votes) == len(everyone):
            return decide(ctx, state, "abort", why="no majority of yes votes")
        return state, ()
    if "no" in votes.values():
        return decide(ctx, state, "abort", why=f"{event.message.src} voted no")
    if yes == len(everyone):
        return decide(ctx, state, "commit", why="every participant voted yes")
    return state, ()


def coordinator_vote_timeout(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Give up waiting for votes: abort."""
    missing = [p for p in participants(ctx) if p not in state["votes"]]
    return decide(ctx, state, "abort", why="no vote from " + ", ".join(missing) + " in time")


def decide(ctx: Context, state: State, decision: str, why: str) -> Outcome:
    """Force the decision to the log, then tell every participant."""
    state = {**state, "phase": OUTCOME_PHASE[decision], "decision": decision, "acks": []}
    effects: list[Effect] = [
        Note(text=f"decide {decision}: {why}"),
        Persist(record={"type": "decision", "decision": decision}),
        CancelTimer(name="vote_timeout"),
    ]
    effects += [Send(dest=p, type=decision) for p in participants(ctx)]
    if ctx.params["max_resends"]:
        effects.append(SetTimer(name="resend", delay_ms=ctx.params["resend_ms"]))
    return state, effects


def coordinator_late_vote(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A vote after the decision (late or duplicated): answer with the decision."""
    return state, [Send(dest=event.message.src, type=state["decision"])]


def coordinator_ack(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Note a participant's acknowledgement; stop re-sending once all have it."""
    acks = sorted(set(state["acks"]) | {event.message.src})
    effects: list[Effect] = []
    if len(acks) == len(participants(ctx)) and len(state["acks"]) < len(acks):
        effects.append(CancelTimer(name="resend"))
    return {**state, "acks": acks}, effects


def coordinator_resend(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Re-send the decision to whoever has not acknowledged it, a bounded number of times."""
    silent = [p for p in participants(ctx) if p not in state["acks"]]
    resends = state["resends"] + 1
    effects: list[Effect] = [Send(dest=p, type=state["decision"]) for p in silent]
    if silent and resends < ctx.params["max_resends"]:
        effects.append(SetTimer(name="resend", delay_ms=ctx.params["resend_ms"]))
    return {**state, "resends": resends}, effects


def coordinator_status(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """An in-doubt participant asks: tell it the decision."""
    return state, [Send(dest=event.message.src, type="status_reply",
                        body={"phase": state["phase"]}, in_reply_to=event.message.msg_id)]


def coordinator_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Read the decision back from the log and send it again; with none logged, abort.

    Presumed abort is safe: without a logged decision no COMMIT was ever sent.
    """
    logged = [r["decision"] for r in event.durable if r.get("type") == "decision"]
    if not logged:
        return decide(ctx, state, "abort", why="recovered with no decision in the log (presumed abort)")
    decision = logged[-1]
    state = {**state, "phase": OUTCOME_PHASE[decision], "decision": decision, "acks": []}
    effects: list[Effect] = [Note(text=f"recovered decision {decision} from the log; sending it again")]
    effects += [Send(dest=p, type=decision) for p in participants(ctx)]
    if ctx.params["max_resends"]:
        effects.append(SetTimer(name="resend", delay_ms=ctx.params["resend_ms"]))
    return state, effects


# --------------------------------------------------------------- participant


def participant_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Fix this run's vote from the start draw; abort if no PREPARE comes in time."""
    state = {**state, "vote": planned_vote(ctx, event.draw)}
    return state, [SetTimer(name="prepare_timeout", delay_ms=ctx.params["prepare_timeout_ms"])]


def participant_prepare(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Vote: force PREPARED and say yes, or abort and say no."""
    coordinator = event.message.src
    if state["vote"] == "no":
        return {**state, "phase": "aborted"}, [
            Persist(record={"type": "aborted"}),
            CancelTimer(name="prepare_timeout"),
            Send(dest=coordinator, type="vote", body={"vote": "no"}),
        ]
    return {**state, "phase": "prepared"}, [
        Persist(record={"type": "prepared"}),
        CancelTimer(name="prepare_timeout"),
        Send(dest=coordinator, type="vote", body={"vote": "yes"}),
        *_status_timer(ctx),
    ]


def participant_revote(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A repeated PREPARE: repeat the vote already cast (yes if prepared, no if aborted)."""
    vote = "yes" if state["phase"] == "prepared" else "no"
    return state, [Send(dest=event.message.src, type="vote", body={"vote": vote})]


def participant_abort_alone(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Not yet voted and tired of waiting (or a peer asks): abort unilaterally."""
    effects: list[Effect] = [Persist(record={"type": "aborted"}), CancelTimer(name="prepare_timeout")]
    if isinstance(event, Receive):  # A peer's status request: answer it.
        effects.append(Send(dest=event.message.src, type="status_reply", body={"phase": "aborted"},
                            in_reply_to=event.message.msg_id))
    return {**state, "phase": "aborted"}, effects


def participant_learn(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Learn the outcome (a decision, or a status reply that knows it) and acknowledge."""
    message = event.message
    phase = OUTCOME_PHASE.get(message.type) or message.body.get("phase", "")
    if phase not in ("committed", "aborted"):
        return state, ()  # The one asked does not know either; keep waiting.
    effects: list[Effect] = [
        Persist(record={"type": phase}),
        CancelTimer(name="status_timeout"),
        CancelTimer(name="prepare_timeout"),
    ]
    if message.type != "status_reply":
        effects.append(Send(dest=message.src, type="ack", body={"decision": message.type}))
    return {**state, "phase": phase}, effects


def participant_reack(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The decision again (a re-send or a duplicate): acknowledge again."""
    return state, [Send(dest=event.message.src, type="ack", body={"decision": event.message.type})]


def participant_ask(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """In doubt: ask the coordinator (and, cooperatively, the peers) for the outcome."""
    asked = state["asked"] + 1
    targets = ctx.nodes_with_role("coordinator")
    if ctx.params["cooperative_termination"]:
        targets += [p for p in participants(ctx) if p != ctx.node]
    effects: list[Effect] = [Send(dest=t, type="status_request") for t in targets]
    if asked < ctx.params["max_status_queries"]:
        effects += _status_timer(ctx)
    return {**state, "asked": asked}, effects


def _status_timer(ctx: Context) -> list[Effect]:
    """Arm the in-doubt participant's next question, unless it is told never to ask."""
    if not ctx.params["max_status_queries"]:
        return []
    return [SetTimer(name="status_timeout", delay_ms=ctx.params["resend_ms"] * 2)]


def participant_tell(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A peer asks what happened: say this participant's phase."""
    return state, [Send(dest=event.message.src, type="status_reply", body={"phase": state["phase"]},
                        in_reply_to=event.message.msg_id)]


def participant_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Rebuild from the log: decided stays decided, prepared is in doubt, nothing means abort."""
    logged = [r["type"] for r in event.durable]
    last = logged[-1] if logged else None
    if last in ("committed", "aborted"):
        return {**state, "phase": last}, ()
    if last == "prepared":
        state = {**state, "phase": "prepared", "asked": 0}
        return participant_ask(ctx, state, event, now)
    return {**state, "phase": "aborted"}, [Persist(record={"type": "aborted"}),
                                           Note(text="recovered before voting: abort")]


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "coordinator":
        return {"phase": "init", "votes": {}, "decision": None, "acks": [], "resends": 0}
    return {"phase": "working", "vote": None, "asked": 0}
