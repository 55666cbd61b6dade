"""Summary figures of a choreographed saga run, from its trace alone.

``sagas_completed`` and ``sagas_compensated`` (their end records),
``events_per_saga`` (publications the broker accepted, duplicates included,
per saga begun), ``deliveries_per_saga`` (the broker's deliveries, first and
again), ``compensations_run`` (compensating transactions committed),
``anomalies`` (findings of the saga claims: dirty reads, lost updates,
effects left, broken atomicity, double applies), and the time from a saga's
begin at s1 (or its first wait there for a pending value) to its end:
``saga_latency_ms`` (the mean), ``saga_ms_p50`` and ``saga_ms_p99``. The figures the orchestrated saga has too carry its
identifiers and labels, so that ``manage.py compare`` sets them side by side,
and so do the two it shares with 2PC: ``blocked_ms`` (per service, how long
its value was pending under a semantic lock, where other sagas waited) and
``messages_sent``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.calls.figures import percentile
from protocols.common.saga_history import NAMES

FIGURES = {
    "sagas_completed": "Sagas completed",
    "sagas_compensated": "Sagas compensated",
    "events_per_saga": "Events published per saga",
    "deliveries_per_saga": "Deliveries per saga",
    "compensations_run": "Compensations run",
    "anomalies": "Saga anomalies",
    "saga_latency_ms": "Mean saga latency (ms)",
    "saga_ms_p50": "Saga begin to end p50 (ms)",
    "saga_ms_p99": "Saga begin to end p99 (ms)",
}
"""Labels of the choreographed saga's own figures (``ProtocolSpec.figures``)."""


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    begun: dict[str, int] = {}
    ended: dict[str, tuple[int, str]] = {}
    published = deliveries = compensations = anomalies = 0
    for e in trace["events"]:
        if e["kind"] == "violation":
            anomalies += e.get("invariant") in NAMES
        elif e["kind"] == "send":
            deliveries += e["message"]["type"] == "deliver"
        elif e["kind"] == "persist":
            record = e["record"]
            kind = record.get("type")
            published += kind == "event"
            compensations += kind == "compensate"
            if kind in ("saga-begin", "wait"):  # A saga that waited at s1 to begin was under way already.
                begun.setdefault(str(record["saga"]), int(e["time"]))
            elif kind == "saga-end":
                ended.setdefault(str(record["saga"]), (int(e["time"]), str(record["outcome"])))
    spans = [end - begun[name] for name, (end, _) in ended.items() if name in begun]
    outcomes = [outcome for _, outcome in ended.values()]
    return {
        "blocked_ms": _pending_ms(trace["events"]),
        "messages_sent": sum(1 for e in trace["events"] if e["kind"] == "send"),
        "sagas_completed": outcomes.count("completed"),
        "sagas_compensated": outcomes.count("compensated"),
        "events_per_saga": round(published / len(begun), 2) if begun else 0,
        "deliveries_per_saga": round(deliveries / len(begun), 2) if begun else 0,
        "compensations_run": compensations,
        "anomalies": anomalies,
        "saga_latency_ms": round(sum(spans) / len(spans), 1) if spans else 0,
        "saga_ms_p50": percentile(spans, 50),
        "saga_ms_p99": percentile(spans, 99),
    }


def _pending_ms(events: list[Mapping[str, Any]]) -> dict[str, int]:
    """Return how long each service's value was pending (a semantic lock held), from its state events."""
    since: dict[str, int] = {}
    held: dict[str, int] = {}
    end = int(events[-1]["time"]) if events else 0
    for event in events:
        if event["kind"] != "state" or "pending" not in event["state"]:
            continue
        node = str(event["node"])
        held.setdefault(node, 0)
        if event["state"]["pending"] is not None and node not in since:
            since[node] = int(event["time"])
        elif event["state"]["pending"] is None and node in since:
            held[node] += int(event["time"]) - since.pop(node)
    for node, start in since.items():
        held[node] += end - start
    return dict(sorted(held.items()))
