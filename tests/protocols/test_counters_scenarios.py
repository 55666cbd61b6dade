"""The counters and locks, run whole: each scenario ends as its description promises.

Runs are deterministic (a scenario, a seed and parameters fix the whole log),
so every test here is a pure function of its inputs. The acceptance tests:
the naive counter loses acknowledged increments and the detector points at
the overwriting writes; the locked counter on the same seed loses none; a
paused or slow-clocked lease holder's stale write lands (and is flagged)
without fencing and is refused with it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocols import REGISTRY
from protocols.counters.lease import SPEC as LEASE
from protocols.counters.locked import SPEC as LOCKED
from protocols.counters.naive import SPEC as NAIVE
from protocols.sim.checker import check_trace
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps, replay
from protocols.spec import ProtocolSpec
from tests.helpers import assert_valid_trace, run_manage, words

SEEDS = (0, 1, 7, 2024)
SPECS = (NAIVE, LOCKED, LEASE)
RUNS = [(spec, None) for spec in SPECS] + [(spec, s.name) for spec in SPECS for s in spec.scenarios]
FIGURES = ("acknowledged_increments", "final_values", "lost_updates", "stale_writes_accepted",
           "stale_writes_rejected", "messages_per_op")


def run(spec: ProtocolSpec, scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Run to the end; return the trace as read back from its file."""
    engine = Engine(spec, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated, f"{spec.name} {scenario} seed={seed} did not finish"
    return json.loads(dumps(build_trace(engine)))


def violations(trace: dict[str, Any], invariant: str) -> list[dict[str, Any]]:
    return [v for v in trace["violations"] if v["invariant"] == invariant]


def event(trace: dict[str, Any], seq: int) -> dict[str, Any]:
    found: dict[str, Any] = trace["events"][seq - 1]
    assert found["seq"] == seq
    return found


def sends(trace: dict[str, Any], src: str, type_: str) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == "send" and e["src"] == src and e["message"]["type"] == type_]


def acknowledged(trace: dict[str, Any]) -> set[str]:
    return {e["message"]["body"]["op"] for e in trace["events"]
            if e["kind"] == "deliver" and e["message"]["type"] == "write_ok"}


# ------------------------------------------------------------ every run


def test_every_scenario_is_run_here() -> None:
    assert {(spec.name, name) for spec, name in RUNS if name} == {
        (spec.name, s.name) for spec in SPECS for s in spec.scenarios}
    assert {s.name for s in LEASE.scenarios} >= {"process-pause", "process-pause-fenced", "clock-skew",
                                                 "clock-skew-fenced"}


@pytest.mark.parametrize(("spec", "scenario"), RUNS, ids=lambda x: getattr(x, "name", x))
def test_every_run_is_schema_valid_deterministic_and_replays(spec: ProtocolSpec, scenario: str | None) -> None:
    first, second = run(spec, scenario, seed=5), run(spec, scenario, seed=5)
    assert_valid_trace(first)
    assert dumps(first) == dumps(second), "same seed, same bytes"
    assert replay(spec, first).log == first["events"]
    assert check_trace(spec, first) == [
        {k: v for k, v in e.items() if k not in ("seq", "time", "step")} for e in first["violations"]]
    assert set(FIGURES) <= set(first["summary"])
    if spec is not NAIVE:
        assert {"grants", "max_token"} <= set(first["summary"])
    if scenario:
        captions = [e for e in first["events"] if e["kind"] == "caption"]
        assert len(captions) == len(spec.scenario(scenario).captions), "every caption is reached"


def test_another_seed_gives_another_interleaving() -> None:
    logs = {dumps(run(NAIVE, seed=seed)["events"]) for seed in SEEDS}
    assert len(logs) == len(SEEDS)


@pytest.mark.parametrize(("spec", "scenario"), RUNS, ids=lambda x: getattr(x, "name", x))
def test_healthy_runs_finish_every_client(spec: ProtocolSpec, scenario: str | None) -> None:
    trace = run(spec, scenario, seed=3)
    assert trace["verdicts"]["clients-finish"] == "holds"
    assert {f["state"]["phase"] for f in trace["final"].values() if f["role"] == "client"} == {"done"}
    assert not violations(trace, "tokens-increase") and not violations(trace, "lock-single-holder")


# ------------------------------------------------------------ counters


