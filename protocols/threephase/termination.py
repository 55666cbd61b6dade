"""The termination protocol (Skeen 1981): when the coordinator is suspected, an elected participant decides.

Election: a participant waits for the coordinator (round 0); when its
timeout fires it suspects whomever it waited for and moves to the next round
k, whose leader is the k-th participant by name (p1, then p2, ...). The one
whose turn it is leads; the others wait one more timeout for it. A leader's
state request also tells its receivers who leads (they wait for it). After the
last round (one per participant, at most ``termination_rounds``) a participant
suspects no one more and waits to be told.

The leader collects every other participant's state (``collecting``) until
all have answered or its timeout fires (the silent ones are taken for
crashed), then applies the rules, its own state included:

- some committed: commit; some aborted: abort;
- some prepared (none decided): PreCommit the uncertain ones
  (``precommitting``), then commit once they acknowledge or its timeout fires;
- all uncertain: abort (nobody can have committed: commit needs everyone prepared).

These rules are safe when a suspected node really is down and messages take
bounded time; under a partition two sides each run them on half the facts.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Send, SetTimer, State

TIMER = "timeout"
"""A participant's one timer: what it waits for is its phase (and, in an election, its round)."""


def participants(ctx: Context) -> list[str]:
    """Return the participants, in placement order: the order of election."""
    return ctx.nodes_with_role("participant")


def arm(ctx: Context) -> SetTimer:
    """Return the participant's timeout, armed again."""
    return SetTimer(name=TIMER, delay_ms=ctx.params["participant_timeout_ms"])


def reported(state: State) -> str:
    """Return the 3PC state a participant reports: a leader reports the one it had before it led."""
    if state["phase"] == "collecting":
        return str(state["was"])
    if state["phase"] == "precommitting":
        return "prepared"
    return str(state["phase"])


def settle(state: State, outcome: str, by: str) -> Outcome:
    """Log an outcome and who decided it, and stop waiting; the election's bookkeeping is dropped.

    ``by`` is the node whose decision this is: the coordinator, a termination
    leader, or the participant itself (the participants panel shows it; a
    recovered participant reads it back from its log).
    """
    return ({**state, "phase": outcome, "was": None, "replies": {}, "acks": [], "decided_by": by},
            [Persist(record={"type": outcome, "by": by}), CancelTimer(name=TIMER)])


def tell_coordinator(ctx: Context, outcome: str) -> list[Effect]:
    """Tell the coordinator an outcome reached without it (it asks when it recovers, and may be recovering)."""
    kind = "do_commit" if outcome == "committed" else "abort"
    return [Send(dest=c, type=kind) for c in ctx.nodes_with_role("coordinator")]


def last_round(ctx: Context) -> int:
    """Return the last round of the termination protocol: one per participant, at most ``termination_rounds``."""
    return min(len(participants(ctx)), int(ctx.params["termination_rounds"]))


def suspect(ctx: Context, state: State) -> Outcome:
    """The one waited for is silent: go to the next round; lead if it is this participant's turn."""
    everyone = participants(ctx)
    turn = state["round"] + 1
    if turn > last_round(ctx):
        # Every round's leader has been waited for: wait to be told (a recovered node will ask, or answer).
        why = ("every leader suspected" if turn > len(everyone)
               else f"round {turn - 1} was the last (termination_rounds)")
        return {**state, "round": turn - 1}, [Note(text=f"{why}: waiting to be told")]
    leader = everyone[turn - 1]
    if leader != ctx.node:
        return {**state, "round": turn}, [Note(text=f"suspecting round {turn - 1}: waiting for {leader} to lead"),
                                          arm(ctx)]
    others = [p for p in everyone if p != ctx.node]
    effects: list[Effect] = [Note(text=f"leading the termination protocol (round {turn})")]
    effects += [Send(dest=p, type="state_req") for p in others]
    effects.append(arm(ctx))
    return {**state, "phase": "collecting", "round": turn, "was": state["phase"], "replies": {}}, effects


def collect(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Note one participant's state; with every answer in, decide."""
    replies = {**state["replies"], event.message.src: event.message.body["phase"]}
    state = {**state, "replies": replies}
    if len(replies) < len(participants(ctx)) - 1:
        return state, ()
    return decide(ctx, state)


def collect_timeout(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Not everyone answered in time: decide on the answers in hand (the silent are taken for crashed)."""
    return decide(ctx, state)


def decide(ctx: Context, state: State) -> Outcome:
    """Apply the termination rules to the states collected, the leader's own included."""
    known = {**state["replies"], ctx.node: state["was"]}
    seen = set(known.values())
    if "committed" in seen:
        return conclude(ctx, state, "committed", "a participant had committed")
    if "aborted" in seen:
        return conclude(ctx, state, "aborted", "a participant had aborted")
    if "prepared" not in seen:
        return conclude(ctx, state, "aborted", "nobody was prepared, so nobody can have committed")
    uncertain = sorted(n for n, s in known.items() if s == "uncertain" and n != ctx.node)
    effects: list[Effect] = [Note(text="someone was prepared: PreCommit the uncertain, then commit")]
    if state["was"] != "prepared":
        effects.append(Persist(record={"type": "prepared"}))
    if not uncertain:
        done, more = conclude(ctx, state, "committed", "everyone was prepared")
        return done, [*effects, *more]
    effects += [Send(dest=p, type="pre_commit") for p in uncertain]
    effects.append(arm(ctx))
    return {**state, "phase": "precommitting", "was": "prepared", "acks": []}, effects


def acknowledged(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Note an acknowledgement of the leader's PreCommit; with all of them, commit."""
    acks = sorted({*state["acks"], event.message.src})
    state = {**state, "acks": acks}
    waiting = [n for n, s in state["replies"].items() if s == "uncertain" and n not in acks]
    if waiting:
        return state, ()
    return conclude(ctx, state, "committed", "the uncertain acknowledged PreCommit")


def acks_timeout(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Some acknowledgements never came: commit anyway (the silent are taken for crashed)."""
    return conclude(ctx, state, "committed", "not every acknowledgement came in time")


def conclude(ctx: Context, state: State, outcome: str, why: str) -> Outcome:
    """Log the leader's decision and send it to every other participant and to the coordinator."""
    settled, effects = settle(state, outcome, ctx.node)
    kind = "do_commit" if outcome == "committed" else "abort"
    sends: list[Effect] = [Send(dest=p, type=kind) for p in participants(ctx) if p != ctx.node]
    return settled, [Note(text=f"termination: {outcome} ({why})"), *effects, *sends, *tell_coordinator(ctx, outcome)]

