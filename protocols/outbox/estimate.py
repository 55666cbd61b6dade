"""About how many events an outbox run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """An order is a client's request and answer, the service's two steps (or one commit), the broker's
    delivery and the consumer's ack; the outbox adds the relay's wake, poll, publish and mark."""
    per_order = 40 if p["mode"] == "outbox" else 30
    return per_op(client_ops(p, "orders_per_client"), per_order, base=20, unit="orders")
