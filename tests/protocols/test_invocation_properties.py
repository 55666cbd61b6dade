"""Hypothesis over whole service-invocation runs: failure ratios, seeds, policies, networks, fault plans.

Whatever the seed, the failing provider's ratio and healing time, the slow
provider, the balancer, the breaker's threshold and cool-down, the budget,
the network's loss and duplication and the fault plan (crashes, pauses,
partitions, clock skew, dropped and duplicated messages), no breaker ever
breaks its state machine, no caller retries beyond its budget, no handler
meets an input its table does not list, and with all nodes up at the end
every call has ended. Mutants prove the checks can fail: a breaker that opens
at the first failure, one that skips its cool-down, a budget that grants
every retry are all caught.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.common.calls import breaker as br
from protocols.common.calls import caller
from protocols.invocation import SPEC
from protocols.sim.engine import Engine
from protocols.sim.explorer import explore
from protocols.sim.trace import build_trace, replay
from tests import strategies as s
from tests.helpers import words
from tests.protocols.run_support import simulate_run

MAX_EVENTS = 6_000
SAFETY = ("breaker-discipline", "retry-budget")
MESSAGES = ("call", "reply", "error")
RUN_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def invocation_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A whole run as data: seed, parameters (failures, slowness, policy), fault plan."""
    consumers, providers = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    nodes = [f"u{i}" for i in range(1, consumers + 1)] + [f"p{i}" for i in range(1, providers + 1)]
    params = {
        "consumers": consumers, "providers": providers,
        "calls_per_consumer": draw(st.integers(1, 12)),
        "call_interval_ms": draw(st.sampled_from([5, 15, 30, 60])),
        "balancer": draw(st.sampled_from(["round-robin", "random", "least-outstanding", "weighted"])),
        "weights": draw(st.sampled_from(["", "3,1", "1,2,3"])),
        "timeout_ms": draw(st.sampled_from([20, 50, 100, 200])),
        "max_retries": draw(st.integers(0, 3)),
        "backoff_ms": draw(st.sampled_from([0, 5, 20])),
        "retry_budget": draw(st.sampled_from(["none", "0.1", "0.2", "0.5", "1"])),
        "budget_window_ms": draw(st.sampled_from([50, 300, 1000])),
        "idempotency": draw(st.booleans()),
        "breaker": draw(st.booleans() | st.just(True)),
        "failure_threshold": draw(st.integers(1, 4)),
        "cooldown_ms": draw(st.sampled_from([1, 30, 100, 250])),
        "half_open_trials": draw(st.integers(1, 3)),
        "failing_provider": draw(st.sampled_from(["", "p1"])),
        "fail_ratio": draw(st.floats(0.0, 1.0)),
        "fail_until_ms": draw(st.sampled_from([0, 100, 400])),
        "slow_provider": draw(st.sampled_from(["", "p1"])),
        "slow_ms": draw(st.sampled_from([20, 80, 200])),
        "provider_capacity": draw(st.integers(1, 3)),
        "queue_limit": draw(st.sampled_from([1, 4, 32])),
        "loss_probability": draw(s.PROBABILITIES),
        "duplicate_probability": draw(s.PROBABILITIES),
    }
    return {"seed": draw(s.SEEDS), "params": params, "faults": draw(s.fault_plans(nodes, MESSAGES, max_faults=4)),
            "chaos": draw(st.sampled_from([0.0, 0.0, 0.02]))}


def simulate(run: dict[str, Any]) -> Engine:
    """Run to the end (or the event limit); a protocol exception fails with the run attached."""
    return simulate_run(SPEC, run, MAX_EVENTS)


def violations(engine: Engine, names: tuple[str, ...]) -> list[str]:
    return [f"{v['invariant']}: {words(v)}" for v in engine.log
            if v["kind"] == "violation" and v["invariant"] in names]


@settings(RUN_SETTINGS, max_examples=250)
@given(invocation_runs())
def test_breakers_and_budgets_never_break_their_rules(run: dict[str, Any]) -> None:
    engine = simulate(run)
    found = violations(engine, SAFETY)
    assert not found, f"{found}\nrun={json.dumps(run, sort_keys=True)}"
    assert not violations(engine, ("calls-finish",)), "with everyone up at the end, every call ended"
    if engine.quiescent and not run["faults"] and not run["chaos"]:
        summary = build_trace(engine)["summary"]
        assert summary["successes"] + summary["failures"] == summary["calls"]


@settings(RUN_SETTINGS, max_examples=25)
@given(invocation_runs())
def test_replaying_the_commands_gives_the_identical_log(run: dict[str, Any]) -> None:
    engine = simulate(run)
    assert replay(SPEC, build_trace(engine)).log == engine.log


