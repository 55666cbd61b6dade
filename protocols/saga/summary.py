"""Summary figures of an orchestrated saga run, from its trace alone.

``sagas_completed`` and ``sagas_compensated`` (ends the orchestrator
logged), ``saga_latency_ms`` (mean time from a saga's begin to its end),
``compensations_run`` (compensations committed at the services),
``anomalies`` (findings of the saga claims: dirty reads, lost updates,
effects left, broken atomicity, double applies), and two figures 2PC has
too: ``blocked_ms`` (per service, how long its item was pending under a
semantic lock, where other sagas had to wait: 2PC's participants are
blocked while prepared) and ``messages_sent``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.saga_history import NAMES

FIGURES = {
    "sagas_completed": "Sagas completed",
    "sagas_compensated": "Sagas compensated",
    "saga_latency_ms": "Mean saga latency (ms)",
    "compensations_run": "Compensations run",
    "anomalies": "Saga anomalies",
}
"""Labels of the saga's own figures (``ProtocolSpec.figures``)."""


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    events = trace["events"]
    records = [(e["time"], e["record"]) for e in events if e["kind"] == "persist"]
    begun = {r["saga"]: t for t, r in records if r.get("type") == "saga-begin"}
    ends = {r["saga"]: (t, r["outcome"]) for t, r in records if r.get("type") == "saga-end"}
    took = [t - begun[saga] for saga, (t, _) in ends.items() if saga in begun]
    outcomes = [outcome for _, outcome in ends.values()]
    return {
        "blocked_ms": _pending_ms(trace),
        "messages_sent": sum(1 for e in events if e["kind"] == "send"),
        "sagas_completed": outcomes.count("completed"),
        "sagas_compensated": outcomes.count("compensated"),
        "saga_latency_ms": round(sum(took) / len(took), 1) if took else 0,
        "compensations_run": sum(1 for _, r in records if r.get("type") == "compensate"),
        "anomalies": sum(1 for e in events if e["kind"] == "violation" and e.get("invariant") in NAMES),
    }


def _pending_ms(trace: Mapping[str, Any]) -> dict[str, int]:
    """Return how long each service's item was pending (a semantic lock held), from its state events."""
    since: dict[str, int] = {}
    held: dict[str, int] = {}
    events = trace["events"]
    end = events[-1]["time"] if events else 0
    services = [n for n, f in trace["final"].items() if f["role"] == "service"]
    for event in events:
        node = event.get("node", "")
        if event["kind"] != "state" or node not in services:
            continue
        pending = event["state"]["phase"] == "pending"
        if pending and node not in since:
            since[node] = event["time"]
        elif not pending and node in since:
            held[node] = held.get(node, 0) + event["time"] - since.pop(node)
    for node, start in since.items():
        held[node] = held.get(node, 0) + end - start
    return {node: held.get(node, 0) for node in services}
