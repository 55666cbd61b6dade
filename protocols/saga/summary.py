"""Summary figures of an orchestrated saga run, from its trace alone.

``sagas_completed`` and ``sagas_compensated`` (ends the orchestrator
logged), ``saga_latency_ms`` (mean time from a saga's begin to its end),
``compensations_run`` (compensations committed at the services),
``retries`` (requests sent again) and ``anomalies`` (findings of the saga
claims: dirty reads, lost updates, effects left, broken atomicity, double
applies).
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
        "sagas_completed": outcomes.count("completed"),
        "sagas_compensated": outcomes.count("compensated"),
        "saga_latency_ms": round(sum(took) / len(took), 1) if took else 0,
        "compensations_run": sum(1 for _, r in records if r.get("type") == "compensate"),
        "anomalies": sum(1 for e in events if e["kind"] == "violation" and e.get("invariant") in NAMES),
    }
