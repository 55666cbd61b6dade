"""Three-phase commit: every table row, the termination rules, the scenarios' stories, and a property.

Handlers one by one (each row of the table fired in each phase it covers, then
the rules that matter: log before send, the timeout rules of each
``termination``, the leader's decision), then every scenario's findings,
exactly, then Hypothesis over seeds and crash-only fault plans: atomicity and
validity always hold. The property keeps the defaults' timing: messages take
5 to 20 ms, the coordinator waits 100 ms and a participant 300 ms, so every
timeout is longer than what it covers (3PC's synchrony assumption); no
partition, no loss (a lost message is a lying timeout too).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import ANY_PHASE, Input, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.comparisons import PRESETS
from protocols.sim.engine import Engine
from protocols.threephase import SPEC, coordinator, participant, termination
from protocols.threephase.table import TABLE
from tests.protocols.run_support import simulate_run
from tests.protocols.table_support import (
    RowRegistry,
    assert_forced_before_sent,
    check_handled_or_refused,
    context,
    fire_table,
    receive,
    sends,
    table_rows,
)

ROWS = RowRegistry(table_rows(TABLE), "three-phase-commit")

COORDINATOR_STATES: dict[str, dict[str, Any]] = {
    "init": {"phase": "init", "votes": {}, "acks": []},
    "waiting": {"phase": "waiting", "votes": {"p1": "yes"}, "acks": []},
    "precommitted": {"phase": "precommitted", "votes": {"p1": "yes", "p2": "yes", "p3": "yes"}, "acks": ["p1"]},
    "committed": {"phase": "committed", "votes": {}, "acks": []},
    "aborted": {"phase": "aborted", "votes": {}, "acks": []},
    "recovering": {"phase": "recovering", "votes": {}, "acks": []},
}
BLANK = {"vote": "yes", "round": 0, "was": None, "replies": {}, "acks": [], "decided_by": None}
PARTICIPANT_STATES: dict[str, dict[str, Any]] = {
    "working": {**BLANK, "phase": "working"},
    "uncertain": {**BLANK, "phase": "uncertain"},
    "prepared": {**BLANK, "phase": "prepared"},
    "collecting": {**BLANK, "phase": "collecting", "round": 1, "was": "uncertain", "replies": {"p3": "uncertain"}},
    "precommitting": {**BLANK, "phase": "precommitting", "round": 1, "was": "prepared",
                      "replies": {"p2": "uncertain", "p3": "prepared"}},
    "committed": {**BLANK, "phase": "committed", "decided_by": "coordinator"},
    "aborted": {**BLANK, "phase": "aborted", "decided_by": "coordinator"},
}
MESSAGE_BODY = {"vote": {"vote": "yes"}, "state_reply": {"phase": "uncertain"}}
FROM_COORDINATOR = ("can_commit", "pre_commit", "do_commit", "abort")


def an_input(role: str, on: str) -> Input:
    """Return a plausible input for a row's key, sent by whoever sends it in a real run."""
    if on == "start":
        return Start(draw=0.5)
    if on == "recover":
        return Recover(durable=({"type": "precommitted" if role == "coordinator" else "uncertain"},))
    if on.startswith("timer:"):
        return TimerFired(name=on.removeprefix("timer:"))
    kind = on.removeprefix("msg:")
    src = "coordinator" if role == "participant" and kind in FROM_COORDINATOR else "p2"
    dest = "coordinator" if role == "coordinator" else "p1"
    return receive(kind, src=src, dest=dest, body=MESSAGE_BODY.get(kind))


def cases() -> list[tuple[str, str, str]]:
    """Return every (role, phase, input) a row answers, ANY_PHASE rows in each phase they really answer."""
    found = []
    for row in TABLE.rows:
        states = COORDINATOR_STATES if row.role == "coordinator" else PARTICIPANT_STATES
        phases = list(states) if row.phase == ANY_PHASE else [row.phase]
        found += [(row.role, phase, row.on) for phase in phases if TABLE.lookup(row.role, phase, row.on) is row]
    return found


@ROWS.covers(*table_rows(TABLE))
@pytest.mark.parametrize(("role", "phase", "on"), cases())
def test_every_row_is_handled_as_it_says(role: str, phase: str, on: str) -> None:
    node = "coordinator" if role == "coordinator" else "p1"
    states = COORDINATOR_STATES if role == "coordinator" else PARTICIPANT_STATES
    assert check_handled_or_refused(TABLE, context(SPEC, node), states[phase], an_input(role, on), 100) is not None


