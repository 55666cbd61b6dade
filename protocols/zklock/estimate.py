"""About how many events a ZooKeeper lock run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Each write is five or so round trips to the service and one to the store, while every client pings."""
    writes = client_ops(p, "writes_per_client")
    span_ms = writes * (p["work_ms"] + 8 * p["delay_ms_max"]) + p["think_ms"] * p["writes_per_client"]
    pings_per_write = p["clients"] * span_ms / max(1, p["heartbeat_ms"]) / max(1, writes)
    ticks_per_write = span_ms / max(1, p["tick_ms"]) / max(1, writes)
    cost = 45 + 6 * pings_per_write + 3 * ticks_per_write
    if p["watch"] == "herd":
        cost += 6 * p["clients"]  # Every change of /lock wakes every waiter, who lists again.
    return per_op(writes, cost, unit="writes")
