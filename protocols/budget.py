"""The event budget: how many events a run's parameters promise, judged before the run starts.

Parameters multiply: eight clients of ten thousand operations each at about
eighteen events an operation is a log of well over a million events, a trace
of a gigabyte, although every parameter on its own is within its bounds. A
session therefore has a declared budget of events (:data:`EVENT_BUDGET`) and
its parameters are refused up front, before anything is stored, when the
protocol's estimate of a run with them exceeds it; the error says what the
estimate is made of, so the user knows which parameter to lower.

Each protocol declares its estimate in its own package, as
``ProtocolSpec.estimate``: a function of the resolved parameters
(``spec.resolve_params``) returning the number of events and the product it
comes from, in words, made of the building blocks below. An estimate is
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
from typing import TYPE_CHECKING, Any

from protocols.base import ParameterError

if TYPE_CHECKING:
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
# What the packages' estimates (``ProtocolSpec.estimate``) are made of.


def client_ops(p: Mapping[str, Any], per_client: str = "ops_per_client") -> int:
    """Return how many operations the clients issue, every client ``p[per_client]`` of them."""
    return int(p["clients"] * p[per_client])


def per_op(ops: int, cost: float, base: int = 50, unit: str = "operations") -> Estimate:
    """Return ``base`` plus ``cost`` events for each of ``ops`` units of work."""
    return Estimate(base + math.ceil(ops * cost), f"{ops:,} {unit} x about {cost:g} events each")


def plus(first: Estimate, second: Estimate) -> Estimate:
    """Return the sum of two estimates, with both reasons."""
    return Estimate(first.events + second.events, f"{first.why}, plus {second.why}")


def client_span_ms(p: Mapping[str, Any], per_client: str = "ops_per_client") -> int:
    """Return about how long one client's run lasts in virtual time: think, then a round trip, per operation."""
    return int(p[per_client] * (p["think_ms"] + 4 * p["delay_ms_max"] + 1))


def contended(cost_per_client: float, base_cost: float, per_client: str) -> Estimator:
    """Operations under contention: each costs more the more clients compete for the same thing."""
    def estimate(p: Mapping[str, Any]) -> Estimate:
        cost = base_cost + cost_per_client * p["clients"]
        if "lease_ms" in p and "work_ms" in p and p["lease_ms"] < p["work_ms"]:
            cost *= 6  # Leases run out mid-work: holders lose the lock and everyone asks again.
        return per_op(client_ops(p, per_client), cost)
    return estimate


def calls(per_call: float, per_retry: float) -> Estimator:
    """Consumers' calls, each costing more by its retries when a provider fails, is slow or the network loses."""
    def estimate(p: Mapping[str, Any]) -> Estimate:
        count = p["consumers"] * p["calls_per_consumer"]
        trouble = p["failing_provider"] or p["slow_provider"] or p["loss_probability"] > 0
        cost = per_call + (per_retry * p["max_retries"] if trouble else 0)
        return per_op(count, cost, unit="calls")
    return estimate


def estimate(spec: ProtocolSpec, params: Mapping[str, Any]) -> Estimate:
    """Return the protocol's estimate for already resolved parameters."""
    if spec.estimate is None:
        raise ParameterError(f"{spec.name} declares no event estimate (ProtocolSpec.estimate)")
    return spec.estimate(params)


def check(spec: ProtocolSpec, params: Mapping[str, Any], budget: int = EVENT_BUDGET) -> Estimate:
    """Raise a ParameterError saying why, when a run with these resolved parameters would exceed ``budget``."""
    guess = estimate(spec, params)
    if guess.events > budget:
        raise ParameterError(
            f"{spec.name} with these parameters would log about {guess.events:,} events ({guess.why}); "
            f"a session's budget is {budget:,} events (docs/architecture.md, 'Event budget'): "
            "make the workload smaller")
    return guess
