"""The outside checker judges a trace from its events alone.

A good trace passes untouched; the same trace edited by hand to show an
impossible history fails with the right invariant named. That is what makes
the checker a checker: it can fail.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from protocols.sim.checker import check_trace, views_at
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace
from protocols.twophase import SPEC
from tests.helpers import words


def trace_of(scenario: str, seed: int = 3, **params: Any) -> dict[str, Any]:
    engine = Engine(SPEC, params, seed=seed, scenario=scenario)
    engine.run()
    return build_trace(engine)


@pytest.fixture(scope="module")
def happy() -> dict[str, Any]:
    return trace_of("happy-commit")


def edited(trace: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy to edit, with the live run's verdicts removed."""
    bad = copy.deepcopy(trace)
    bad["events"] = [e for e in bad["events"] if e["kind"] != "violation"]
    return bad


def state_event(trace: dict[str, Any], node: str, phase: str) -> dict[str, Any]:
    return next(e for e in trace["events"]
                if e["kind"] == "state" and e["node"] == node and e["state"]["phase"] == phase)


def names(violations: list[dict[str, Any]]) -> set[str]:
    return {v["invariant"] for v in violations}


def test_an_untouched_good_trace_passes(happy: dict[str, Any]) -> None:
    assert happy["quiescent"]
    assert check_trace(SPEC, happy) == []


