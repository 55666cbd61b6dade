"""About how many events a TCC run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Two rounds (Try, then Confirm or Cancel) of a request and an answer per branch and transaction, each a
    handful of events (send, delivery, state change, the branch's log record)."""
    return per_op(p["transactions"] * p["branches"], 14, base=10, unit="branch transactions")
