"""Summary figures of an outbox run, from its trace alone.

``events_lost`` (orders the database has whose event the consumer never applied, at the end),
``phantom_events`` (orders the consumer applied that the database does not have), ``duplicate_effects``
(applications beyond the first), ``messages_per_order`` (every message sent, per order the clients sent)
and ``delivery_ms_p50`` / ``delivery_ms_p99`` (from the database's commit of an order to the consumer's
first application of its event). The labels are the outbox's own (``ProtocolSpec.figures``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.calls.figures import percentile

FIGURES = {
    "events_lost": "Events lost",
    "phantom_events": "Phantom events",
    "duplicate_effects": "Duplicate effects",
    "messages_per_order": "Messages per order",
    "delivery_ms_p50": "Commit to consumer p50 (ms)",
    "delivery_ms_p99": "Commit to consumer p99 (ms)",
}
"""Labels of the outbox's own figures."""


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    committed_at: dict[str, int] = {}
    applied_at: dict[str, int] = {}
    applied: dict[str, int] = {}
    sends = orders = 0
    for e in trace["events"]:
        if e["kind"] == "send":
            sends += 1
            orders += e["message"]["type"] == "order"
        elif e["kind"] == "persist" and e["record"].get("type") in ("order", "apply"):
            order = str(e["record"]["order"])
            if e["record"]["type"] == "order":
                committed_at.setdefault(order, int(e["time"]))
            else:
                applied[order] = applied.get(order, 0) + 1
                applied_at.setdefault(order, int(e["time"]))
    delays = [applied_at[o] - t for o, t in committed_at.items() if o in applied_at]
    return {
        "events_lost": sum(1 for o in committed_at if o not in applied),
        "phantom_events": sum(1 for o in applied if o not in committed_at),
        "duplicate_effects": sum(n - 1 for n in applied.values()),
        "messages_per_order": round(sends / orders, 2) if orders else 0,
        "delivery_ms_p50": percentile(delays, 50),
        "delivery_ms_p99": percentile(delays, 99),
    }