@settings(RUN_SETTINGS, max_examples=80)
@given(s.SEEDS, st.floats(0.0, 1.0), st.integers(1, 4), st.sampled_from([1, 50, 150]))
def test_the_breaker_invariant_holds_for_any_failure_ratio(seed: int, ratio: float, threshold: int,
                                                           cooldown: int) -> None:
    """The acceptance property: a failing provider at any ratio, any seed: the breaker keeps its rules."""
    params = {"breaker": True, "failing_provider": "p1", "fail_ratio": ratio, "failure_threshold": threshold,
              "cooldown_ms": cooldown, "calls_per_consumer": 20, "call_interval_ms": 15}
    engine = simulate({"seed": seed, "params": params, "faults": [], "chaos": 0.0})
    assert engine.quiescent
    assert not violations(engine, SAFETY)
    if ratio == 1.0 and threshold == 1:
        assert build_trace(engine)["summary"]["breaker_transitions"] > 0


# ------------------------------------------------------------------ mutants


@pytest.fixture
def mutant(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch


def run_scenario(scenario: str, seed: int = 0) -> Engine:
    engine = Engine(SPEC, {}, seed=seed, scenario=scenario, max_events=MAX_EVENTS)
    engine.run()
    return engine


def test_a_breaker_that_opens_at_the_first_failure_is_caught(mutant: pytest.MonkeyPatch) -> None:
    hasty = br.BreakerPolicy(failure_threshold=1, cooldown_ms=150, half_open_trials=1)
    real = br.on_failure
    mutant.setattr(br, "on_failure", lambda b, policy, now, trial: real(b, hasty, now, trial))
    found = violations(run_scenario("breaker-trip-and-recover"), ("breaker-discipline",))
    assert found and "threshold is 3" in found[0]


def test_a_breaker_that_skips_its_cool_down_is_caught(mutant: pytest.MonkeyPatch) -> None:
    impatient = br.BreakerPolicy(failure_threshold=3, cooldown_ms=10, half_open_trials=1)
    real_cool, real_due = br.cool, br.cool_due
    mutant.setattr(br, "cool", lambda b, policy, now: real_cool(b, impatient, now))
    mutant.setattr(br, "cool_due", lambda b, policy: real_due(b, impatient))
    found = violations(run_scenario("breaker-trip-and-recover"), ("breaker-discipline",))
    assert found and "the cool-down is 150 ms" in found[0]


def test_a_budget_that_grants_every_retry_is_caught(mutant: pytest.MonkeyPatch) -> None:
    real = caller.try_retry

    def generous(window: Any, now: int, budget: Any) -> tuple[bool, Any]:
        return real(window, now, caller.Budget(ratio=None, window_ms=budget.window_ms))

    mutant.setattr(caller, "try_retry", generous)
    found = violations(run_scenario("retry-storm-remedied"), ("retry-budget",))
    assert found and "the budget allows 0.2 retries per call" in found[0]


def test_the_unmutated_protocol_passes_the_same_runs() -> None:
    for scenario in ("breaker-trip-and-recover", "retry-storm-remedied"):
        assert not violations(run_scenario(scenario), SAFETY)


def test_every_order_of_a_retried_call_with_a_drop_and_a_crash_is_safe() -> None:
    """The explorer's small model, widened: one retry, one dropped message, one crash per path."""
    report = explore(SPEC, {"max_retries": 1}, max_drops=1, max_crashes=1, max_states=5_000)
    assert report.complete and report.states > 100
    assert not report.counterexamples, [c.to_json() for c in report.counterexamples]


def _worlds(params: dict[str, Any]) -> Iterator[Engine]:
    """Yield every world of the explorer's small model with ``params``, each once (by fingerprint)."""
    root = Engine(SPEC, {**SPEC.explore_params, **params, "delay_ms_min": 0, "delay_ms_max": 0}, record=False)
    seen, todo = {root.fingerprint()}, [root.clone()]
    while todo:
        world = todo.pop()
        yield world
        for entry in list(world.pending.values()):
            child = world.clone()
            child.apply({"cmd": "fire" if entry.kind == "timer" else "deliver", "id": entry.id}, trusted=True)
            if child.fingerprint() not in seen:
                seen.add(child.fingerprint())
                todo.append(child)


def test_the_small_model_exercises_the_breaker_and_the_retry_budget() -> None:
    """Its one retry lets the checks of breakers and budgets see something (issue 14: with none they never did)."""
    breakers = {b["state"] for world in _worlds({"breaker": True, "failure_threshold": 1})
                for b in (world.nodes["u1"].state.get("breakers") or {}).values()}
    assert breakers == {"closed", "open", "half-open"}
    granted = max(world.nodes["u1"].state["metrics"]["retries"] for world in _worlds({"retry_budget": "1"}))
    assert granted == 1
