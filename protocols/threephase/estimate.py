"""About how many events a 3PC run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Three rounds of a request and an answer per participant, each a handful of events; a termination
    run (a state request, its reply, a PreCommit and its acknowledgement) costs as much again."""
    return per_op(p["participants"], 24, base=12, unit="participants")
