"""Hypothesis over whole service-mesh runs: seeds, failures, policies and their change, fault plans.

Whatever the seed, the failing or slow provider, the first policy and the
one pushed mid-run, the network and the fault plan (crashes and pauses of
apps, sidecars and the control plane, partitions, dropped and duplicated
messages), no sidecar's breaker breaks its state machine, no sidecar retries
beyond its budget, no handler meets an input its table does not list, and a
replay gives the identical log.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.mesh import SPEC
from protocols.sim.engine import Engine
from protocols.sim.explorer import explore
from protocols.sim.trace import build_trace, replay
from tests import strategies as s
from tests.helpers import words
from tests.protocols.run_support import simulate_run

MAX_EVENTS = 6_000
SAFETY = ("breaker-discipline", "retry-budget")
MESSAGES = ("call", "reply", "error", "result", "policy", "policy_ack")
RUN_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CHANGES = ("", "breaker=on", "breaker=on;retry_budget=0.2", "breaker=off;balancer=random",
           "failure_threshold=1;cooldown_ms=20", "timeout_ms=40;max_retries=0", "balancer=weighted;weights=1,3")


@st.composite
def mesh_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A whole run as data: seed, parameters (failures, policies, the change), fault plan."""
    consumers, providers = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    nodes = ["control"]
    for i in range(1, consumers + 1):
        nodes += [f"u{i}", f"u{i}-sidecar"]
    for i in range(1, providers + 1):
        nodes += [f"p{i}-sidecar", f"p{i}"]
    params = {
        "consumers": consumers, "providers": providers,
        "calls_per_consumer": draw(st.integers(1, 10)),
        "call_interval_ms": draw(st.sampled_from([5, 20, 50])),
        "balancer": draw(st.sampled_from(["round-robin", "random", "least-outstanding", "weighted"])),
        "timeout_ms": draw(st.sampled_from([40, 100, 200])),
        "max_retries": draw(st.integers(0, 3)),
        "retry_budget": draw(st.sampled_from(["none", "0.2", "0.5"])),
        "idempotency": draw(st.booleans()),
        "breaker": draw(st.booleans()),
        "failure_threshold": draw(st.integers(1, 3)),
        "cooldown_ms": draw(st.sampled_from([1, 50, 200])),
        "failing_provider": draw(st.sampled_from(["", "p1"])),
        "fail_ratio": draw(st.floats(0.0, 1.0)),
        "slow_provider": draw(st.sampled_from(["", "p1"])),
        "policy_change": draw(st.sampled_from(CHANGES)),
        "policy_change_at_ms": draw(st.sampled_from([0, 1, 150, 400])),
        "app_deadline_ms": draw(st.sampled_from([300, 3000])),
        "loss_probability": draw(s.PROBABILITIES),
        "duplicate_probability": draw(s.PROBABILITIES),
    }
    return {"seed": draw(s.SEEDS), "params": params, "faults": draw(s.fault_plans(nodes, MESSAGES, max_faults=4)),
            "chaos": draw(st.sampled_from([0.0, 0.0, 0.02]))}


def simulate(run: dict[str, Any]) -> Engine:
    """Run to the end (or the event limit); a protocol exception fails with the run attached."""
    return simulate_run(SPEC, run, MAX_EVENTS)


@settings(RUN_SETTINGS, max_examples=150)
@given(mesh_runs())
def test_sidecars_keep_their_breaker_and_budget_rules(run: dict[str, Any]) -> None:
    engine = simulate(run)
    found = [f"{v['invariant']}: {words(v)}" for v in engine.log
             if v["kind"] == "violation" and v["invariant"] in (*SAFETY, "calls-finish")]
    assert not found, f"{found}\nrun={json.dumps(run, sort_keys=True)}"
    if engine.quiescent and not run["faults"] and not run["chaos"] and not run["params"]["loss_probability"]:
        trace = build_trace(engine)
        assert trace["verdicts"]["policy-converges"] == "holds"
        assert trace["summary"]["successes"] + trace["summary"]["failures"] == trace["summary"]["calls"]


@settings(RUN_SETTINGS, max_examples=20)
@given(mesh_runs())
def test_replaying_the_commands_gives_the_identical_log(run: dict[str, Any]) -> None:
    engine = simulate(run)
    assert replay(SPEC, build_trace(engine)).log == engine.log


def test_every_order_of_one_call_through_the_sidecars_is_safe() -> None:
    report = explore(SPEC, {"max_retries": 0}, max_states=5_000)  # No retry: the model of about a thousand worlds.
    assert report.complete and report.states > 100
    assert not report.counterexamples, [c.to_json() for c in report.counterexamples]