def test_every_row_is_exercised_in_some_phase() -> None:
    assert {(role, on) for role, _, on in cases()} == {(r.role, r.on) for r in TABLE.rows}
    assert not ROWS.missing()


def test_an_unlisted_input_is_refused_loudly() -> None:
    assert check_handled_or_refused(TABLE, context(SPEC, "p1"), PARTICIPANT_STATES["working"],
                                    receive("pre_commit", "coordinator", "p1"), 5) is None


# ------------------------------------------------------------------ the coordinator's three phases


def test_every_yes_logs_precommitted_before_any_precommit_leaves() -> None:
    ctx = context(SPEC, "coordinator")
    state = {**COORDINATOR_STATES["waiting"], "votes": {"p1": "yes", "p2": "yes"}}
    new, effects = fire_table(TABLE, ctx, state, receive("vote", "p3", "coordinator", {"vote": "yes"}), 30)
    assert new["phase"] == "precommitted"
    assert_forced_before_sent(effects)
    assert [s.dest for s in sends(effects) if s.type == "pre_commit"] == ["p1", "p2", "p3"]


def test_one_no_aborts_and_missing_acks_still_commit() -> None:
    ctx = context(SPEC, "coordinator")
    new, effects = fire_table(TABLE, ctx, COORDINATOR_STATES["waiting"],
                              receive("vote", "p2", "coordinator", {"vote": "no"}), 30)
    assert new["phase"] == "aborted" and {s.type for s in sends(effects)} == {"abort"}
    new, effects = fire_table(TABLE, ctx, COORDINATOR_STATES["precommitted"], TimerFired(name="timeout"), 200)
    assert new["phase"] == "committed" and [s.dest for s in sends(effects)] == ["p1", "p2", "p3"]
    assert_forced_before_sent(effects)


@pytest.mark.parametrize(("logged", "termination_", "phase", "sent"), [
    ((), "elected", "aborted", "abort"),
    (({"type": "precommitted"},), "elected", "recovering", "decision_req"),
    (({"type": "precommitted"},), "none", "precommitted", "pre_commit"),
    (({"type": "precommitted"}, {"type": "committed"}), "elected", "committed", "do_commit"),
])
def test_the_coordinator_recovers_from_its_log(logged: tuple[dict[str, str], ...], termination_: str,
                                               phase: str, sent: str) -> None:
    ctx = context(SPEC, "coordinator", termination=termination_)
    new, effects = coordinator.recover(ctx, coordinator.initial(ctx), Recover(durable=logged), 10)
    assert new["phase"] == phase and {s.type for s in sends(effects)} == {sent}


# ------------------------------------------------------------------ a participant's timeouts


def test_a_yes_vote_is_logged_before_it_leaves() -> None:
    new, effects = fire_table(TABLE, context(SPEC, "p1"), PARTICIPANT_STATES["working"],
                              receive("can_commit", "coordinator", "p1"), 10)
    assert new["phase"] == "uncertain"
    assert_forced_before_sent(effects)
    assert effects[0] == Persist(record={"type": "uncertain"})


@pytest.mark.parametrize(("phase", "outcome"), [("uncertain", "aborted"), ("prepared", "committed")])
def test_unilateral_timeouts_decide_alone(phase: str, outcome: str) -> None:
    ctx = context(SPEC, "p2", termination="unilateral")
    new, effects = fire_table(TABLE, ctx, PARTICIPANT_STATES[phase], TimerFired(name="timeout"), 400)
    assert new["phase"] == outcome
    assert [s.dest for s in sends(effects)] == ["coordinator"]  # It tells the coordinator, should it recover.


