"""Whole consistent-hashing runs: scenarios, the acceptance figures, Hypothesis, reproducible traces,
and the drawing the router logs for the ring panel."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from protocols.common.ring import ring_owner, ring_points, stable_hash
from protocols.common.workload import key_name
from protocols.hashring import SPEC
from protocols.hashring.drawing import POSITION_DECIMALS
from protocols.hashring.placement import owner
from protocols.sim.checker import check_trace
from protocols.sim.engine import Engine
from protocols.sim.explorer import explore
from protocols.sim.trace import build_trace, dumps, replay
from tests.helpers import ROOT, assert_valid_trace, run_manage, words
from tests.protocols.coherence_support import run, safety_violations, strays, trace_text
from tests.protocols.run_support import describe
from tests.strategies import SEEDS

SEEDS_SHOWN = (0, 1, 7, 2024)
CACHES = [f"cache{i}" for i in range(1, 9)]


def trace_of(scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    engine = run(SPEC, params, seed=seed, scenario=scenario)
    assert engine.quiescent and not engine.truncated
    return build_trace(engine)


# --------------------------------------------------------------- scenarios


def test_every_scenario_is_tested_here() -> None:
    assert {s.name for s in SPEC.scenarios} == {"add-node", "remove-node", "hot-key", "modulo-hashing",
                                                "add-node-10k"}


@pytest.mark.parametrize("scenario", [s.name for s in SPEC.scenarios])
def test_every_scenario_writes_a_valid_trace(scenario: str) -> None:
    assert_valid_trace(trace_of(scenario))


@pytest.mark.parametrize("seed", SEEDS_SHOWN)
@pytest.mark.parametrize("scenario", [s.name for s in SPEC.scenarios])
def test_every_scenario_shows_its_captions_and_only_modulo_breaks_an_invariant(scenario: str, seed: int) -> None:
    trace = trace_of(scenario, seed)
    shown = {e["text"] for e in trace["events"] if e["kind"] == "caption"}
    assert shown == {c.text for c in SPEC.scenario(scenario).captions}
    broken = {v["invariant"] for v in trace["violations"]}
    assert broken == ({"only-the-changed-node-moves"} if scenario == "modulo-hashing" else set())


def test_the_acceptance_figures_through_a_simulated_run() -> None:
    """4 caches, 10,000 keys, a fifth joins: about 1/5 of the keys move on the ring, about 4/5 with modulo."""
    summary = trace_of("add-node-10k")["summary"]
    assert summary["keys_moved"] == summary["changes"][0]["moved_ring"]
    assert 0.15 <= summary["keys_moved"] / 10_000 <= 0.25, summary
    assert 0.7 <= summary["keys_moved_modulo"] / 10_000 <= 0.9, summary
    assert summary["changes"][0] | {"keys": 10_000} == summary["changes"][0]


def test_add_node_moves_keys_to_the_new_node_which_starts_cold() -> None:
    trace = trace_of("add-node")
    summary = trace["summary"]
    assert summary["load_per_node"].get("cache5", 0) > 0
    first = next(e for e in trace["events"] if e["kind"] == "send" and e["src"] == "cache5")
    assert first["message"]["type"] == "fetch", "a new node has nothing yet: its first request misses"
    assert summary["keys_moved"] < summary["keys_moved_modulo"]


def test_remove_node_moves_only_the_leavers_keys_and_it_drops_its_store() -> None:
    trace = trace_of("remove-node")
    assert trace["final"]["cache2"]["state"] | {"phase": "standby", "store": {}} == trace["final"]["cache2"]["state"]
    assert trace["summary"]["changes"][0]["op"] == "remove"


def test_the_hot_key_loads_one_cache_more_than_all_the_others_together() -> None:
    load = trace_of("hot-key")["summary"]["load_per_node"]
    busiest = max(load.values())
    assert busiest > sum(load.values()) - busiest, load


def test_the_figures_add_up() -> None:
    trace = trace_of("add-node", seed=7)
    summary, events = trace["summary"], trace["events"]
    ops = summary["reads"] + summary["writes"]
    assert ops == 3 * 16
    assert summary["db_reads"] == sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] == "fetch")
    assert summary["db_writes"] == summary["writes"], "write-through: every write reaches the database"
    assert summary["messages_per_op"] == round(sum(1 for e in events if e["kind"] == "send") / ops, 2)
    assert 0 < summary["hit_ratio"] < 1


def test_membership_changes_by_command_show_in_the_summary() -> None:
    engine = Engine(SPEC, {"keys": 1_000}, seed=4)
    engine.run(max_steps=10)
    engine.apply({"cmd": "client", "node": "ring", "kind": "add_node", "body": {"node": "cache6"}})
    engine.apply({"cmd": "client", "node": "ring", "kind": "remove_node", "body": {"node": "cache1"}})
    engine.apply({"cmd": "client", "node": "ring", "kind": "remove_node", "body": {"node": "cache1"}})  # Refused.
    engine.run()
    trace = build_trace(engine)
    changes = trace["summary"]["changes"]
    assert [(c["op"], c["node"]) for c in changes] == [("add", "cache6"), ("remove", "cache1")]
    assert trace["summary"]["keys_moved"] == sum(c["moved_ring"] for c in changes)
    assert not trace["violations"] and trace["final"]["ring"]["state"]["members"] == ["cache2", "cache3", "cache4",
                                                                                        "cache6"]
    assert replay(SPEC, trace).log == trace["events"]


# -------------------------------------------------------------- Hypothesis


@st.composite
def hashring_runs(draw: st.DrawFn, max_clients: int = 6, max_ops: int = 10) -> dict[str, Any]:
    """A run with joins and leaves at random times, over any network order."""
    low, high = sorted(draw(st.lists(st.integers(0, 120), min_size=2, max_size=2)))
    params = {
        "clients": draw(st.integers(1, max_clients)),
        "keys": draw(st.sampled_from([1, 3, 20, 500])),
        "read_ratio": draw(st.sampled_from([0.0, 0.5, 0.8, 1.0])),
        "distribution": draw(st.sampled_from(["uniform", "zipf"])),
        "vnodes": draw(st.sampled_from([1, 5, 100])),
        "initial_nodes": draw(st.integers(1, 8)),
        "join_at_ms": draw(st.sampled_from([0, 1, 40, 200])),
        "join_node": draw(st.sampled_from(CACHES)),
        "leave_at_ms": draw(st.sampled_from([0, 2, 60, 300])),
        "leave_node": draw(st.sampled_from(CACHES)),
        "think_ms": draw(st.sampled_from([0, 10])),
        "ops_per_client": draw(st.integers(0, max_ops)),
        "delay_ms_min": low, "delay_ms_max": high, "fifo": draw(st.booleans()),
    }
    return {"seed": draw(SEEDS), "params": params}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hashring_runs())
def test_no_run_breaks_placement_and_every_client_finishes(run_data: dict[str, Any]) -> None:
    note(f"run: {describe(run_data)}")
    engine = run(SPEC, run_data["params"], seed=run_data["seed"], max_events=50_000)
    found = [(v["invariant"], words(v)) for v in engine.log if v["kind"] == "violation"]
    assert not found, f"{found}\nrun={describe(run_data)}"
    assert engine.quiescent and strays(engine) == 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hashring_runs(max_clients=3, max_ops=4))
def test_traces_are_schema_valid_deterministic_and_replay(run_data: dict[str, Any]) -> None:
    first = trace_text(SPEC, run_data["params"], run_data["seed"])
    assert first == trace_text(SPEC, run_data["params"], run_data["seed"])
    trace = json.loads(first)
    assert_valid_trace(trace)
    assert dumps(build_trace(replay(SPEC, trace))) == first


def test_modulo_placement_is_caught_by_the_same_checker() -> None:
    engine = run(SPEC, {"placement": "modulo", "keys": 50, "join_at_ms": 30}, seed=1)
    assert {v["invariant"] for v in safety_violations(engine)} == {"only-the-changed-node-moves"}


def test_the_explorer_finishes_a_small_model_with_a_join() -> None:
    report = explore(SPEC, {"clients": 1, "ops_per_client": 3})
    assert report.complete and report.counterexamples == [], report.to_json()


def test_the_command_line_runs_a_scenario_with_params() -> None:
    done = run_manage("simulate", "consistent-hashing", "--scenario", "add-node", "--param", "vnodes=200",
                      "--seed", "7", "--format", "json")
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)
    assert trace["params"]["vnodes"] == 200 and trace["quiescent"] and not trace["violations"]
    assert trace["summary"]["changes"][0]["node"] == "cache5"


# ------------------------------------------------- the drawing in the log


def ring_views(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the ring router's state events, each with the drawing the panel reads."""
    return [e for e in events if e["kind"] == "state" and e["node"] == "ring"]


