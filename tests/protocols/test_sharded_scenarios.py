"""The sharded counter's scenarios, its trade-off in figures, and its checks under random faults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from protocols.common.counter_reads import read_within_bounds
from protocols.sharded import SPEC
from protocols.sim.engine import Engine
from protocols.sim.explorer import explore
from protocols.sim.trace import build_trace, dumps
from tests import strategies as s
from tests.helpers import assert_valid_trace, words
from tests.protocols.crdt_helpers import run, violations

NAMES = [sc.name for sc in SPEC.scenarios]


@pytest.mark.parametrize("name", NAMES)
def test_every_scenario_writes_a_valid_deterministic_trace_that_ends(name: str) -> None:
    trace = run(SPEC, scenario=name, seed=4)
    assert_valid_trace(trace)
    assert trace["quiescent"] and not trace["truncated"]
    assert dumps(trace) == dumps(run(SPEC, scenario=name, seed=4))
    assert [e for e in trace["events"] if e["kind"] == "caption"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fan_out_read_counts_exactly_what_was_acknowledged(seed: int) -> None:
    trace = run(SPEC, scenario="fan-out-read", seed=seed)
    assert trace["violations"] == []
    summary = trace["summary"]
    assert sum(summary["final_values"].values()) == summary["acknowledged_increments"] == 9
    assert summary["partial_reads"] == 0 and summary["lost_updates"] == 0


@pytest.mark.parametrize("shards", [1, 2, 5, 8])
def test_an_increment_costs_two_messages_and_a_read_two_per_shard(shards: int) -> None:
    trace = run(SPEC, {"shards": shards, "clients": 2}, seed=1)
    summary = trace["summary"]
    assert summary["messages_per_read"] == 2 * shards
    increments = [e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] in ("add", "add_ok")]
    assert len(increments) == 2 * summary["acknowledged_increments"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_crashed_shard_makes_a_read_partial_and_says_which_shard_is_missing(seed: int) -> None:
    trace = run(SPEC, scenario="shard-down", seed=seed)
    assert trace["violations"] == [], "partial reads are honest, and the durable shard loses nothing"
    partial = [f["state"] for f in trace["final"].values() if f["role"] == "client" and f["state"].get("missing")]
    assert partial and all(p["missing"] == ["s2"] for p in partial)
    assert trace["summary"]["partial_reads"] == len(partial)
    assert any(e["kind"] == "note" and "partial read" in e["text"] for e in trace["events"])
    assert trace["summary"]["lost_updates"] == 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_volatile_shard_loses_its_share_and_the_read_that_misses_it_is_flagged(seed: int) -> None:
    trace = run(SPEC, scenario="volatile-shard", seed=seed)
    found = violations(trace, "read-sum-bounded")
    assert found and trace["summary"]["lost_updates"] >= 1
    cause = trace["events"][found[0]["cause_seq"] - 1]
    assert cause["kind"] == "state" and cause["state"]["phase"] == "done" and not cause["state"]["missing"]
    assert violations(trace, "counts-add-up")


# ------------------------------------------------------- the detector


def _client(seq: int, node: str, phase: str, acked: int, read: Any = None, missing: Any = ()) -> dict[str, Any]:
    return {"seq": seq, "kind": "state", "node": node,
            "state": {"phase": phase, "acked_inc": acked, "read": read, "missing": list(missing)}}


def _add(seq: int, node: str, op: int) -> dict[str, Any]:
    return {"seq": seq, "kind": "send", "src": node, "message": {"type": "add", "body": {"op": op}}}


def findings(log: list[dict[str, Any]]) -> list[tuple[int | None, str]]:
    memo: dict[str, Any] = {}
    return [(f.cause_seq, words(f)) for event in log for f in read_within_bounds(event, memo)]


def test_a_read_below_the_acknowledged_count_is_flagged_at_the_read() -> None:
    log = [_add(1, "c1", 1), _client(2, "c1", "thinking", 1), _add(3, "c1", 2), _client(4, "c1", "thinking", 2),
           _client(5, "c1", "reading", 2), _client(6, "c1", "done", 2, read=1)]
    assert findings(log) == [(6, "c1 read 1, but the count it should see is exactly 2 (acknowledged before the "
                                 "read began, issued before it ended)")]


def test_a_read_overlapping_an_increment_may_see_it_or_not_but_no_more() -> None:
    base = [_add(1, "c1", 1), _client(2, "c1", "thinking", 1), _client(3, "c1", "reading", 1), _add(4, "c2", 1)]
    assert findings([*base, _client(5, "c1", "done", 1, read=1)]) == []
    assert findings([*base, _client(5, "c1", "done", 1, read=2)]) == []
    assert [seq for seq, _ in findings([*base, _client(5, "c1", "done", 1, read=3)])] == [5]


def test_a_partial_read_is_judged_against_the_upper_bound_only() -> None:
    base = [_add(1, "c1", 1), _client(2, "c1", "thinking", 1), _client(3, "c1", "reading", 1)]
    assert findings([*base, _client(4, "c1", "done", 1, read=0, missing=["s2"])]) == []
    assert [seq for seq, _ in findings([*base, _client(4, "c1", "done", 1, read=5, missing=["s2"])])] == [4]


# ------------------------------------------------------- random faults


@st.composite
def faulty_runs(draw: st.DrawFn) -> dict[str, Any]:
    shards, clients = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    nodes = [f"c{i}" for i in range(1, clients + 1)] + [f"s{i}" for i in range(1, shards + 1)]
    params = {"shards": shards, "clients": clients, "increments_per_client": draw(st.integers(0, 4)),
              "vnodes": draw(st.integers(1, 16)), "durable": True,
              "loss_probability": draw(s.PROBABILITIES), "duplicate_probability": draw(s.PROBABILITIES)}
    plan = draw(st.lists(s.timed_faults(nodes), max_size=5))
    if draw(st.booleans()):
        plan += draw(s.midstep_crashes(nodes, details={}))
    return {"params": params, "seed": draw(s.SEEDS), "faults": plan}


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(faulty_runs())
def test_durable_shards_keep_every_safety_check_whatever_the_faults(case: dict[str, Any]) -> None:
    note(f"run: {json.dumps(case, sort_keys=True)}")
    trace = run(SPEC, case["params"], seed=case["seed"], faults=case["faults"], max_events=5_000)
    unsafe = [v for v in trace["violations"] if v["invariant_kind"] != "liveness"]
    assert unsafe == [], [words(v) for v in unsafe]


def test_the_explorer_finishes_the_small_model_and_finds_nothing() -> None:
    report = explore(SPEC)
    assert report.complete and report.counterexamples == []
    assert report.max_crashes == 1, "a durable shard survives the crash the small model allows"
    crashing = explore(SPEC, {"durable": False})
    assert "read-sum-bounded" in {c.name for c in crashing.counterexamples}


# ------------------------------------------------ replies matched to requests

EXPLORED = {**SPEC.explore_params, "clients": 2, "durable": True, "delay_ms_min": 0, "delay_ms_max": 0}
"""The explorer's small model as ``manage.py explore counter-sharded`` searched it then (two clients)."""

