"""Every row of the two-phase commit transition table, fired by hand.

Each test builds a Context and a state, fires one input through the table
with a chosen ``now`` and asserts the new phase and the exact effects, in
order: the forced writes (PREPARED before a yes vote, the decision before it
is sent) are part of what is checked. Tests register the (role, phase, input)
rows they cover; a row without a test fails the suite. A Hypothesis test then
fires every input at every phase from arbitrary states.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Effect,
    Input,
    Note,
    Persist,
    ProtocolError,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
    Transition,
    TransitionTable,
)
from protocols.twophase import SPEC
from protocols.twophase import handlers as h
from protocols.twophase.table import TABLE
from tests.protocols import table_support as support
from tests.protocols.table_support import (
    RowRegistry,
    assert_forced_before_sent,
    assert_refused_loudly,
    check_handled_or_refused,
    fire_table,
    receive,
    silent_ignores,
    table_rows,
    without_notes,
)

SPEC_DEFAULTS = SPEC.resolve_params({})

C, P = "coordinator", "participant"
NOW = 1_234
"""Any virtual time: two-phase commit handlers must not depend on it."""

ROWS = RowRegistry(table_rows(TABLE), "two-phase commit")
covers = ROWS.covers


# ------------------------------------------------------------- helpers


def context(node: str = C, participants: int = 3, **params: Any) -> Context:
    """Build a node's context with checked parameters and two-phase commit's placement."""
    return support.context(SPEC, node, participants=participants, **params)


def coordinator(phase: str = "init", **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(context(C)), "phase": phase, **fields}


def participant(phase: str = "working", **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(context("p1")), "phase": phase, "vote": "yes", **fields}


def fire(ctx: Context, state: dict[str, Any], event: Input, now: int = NOW) -> tuple[Any, list[Effect]]:
    """Fire one input through the table; return the new state and the effects as a list."""
    return fire_table(TABLE, ctx, state, event, now)


def decision_effects(decision: str, participants: int = 3, resend_ms: int = 100) -> list[Effect]:
    """What deciding looks like, notes aside: force, stop waiting, tell everyone, re-send later."""
    return [
        Persist(record={"type": "decision", "decision": decision}),
        CancelTimer(name="vote_timeout"),
        *[Send(dest=f"p{i}", type=decision) for i in range(1, participants + 1)],
        SetTimer(name="resend", delay_ms=resend_ms),
    ]


# ---------------------------------------------------------- coordinator


@covers((C, "init", "start"))
def test_coordinator_start_asks_everyone_to_prepare_and_bounds_the_wait() -> None:
    state = coordinator()
    new, effects = fire(context(C, participants=4, vote_timeout_ms=321), state, Start(draw=0.5))
    assert new == state
    assert effects == [
        Send(dest="p1", type="prepare"), Send(dest="p2", type="prepare"),
        Send(dest="p3", type="prepare"), Send(dest="p4", type="prepare"),
        SetTimer(name="vote_timeout", delay_ms=321),
    ]


@covers((C, "init", "msg:vote"))
def test_coordinator_records_a_yes_vote_and_keeps_waiting() -> None:
    new, effects = fire(context(C), coordinator(), receive("vote", "p2", C, {"vote": "yes"}))
    assert new["phase"] == "init"
    assert new["votes"] == {"p2": "yes"}
    assert effects == []


@covers((C, "init", "msg:vote"))
def test_coordinator_commits_on_the_last_yes_and_forces_the_decision_before_sending_it() -> None:
    state = coordinator(votes={"p1": "yes", "p3": "yes"})
    new, effects = fire(context(C, resend_ms=70), state, receive("vote", "p2", C, {"vote": "yes"}))
    assert new["phase"] == "committed"
    assert new["decision"] == "commit"
    assert new["acks"] == []
    assert without_notes(effects) == decision_effects("commit", resend_ms=70)
    assert_forced_before_sent(effects)


@covers((C, "init", "msg:vote"))
def test_coordinator_aborts_on_the_first_no_without_waiting_for_the_rest() -> None:
    new, effects = fire(context(C), coordinator(), receive("vote", "p3", C, {"vote": "no"}))
    assert new["phase"] == "aborted"
    assert new["decision"] == "abort"
    assert without_notes(effects) == decision_effects("abort")
    assert_forced_before_sent(effects)
    notes = [e.text for e in effects if isinstance(e, Note)]
    assert notes == ["decide abort: p3 voted no"]


@covers((C, "init", "msg:vote"))
def test_a_repeated_yes_vote_is_counted_once() -> None:
    state = coordinator(votes={"p1": "yes"})
    new, effects = fire(context(C, participants=2), state, receive("vote", "p1", C, {"vote": "yes"}))
    assert new["phase"] == "init"
    assert new["votes"] == {"p1": "yes"}
    assert effects == []


@covers((C, "init", "msg:vote"))
def test_the_broken_majority_coordinator_commits_over_a_no() -> None:
    ctx = context(C, variant="majority-commit")
    state = coordinator(votes={"p3": "no", "p1": "yes"})
    new, effects = fire(ctx, state, receive("vote", "p2", C, {"vote": "yes"}))
    assert new["phase"] == "committed"
    assert without_notes(effects) == decision_effects("commit")


@covers((C, "init", "msg:vote"))
def test_the_broken_majority_coordinator_aborts_without_a_majority() -> None:
    ctx = context(C, variant="majority-commit")
    state = coordinator(votes={"p1": "no", "p2": "yes"})
    new, effects = fire(ctx, state, receive("vote", "p3", C, {"vote": "no"}))
    assert new["phase"] == "aborted"
    assert without_notes(effects) == decision_effects("abort")


@covers((C, "init", "timer:vote_timeout"))
def test_coordinator_aborts_when_votes_are_missing_at_the_timeout() -> None:
    state = coordinator(votes={"p1": "yes"})
    new, effects = fire(context(C), state, TimerFired(name="vote_timeout"))
    assert new["phase"] == "aborted"
    assert without_notes(effects) == decision_effects("abort")
    assert_forced_before_sent(effects)
    assert [e.text for e in effects if isinstance(e, Note)] == ["decide abort: no vote from p2, p3 in time"]


@covers((C, "init", "msg:status_request"))
def test_an_undecided_coordinator_ignores_a_status_request() -> None:
    state = coordinator(votes={"p1": "yes"})
    assert fire(context(C), state, receive("status_request", "p1", C)) == (state, [])


@covers((C, ANY_PHASE, "recover"))
def test_a_recovering_coordinator_resends_the_logged_commit_without_logging_it_again() -> None:
    durable = ({"type": "decision", "decision": "commit"},)
    new, effects = fire(context(C, resend_ms=90), coordinator(), Recover(durable=durable))
    assert new["phase"] == "committed"
    assert new["decision"] == "commit"
    assert new["acks"] == []
    assert without_notes(effects) == [
        Send(dest="p1", type="commit"), Send(dest="p2", type="commit"), Send(dest="p3", type="commit"),
        SetTimer(name="resend", delay_ms=90),
    ]


@covers((C, ANY_PHASE, "recover"))
def test_a_recovering_coordinator_with_an_empty_log_presumes_abort_and_forces_it() -> None:
    new, effects = fire(context(C), coordinator(), Recover(durable=()))
    assert new["phase"] == "aborted"
    assert without_notes(effects) == decision_effects("abort")
    assert_forced_before_sent(effects)


@covers((C, ANY_PHASE, "recover"))
def test_a_recovering_coordinator_keeps_a_logged_abort() -> None:
    durable = ({"type": "decision", "decision": "abort"},)
    new, effects = fire(context(C, participants=2), coordinator(), Recover(durable=durable))
    assert new["phase"] == "aborted"
    assert [e for e in effects if isinstance(e, Send)] == [Send(dest="p1", type="abort"),
                                                           Send(dest="p2", type="abort")]
    assert not [e for e in effects if isinstance(e, Persist)]


@pytest.mark.parametrize(("phase", "decision"), [("committed", "commit"), ("aborted", "abort")])
@covers((C, "committed", "msg:vote"), (C, "aborted", "msg:vote"))
def test_a_late_vote_is_answered_with_the_decision(phase: str, decision: str) -> None:
    state = coordinator(phase, decision=decision)
    new, effects = fire(context(C), state, receive("vote", "p2", C, {"vote": "yes"}))
    assert new == state
    assert effects == [Send(dest="p2", type=decision)]


@pytest.mark.parametrize(("phase", "decision"), [("committed", "commit"), ("aborted", "abort")])
@covers((C, "committed", "msg:ack"), (C, "aborted", "msg:ack"))
def test_acks_are_collected_and_the_last_one_stops_the_resends(phase: str, decision: str) -> None:
    ctx = context(C)
    state = coordinator(phase, decision=decision, acks=[])
    state, effects = fire(ctx, state, receive("ack", "p3", C, {"decision": decision}))
    assert (state["phase"], state["acks"], effects) == (phase, ["p3"], [])
    state, effects = fire(ctx, state, receive("ack", "p1", C, {"decision": decision}))
    assert (state["acks"], effects) == (["p1", "p3"], [])
    state, effects = fire(ctx, state, receive("ack", "p2", C, {"decision": decision}))
    assert (state["acks"], effects) == (["p1", "p2", "p3"], [CancelTimer(name="resend")])
    state, effects = fire(ctx, state, receive("ack", "p2", C, {"decision": decision}))
    assert (state["acks"], effects) == (["p1", "p2", "p3"], []), "a duplicate ack cancels nothing twice"


@pytest.mark.parametrize(("phase", "decision"), [("committed", "commit"), ("aborted", "abort")])
@covers((C, "committed", "timer:resend"), (C, "aborted", "timer:resend"))
def test_the_decision_is_resent_to_the_silent_a_bounded_number_of_times(phase: str, decision: str) -> None:
    ctx = context(C, resend_ms=55)
    state = coordinator(phase, decision=decision, acks=["p2"], resends=0)
    new, effects = fire(ctx, state, TimerFired(name="resend"))
    assert (new["phase"], new["resends"]) == (phase, 1)
    assert effects == [Send(dest="p1", type=decision), Send(dest="p3", type=decision),
                       SetTimer(name="resend", delay_ms=55)]
    last = coordinator(phase, decision=decision, acks=["p2"], resends=SPEC_DEFAULTS['max_resends'] - 1)
    new, effects = fire(ctx, last, TimerFired(name="resend"))
    assert new["resends"] == SPEC_DEFAULTS['max_resends']
    assert effects == [Send(dest="p1", type=decision), Send(dest="p3", type=decision)], "no more re-arming"
    everyone = coordinator(phase, decision=decision, acks=["p1", "p2", "p3"], resends=0)
    assert fire(ctx, everyone, TimerFired(name="resend"))[1] == []


@pytest.mark.parametrize("phase", ["committed", "aborted"])
@covers((C, "committed", "msg:status_request"), (C, "aborted", "msg:status_request"))
def test_a_decided_coordinator_answers_a_status_request(phase: str) -> None:
    state = coordinator(phase, decision={"committed": "commit", "aborted": "abort"}[phase])
    new, effects = fire(context(C), state, receive("status_request", "p2", C, msg_id="m7"))
    assert new == state
    assert effects == [Send(dest="p2", type="status_reply", body={"phase": phase}, in_reply_to="m7")]


# ---------------------------------------------------------- participant


@pytest.mark.parametrize(
    ("votes", "node", "draw", "vote"),
    [
        ("yes", "p2", 0.99, "yes"),
        ("no", "p1", 0.0, "no"),
        ("yes,no,yes", "p2", 0.0, "no"),
        ("yes,no", "p3", 0.0, "yes"),  # Missing votes are yes.
        ("0.5", "p1", 0.3, "yes"),
        ("0.5", "p1", 0.7, "no"),
        ("1.0,0.0", "p2", 0.0, "no"),
    ],
)
@covers((P, "working", "start"))
def test_participant_start_fixes_its_vote_and_waits_for_prepare(votes: str, node: str, draw: float,
                                                                 vote: str) -> None:
    ctx = context(node, votes=votes, prepare_timeout_ms=432)
    state = SPEC.initial_state(ctx)
    new, effects = fire(ctx, state, Start(draw=draw))
    assert new == {**state, "vote": vote}
    assert effects == [SetTimer(name="prepare_timeout", delay_ms=432)]


@covers((P, "working", "msg:prepare"))
def test_a_yes_voter_forces_prepared_before_it_votes() -> None:
    ctx = context("p1", resend_ms=60)
    new, effects = fire(ctx, participant(vote="yes"), receive("prepare", C, "p1"))
    assert new["phase"] == "prepared"
    assert effects == [
        Persist(record={"type": "prepared"}),
        CancelTimer(name="prepare_timeout"),
        Send(dest=C, type="vote", body={"vote": "yes"}),
        SetTimer(name="status_timeout", delay_ms=120),
    ]
    assert_forced_before_sent(effects)


@covers((P, "working", "msg:prepare"))
def test_a_no_voter_aborts_and_logs_it_before_it_votes() -> None:
    new, effects = fire(context("p2"), participant(vote="no"), receive("prepare", C, "p2"))
    assert new["phase"] == "aborted"
    assert effects == [
        Persist(record={"type": "aborted"}),
        CancelTimer(name="prepare_timeout"),
        Send(dest=C, type="vote", body={"vote": "no"}),
    ]


@covers((P, "working", "timer:prepare_timeout"))
def test_a_participant_without_prepare_aborts_alone() -> None:
    new, effects = fire(context("p1"), participant(), TimerFired(name="prepare_timeout"))
    assert new["phase"] == "aborted"
    assert effects == [Persist(record={"type": "aborted"}), CancelTimer(name="prepare_timeout")]


@covers((P, "working", "msg:status_request"))
def test_an_unvoted_participant_asked_by_a_peer_aborts_and_says_so() -> None:
    new, effects = fire(context("p1"), participant(), receive("status_request", "p2", "p1", msg_id="m9"))
    assert new["phase"] == "aborted"
    assert effects == [
        Persist(record={"type": "aborted"}),
        CancelTimer(name="prepare_timeout"),
        Send(dest="p2", type="status_reply", body={"phase": "aborted"}, in_reply_to="m9"),
    ]


@pytest.mark.parametrize(("start", "decision", "outcome"), [
    ("working", "abort", "aborted"),
    ("working", "commit", "committed"),
    ("prepared", "commit", "committed"),
    ("prepared", "abort", "aborted"),
])
@covers((P, "working", "msg:abort"), (P, "working", "msg:commit"),
        (P, "prepared", "msg:commit"), (P, "prepared", "msg:abort"))
def test_a_participant_told_the_decision_forces_it_then_acknowledges(start: str, decision: str,
                                                                     outcome: str) -> None:
    new, effects = fire(context("p2"), participant(start), receive(decision, C, "p2"))
    assert new["phase"] == outcome
    assert effects == [
        Persist(record={"type": outcome}),
        CancelTimer(name="status_timeout"),
        CancelTimer(name="prepare_timeout"),
        Send(dest=C, type="ack", body={"decision": decision}),
    ]
    assert_forced_before_sent(effects)


@covers((P, "prepared", "msg:prepare"))
def test_a_repeated_prepare_gets_the_same_yes_vote() -> None:
    state = participant("prepared")
    assert fire(context("p1"), state, receive("prepare", C, "p1")) == (
        state, [Send(dest=C, type="vote", body={"vote": "yes"})])


@pytest.mark.parametrize("phase", ["committed", "aborted"])
@covers((P, "prepared", "msg:status_reply"))
def test_an_in_doubt_participant_learns_the_outcome_from_a_status_reply(phase: str) -> None:
    new, effects = fire(context("p1"), participant("prepared"), receive("status_reply", "p2", "p1", {"phase": phase}))
    assert new["phase"] == phase
    assert effects == [
        Persist(record={"type": phase}),
        CancelTimer(name="status_timeout"),
        CancelTimer(name="prepare_timeout"),
    ], "a status reply is not acknowledged"


@pytest.mark.parametrize("phase", ["prepared", "working", "init"])
@covers((P, "prepared", "msg:status_reply"))
def test_a_status_reply_that_does_not_know_changes_nothing(phase: str) -> None:
    state = participant("prepared")
    assert fire(context("p1"), state, receive("status_reply", "p2", "p1", {"phase": phase})) == (state, [])


@covers((P, "prepared", "timer:status_timeout"))
def test_an_in_doubt_participant_asks_the_coordinator() -> None:
    new, effects = fire(context("p2", resend_ms=30), participant("prepared", asked=0),
                        TimerFired(name="status_timeout"))
    assert (new["phase"], new["asked"]) == ("prepared", 1)
    assert effects == [Send(dest=C, type="status_request"), SetTimer(name="status_timeout", delay_ms=60)]


@covers((P, "prepared", "timer:status_timeout"))
def test_with_cooperative_termination_it_asks_its_peers_too_and_stops_after_the_last_query() -> None:
    ctx = context("p2", cooperative_termination=True)
    state = participant("prepared", asked=SPEC_DEFAULTS['max_status_queries'] - 1)
    new, effects = fire(ctx, state, TimerFired(name="status_timeout"))
    assert new["asked"] == SPEC_DEFAULTS['max_status_queries']
    assert effects == [Send(dest=C, type="status_request"), Send(dest="p1", type="status_request"),
                       Send(dest="p3", type="status_request")], "no timer after the last query"


@pytest.mark.parametrize("phase", ["prepared", "committed", "aborted"])
@covers((P, "prepared", "msg:status_request"), (P, "committed", "msg:status_request"),
        (P, "aborted", "msg:status_request"))
def test_a_participant_tells_a_peer_its_phase(phase: str) -> None:
    state = participant(phase)
    new, effects = fire(context("p1"), state, receive("status_request", "p3", "p1", msg_id="m5"))
    assert new == state
    assert effects == [Send(dest="p3", type="status_reply", body={"phase": phase}, in_reply_to="m5")]


@pytest.mark.parametrize(("durable", "phase"), [
    ((), "aborted"),
    (({"type": "aborted"},), "aborted"),
    (({"type": "prepared"}, {"type": "committed"}), "committed"),
    (({"type": "prepared"}, {"type": "aborted"}), "aborted"),
])
@covers((P, ANY_PHASE, "recover"))
def test_a_recovering_participant_rebuilds_its_phase_from_the_log(durable: tuple[dict[str, str], ...],
                                                                  phase: str) -> None:
    ctx = context("p1")
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=durable))
    assert new["phase"] == phase
    if durable:
        assert effects == [], "a logged outcome is not logged again"
    else:
        assert without_notes(effects) == [Persist(record={"type": "aborted"})]


@covers((P, ANY_PHASE, "recover"))
def test_a_recovering_prepared_participant_is_in_doubt_and_asks() -> None:
    ctx = context("p3", resend_ms=40)
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=({"type": "prepared"},)))
    assert (new["phase"], new["asked"]) == ("prepared", 1)
    assert effects == [Send(dest=C, type="status_request"), SetTimer(name="status_timeout", delay_ms=80)]


@covers((P, "aborted", "msg:prepare"))
def test_an_aborted_participant_repeats_its_no() -> None:
    state = participant("aborted")
    assert fire(context("p1"), state, receive("prepare", C, "p1")) == (
        state, [Send(dest=C, type="vote", body={"vote": "no"})])


@pytest.mark.parametrize(("phase", "decision"), [("aborted", "abort"), ("committed", "commit")])
@covers((P, "aborted", "msg:abort"), (P, "committed", "msg:commit"))
def test_a_repeated_decision_is_acknowledged_again(phase: str, decision: str) -> None:
    state = participant(phase)
    assert fire(context("p1"), state, receive(decision, C, "p1")) == (
        state, [Send(dest=C, type="ack", body={"decision": decision})])


@pytest.mark.parametrize(("phase", "on", "type_"), [
    ("aborted", "msg:commit", "commit"),
    ("committed", "msg:prepare", "prepare"),
    ("committed", "msg:status_reply", "status_reply"),
    ("aborted", "msg:status_reply", "status_reply"),
])
@covers((P, "aborted", "msg:commit"), (P, "committed", "msg:prepare"),
        (P, "committed", "msg:status_reply"), (P, "aborted", "msg:status_reply"))
def test_deliberate_ignores_change_nothing(phase: str, on: str, type_: str) -> None:
    row = TABLE.lookup(P, phase, on)
    assert row is not None and row.ignore and row.why
    state = participant(phase)
    body = {"phase": "committed"} if type_ == "status_reply" else {}
    assert fire(context("p1"), state, receive(type_, C, "p1", body)) == (state, [])


# ------------------------------------------------------ the table itself


def test_every_row_of_the_table_has_a_test() -> None:
    assert not ROWS.missing(), f"transition rows without a test: {ROWS.missing()}"


def test_every_deliberate_ignore_says_why() -> None:
    assert not silent_ignores(TABLE)


@pytest.mark.parametrize(("node", "state", "event"), [
    ("p1", participant("committed"), receive("abort", C, "p1")),
    ("p2", participant("working"), TimerFired(name="status_timeout")),
    (C, coordinator("init"), receive("ack", "p1", C)),
    (C, coordinator("committed", decision="commit"), TimerFired(name="vote_timeout")),
])
def test_an_unlisted_input_is_a_loud_error_naming_node_phase_and_input(node: str, state: dict[str, Any],
                                                                       event: Input) -> None:
    assert_refused_loudly(TABLE, context(node), state, event, NOW)


def test_a_handler_leading_outside_its_row_is_a_protocol_error() -> None:
    narrow = TransitionTable([Transition(role=P, phase="working", on="msg:prepare", to=("prepared",),
                                         handler=h.participant_prepare)])
    with pytest.raises(ProtocolError) as caught:
        narrow.fire(context("p2"), participant(vote="no"), receive("prepare", C, "p2"), NOW)
    assert type(caught.value) is ProtocolError, "not an UnexpectedInput: the row exists"
    text = str(caught.value)
    assert "p2" in text and "'working'" in text and "'aborted'" in text and "msg:prepare" in text
    # The same table accepts the transition it allows.
    assert narrow.fire(context("p2"), participant(vote="yes"), receive("prepare", C, "p2"), NOW)[0]["phase"] == (
        "prepared")


def test_a_table_refuses_two_rows_for_one_key() -> None:
    row = Transition(role=P, phase="working", on="start", to=("working",), handler=h.participant_start)
    with pytest.raises(ProtocolError, match="duplicate"):
        TransitionTable([row, row])


# ----------------------------------------- every state x every input (Hypothesis)

PHASES = {C: ("init", "committed", "aborted"), P: ("working", "prepared", "committed", "aborted")}
MESSAGE_TYPES = ("prepare", "vote", "commit", "abort", "ack", "status_request", "status_reply")
TIMERS = ("vote_timeout", "resend", "prepare_timeout", "status_timeout")


@st.composite
def situations(draw: st.DrawFn) -> tuple[Context, dict[str, Any], Input]:
    """Any node, in any phase with any plausible state, meeting any input."""
    participants = draw(st.integers(2, 5))
    ctx = context(draw(st.sampled_from([C, *[f"p{i}" for i in range(1, participants + 1)]])),
                  participants=participants, cooperative_termination=draw(st.booleans()),
                  variant=draw(st.sampled_from(["correct", "majority-commit"])))
    others = [n for n in ctx.roles if n != ctx.node]
    peers = st.sampled_from([p for p in h.participants(ctx) if p != ctx.node] or others)
    phase = draw(st.sampled_from(PHASES[ctx.role]))
    if ctx.role == C:
        names = h.participants(ctx)
        state = coordinator(
            phase,
            votes=draw(st.dictionaries(st.sampled_from(names), st.sampled_from(["yes", "no"]),
                                       max_size=len(names) - 1)),
            decision={"committed": "commit", "aborted": "abort"}.get(phase),
            acks=sorted(draw(st.sets(st.sampled_from(names)))),
            resends=draw(st.integers(0, SPEC_DEFAULTS['max_resends'])),
        )
    else:
        state = participant(phase, vote=draw(st.sampled_from(["yes", "no"])),
                            asked=draw(st.integers(0, SPEC_DEFAULTS['max_status_queries'])))
    kind = draw(st.sampled_from(["start", "recover", "message", "timer"]))
    event: Input
    if kind == "start":
        event = Start(draw=draw(st.floats(0, 1, exclude_max=True)))
    elif kind == "recover":
        records = ([{"type": "decision", "decision": d} for d in ("commit", "abort")] if ctx.role == C
                   else [{"type": t} for t in ("prepared", "committed", "aborted")])
        event = Recover(durable=tuple(draw(st.lists(st.sampled_from(records), max_size=2))))
    elif kind == "timer":
        event = TimerFired(name=draw(st.sampled_from(TIMERS)))
    else:
        type_ = draw(st.sampled_from(MESSAGE_TYPES))
        src = C if type_ in ("prepare", "commit", "abort") and ctx.role == P else draw(peers)
        body = {"vote": {"vote": draw(st.sampled_from(["yes", "no"]))},
                "ack": {"decision": "commit"},
                "status_reply": {"phase": draw(st.sampled_from(["prepared", "committed", "aborted"]))}}
        event = receive(type_, src, ctx.node, body.get(type_, {}))
    return ctx, state, event


@settings(max_examples=400, deadline=None)
@given(situations())
def test_every_state_and_input_is_handled_as_the_table_says_or_refused_loudly(
        situation: tuple[Context, dict[str, Any], Input]) -> None:
    ctx, state, event = situation
    handled = check_handled_or_refused(TABLE, ctx, state, event, NOW)
    if handled is None:
        return
    new, effects = handled
    if any(isinstance(e, Persist) for e in effects):
        assert_forced_before_sent(effects)
    # Same input, same state, any time: the same answer (handlers ignore the clock).
    assert fire(ctx, state, event, now=NOW + 99_999) == (new, effects)
