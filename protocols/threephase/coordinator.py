"""The 3PC coordinator: CanCommit, PreCommit, DoCommit, each wait bounded by a timeout.

Its durable log holds the phases it must not forget: ``precommitted``
(forced before the first PreCommit leaves) and its outcome (forced before the
first DoCommit or Abort leaves). Recovery reads the last of them back.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, State

TIMER = "timeout"
"""The coordinator's one timer: what it waits for is its phase (votes, then acknowledgements)."""

DECISION_MESSAGE = {"committed": "do_commit", "aborted": "abort"}
"""The message that carries an outcome, by the phase it leads to."""


def everyone(ctx: Context) -> list[str]:
    """Return the participants, in placement order."""
    return ctx.nodes_with_role("participant")


def initial(ctx: Context) -> State:
    """Return the coordinator's state at boot and after a crash, before its recovery handler runs."""
    return {"phase": "init", "votes": {}, "acks": []}


def begin(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Phase 1: ask every participant whether it can commit; wait a bounded time for the votes."""
    effects: list[Effect] = [Send(dest=p, type="can_commit") for p in everyone(ctx)]
    effects.append(SetTimer(name=TIMER, delay_ms=ctx.params["coordinator_timeout_ms"]))
    return {**state, "phase": "waiting"}, effects


def tally(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Count a vote: one no aborts; every yes moves to phase 2 (PreCommit)."""
    voter, vote = event.message.src, event.message.body["vote"]
    state = {**state, "votes": {**state["votes"], voter: vote}}
    if vote == "no":
        return finish(ctx, state, "aborted", f"{voter} voted no")
    if len(state["votes"]) < len(everyone(ctx)):
        return state, ()
    effects: list[Effect] = [
        Note(text="every participant voted yes: precommit"),
        Persist(record={"type": "precommitted"}),
        CancelTimer(name=TIMER),
    ]
    effects += [Send(dest=p, type="pre_commit") for p in everyone(ctx)]
    effects.append(SetTimer(name=TIMER, delay_ms=ctx.params["coordinator_timeout_ms"]))
    return {**state, "phase": "precommitted", "acks": []}, effects


def votes_missing(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The votes did not all come in time: abort (nobody can be prepared yet)."""
    silent = [p for p in everyone(ctx) if p not in state["votes"]]
    return finish(ctx, state, "aborted", "no vote in time from " + ", ".join(silent))


def acknowledged(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Count an acknowledgement of PreCommit; with all of them, phase 3: DoCommit."""
    acks = sorted({*state["acks"], event.message.src})
    state = {**state, "acks": acks}
    if len(acks) < len(everyone(ctx)):
        return state, ()
    return finish(ctx, state, "committed", "every participant acknowledged PreCommit")


def acks_missing(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Some acknowledgements never came: commit anyway; the silent ones are taken for crashed.

    Every participant voted yes, so commit is the only outcome left; one that
    crashed learns it when it recovers and asks.
    """
    silent = [p for p in everyone(ctx) if p not in state["acks"]]
    return finish(ctx, state, "committed", "no acknowledgement in time from " + ", ".join(silent))


def finish(ctx: Context, state: State, outcome: str, why: str) -> Outcome:
    """Force the outcome to the log, then tell every participant."""
    effects: list[Effect] = [Note(text=f"{outcome}: {why}"), Persist(record={"type": outcome}),
                             CancelTimer(name=TIMER)]
    effects += [Send(dest=p, type=DECISION_MESSAGE[outcome]) for p in everyone(ctx)]
    return {**state, "phase": outcome}, effects


def answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A recovered participant asks for the outcome: send it."""
    return state, [Send(dest=event.message.src, type=DECISION_MESSAGE[state["phase"]],
                        in_reply_to=event.message.msg_id)]


def learn(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Recovering, the coordinator is told the outcome the participants reached: log it."""
    outcome = "committed" if event.message.type == "do_commit" else "aborted"
    return {**state, "phase": outcome}, [Note(text=f"learned from {event.message.src}: {outcome}"),
                                         Persist(record={"type": outcome})]


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Rebuild from the log: an outcome is sent again; a precommit without one must be asked about.

    With nothing logged no PreCommit ever left, so no participant can be
    prepared: abort is safe. With ``precommitted`` logged the participants may
    have terminated without it (``termination=elected`` or ``unilateral``): it
    asks them and waits to be told. With ``termination=none`` nobody decides
    but the coordinator, so it sends PreCommit again and carries on.
    """
    logged = [r["type"] for r in event.durable]
    last = logged[-1] if logged else None
    if last in DECISION_MESSAGE:
        effects: list[Effect] = [Note(text=f"recovered {last} from the log: sending it again")]
        effects += [Send(dest=p, type=DECISION_MESSAGE[last]) for p in everyone(ctx)]
        return {**state, "phase": last}, effects
    if last is None:
        return finish(ctx, state, "aborted", "recovered with nothing logged, so no PreCommit ever left")
    if ctx.params["termination"] == "none":
        effects = [Note(text="recovered precommitted: nobody else decides, so PreCommit again")]
        effects += [Send(dest=p, type="pre_commit") for p in everyone(ctx)]
        effects.append(SetTimer(name=TIMER, delay_ms=ctx.params["coordinator_timeout_ms"]))
        return {**state, "phase": "precommitted", "acks": []}, effects
    effects = [Note(text="recovered precommitted: asking the participants what they decided")]
    effects += [Send(dest=p, type="decision_req") for p in everyone(ctx)]
    return {**state, "phase": "recovering"}, effects
