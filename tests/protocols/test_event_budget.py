"""Each protocol's event estimate (``ProtocolSpec.estimate``) against the events its runs really log.

The estimate decides whether a session's parameters fit its event budget, so
it must neither refuse a run that is small nor let through one that is many
times the budget: for every protocol, over configurations that stretch each
parameter its estimate depends on, a fault-free run to its end logs between
a quarter and four times the estimate (``CALIBRATION_FACTOR``).
"""

from __future__ import annotations

from typing import Any

import pytest

from protocols import REGISTRY
from protocols.base import ParameterError
from protocols.budget import CALIBRATION_FACTOR, EVENT_BUDGET, check, estimate
from protocols.sim.engine import Engine

WORKLOAD = [{}, {"clients": 8, "ops_per_client": 40}, {"clients": 1, "ops_per_client": 60, "keys": 1000},
            {"clients": 8, "ops_per_client": 30, "read_ratio": 0.0, "keys": 2}]
CACHES = [*WORKLOAD, {"clients": 8, "ops_per_client": 30, "caches": 8, "capacity": 1},
          {"clients": 4, "ops_per_client": 20, "script": "c1: r k0, w k0, r k0; c2: w k0, r k1"}]
COUNTERS = [{}, {"clients": 8, "increments_per_client": 20}, {"clients": 1, "increments_per_client": 40},
            {"clients": 8, "increments_per_client": 10, "think_ms": 0, "retry_ms": 10}]
CRDT = [*COUNTERS, {"replicas": 8, "gossip_ms": 20, "gossip_fanout": "all"}, {"duration_ms": 10_000, "gossip_ms": 50}]
INVOCATION = [{}, {"consumers": 4, "providers": 8, "calls_per_consumer": 60},
              {"consumers": 4, "providers": 2, "calls_per_consumer": 40, "failing_provider": "p1", "fail_ratio": 1.0,
               "max_retries": 5}, {"calls_per_consumer": 50, "slow_provider": "p1", "max_retries": 3}]

CONFIGS: dict[str, list[dict[str, Any]]] = {
    # Configurations that stretch each parameter an estimate depends on, beyond the defaults and the
    # scenarios' settings every protocol is calibrated on (a new protocol needs no line here).
    "two-phase-commit": [{}, {"participants": 16}, {"participants": 8, "votes": "0.5"}],
    "cache-write-through": [*CACHES, {"clients": 8, "ops_per_client": 20, "caches": 8, "invalidation": "broadcast",
                                      "read_ratio": 0.3}],
    "cache-write-back": [*CACHES, {"clients": 4, "ops_per_client": 20, "flush_interval_ms": 5, "think_ms": 40}],
    "cache-write-around": CACHES,
    "cache-aside": [*CACHES, {"clients": 8, "ops_per_client": 20, "remedy": "delayed-double-delete"}],
    "mesi": [*WORKLOAD, {"clients": 8, "ops_per_client": 30, "caches": 8, "keys": 2, "read_ratio": 0.5}],
    "consistent-hashing": [*WORKLOAD, {"clients": 8, "ops_per_client": 20, "join_at_ms": 50, "leave_at_ms": 80}],
    "counter-naive": COUNTERS,
    "lock-lease": [{}, {"clients": 8, "writes_per_client": 10}, {"clients": 1, "writes_per_client": 40},
                   {"clients": 4, "writes_per_client": 5, "lease_ms": 10}],
    "counter-locked": COUNTERS,
    "counter-sharded": [*COUNTERS, {"clients": 8, "increments_per_client": 20, "shards": 8}],
    "g-counter": CRDT,
    "pn-counter": CRDT,
    "counter-bft": [*COUNTERS, {"clients": 4, "increments_per_client": 10, "f": 3, "liars": 3}],
    "service-registry": [{}, {"providers": 8, "consumers": 4, "heartbeat_ms": 20, "call_ms": 20},
                         {"registry_replicas": 3, "refresh_ms": 20, "discovery": "watch"},
                         {"duration_ms": 10_000, "heartbeat_ms": 200, "sweep_ms": 200}],
    "service-invocation": INVOCATION,
    "service-mesh": INVOCATION,
}


def logged(name: str, params: dict[str, Any]) -> int:
    engine = Engine(REGISTRY[name], params, seed=1, max_events=1_000_000, record=False)
    count = len(engine.drain())
    while not engine.done:
        count += len(engine.step())
    return count


def calibration() -> list[tuple[str, dict[str, Any]]]:
    """Every protocol's defaults and its scenarios' settings (run without their faults), then CONFIGS."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for name, spec in REGISTRY.items():
        for params in ({}, *(dict(s.params) for s in spec.scenarios), *CONFIGS.get(name, ())):
            if (name, params) not in cases:
                cases.append((name, params))
    return cases


def test_every_protocol_declares_an_estimate() -> None:
    assert [name for name, spec in REGISTRY.items() if spec.estimate is None] == []
    assert set(CONFIGS) <= set(REGISTRY)


@pytest.mark.parametrize(("name", "params"), calibration(),
                         ids=lambda value: value if isinstance(value, str) else ",".join(map(str, value.values())))
def test_the_estimate_is_within_the_calibration_factor_of_a_real_run(name: str, params: dict[str, Any]) -> None:
    spec = REGISTRY[name]
    guess = estimate(spec, spec.resolve_params(params))
    real = logged(name, params)
    assert real / CALIBRATION_FACTOR <= guess.events <= real * CALIBRATION_FACTOR, (
        f"{name} {params}: estimated {guess.events} ({guess.why}), logged {real}")


def test_the_issues_heavy_run_is_refused_with_its_arithmetic() -> None:
    spec = REGISTRY["cache-write-through"]
    heavy = spec.resolve_params({"clients": 8, "keys": 10_000, "ops_per_client": 10_000})
    with pytest.raises(ParameterError) as caught:
        check(spec, heavy)
    message = str(caught.value)
    assert "80,000 operations" in message and f"budget is {EVENT_BUDGET:,} events" in message


def test_every_protocols_defaults_and_scenarios_fit_the_budget() -> None:
    for spec in REGISTRY.values():
        for scenario in [None, *(s.name for s in spec.scenarios)]:
            check(spec, spec.resolve_params({}, scenario))
