"""About how many events a Redis lock run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Every attempt is a SET and its answer, then a release, on every node; contention multiplies attempts."""
    per_write = 20 + 8 * p["redis_nodes"] * (1 + p["clients"] / 2)
    if p["work_ms"] >= p["ttl_ms"]:
        per_write *= p["max_acquires"] / 2  # Every holder's lock runs out mid-work: attempts until it gives up.
    return per_op(client_ops(p, "writes_per_client"), per_write, unit="writes")
