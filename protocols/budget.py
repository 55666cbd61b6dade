"""The event budget: how many events a run's parameters promise, judged before the run starts.

Parameters multiply: eight clients of ten thousand operations each at about
eighteen events an operation is a log of well over a million events, a trace
of a gigabyte, although every parameter on its own is within its bounds. A
session therefore has a declared budget of events (:data:`EVENT_BUDGET`) and
its parameters are refused up front, before anything is stored, when the
protocol's estimate of a run with them exceeds it; the error says what the
estimate is made of, so the user knows which parameter to lower.

Each protocol declares its estimate here, beside the others (``ESTIMATES``):
a function of the resolved parameters (``spec.resolve_params``) returning
the number of events and the product it comes from, in words. An estimate is
a cost model, not a bound: the work the parameters ask for (operations,
calls, heartbeats and gossip rounds over the run's horizon) times the events
one unit of it costs in a fault-free run, measured per protocol over a grid
of configurations. ``tests/protocols/test_event_budget.py`` keeps every
estimate within a factor of :data:`CALIBRATION_FACTOR` of the events a run
really logs, for every protocol. Faults, chaos, unlucky contention and a
controller's own commands can make a run longer than its estimate: the
engine's ``max_events`` still stops it (``dashboard.sessions.SESSION_MAX_EVENTS``).

Pure: no I/O, like the rest of ``protocols/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from protocols.base import ParameterError
from protocols.spec import ProtocolSpec

EVENT_BUDGET = 50_000
"""Events a session's parameters may ask for: a trace of about 50 MB (a cache event is about
1 KB of JSON), which a laptop's page holds and the space-time diagram still draws. The run
that motivated it (cache-write-through, 8 clients x 10,000 operations) wrote 44,279 events
in 10 s of play, a 47 MB trace, and was on its way to about 1.4 million."""

CALIBRATION_FACTOR = 4.0
"""How far an estimate may be from the events a fault-free run logs, either way (the test's tolerance)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """About how many events a run logs, and the product it comes from (for the error message)."""

    events: int
    why: str


Estimator = Callable[[Mapping[str, Any]], Estimate]


# ------------------------------------------------------------ building blocks


def _ops(p: Mapping[str, Any], per_client: str = "ops_per_client") -> int:
    """Return how many operations the clients issue (scripted ones as scripted, the others at random)."""
    if p.get("script"):
        from protocols.cache.common import parse_script  # Only the cache family has scripts.

        script = parse_script(p["script"])
        unscripted = sum(1 for i in range(1, p["clients"] + 1) if f"c{i}" not in script)
        return sum(len(ops) for ops in script.values()) + unscripted * int(p[per_client])
    return int(p["clients"] * p[per_client])


def _per_op(ops: int, cost: float, base: int = 50, unit: str = "operations") -> Estimate:
    return Estimate(base + math.ceil(ops * cost), f"{ops:,} {unit} x about {cost:g} events each")


def _plus(first: Estimate, second: Estimate) -> Estimate:
    return Estimate(first.events + second.events, f"{first.why}, plus {second.why}")


def _client_span_ms(p: Mapping[str, Any], per_client: str = "ops_per_client") -> int:
    """Return about how long one client's run lasts in virtual time: think, then a round trip, per operation."""
    return int(p[per_client] * (p["think_ms"] + 4 * p["delay_ms_max"] + 1))


# ------------------------------------------------------------------ families


def _cache_policy(cost: float) -> Estimator:
    def estimate(p: Mapping[str, Any]) -> Estimate:
        return _per_op(_ops(p), cost)
    return estimate


def _write_through(p: Mapping[str, Any]) -> Estimate:
    broadcast = 6 * (p["caches"] - 1) if p["invalidation"] == "broadcast" else 0
    return _per_op(_ops(p), 20 + broadcast)


def _write_back(p: Mapping[str, Any]) -> Estimate:
    flushes = p["caches"] * _client_span_ms(p) // p["flush_interval_ms"]
    return _plus(_per_op(_ops(p), 30), Estimate(3 * flushes, f"{flushes:,} flush rounds x 3 events"))


def _mesi(p: Mapping[str, Any]) -> Estimate:
    return _per_op(_ops(p), 14 + 2 * p["caches"])


def _counter(cost_per_client: float, base_cost: float, per_client: str = "increments_per_client") -> Estimator:
    """Operations under contention: each costs more the more clients compete for the same thing."""
    def estimate(p: Mapping[str, Any]) -> Estimate:
        cost = base_cost + cost_per_client * p["clients"]
        if "lease_ms" in p and "work_ms" in p and p["lease_ms"] < p["work_ms"]:
            cost *= 6  # Leases run out mid-work: holders lose the lock and everyone asks again.
        return _per_op(_ops(p, per_client), cost)
    return estimate


def _sharded(p: Mapping[str, Any]) -> Estimate:
    return _per_op(_ops(p, "increments_per_client"), 20 + 1.5 * p["shards"])


def _bft(p: Mapping[str, Any]) -> Estimate:
    return _per_op(_ops(p, "increments_per_client"), 10 + 7 * (3 * p["f"] + 1))


def _crdt(p: Mapping[str, Any]) -> Estimate:
    rounds = p["replicas"] * (p["duration_ms"] // p["gossip_ms"] + 1)
    fanout = p["replicas"] - 1 if p["gossip_fanout"] == "all" else 1
    gossip = Estimate(math.ceil(rounds * (2 + 2.5 * fanout)),
                      f"{rounds:,} gossip rounds x about {2 + 2.5 * fanout:g} events each")
    return _plus(_per_op(_ops(p, "increments_per_client"), 15), gossip)


def _registry(p: Mapping[str, Any]) -> Estimate:
    span = p["duration_ms"]
    beats = p["providers"] * span // p["heartbeat_ms"] * p["registry_replicas"]
    sweeps = p["registry_replicas"] * span // p["sweep_ms"]
    refreshes = p["consumers"] * span // p["refresh_ms"]
    calls = p["consumers"] * span // p["call_ms"]
    events = 50 + 6 * beats + 3 * sweeps + 8 * refreshes + 8 * calls
    return Estimate(events, f"over {span:,} ms: {beats:,} heartbeats x 6, {sweeps:,} sweeps x 3, "
                            f"{refreshes:,} refreshes x 8 and {calls:,} calls x 8 events")


def _invocation(per_call: float, per_retry: float) -> Estimator:
    def estimate(p: Mapping[str, Any]) -> Estimate:
        calls = p["consumers"] * p["calls_per_consumer"]
        trouble = p["failing_provider"] or p["slow_provider"] or p["loss_probability"] > 0
        cost = per_call + (per_retry * p["max_retries"] if trouble else 0)
        return _per_op(calls, cost, unit="calls")
    return estimate


def _two_phase(p: Mapping[str, Any]) -> Estimate:
    rounds = 4 + p["max_resends"] + p["max_status_queries"]
    return _per_op(p["participants"], 4 * rounds, base=20, unit="participants")


ESTIMATES: dict[str, Estimator] = {
    "two-phase-commit": _two_phase,
    "cache-write-through": _write_through,
    "cache-write-back": _write_back,
    "cache-write-around": _cache_policy(20),
    "cache-aside": _cache_policy(28),
    "mesi": _mesi,
    "consistent-hashing": _cache_policy(20),
    "counter-naive": _counter(3.5, 20),
    "lock-lease": _counter(12, 25, per_client="writes_per_client"),
    "counter-locked": _counter(12, 25),
    "counter-sharded": _sharded,
    "g-counter": _crdt,
    "pn-counter": _crdt,
    "counter-bft": _bft,
    "service-registry": _registry,
    "service-invocation": _invocation(15, 10),
    "service-mesh": _invocation(27, 18),
}
"""Protocol name -> its estimate. A protocol missing here fails tests/protocols/test_event_budget.py."""


def estimate(spec: ProtocolSpec, params: Mapping[str, Any]) -> Estimate:
    """Return the protocol's estimate for already resolved parameters."""
    return ESTIMATES[spec.name](params)


def check(spec: ProtocolSpec, params: Mapping[str, Any], budget: int = EVENT_BUDGET) -> Estimate:
    """Raise a ParameterError saying why, when a run with these resolved parameters would exceed ``budget``."""
    guess = estimate(spec, params)
    if guess.events > budget:
        raise ParameterError(
            f"{spec.name} with these parameters would log about {guess.events:,} events ({guess.why}); "
            f"a session's budget is {budget:,} events (docs/architecture.md, 'Event budget'): "
            "make the workload smaller")
    return guess
