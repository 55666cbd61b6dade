"""About how many events a sharded counter run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """A read asks every shard."""
    return per_op(client_ops(p, "increments_per_client"), 20 + 1.5 * p["shards"])
