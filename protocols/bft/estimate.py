"""About how many events a BFT counter run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Every operation goes to all 3f+1 replicas."""
    return per_op(client_ops(p, "increments_per_client"), 10 + 7 * (3 * p["f"] + 1))
