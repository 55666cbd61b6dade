"""About how many events a 2PC run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Every participant exchanges a few messages a round, and resends and status queries add rounds."""
    rounds = 4 + p["max_resends"] + p["max_status_queries"]
    return per_op(p["participants"], 4 * rounds, base=20, unit="participants")