def test_the_first_participant_leads_and_the_others_wait_for_it() -> None:
    new, effects = fire_table(TABLE, context(SPEC, "p1"), PARTICIPANT_STATES["uncertain"],
                              TimerFired(name="timeout"), 400)
    assert (new["phase"], new["round"], new["was"]) == ("collecting", 1, "uncertain")
    assert [(s.dest, s.type) for s in sends(effects)] == [("p2", "state_req"), ("p3", "state_req")]
    new, effects = fire_table(TABLE, context(SPEC, "p2"), PARTICIPANT_STATES["prepared"],
                              TimerFired(name="timeout"), 400)
    assert (new["phase"], new["round"]) == ("prepared", 1) and not sends(effects)
    again, _ = fire_table(TABLE, context(SPEC, "p2"), new, TimerFired(name="timeout"), 700)
    assert (again["phase"], again["round"]) == ("collecting", 2)  # p1 is suspected in turn: p2 leads.


def test_after_the_last_round_a_participant_waits_to_be_told() -> None:
    ctx = context(SPEC, "p2", termination_rounds=1)  # The explorer's small model: p1's round only.
    waiting = {**PARTICIPANT_STATES["prepared"], "round": 1}  # It waited for p1, who is silent in turn.
    new, effects = fire_table(TABLE, ctx, waiting, TimerFired(name="timeout"), 700)
    assert (new["phase"], new["round"]) == ("prepared", 1)
    assert not sends(effects) and not any(isinstance(e, SetTimer) for e in effects)
    assert SPEC.explore_params["termination_rounds"] == 1


def test_a_state_request_names_the_leader_to_wait_for() -> None:
    new, effects = fire_table(TABLE, context(SPEC, "p3"), PARTICIPANT_STATES["prepared"],
                              receive("state_req", "p2", "p3"), 400)
    assert new["round"] == 2
    assert sends(effects)[0].body == {"phase": "prepared"}
    assert SetTimer(name="timeout", delay_ms=300) in effects


def test_without_termination_a_participant_waits_as_long_as_it_takes() -> None:
    _, effects = fire_table(TABLE, context(SPEC, "p1", termination="none"), PARTICIPANT_STATES["working"],
                            receive("can_commit", "coordinator", "p1"), 10)
    assert not any(isinstance(e, SetTimer) for e in effects)


# ------------------------------------------------------------------ the termination rules


@pytest.mark.parametrize(("was", "replies", "phase", "sent"), [
    ("uncertain", {"p2": "committed", "p3": "uncertain"}, "committed", {("p2", "do_commit"), ("p3", "do_commit")}),
    ("prepared", {"p2": "aborted", "p3": "prepared"}, "aborted", {("p2", "abort"), ("p3", "abort")}),
    ("uncertain", {"p2": "uncertain", "p3": "uncertain"}, "aborted", {("p2", "abort"), ("p3", "abort")}),
    ("uncertain", {"p2": "prepared", "p3": "uncertain"}, "precommitting", {("p3", "pre_commit")}),
    ("prepared", {"p2": "prepared", "p3": "prepared"}, "committed", {("p2", "do_commit"), ("p3", "do_commit")}),
])
def test_the_leader_applies_the_rules(was: str, replies: dict[str, str], phase: str,
                                      sent: set[tuple[str, str]]) -> None:
    ctx = context(SPEC, "p1")
    state = {**PARTICIPANT_STATES["collecting"], "was": was, "replies": replies}
    new, effects = termination.decide(ctx, state)
    assert new["phase"] == phase
    assert {(s.dest, s.type) for s in sends(effects) if s.dest != "coordinator"} == sent
    if phase == "precommitting" and was == "uncertain":
        assert_forced_before_sent(effects)  # The leader is prepared itself before it asks others to be.


def test_the_leader_commits_once_the_uncertain_acknowledge() -> None:
    ctx = context(SPEC, "p1")
    state = PARTICIPANT_STATES["precommitting"]
    new, effects = fire_table(TABLE, ctx, state, receive("ack", "p2", "p1"), 500)
    assert new["phase"] == "committed"
    assert {s.dest for s in sends(effects) if s.type == "do_commit"} == {"p2", "p3", "coordinator"}


def test_a_recovered_participant_asks_everyone() -> None:
    ctx = context(SPEC, "p2")
    new, effects = participant.recover(ctx, participant.initial(ctx), Recover(durable=({"type": "uncertain"},
                                                                                       {"type": "prepared"})), 9)
    assert new["phase"] == "prepared" and new["vote"] == "yes"
    assert {s.dest for s in sends(effects)} == {"coordinator", "p1", "p3"}


