"""About how many events a hot-keys run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """An operation goes to its cache, maybe to the database and to a hot key's replicas: about twenty events."""
    return per_op(client_ops(p), 20)