def test_a_participant_edited_to_abort_breaks_consistency(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    event = state_event(bad, "p2", "committed")
    event["state"]["phase"] = "aborted"
    found = check_trace(SPEC, bad)
    consistency = [v for v in found if v["invariant"] == "consistency"]
    assert consistency, found
    assert "p2" in consistency[0]["nodes"]
    assert consistency[0]["invariant_kind"] == "state"


def test_a_prepared_participant_aborting_on_a_timer_is_caught(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    event = state_event(bad, "p1", "committed")
    event["state"]["phase"] = "aborted"
    event["cause"] = "timer:x"
    found = [v for v in check_trace(SPEC, bad) if v["invariant"] == "prepared-never-aborts-alone"]
    assert [(v["nodes"], v["invariant_kind"]) for v in found] == [(["p1"], "transition")]
    assert "timer:x" in words(found[0])


def test_the_same_abort_learned_from_the_coordinator_is_not_aborting_alone(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    event = state_event(bad, "p1", "committed")
    event["state"]["phase"] = "aborted"
    event["cause"] = "msg:abort"
    assert "prepared-never-aborts-alone" not in names(check_trace(SPEC, bad))


def test_a_commit_without_every_yes_is_caught(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    bad["events"] = [e for e in bad["events"]
                     if not (e["kind"] == "persist" and e["node"] == "p3" and e["record"] == {"type": "prepared"})]
    found = [v for v in check_trace(SPEC, bad) if v["invariant"] == "commit-needs-all-yes"]
    assert found and all("p3" in v["nodes"] for v in found)


def test_a_changed_decision_is_caught(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    decided = state_event(bad, "p3", "committed")
    flipped = copy.deepcopy(decided)
    flipped["state"]["phase"] = "aborted"
    flipped["cause"] = "msg:abort"
    bad["events"].insert(bad["events"].index(decided) + 1, flipped)
    assert "decisions-final" in names(check_trace(SPEC, bad))


def test_liveness_is_judged_only_for_a_quiescent_trace(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    last = [e for e in bad["events"] if e["kind"] == "state" and e["node"] == "p1"][-1]
    bad["events"] = [e for e in bad["events"] if e is not last]
    bad["events"] = [e for e in bad["events"] if not (e["kind"] == "state" and e["node"] == "p1"
                                                      and e["state"]["phase"] == "committed")]
    assert "termination" in names(check_trace(SPEC, bad))
    bad["quiescent"] = False
    assert "termination" not in names(check_trace(SPEC, bad))


@pytest.mark.parametrize("scenario", [s.name for s in SPEC.scenarios])
def test_rechecking_a_saved_trace_finds_exactly_what_the_live_run_found(scenario: str) -> None:
    trace = trace_of(scenario)
    live = sorted((v["invariant"], tuple(v["nodes"])) for v in trace["violations"])
    offline = sorted((v["invariant"], tuple(v["nodes"])) for v in check_trace(SPEC, trace))
    assert offline == live
    assert bool(live) == (scenario == "majority-bug")


def test_views_at_travels_back_in_time(happy: dict[str, Any]) -> None:
    roles = {n: f["role"] for n, f in happy["final"].items()}
    prepared = state_event(happy, "p1", "prepared")
    committed = state_event(happy, "p1", "committed")
    assert views_at(SPEC, roles, happy["events"], prepared["seq"] - 1)["p1"].state["phase"] == "working"
    assert views_at(SPEC, roles, happy["events"], prepared["seq"])["p1"].state["phase"] == "prepared"
    assert views_at(SPEC, roles, happy["events"], committed["seq"])["p1"].state["phase"] == "committed"
    before = views_at(SPEC, roles, happy["events"], prepared["seq"])["p1"].durable
    after = views_at(SPEC, roles, happy["events"], prepared["seq"] + 1)["p1"].durable
    assert (before, after) == ((), ({"type": "prepared"},)), "PREPARED is forced right after the state change"


# ----------------------------------------- crashes midway through a handler


def violations_of(faults: list[dict[str, Any]], seed: int = 3) -> list[tuple[str, str]]:
    engine = Engine(SPEC, {}, seed=seed, faults=faults)
    engine.run()
    return [(e["invariant"], words(e)) for e in engine.log if e["kind"] == "violation"]


@pytest.mark.parametrize(("node", "pattern"), [
    ("p1", {"kind": "state", "state.phase": "prepared"}),  # Shown prepared, PREPARED never forced.
    ("p1", {"kind": "state", "state.phase": "committed"}),  # Shown committed, COMMITTED never forced.
    ("coordinator", {"kind": "note"}),  # Decided in memory, decision never forced.
])
def test_a_phase_lost_in_a_crash_before_it_was_forced_is_no_violation(node: str, pattern: dict[str, Any]) -> None:
    """Recovery rebuilds from the log; what the node showed but never forced did not happen."""
    found = violations_of([
        {"action": "crash", "node": node, "after": {**pattern, "node": node}},
        {"action": "recover", "node": node, "after": {"kind": "crash", "node": node}, "delay_ms": 50},
    ])
    assert found == []


def test_a_recovery_that_ignores_the_log_is_caught(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    decided = state_event(bad, "p2", "committed")
    index = bad["events"].index(decided)
    where = {k: decided[k] for k in ("seq", "time", "step", "node")}
    crash = {**where, "kind": "crash", "by": "command"}
    recover = {**where, "kind": "recover", "by": "command", "durable": []}
    forgot = {**where, "kind": "state", "state": {**decided["state"], "phase": "prepared"}, "cause": "recover"}
    bad["events"][index + 3:index + 3] = [crash, recover, forgot]  # After its COMMITTED is forced.
    found = [v for v in check_trace(SPEC, bad) if v["invariant"] == "phase-matches-log"]
    assert found and found[0]["nodes"] == ["p2"]
    assert "prepared" in words(found[0]) and "committed" in words(found[0])


def test_a_log_holding_two_outcomes_is_caught(happy: dict[str, Any]) -> None:
    bad = edited(happy)
    forced = next(e for e in bad["events"] if e["kind"] == "persist" and e["node"] == "p3"
                  and e["record"] == {"type": "committed"})
    bad["events"].insert(bad["events"].index(forced) + 1, {**forced, "record": {"type": "aborted"}})
    texts = [words(v) for v in check_trace(SPEC, bad) if v["invariant"] == "phase-matches-log"]
    assert "p3 logged both aborted and committed" in texts


def test_termination_is_not_judged_while_a_node_is_down() -> None:
    blocked = [{"action": "crash", "node": "coordinator",
                "after": {"kind": "persist", "node": "coordinator", "record.decision": "commit"}}]
    assert violations_of(blocked) == [], "blocked in doubt with the coordinator down is 2PC, not a bug"
    engine = Engine(SPEC, {}, seed=3, faults=blocked)
    engine.run()
    assert {engine.nodes[p].state["phase"] for p in ("p1", "p2", "p3")} == {"prepared"}
    engine.apply({"cmd": "recover", "node": "coordinator"})
    while engine.pending_list():
        engine.step()
    assert {engine.nodes[p].state["phase"] for p in ("p1", "p2", "p3")} == {"committed"}


def test_a_history_check_starts_knowing_the_runs_parameters():
    from dataclasses import replace

    from protocols import get_protocol
    from protocols.sim.checker import check_trace
    from protocols.sim.engine import Engine
    from protocols.sim.trace import build_trace
    from protocols.spec import Finding, Invariant

    seen: list[int] = []

    def remember(event, memo):
        if event["seq"] == 1:
            seen.append(memo["params"]["participants"])
        return [Finding(nodes=("p1",), id="always", cause_seq=event["seq"])] if event["seq"] == 1 else []

    spec = get_protocol("two-phase-commit")
    spec = replace(spec, invariants=(*spec.invariants, Invariant(
        name="knows-params", kind="history", description="sees the parameters", check=remember,
        findings={"always": "always"})))
    engine = Engine(spec, {"participants": 5}, seed=1)
    engine.run()
    trace = build_trace(engine)
    found = check_trace(spec, trace)
    assert seen == [5, 5]  # the live checker, then the re-check of the saved trace
    assert [v["cause_seq"] for v in trace["violations"] if v["invariant"] == "knows-params"] == [1]
    assert [v["invariant"] for v in found].count("knows-params") == 1
