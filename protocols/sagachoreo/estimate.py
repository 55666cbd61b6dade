"""About how many events a choreographed saga run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """A saga is a step at every service, each step a transaction, a relay's poll, publish and mark, and the
    broker's delivery and its acknowledgement; the last step's event goes to every service."""
    per_saga = 30 * p["services"]
    return per_op(p["sagas"], per_saga, base=10, unit="sagas")