def expected_drawing(members: list[str], before: list[str] | None, params: dict[str, Any]) -> dict[str, Any]:
    """Return the drawing of a view straight from protocols.common.ring (no memoised tables, no drawing.py)."""
    vnodes, keys = params["vnodes"], params["keys"]
    points = ring_points(members, vnodes)
    old = ring_points(before, vnodes) if before else points
    names = [key_name(i) for i in range(keys)]
    turn = 2 ** 64
    return {
        "points": {n: sorted(round(p / turn, POSITION_DECIMALS) % 1.0 for p, m in points if m == n) for n in members},
        "dots": [[k, round(stable_hash(k) / turn, POSITION_DECIMALS) % 1.0, ring_owner(points, k)] for k in names],
        "moved": {k: ring_owner(old, k) for k in names if ring_owner(old, k) != ring_owner(points, k)},
        "shares": {n: sum(ring_owner(points, k) == n for k in names) for n in members},
        "placement": "ring", "vnodes": vnodes, "keys": keys,
    }


def test_the_ring_logs_its_drawing_at_boot_and_at_every_join_and_leave() -> None:
    params = {"keys": 60, "vnodes": 9, "join_at_ms": 50, "join_node": "cache6", "leave_at_ms": 120,
              "leave_node": "cache1", "ops_per_client": 6}
    engine = Engine(SPEC, params, seed=3)
    engine.run(max_steps=5)
    engine.apply({"cmd": "client", "node": "ring", "kind": "add_node", "body": {"node": "cache8"}})
    engine.run()
    engine.apply({"cmd": "client", "node": "ring", "kind": "remove_node", "body": {"node": "cache2"}})
    engine.run()
    trace = build_trace(engine)
    views = ring_views(trace["events"])
    assert [e["cause"] for e in views] == ["init", "client:add_node", "timer:join", "timer:leave",
                                           "client:remove_node"]
    previous = None
    for event in views:
        state = event["state"]
        assert "vnodes" not in state and "keys" not in state and "placement" not in state, "no parameter copies"
        assert state["drawing"] == expected_drawing(state["members"], previous, trace["params"]), event["cause"]
        previous = state["members"]
    assert_valid_trace(trace)
    assert not trace["violations"]