@pytest.mark.parametrize("seed", SEEDS)
def test_the_naive_counter_loses_acknowledged_increments_and_the_detector_points_at_the_writes(seed: int) -> None:
    trace = run(NAIVE, seed=seed, clients=3, increments_per_client=3)
    summary, acked = trace["summary"], acknowledged(trace)
    assert summary["acknowledged_increments"] == len(acked) == 9
    assert summary["final_values"]["store"] < 9
    assert summary["lost_updates"] == 9 - summary["final_values"]["store"] > 0
    found = violations(trace, "lost-update")
    assert len(found) >= summary["lost_updates"], "every missing increment is reported"
    lost = set()
    for v in found:
        write = event(trace, v["cause_seq"])
        assert (write["kind"], write["node"], write["message"]["type"]) == ("deliver", "store", "write")
        assert write["src"] in v["nodes"]
        inc = v["finding"]["data"]["increment"]
        assert inc in acked and inc.split("#")[0] in v["nodes"]
        lost.add(inc)
    assert len(lost) == len(found), "each increment is reported once"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_locked_counter_loses_nothing_on_the_same_seed_and_workload(seed: int) -> None:
    naive, locked = run(NAIVE, seed=seed), run(LOCKED, seed=seed)
    think = {run_["protocol"]: [e["due"] for e in run_["events"] if e["kind"] == "timer_set" and e["timer"] == "think"
                                and e["time"] == 0] for run_ in (naive, locked)}
    assert think["counter-naive"] == think["counter-locked"], "same seed, same clients' think times"
    assert naive["summary"]["lost_updates"] > 0
    summary = locked["summary"]
    assert summary["acknowledged_increments"] == summary["final_values"]["store"] == 9
    assert summary["lost_updates"] == summary["stale_writes_accepted"] == 0
    assert locked["violations"] == []
    assert summary["messages_per_op"] > naive["summary"]["messages_per_op"], "correctness costs messages"


def test_one_client_alone_loses_nothing() -> None:
    trace = run(NAIVE, "one-client")
    assert trace["summary"]["final_values"] == {"store": 3} and trace["violations"] == []


def test_a_paused_holder_notices_its_expired_lease_by_its_own_clock_and_starts_over() -> None:
    trace = run(LOCKED, "paused-holder")
    notes = [e["text"] for e in trace["events"] if e["kind"] == "note" and e["node"] == "c1"]
    assert any("ran out by its own clock" in text for text in notes)
    assert trace["summary"]["stale_writes_rejected"] == 0 and trace["violations"] == []
    assert trace["summary"]["final_values"]["store"] == 6


@pytest.mark.parametrize("seed", SEEDS)
def test_a_slow_clocked_paused_increment_is_fenced_out_and_redone(seed: int) -> None:
    trace = run(LOCKED, "slow-clock-fenced", seed=seed)
    summary = trace["summary"]
    assert summary["stale_writes_rejected"] >= 1 and summary["stale_writes_accepted"] == 0
    assert summary["lost_updates"] == 0 and summary["final_values"]["store"] == 6
    assert violations(trace, "one-believer-at-a-time"), "c1 and c2 both believed they held the lock"
    refusals = sends(trace, "store", "error")
    assert refusals[0]["dst"] == "c1" and refusals[0]["message"]["body"]["token"] == 1


# ------------------------------------------------------------ lock-lease


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["process-pause", "clock-skew"])
def test_without_fencing_the_stale_write_lands_and_is_flagged(name: str, seed: int) -> None:
    trace = run(LEASE, name, seed=seed)
    assert trace["params"]["fencing"] == "off"
    stale = violations(trace, "stale-write-accepted")
    assert stale and trace["summary"]["stale_writes_accepted"] == len(stale)
    write = event(trace, stale[0]["cause_seq"])
    assert (write["kind"], write["src"], write["message"]["type"]) == ("deliver", "c1", "write")
    assert write["message"]["body"] == {"op": "c1#1", "token": 1}
    content = trace["summary"]["final_values"]["store"]
    assert content.index("c2#1") < content.index("c1#1"), "c1's stale write landed after c2's"
    assert trace["summary"]["stale_writes_rejected"] == 0
    assert violations(trace, "one-believer-at-a-time")