def test_an_outcome_records_whose_decision_it_is_and_a_recovery_reads_it_back() -> None:
    ctx = context(SPEC, "p3")
    told, effects = fire_table(TABLE, ctx, PARTICIPANT_STATES["uncertain"], receive("abort", "p2", "p3"), 900)
    assert told["decided_by"] == "p2" and Persist(record={"type": "aborted", "by": "p2"}) in effects
    led, _ = termination.decide(context(SPEC, "p1"), {**PARTICIPANT_STATES["collecting"],
                                                      "replies": {"p2": "uncertain", "p3": "uncertain"}})
    assert (led["phase"], led["decided_by"]) == ("aborted", "p1")
    alone, _ = fire_table(TABLE, context(SPEC, "p1", termination="unilateral"), PARTICIPANT_STATES["prepared"],
                          TimerFired(name="timeout"), 400)
    assert (alone["phase"], alone["decided_by"]) == ("committed", "p1")
    back, _ = participant.recover(ctx, participant.initial(ctx), Recover(durable=(
        {"type": "uncertain"}, {"type": "committed", "by": "coordinator"})), 9)
    assert (back["phase"], back["decided_by"]) == ("committed", "coordinator")


def test_in_the_partition_each_side_records_its_own_decider() -> None:
    split = run("partition-during-precommit")
    decided = {n: rt.state.get("decided_by") for n, rt in split.nodes.items() if n != "coordinator"}
    assert decided == {"p1": "coordinator", "p2": "p2", "p3": "p2"}


# ------------------------------------------------------------------ the scenarios

EXPECTED = {
    "happy-commit": set(),
    "vote-no-abort": set(),
    "coordinator-crash-after-precommit": {"decided-without-coordinator"},
    "coordinator-crash-mid-precommit": {"decided-without-coordinator"},
    "unilateral-timeouts-split": {"atomicity", "decided-without-coordinator"},
    "no-termination-blocks": set(),
    "partition-during-precommit": {"atomicity", "decided-without-coordinator"},
}


def run(scenario: str | None = None, seed: int = 1, **params: Any) -> Engine:
    engine = Engine(SPEC, params, seed=seed, scenario=scenario, max_events=20_000)
    engine.run()
    return engine


def broken(engine: Engine) -> set[str]:
    return {e["invariant"] for e in engine.log if e["kind"] == "violation"}


def phases(engine: Engine) -> dict[str, str]:
    return {n: rt.state["phase"] for n, rt in engine.nodes.items()}


def test_every_scenario_is_expected() -> None:
    assert set(EXPECTED) == {s.name for s in SPEC.scenarios}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_scenario_breaks_what_its_story_says(scenario: str, seed: int) -> None:
    engine = run(scenario, seed)
    assert broken(engine) == EXPECTED[scenario]
    assert all(e["kind"] != "caption" for e in engine.log) or engine.captions == []  # Every caption shown.


def test_the_crash_scenarios_commit_everywhere_without_waiting_for_the_coordinator() -> None:
    for scenario in ("coordinator-crash-after-precommit", "coordinator-crash-mid-precommit"):
        engine = run(scenario)
        assert set(phases(engine).values()) == {"committed"}
        summary = SPEC.summarize({"events": engine.log, "final": _final(engine)})
        assert max(summary["blocked_ms"].values()) < 1000 and summary["leaders"] == 1
    blocked = SPEC.summarize({"events": (e := run("no-termination-blocks")).log, "final": _final(e)})
    assert min(blocked["blocked_ms"].values()) > 1500  # The coordinator's 1.5 s down, all of it in doubt.


def test_the_partition_splits_the_outcome_and_waiting_instead_keeps_it_whole() -> None:
    split = run("partition-during-precommit")
    assert phases(split) == {"coordinator": "committed", "p1": "committed", "p2": "aborted", "p3": "aborted"}
    blocked = run("partition-during-precommit", termination="none")  # Safe, and blocked: nobody re-sends.
    assert broken(blocked) == {"termination"}
    assert phases(blocked) == {"coordinator": "committed", "p1": "committed", "p2": "uncertain", "p3": "uncertain"}


def _final(engine: Engine) -> dict[str, Any]:
    return {n: {"role": rt.ctx.role, "state": dict(rt.state)} for n, rt in engine.nodes.items()}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_comparison_shows_2pc_blocked_longer_than_3pc(seed: int) -> None:
    from protocols import REGISTRY
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "commit-coordinator-crash")
    two, three = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"], seed=seed)
    assert min(two["summary"]["blocked_ms"].values()) > max(three["summary"]["blocked_ms"].values())
    assert three["summary"]["outcome"] == "committed" and "atomicity" not in three["violated"]


