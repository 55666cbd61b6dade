"""About how many events an orchestrated saga run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """A request and an answer per step of every saga (and at most one compensation each), each a handful of
    events (send, delivery, state change, the service's log record)."""
    return per_op(p["sagas"] * p["services"], 16, base=12, unit="saga steps")
