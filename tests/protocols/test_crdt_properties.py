"""Hypothesis over the CRDT counters: the merge's laws, and convergence under random partitions.

The merge is checked as a pure function over random vectors: commutative,
associative, idempotent, and the least upper bound. Whole runs then go
through random partition-and-heal plans, network delays, loss and
duplication: after the last heal every replica holds the same vectors and
their value is exactly the acknowledged increments minus the acknowledged
decrements. With durable replicas, random crashes and recoveries break no
safety check at all; without durability the detectors may fire (updates
really are lost), but the state and transition checks still hold. Every
failing example prints its run.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from protocols.crdt import G_COUNTER, PN_COUNTER
from protocols.crdt.vectors import counter_value, dominates, merge, older_entries
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps, replay
from protocols.spec import ProtocolSpec
from tests import strategies as s
from tests.helpers import assert_valid_trace, words
from tests.protocols.crdt_helpers import run

NAMES = st.sampled_from(["r1", "r2", "r3", "r4", "r5"])
VECTORS = st.dictionaries(NAMES, st.integers(0, 50), max_size=5)
RUNS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HEAL_BY_MS = 800
"""Every partition of a generated plan is healed by then..."""
HORIZON_MS = HEAL_BY_MS + 1_500
"""...and gossip goes on for 1.5 s after it (15 rounds at 100 ms): convergence has ample time."""


def equal(a: dict[str, int], b: dict[str, int]) -> bool:
    """Vectors are equal when every entry is (a missing entry is 0)."""
    return all(a.get(k, 0) == b.get(k, 0) for k in {*a, *b})


# ------------------------------------------------------------ merge laws


@given(VECTORS, VECTORS)
def test_merge_is_commutative(a: dict[str, int], b: dict[str, int]) -> None:
    assert merge(a, b) == merge(b, a)


@given(VECTORS, VECTORS, VECTORS)
def test_merge_is_associative(a: dict[str, int], b: dict[str, int], c: dict[str, int]) -> None:
    assert merge(merge(a, b), c) == merge(a, merge(b, c))


@given(VECTORS)
def test_merge_is_idempotent(a: dict[str, int]) -> None:
    assert equal(merge(a, a), a)


@given(VECTORS, VECTORS, VECTORS)
def test_merge_is_the_least_upper_bound(a: dict[str, int], b: dict[str, int], c: dict[str, int]) -> None:
    joined = merge(a, b)
    assert dominates(joined, a) and dominates(joined, b)
    if dominates(c, a) and dominates(c, b):
        assert dominates(c, joined), "any upper bound of a and b is above their merge"


@given(VECTORS, VECTORS)
def test_merging_never_lowers_the_value_and_stale_entries_are_the_ones_ignored(a: dict[str, int],
                                                                               b: dict[str, int]) -> None:
    joined = merge(a, b)
    assert counter_value(joined) >= max(counter_value(a), counter_value(b))
    assert older_entries(a, b) == sum(1 for k, v in b.items() if v < a.get(k, 0))
    assert equal(merge(a, b), a) == dominates(a, b)


# ------------------------------------------------- runs under partitions


@st.composite
def partition_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A counter run with a random plan of partitions, all healed by HEAL_BY_MS."""
    spec = draw(st.sampled_from(["g-counter", "pn-counter"]))
    replicas, clients = draw(st.integers(2, 5)), draw(st.integers(1, 4))
    nodes = [f"c{i}" for i in range(1, clients + 1)] + [f"r{i}" for i in range(1, replicas + 1)]
    plan: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, HEAL_BY_MS - 50))
        end = draw(st.integers(start + 1, HEAL_BY_MS))
        plan += [{"action": "partition", "groups": draw(s.partitions(nodes)), "at_ms": start},
                 {"action": "heal", "at_ms": end}]
    low, high = sorted(draw(st.lists(st.integers(0, 40), min_size=2, max_size=2)))
    params: dict[str, Any] = {
        "replicas": replicas, "clients": clients, "increments_per_client": draw(st.integers(1, 4)),
        "gossip_fanout": draw(st.sampled_from(["one", "one", "all"])), "duration_ms": HORIZON_MS,
        "delay_ms_min": low, "delay_ms_max": high, "fifo": draw(st.booleans()),
        "loss_probability": draw(st.sampled_from([0.0, 0.0, 0.05, 0.1])),
        "duplicate_probability": draw(st.sampled_from([0.0, 0.1, 0.3])),
    }
    if spec == "pn-counter":
        params["decrement_ratio"] = draw(st.sampled_from([0.0, 0.3, 0.5, 1.0]))
    return {"spec": spec, "params": params, "seed": draw(s.SEEDS), "faults": plan}


