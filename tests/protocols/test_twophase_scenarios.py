"""Each named two-phase commit scenario ends as its description promises.

Runs are deterministic: a scenario, a seed and a participant count fix the
whole log, so every test here is a pure function of its parameters. The
acceptance test follows every participant's phase through the coordinator's
downtime in ``coordinator-crash-after-prepare``: 2PC's famous blocking.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from protocols.sim.checker import Checker, views_at
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace
from protocols.spec import NodeView
from protocols.twophase import SPEC

SEEDS = (0, 1, 7, 2024)
ALL_SCENARIOS = [s.name for s in SPEC.scenarios]
CORRECT_SCENARIOS = [s.name for s in SPEC.scenarios if s.params.get("variant", "correct") == "correct"]


def run(scenario: str, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Run a scenario to the end; return its trace."""
    engine = Engine(SPEC, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated, f"{scenario} seed={seed} did not finish"
    return build_trace(engine)


def participant_phases(trace: dict[str, Any]) -> dict[str, str]:
    return {n: f["state"]["phase"] for n, f in trace["final"].items() if f["role"] == "participant"}


def events(trace: dict[str, Any], kind: str, **fields: Any) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == kind and all(e.get(k) == v for k, v in fields.items())]


def first_in(trace: dict[str, Any], node: str, phase: str) -> dict[str, Any]:
    """Return the state event where ``node`` first entered ``phase``."""
    return next(e for e in events(trace, "state", node=node) if e["state"]["phase"] == phase)


def timeline(trace: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, NodeView]]]:
    """Yield each event with every node's view right after it (what views_at gives, in one pass)."""
    roles = {n: f["role"] for n, f in trace["final"].items()}
    checker = Checker(SPEC, roles)
    for event in trace["events"]:
        checker.observe(event)
        yield event, checker.views


# ------------------------------------------------------------ outcomes


def test_every_scenario_is_tested_here() -> None:
    assert set(ALL_SCENARIOS) == {
        "happy-commit", "vote-no-abort", "participant-crash-before-vote", "coordinator-crash-after-prepare",
        "lost-vote-timeout", "coordinator-recovery", "cooperative-termination", "majority-bug",
    }, "a new scenario needs its own expectation below"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", CORRECT_SCENARIOS)
def test_correct_scenarios_violate_nothing_and_show_every_caption(scenario: str, seed: int) -> None:
    trace = run(scenario, seed)
    assert trace["violations"] == []
    assert set(trace["verdicts"].values()) == {"holds"}
    shown = [e["text"] for e in events(trace, "caption")]
    assert shown == [c.text for c in SPEC.scenario(scenario).captions]


@pytest.mark.parametrize("seed", SEEDS)
def test_happy_commit_commits_everywhere(seed: int) -> None:
    trace = run("happy-commit", seed)
    assert set(participant_phases(trace).values()) == {"committed"}
    assert trace["final"]["coordinator"]["state"]["phase"] == "committed"
    assert trace["summary"]["outcome"] == "committed"
    assert not events(trace, "drop") and not events(trace, "crash")


@pytest.mark.parametrize("seed", SEEDS)
def test_one_no_vote_aborts_everywhere(seed: int) -> None:
    trace = run("vote-no-abort", seed)
    assert set(participant_phases(trace).values()) == {"aborted"}
    assert trace["final"]["coordinator"]["state"]["phase"] == "aborted"
    assert trace["final"]["p2"]["durable"] == [{"type": "aborted"}], "p2 voted no: it never prepared"
    assert trace["summary"]["outcome"] == "aborted"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_participant_crashing_before_its_vote_aborts_the_transaction(seed: int) -> None:
    trace = run("participant-crash-before-vote", seed)
    assert set(participant_phases(trace).values()) == {"aborted"}
    [timeout] = events(trace, "timer", node="coordinator", timer="vote_timeout")
    decided = first_in(trace, "coordinator", "aborted")
    assert decided["state"]["phase"] == "aborted" and decided["cause"] == "timer:vote_timeout"
    assert timeout["seq"] < decided["seq"]
    [recovered] = [e for e in events(trace, "state", node="p2") if e["cause"] == "recover"]
    assert recovered["state"]["phase"] == "aborted", "p2 never voted, so it may abort on recovery"
    assert events(trace, "drop", dst="p2", reason="node down")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_lost_vote_makes_the_coordinator_time_out_and_abort(seed: int) -> None:
    trace = run("lost-vote-timeout", seed)
    assert set(participant_phases(trace).values()) == {"aborted"}
    [lost] = events(trace, "drop", src="p1", reason="fault")
    assert lost["message"]["type"] == "vote" and lost["message"]["body"] == {"vote": "yes"}
    decided = first_in(trace, "coordinator", "aborted")
    assert decided["cause"] == "timer:vote_timeout"
    assert decided["state"]["votes"].get("p1") is None


