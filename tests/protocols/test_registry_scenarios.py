"""Each named service registry scenario ends as its description promises, judged from the log.

Runs are deterministic: a scenario, a seed and the parameters fix the whole
log. The acceptance tests of the task are here: after a provider crash the
eviction comes within heartbeat x missed beats + sweep (+ network delay) and
no call that starts after eviction + refresh + call timeout fails; a paused
provider is falsely evicted and comes back with a higher incarnation; a
partitioned registry evicts everyone without self-preservation and nobody
with it; a consumer with a long refresh keeps calling an evicted provider.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocols.registry import SPEC
from protocols.registry.names import lease_ms
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from tests.helpers import assert_valid_trace, run_manage

SEEDS = (0, 1, 7, 2024)
ALL_SCENARIOS = [s.name for s in SPEC.scenarios]


def run(scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Run to the end; return the trace as it would be read back from its file."""
    engine = Engine(SPEC, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated, f"{scenario} seed={seed} did not finish"
    return json.loads(dumps(build_trace(engine)))


def events(trace: dict[str, Any], kind: str, **fields: Any) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == kind and all(e.get(k) == v for k, v in fields.items())]


def evictions(trace: dict[str, Any], registry: str = "registry") -> list[tuple[int, str, int]]:
    """Return (time, name, incarnation) of every eviction by ``registry``, read off its table's changes."""
    found, before = [], {}
    for event in events(trace, "state", node=registry):
        table = event["state"]["instances"]
        if event["cause"] == "timer:sweep":
            found += [(event["time"], name, e["inc"]) for name, e in before.items() if name not in table]
        before = table
    return found


def calls(trace: dict[str, Any], consumer: str | None = None) -> list[dict[str, Any]]:
    """Return every finished call (a consumer's ``last_call`` each time it changes), with who made it."""
    done, last = [], {}
    for event in events(trace, "state"):
        node = event["node"]
        if not node.startswith("u") or (consumer and node != consumer):
            continue
        outcome = event["state"]["last_call"]
        if outcome is not None and outcome != last.get(node):
            done.append({**outcome, "by": node, "ended": event["time"]})
        last[node] = outcome
    return done


def test_every_scenario_is_tested_here() -> None:
    assert set(ALL_SCENARIOS) == {
        "provider-crash", "provider-pause-past-ttl", "registry-partition", "registry-partition-self-preservation",
        "stale-client-cache",
    }, "a new scenario needs its own expectation below"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_scenarios_violate_nothing_and_show_every_caption(scenario: str, seed: int) -> None:
    trace = run(scenario, seed)
    assert trace["violations"] == []
    assert set(trace["verdicts"].values()) == {"holds"}
    shown = sorted(e["text"] for e in events(trace, "caption"))  # A timeout may come before or after the eviction.
    assert shown == sorted(c.text for c in SPEC.scenario(scenario).captions)


@pytest.mark.parametrize(("scenario", "params"), [
    ("provider-crash", {"registry_replicas": 3, "discovery": "watch", "providers": 5, "consumers": 3}),
    ("provider-pause-past-ttl", {"variant": "no-incarnations"}),
    ("registry-partition", {"loss_probability": 0.1, "duplicate_probability": 0.1}),
])
def test_traces_match_the_schema_beyond_the_scenarios_defaults(scenario: str, params: dict[str, Any]) -> None:
    assert_valid_trace(run(scenario, 3, **params))  # tests/sim/test_trace_schema.py checks each scenario as given.


@pytest.mark.parametrize("scenario", [None, *ALL_SCENARIOS])
def test_same_seed_same_trace_and_another_seed_another(scenario: str | None) -> None:
    first, again, other = run(scenario, 5), run(scenario, 5), run(scenario, 6)
    assert dumps(first) == dumps(again)
    assert dumps(first) != dumps(other)


# --------------------------------------------------------- provider-crash