BEFORE_THE_CRASH = [("fire", "t1"), ("fire", "t3"), ("deliver", "m5"), ("deliver", "m13"), ("fire", "t15"),
                    ("deliver", "m17"), ("deliver", "m19"), ("deliver", "m9"), ("deliver", "m27")]
"""The explorer's counterexample (``--param durable=true --max-crashes 1``, depth 14) up to c1's crash:
c1 is acknowledged, asks both shards for the count (m17, m19) and both answer (m23: 1, m25: 0);
then c2's increment is counted and acknowledged."""


def _timer(engine: Engine, node: str) -> str:
    (found,) = [p.id for p in engine.pending.values() if p.kind == "timer" and p.node == node]
    return found


def test_a_restarted_client_ignores_answers_to_the_read_it_sent_before_its_crash() -> None:
    engine = Engine(SPEC, EXPLORED)
    for name, arg in BEFORE_THE_CRASH:
        engine.apply({"cmd": name, "id": arg})
    engine.apply({"cmd": "crash", "node": "c1"})
    engine.apply({"cmd": "recover", "node": "c1"})
    engine.apply({"cmd": "fire", "id": _timer(engine, "c1")})  # Thinks, then reads again.
    new_reads = [p.id for p in engine.pending.values() if p.message and p.message.type == "read"]
    for old_answer in ("m23", "m25"):  # Answers to the read before the crash: 1 + 0, short of 2.
        engine.apply({"cmd": "deliver", "id": old_answer})
    assert engine.nodes["c1"].state["phase"] == "reading"
    for request in new_reads:
        engine.apply({"cmd": "deliver", "id": request})
    for answer in [p.id for p in engine.pending.values() if p.message and p.message.type == "read_ok"]:
        engine.apply({"cmd": "deliver", "id": answer})
    assert engine.nodes["c1"].state["phase"] == "done" and engine.nodes["c1"].state["read"] == 2
    trace = json.loads(dumps(build_trace(engine)))
    assert violations(trace) == []