@pytest.mark.parametrize("seed", SEEDS)
def test_a_recovering_coordinator_finishes_the_commit(seed: int) -> None:
    trace = run("coordinator-recovery", seed)
    assert set(participant_phases(trace).values()) == {"committed"}
    [crash] = events(trace, "crash", node="coordinator")
    [recover] = events(trace, "recover", node="coordinator")
    assert recover["durable"] == [{"type": "decision", "decision": "commit"}]
    before = [e for e in events(trace, "send", src="coordinator") if e["seq"] < crash["seq"]]
    assert [e["message"]["type"] for e in before].count("commit") == 1, "crashed after the first COMMIT"
    resent = [e for e in events(trace, "send", src="coordinator") if e["seq"] > recover["seq"]]
    assert {e["dst"] for e in resent if e["message"]["type"] == "commit"} == set(participant_phases(trace))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("participants", [2, 3, 6])
def test_cooperative_termination_commits_without_the_coordinator(seed: int, participants: int) -> None:
    trace = run("cooperative-termination", seed, participants=participants)
    assert set(participant_phases(trace).values()) == {"committed"}
    assert trace["final"]["coordinator"]["up"] is False, "the coordinator never came back"
    commits = [e for e in events(trace, "send", src="coordinator") if e["message"]["type"] == "commit"]
    [told] = [e["dst"] for e in commits]
    for node in participant_phases(trace):
        learned = first_in(trace, node, "committed")
        want = "msg:commit" if node == told else "msg:status_reply"
        assert learned["cause"] == want, f"{node} learned the outcome via {learned['cause']}"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_majority_bug_is_caught(seed: int) -> None:
    trace = run("majority-bug", seed)
    caught = {v["invariant"] for v in trace["violations"]}
    assert {"commit-needs-all-yes", "consistency"} <= caught
    assert trace["summary"]["outcome"] == "inconsistent"
    assert trace["verdicts"]["consistency"] == "violated"
    assert participant_phases(trace)["p3"] == "aborted"


# ------------------------------------------------------------ acceptance: blocking


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("participants", [2, 3, 8, 16])
def test_participants_block_while_the_coordinator_is_down_then_all_commit(participants: int, seed: int) -> None:
    trace = run("coordinator-crash-after-prepare", seed, participants=participants)
    names = [f"p{i}" for i in range(1, participants + 1)]
    [crash] = events(trace, "crash", node="coordinator")
    [recover] = events(trace, "recover", node="coordinator")
    assert recover["durable"] == [{"type": "decision", "decision": "commit"}]
    assert recover["time"] - crash["time"] == 1_500

    during = 0
    for event, views in timeline(trace):
        if crash["seq"] <= event["seq"] < recover["seq"]:
            during += 1
            phases = {n: views[n].state.get("phase") for n in names}
            assert set(phases.values()) == {"prepared"}, f"at event {event['seq']}: {phases}"
            assert not views["coordinator"].up
    assert during > participants, "the participants were busy asking while blocked"
    # Time travel agrees with the single pass, at both ends of the downtime.
    roles = {n: f["role"] for n, f in trace["final"].items()}
    for seq in (crash["seq"], recover["seq"] - 1):
        assert {views_at(SPEC, roles, trace["events"], seq)[n].state["phase"] for n in names} == {"prepared"}

    questions = [e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] == "status_request"
                 and crash["seq"] < e["seq"] < recover["seq"]]
    assert {e["src"] for e in questions} == set(names), "every in-doubt participant asked"
    assert all(e["dst"] == "coordinator" for e in questions), "without cooperation only the coordinator is asked"
    unanswered = [e for e in events(trace, "drop", dst="coordinator") if crash["seq"] < e["seq"] < recover["seq"]]
    assert {e["reason"] for e in unanswered} == {"node down"}

    assert set(participant_phases(trace).values()) == {"committed"}
    assert trace["violations"] == []
    summary = trace["summary"]
    assert summary["outcome"] == "committed"
    for node in names:
        prepared = first_in(trace, node, "prepared")
        decided = summary["decided_at_ms"][node]
        assert decided > recover["time"], f"{node} decided before the coordinator came back"
        assert summary["blocked_ms"][node] == decided - prepared["time"]
        assert summary["blocked_ms"][node] >= recover["time"] - crash["time"]


@pytest.mark.parametrize("seed", SEEDS)
def test_blocking_is_longer_when_the_coordinator_stays_down_longer(seed: int) -> None:
    short = run("coordinator-crash-after-prepare", seed)
    engine = Engine(SPEC, {}, seed=seed, scenario="coordinator-crash-after-prepare", scenario_faults=False, faults=[
        {"action": "crash", "node": "coordinator",
         "after": {"kind": "persist", "node": "coordinator", "record.decision": "commit"}},
        {"action": "recover", "node": "coordinator", "after": {"kind": "crash", "node": "coordinator"},
         "delay_ms": 4_000},
    ])
    engine.run()
    long = build_trace(engine)
    for node in participant_phases(short):
        gap = long["summary"]["blocked_ms"][node] - short["summary"]["blocked_ms"][node]
        assert 2_400 <= gap <= 2_600, f"{node}: {gap}"