# ------------------------------------------------------------------ a property over crash-only runs


@st.composite
def crash_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A seed, a size, votes and up to three crashes (each maybe recovered later): no partition, no loss."""
    participants = draw(st.integers(2, 5))
    nodes = ["coordinator", *(f"p{i}" for i in range(1, participants + 1))]
    faults: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        node, at = draw(st.sampled_from(nodes)), draw(st.integers(0, 900))
        faults.append({"action": "crash", "node": node, "at_ms": at})
        if draw(st.booleans()):
            faults.append({"action": "recover", "node": node, "at_ms": at + draw(st.integers(1, 1500))})
    votes = ",".join(draw(st.lists(st.sampled_from(["yes", "yes", "no"]), min_size=1, max_size=participants)))
    return {"seed": draw(st.integers(0, 2**31)), "faults": faults,
            "params": {"participants": participants, "votes": votes}}


@settings(max_examples=60, deadline=None)
@given(crash_runs())
def test_crashes_alone_never_break_atomicity_or_validity(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, max_events=20_000)
    assert broken(engine) <= {"decided-without-coordinator", "termination"}
    if all(rt.up for rt in engine.nodes.values()):
        assert "termination" not in broken(engine)


def test_a_send_leaves_only_to_known_nodes() -> None:
    assert all(isinstance(e, Send) for e in coordinator.begin(context(SPEC, "coordinator"),
                                                             COORDINATOR_STATES["init"], Start(), 0)[1][:3])


def test_the_explorer_finds_the_split_and_its_trace_replays() -> None:
    """Timers that fire at any moment are the partition's lie: the small model splits with no fault at all."""
    from protocols.sim.explorer import counterexample_trace, explore

    report = explore(SPEC, max_states=3_000)
    split = next(c for c in report.found("safety") if c.name == "atomicity")
    assert len(split.commands) == 7
    trace = counterexample_trace(SPEC, report, split)
    assert any(v["invariant"] == "atomicity" for v in trace["violations"])
    assert explore(SPEC, {"termination": "none"}).clean  # Waiting instead of deciding: safe, and it blocks.


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_partition_comparison_splits_one_run_and_blocks_the_other(seed: int) -> None:
    from protocols import REGISTRY
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "three-phase-partition")
    deciding, waiting = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"], seed=seed)
    assert deciding["summary"]["outcome"] == "inconsistent" and "atomicity" in deciding["violated"]
    assert waiting["summary"]["outcome"] == "undecided" and "atomicity" not in waiting["violated"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_under_the_same_partition_only_3pc_splits_and_2pc_blocks_instead(seed: int) -> None:
    """Issue 15's lesson: atomicity broken only in 3PC under a partition.

    The same cut ({coordinator, p1} | {p2, p3}) as the decision's round leaves the coordinator (3PC's
    PreCommit, 2PC's COMMIT to p1), healed at 1.5 s. 3PC's termination protocol decides on both sides;
    2PC's prepared participants cannot decide alone, so they wait, and nothing splits.
    """
    from protocols.sim.trace import build_trace
    from protocols.twophase import SPEC as TWO_PHASE

    three = run("partition-during-precommit", seed)
    assert phases(three)["p1"] == "committed" and {phases(three)["p2"], phases(three)["p3"]} == {"aborted"}
    assert "atomicity" in broken(three)
    cut = {"action": "partition", "groups": [["coordinator", "p1"], ["p2", "p3"]],
           "after": {"kind": "send", "src": "coordinator", "message.type": "commit", "dst": "p1"}}
    two = Engine(TWO_PHASE, {}, seed=seed, faults=[cut, {"action": "heal", "at_ms": 1500}], max_events=20_000)
    two.run()
    trace = build_trace(two)
    assert any(e["kind"] == "partition" for e in trace["events"])
    assert trace["verdicts"]["consistency"] == "holds" and trace["summary"]["outcome"] != "inconsistent"
    assert min(trace["summary"]["blocked_ms"][p] for p in ("p2", "p3")) > 1000  # blocked until the heal, and on
