"""About how many events a cache run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, Estimator, client_ops, client_span_ms, per_op, plus
from protocols.cache.common import parse_script


def ops(p: Mapping[str, Any]) -> int:
    """Return how many operations the clients issue: scripted ones as scripted, the others at random."""
    if not p.get("script"):
        return client_ops(p)
    script = parse_script(p["script"])
    unscripted = sum(1 for i in range(1, p["clients"] + 1) if f"c{i}" not in script)
    return sum(len(ops) for ops in script.values()) + unscripted * int(p["ops_per_client"])


def per_operation(cost: float) -> Estimator:
    """A policy whose every operation costs about ``cost`` events."""
    def estimate(p: Mapping[str, Any]) -> Estimate:
        return per_op(ops(p), cost)
    return estimate


def write_through(p: Mapping[str, Any]) -> Estimate:
    """Broadcast invalidation adds a round to every other cache on each write."""
    broadcast = 6 * (p["caches"] - 1) if p["invalidation"] == "broadcast" else 0
    return per_op(ops(p), 20 + broadcast)


def write_back(p: Mapping[str, Any]) -> Estimate:
    """Each cache's flush timer fires all along the clients' run."""
    flushes = p["caches"] * client_span_ms(p) // p["flush_interval_ms"]
    return plus(per_op(ops(p), 30), Estimate(3 * flushes, f"{flushes:,} flush rounds x 3 events"))


def write_behind(p: Mapping[str, Any]) -> Estimate:
    """A write costs its acknowledgement and a share of a batch; a durable queue logs each write and batch."""
    return per_op(ops(p), 26 + (4 if p["queue"] == "durable" else 0))


def stampede(p: Mapping[str, Any]) -> Estimate:
    """A hit costs its round trip; a miss adds the database's round, the fill and the queue's timer."""
    return per_op(ops(p), 14)