def simulate(case: dict[str, Any], **options: Any) -> dict[str, Any]:
    note(f"run: {json.dumps(case, sort_keys=True)}")
    spec = G_COUNTER if case["spec"] == "g-counter" else PN_COUNTER
    return run(spec, case["params"], seed=case["seed"], faults=case["faults"], max_events=20_000, **options)


@settings(RUNS, max_examples=40)
@given(partition_runs())
def test_after_the_last_heal_every_replica_holds_exactly_the_acknowledged_sum(case: dict[str, Any]) -> None:
    trace = simulate(case)
    assert trace["quiescent"] and not trace["truncated"]
    assert trace["violations"] == [], [words(v) for v in trace["violations"]]
    replicas = [n for n, f in trace["final"].items() if f["role"] == "replica"]
    first = trace["final"][replicas[0]]["state"]
    for name in replicas:
        state = trace["final"][name]["state"]
        assert state["p"] == first["p"] and state.get("n") == first.get("n"), f"{name} differs"
    summary = trace["summary"]
    acked = summary["acknowledged_increments"] - summary.get("acknowledged_decrements", 0)
    assert set(summary["final_values"].values()) == {acked}
    params = case["params"]
    ops = summary["acknowledged_increments"] + summary.get("acknowledged_decrements", 0)
    assert ops == params["clients"] * params["increments_per_client"], "every operation was acknowledged"
    assert summary["lost_updates"] == 0
    if case["faults"]:
        assert isinstance(summary["convergence_time"], int) and summary["convergence_time"] >= 0


CRASH_ACTIONS = st.sampled_from(["crash", "recover"])


@st.composite
def crash_runs(draw: st.DrawFn, durable: bool) -> dict[str, Any]:
    case = draw(partition_runs())
    nodes = [f"c{i}" for i in range(1, case["params"]["clients"] + 1)] + \
            [f"r{i}" for i in range(1, case["params"]["replicas"] + 1)]
    for _ in range(draw(st.integers(1, 4))):
        case["faults"].append({"action": draw(CRASH_ACTIONS), "node": draw(st.sampled_from(nodes)),
                               "at_ms": draw(st.integers(0, HORIZON_MS))})
    if draw(st.booleans()):  # A crash midway through a handler: after its state changed, before its effects.
        case["faults"] += draw(s.midstep_crashes(nodes, details={}))
    case["params"]["durable"] = durable
    return case


@settings(RUNS, max_examples=40)
@given(crash_runs(durable=True))
def test_durable_replicas_break_no_safety_check_whatever_crashes(case: dict[str, Any]) -> None:
    trace = simulate(case)
    unsafe = [v for v in trace["violations"] if v["invariant_kind"] != "liveness"]
    assert unsafe == [], [words(v) for v in unsafe]


@settings(RUNS, max_examples=30)
@given(crash_runs(durable=False))
def test_without_durability_only_the_loss_detectors_may_fire(case: dict[str, Any]) -> None:
    trace = simulate(case)
    fired = {v["invariant"] for v in trace["violations"]}
    assert fired <= {"no-lost-updates", "converges-to-acknowledged"}, trace["violations"]
    if "no-lost-updates" in fired:
        assert trace["summary"]["lost_updates"] > 0 or "converges-to-acknowledged" in fired


# -------------------------------------------------- determinism, schema


@settings(RUNS, max_examples=5)
@given(partition_runs())
def test_same_seed_same_trace_and_replay_agrees(case: dict[str, Any]) -> None:
    spec: ProtocolSpec = G_COUNTER if case["spec"] == "g-counter" else PN_COUNTER
    engine = Engine(spec, case["params"], seed=case["seed"], faults=case["faults"], max_events=20_000)
    engine.run()
    trace = build_trace(engine)
    assert dumps(trace) == dumps(simulate(case))
    assert replay(spec, trace).log == engine.log
    assert_valid_trace(trace)
