"""About how many events a ring run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """An operation is routed to its node and answered: about twenty events."""
    return per_op(client_ops(p), 20)
