"""About how many events a MESI run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Every operation may snoop every cache."""
    return per_op(client_ops(p), 14 + 2 * p["caches"])