CRASH_PARAMS = [
    {},
    {"heartbeat_ms": 50, "missed_beats": 4, "sweep_ms": 30, "refresh_ms": 200},
    {"heartbeat_ms": 120, "missed_beats": 2, "sweep_ms": 150, "refresh_ms": 400, "call_timeout_ms": 60},
    {"discovery": "watch", "refresh_ms": 500},
    {"providers": 8, "consumers": 4, "delay_ms_max": 40, "call_timeout_ms": 150},
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("params", CRASH_PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
def test_a_crashed_provider_is_evicted_in_time_and_the_errors_stop_after_the_next_refresh(
        params: dict[str, Any], seed: int) -> None:
    trace = run("provider-crash", seed, **params)
    p = trace["params"]
    [crash] = events(trace, "crash", node="p2")
    [(evicted_at, name, inc)] = evictions(trace)
    assert (name, inc) == ("p2", 1)
    bound = lease_ms(p) + p["sweep_ms"] + p["delay_ms_max"]
    assert evicted_at - crash["time"] <= bound, "evicted within heartbeat x missed beats + sweep (+ one delay)"
    assert evicted_at - crash["time"] >= lease_ms(p) - p["heartbeat_ms"], "and not before its lease could end"
    assert trace["summary"]["detection_time"] == evicted_at - crash["time"]
    settled = evicted_at + p["refresh_ms"] + p["call_timeout_ms"]
    late_failures = [c for c in calls(trace) if not c["ok"] and c["at"] > settled]
    assert late_failures == [], f"calls still failing after eviction + refresh + timeout ({settled} ms)"
    assert all(c["ok"] for c in calls(trace) if c["ended"] < crash["time"]), "nothing failed before the crash"


def test_the_crash_is_visible_as_failed_calls_to_the_dead_provider() -> None:
    failed = [c for seed in SEEDS for c in calls(run("provider-crash", seed)) if not c["ok"]]
    assert failed and {c["to"] for c in failed} == {"p2"} and {c["error"] for c in failed} == {"timeout"}


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_with_three_replicas_every_replica_evicts_within_two_network_hops(seed: int) -> None:
    engine = Engine(SPEC, {"registry_replicas": 3}, seed=seed, faults=[{"action": "crash", "node": "p2", "at_ms": 600}])
    engine.run()
    trace = json.loads(dumps(build_trace(engine)))
    p = trace["params"]
    assert trace["violations"] == []
    for replica in ("registry1", "registry2", "registry3"):
        [(at, name, _)] = evictions(trace, replica)
        assert name == "p2" and at - 600 <= lease_ms(p) + p["sweep_ms"] + 2 * p["delay_ms_max"]
    assert trace["summary"]["evictions"] == 3 and trace["summary"]["false_evictions"] == 0


def test_watchers_hear_of_an_eviction_by_push_without_waiting_for_a_refresh() -> None:
    trace = run("provider-crash", 0, discovery="watch", refresh_ms=5_000)
    [(evicted_at, _, _)] = evictions(trace)
    pushes = [e for e in events(trace, "deliver") if e["message"]["type"] == "instances" and e["time"] >= evicted_at]
    assert {e["dst"] for e in pushes} == {"u1", "u2"}
    assert all("p2" not in e["message"]["body"]["instances"] for e in pushes)
    assert max(e["time"] for e in pushes) <= evicted_at + trace["params"]["delay_ms_max"]


def test_self_preservation_keeps_a_crashed_provider_of_three_listed_forever() -> None:
    trace = run("provider-crash", 0, self_preservation=True)
    assert evictions(trace) == [] and trace["violations"] == []
    assert any(e["state"]["phase"] == "preserving" for e in events(trace, "state", node="registry"))
    eight = run("provider-crash", 0, self_preservation=True, providers=8)
    assert [name for _, name, _ in evictions(eight)] == ["p2"], "one of eight missing stays under 15%"


# ---------------------------------------------------- provider-pause-past-ttl


@pytest.mark.parametrize("seed", SEEDS)
def test_a_paused_provider_is_falsely_evicted_then_comes_back_with_a_higher_incarnation(seed: int) -> None:
    trace = run("provider-pause-past-ttl", seed)
    [pause], [resume] = events(trace, "pause", node="p1"), events(trace, "resume", node="p1")
    [(evicted_at, name, inc)] = evictions(trace)
    assert (name, inc) == ("p1", 1) and pause["time"] < evicted_at < resume["time"]
    assert trace["summary"]["false_evictions"] == 1 and trace["summary"]["evictions"] == 1
    late = next(e for e in events(trace, "deliver", node="registry") if e["message"]["type"] == "heartbeat"
                and e["src"] == "p1" and e["time"] >= resume["time"])
    assert late["message"]["body"]["inc"] == 1, "the first beat after the pause is the one it owed, as #1"
    [refusal] = [e for e in events(trace, "send", src="registry") if e["message"]["type"] == "unknown_instance"]
    assert refusal["message"]["in_reply_to"] == late["message"]["msg_id"]
    assert trace["final"]["p1"]["durable"] == [{"type": "incarnation", "inc": 1}, {"type": "incarnation", "inc": 2}]
    assert trace["final"]["registry"]["state"]["instances"]["p1"]["inc"] == 2
    assert trace["summary"]["registrations"] == 4


# ------------------------------------------------------ registry-partition


@pytest.mark.parametrize("seed", SEEDS)
def test_a_partitioned_registry_evicts_everyone_without_self_preservation(seed: int) -> None:
    trace = run("registry-partition", seed)
    [partition], [heal] = events(trace, "partition"), events(trace, "heal")
    gone = evictions(trace)
    assert sorted(name for _, name, _ in gone) == ["p1", "p2", "p3"]
    assert all(partition["time"] < at < heal["time"] for at, _, _ in gone)
    assert trace["summary"]["false_evictions"] == 3
    final = trace["final"]["registry"]["state"]["instances"]
    assert {name: e["inc"] for name, e in final.items()} == {"p1": 2, "p2": 2, "p3": 2}, "all came back newer"


@pytest.mark.parametrize("seed", SEEDS)
def test_with_self_preservation_the_same_partition_evicts_nothing(seed: int) -> None:
    trace = run("registry-partition-self-preservation", seed)
    assert evictions(trace) == [] and trace["summary"]["evictions"] == 0
    phases = [e["state"]["phase"] for e in events(trace, "state", node="registry")]
    assert "preserving" in phases and phases[-1] == "stopped"
    assert all(trace["final"][p]["durable"] == [{"type": "incarnation", "inc": 1}] for p in ("p1", "p2", "p3"))
    assert trace["summary"]["failures"] == 0, "the consumers' cached lists stayed right all along"


def test_mass_eviction_costs_calls_that_self_preservation_saves() -> None:
    lost = sum(run("registry-partition", seed)["summary"]["failures"] for seed in SEEDS)
    kept = sum(run("registry-partition-self-preservation", seed)["summary"]["failures"] for seed in SEEDS)
    assert lost > kept == 0


# ------------------------------------------------------ stale-client-cache


@pytest.mark.parametrize("seed", SEEDS)
def test_a_consumer_with_a_long_refresh_keeps_calling_an_evicted_provider(seed: int) -> None:
    trace = run("stale-client-cache", seed)
    p = trace["params"]
    [(evicted_at, name, _)] = evictions(trace)
    assert name == "p2"
    settled = evicted_at + p["refresh_ms"] + p["call_timeout_ms"]
    assert [c for c in calls(trace, "u2") if not c["ok"] and c["at"] > settled] == []
    slow = [e for e in events(trace, "send", src="u1") if e["message"]["type"] == "call" and e["dst"] == "p2"
            and e["time"] > settled]
    assert slow, "u1 still calls p2 long after the eviction"
    assert trace["summary"]["stale_discoveries"] >= len(slow)


# ---------------------------------------------------------- replicas heal


def test_a_replica_cut_off_from_its_peers_makes_their_providers_come_back_newer_everywhere() -> None:
    groups = [["registry2", "p2", "u2"], ["registry1", "registry3", "p1", "p3", "u1"]]
    faults = [{"action": "partition", "groups": groups, "at_ms": 500}, {"action": "heal", "at_ms": 1_100}]
    engine = Engine(SPEC, {"registry_replicas": 3, "consumers": 2}, seed=3, faults=faults)
    engine.run()
    trace = json.loads(dumps(build_trace(engine)))
    assert trace["violations"] == []
    assert {name for _, name, _ in evictions(trace, "registry2")} == {"p1", "p3"}
    assert any(e["message"]["type"] == "peer_unknown" for e in events(trace, "send", src="registry2"))
    tables = [{n: e["inc"] for n, e in trace["final"][r]["state"]["instances"].items()}
              for r in ("registry1", "registry2", "registry3")]
    assert tables[0] == tables[1] == tables[2] == {"p1": 2, "p2": 2, "p3": 2}


# ------------------------------------------------------------- summary, CLI


def test_a_healthy_run_sums_up_with_every_family_figure() -> None:
    summary = run(None, 0)["summary"]
    assert set(summary) == {"calls", "successes", "failures", "retries", "latency_p50", "latency_p99",
                            "detection_time", "stale_discoveries", "false_evictions", "breaker_transitions",
                            "amplification", "evictions", "registrations"}
    assert summary["calls"] == summary["successes"] > 20 and summary["failures"] == 0
    assert (summary["retries"], summary["breaker_transitions"], summary["evictions"]) == (0, 0, 0)
    assert summary["detection_time"] is None and summary["amplification"] == 1.0
    assert 10 <= summary["latency_p50"] <= summary["latency_p99"] <= 40, "round trips of 5 to 20 ms each way"
    assert summary["registrations"] == 3 and summary["stale_discoveries"] == 0


def test_the_command_line_runs_it_to_a_quiet_end() -> None:
    args = ["--scenario", "provider-pause-past-ttl", "--param", "discovery=watch", "--seed", "7"]
    result = run_manage("simulate", "service-registry", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["quiescent"] is True and trace["violations"] == []
    assert_valid_trace(trace)
