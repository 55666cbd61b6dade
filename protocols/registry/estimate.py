"""About how many events a registry run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate


def events(p: Mapping[str, Any]) -> Estimate:
    """Heartbeats, sweeps, refreshes and calls over the run's duration."""
    span = p["duration_ms"]
    beats = p["providers"] * span // p["heartbeat_ms"] * p["registry_replicas"]
    sweeps = p["registry_replicas"] * span // p["sweep_ms"]
    refreshes = p["consumers"] * span // p["refresh_ms"]
    calls = p["consumers"] * span // p["call_ms"]
    events = 50 + 6 * beats + 3 * sweeps + 8 * refreshes + 8 * calls
    return Estimate(events, f"over {span:,} ms: {beats:,} heartbeats x 6, {sweeps:,} sweeps x 3, "
                            f"{refreshes:,} refreshes x 8 and {calls:,} calls x 8 events")