@pytest.mark.parametrize("name", ["process-pause", "clock-skew"])
def test_a_saved_unfenced_trace_rechecked_still_reports_the_stale_write(name: str) -> None:
    trace = run(LEASE, name)
    stores = [e["state"] for e in trace["events"] if e["kind"] == "state" and e["node"] == "store"]
    assert stores and not any("fencing" in state for state in stores), "the parameter is in the trace's params only"
    saved = json.loads(dumps(trace))
    rechecked = [v for v in check_trace(LEASE, saved) if v["invariant"] == "stale-write-accepted"]
    assert rechecked and [v["cause_seq"] for v in rechecked] == [
        v["cause_seq"] for v in violations(trace, "stale-write-accepted")]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["process-pause-fenced", "clock-skew-fenced"])
def test_with_fencing_the_stale_write_is_refused(name: str, seed: int) -> None:
    trace = run(LEASE, name, seed=seed)
    assert trace["params"]["fencing"] == "on"
    assert trace["verdicts"]["stale-write-accepted"] == "holds"
    assert trace["summary"]["stale_writes_accepted"] == 0 and trace["summary"]["stale_writes_rejected"] == 1
    refusal = sends(trace, "store", "error")[0]
    assert refusal["dst"] == "c1"
    assert refusal["message"]["body"]["token"] == 1 and refusal["message"]["body"]["max_token"] >= 2
    store = trace["final"]["store"]
    assert [r["token"] for r in store["durable"]] == sorted(r["token"] for r in store["durable"]), (
        "the store applied writes in token order")
    assert set(trace["summary"]["final_values"]["store"]) == {"c1#1", "c1#2", "c2#1", "c2#2"}, "c1 redid its write"
    assert violations(trace, "one-believer-at-a-time"), "the lock alone let two clients believe"


def test_the_two_believers_finding_names_both_clients_and_why() -> None:
    pause = violations(run(LEASE, "process-pause-fenced"), "one-believer-at-a-time")[0]
    assert pause["nodes"] == ["c1", "c2"] and "about to write" in words(pause)
    skew = violations(run(LEASE, "clock-skew-fenced"), "one-believer-at-a-time")[0]
    assert skew["nodes"] == ["c1", "c2"] and "its own clock reads" in words(skew)


def test_clients_take_turns_with_increasing_tokens() -> None:
    trace = run(LEASE, "take-turns")
    tokens = [e["message"]["body"]["token"] for e in sends(trace, "lock", "grant")]
    assert tokens == sorted(tokens) and len(set(tokens)) == trace["summary"]["grants"] == trace["summary"]["max_token"]
    assert trace["violations"] == []


def test_a_recovered_lock_waits_a_lease_and_goes_on_with_higher_tokens() -> None:
    trace = run(LEASE, "lock-crash")
    recovered = next(e for e in trace["events"] if e["kind"] == "recover" and e["node"] == "lock")
    grace = next(e for e in trace["events"] if e["kind"] == "timer" and e["node"] == "lock" and e["timer"] == "grace")
    assert grace["time"] - recovered["time"] == trace["params"]["lease_ms"]
    later = [e for e in sends(trace, "lock", "grant") if e["seq"] > recovered["seq"]]
    assert later and all(e["time"] >= grace["time"] for e in later)
    assert min(e["message"]["body"]["token"] for e in later) == 2
    assert trace["violations"] == []


# ------------------------------------------------------------ registry and command line


def test_the_family_is_registered() -> None:
    assert {"counter-naive", "lock-lease", "counter-locked"} <= set(REGISTRY)
    assert [n for n, r in LOCKED.topology(LOCKED.resolve_params({})).items() if r == "client"] == ["c1", "c2", "c3"]
    assert {p.name for p in NAIVE.params} <= {p.name for p in LOCKED.params}


def test_simulate_from_the_command_line() -> None:
    done = run_manage("simulate", "lock-lease", "--scenario", "process-pause-fenced", "--param", "clients=3",
                      "--seed", "7", "--format", "json")
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)
    assert trace["summary"]["stale_writes_rejected"] == 1 and trace["params"]["clients"] == 3


def test_compare_runs_naive_and_locked_on_one_workload() -> None:
    done = run_manage("compare", "counter-naive", "counter-locked", "--param", "clients=3", "--seed", "1",
                      "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "lost_updates" in done.stdout and "counter-locked" in done.stdout