def test_a_recovered_ring_logs_the_drawing_of_the_view_it_rebuilt() -> None:
    faults = [{"action": "crash", "node": "ring", "at_ms": 80}, {"action": "recover", "node": "ring", "at_ms": 90}]
    engine = Engine(SPEC, {"keys": 30, "vnodes": 5, "join_at_ms": 40}, seed=1, faults=faults)
    engine.run()
    views = ring_views(engine.log)
    assert [e["cause"] for e in views] == ["init", "timer:join", "recover"]
    assert views[2]["state"]["drawing"] == views[1]["state"]["drawing"], "same view, same moves highlighted"


def test_the_placement_invariants_read_the_parameters_live_and_when_a_trace_is_rechecked() -> None:
    trace = trace_of("modulo-hashing")
    found = [v for v in trace["violations"] if v["invariant"] == "only-the-changed-node-moves"]
    assert found and found[0]["invariant_kind"] == "history"
    assert trace["events"][found[0]["cause_seq"] - 1]["node"] == "ring"
    assert [v["finding"] for v in check_trace(SPEC, trace)] == [v["finding"] for v in trace["violations"]]


def test_a_cache_keeping_a_foreign_key_is_reported_once() -> None:
    check = next(i.check for i in SPEC.invariants if i.name == "caches-hold-own-keys")
    memo: dict[str, Any] = {"params": SPEC.resolve_params({})}
    foreign = next(f"k{i}" for i in range(100) if owner(CACHES[:4], 100, "ring", f"k{i}") != "cache1")
    state = {"phase": "member", "view": 1, "members": CACHES[:4], "store": {foreign: 1}}
    events = [{"seq": 1, "kind": "start", "node": "cache1", "role": "cache"},
              {"seq": 2, "kind": "state", "node": "cache1", "cause": "msg:put", "state": state},
              {"seq": 3, "kind": "state", "node": "cache1", "cause": "msg:put", "state": state}]
    found = [f for e in events for f in check(e, memo)]
    assert [(f.nodes, f.cause_seq) for f in found] == [(("cache1",), 2)]


FIXTURE = ROOT / "static" / "js" / "tests" / "fixtures" / "hashring-join-leave.json"


def test_the_browser_tests_fixture_is_what_the_engine_produces() -> None:
    """static/js/tests/hashring.test.js reads this trace; regenerate it with ``manage.py simulate
    consistent-hashing --param keys=12 --param vnodes=6 --param clients=1 --param ops_per_client=5
    --param join_at_ms=60 --param join_node=cache5 --param leave_at_ms=160 --param leave_node=cache2
    --seed 0 --format json > FILE``."""
    params = {"keys": 12, "vnodes": 6, "clients": 1, "ops_per_client": 5, "join_at_ms": 60, "join_node": "cache5",
              "leave_at_ms": 160, "leave_node": "cache2"}
    engine = Engine(SPEC, params, seed=0)
    engine.run()
    assert dumps(build_trace(engine)) == FIXTURE.read_text(encoding="utf-8"), "the fixture is stale: regenerate it"
