"""Summary figures of a session-guarantees run, from its trace alone.

``reads`` and ``writes`` finished; ``reads_waited`` (answered by a replica
that first held them for a session token) and ``reads_redirected`` (sent on
to the primary after ``wait_ms``); ``primary_reads`` and ``primary_load``
(the share of all requests the primary served); ``latency_p50`` and
``latency_p99`` of every finished operation, from its start to its answer;
``max_lag_entries`` and ``max_lag_ms`` (the furthest a replica that answered
a read was behind the primary's log, in positions and in the age of the
oldest write it lacked); ``ryw_violations`` and ``monotonic_violations``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from protocols.sessions.common import PRIMARY_NODE

FIGURES = {
    "reads_waited": "Reads a replica held for a session token",
    "reads_redirected": "Reads redirected to the primary",
    "primary_reads": "Reads served by the primary",
    "primary_load": "Share of requests the primary served",
    "max_lag_entries": "Greatest replica lag at a read (log positions)",
    "max_lag_ms": "Greatest replica lag at a read (ms)",
    "ryw_violations": "Reads that missed the session's own write",
    "monotonic_violations": "Reads that went back in time",
}
"""Labels of this protocol's own figures (``ProtocolSpec.figures``)."""


def percentile(values: Sequence[int], share: float) -> int:
    """Return the nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _latencies(events: Sequence[Mapping[str, Any]], clients: set[str]) -> list[int]:
    done: dict[tuple[str, int], int] = {}
    for e in events:
        last = e["state"].get("last") if e["kind"] == "state" and e.get("node") in clients else None
        if last and last.get("ok"):
            done[(str(e["node"]), int(last["n"]))] = int(last["ms"])
    return list(done.values())


def _lag(events: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    written_at: dict[int, int] = {}
    entries = ms = 0
    for e in events:
        if e["kind"] == "persist" and e.get("node") == PRIMARY_NODE and e["record"].get("type") == "write":
            written_at.setdefault(int(e["record"]["pos"]), int(e["time"]))
        elif e["kind"] == "send" and e["message"]["type"] == "read_ok" and e["node"] != PRIMARY_NODE:
            applied = int(e["message"]["body"]["pos"])
            behind = len(written_at) - applied
            if behind > 0:
                entries = max(entries, behind)
                ms = max(ms, int(e["time"]) - written_at.get(applied + 1, int(e["time"])))
    return entries, ms


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    events = trace["events"]
    clients = {n for n, f in trace["final"].items() if f["role"] == "client"}
    requests = [e for e in events if e["kind"] == "deliver" and e["message"]["type"] in ("read", "write")]
    at_primary = [e for e in requests if e["node"] == PRIMARY_NODE]
    answers = [e for e in events if e["kind"] == "deliver" and e["node"] in clients
               and e["message"]["type"] in ("read_ok", "write_ok")]
    latencies = _latencies(events, clients)
    entries, ms = _lag(events)
    broke = [str(e.get("invariant")) for e in events if e["kind"] == "violation"]
    return {
        "reads": len({(e["node"], e["message"]["body"]["n"]) for e in answers if e["message"]["type"] == "read_ok"}),
        "writes": len({(e["node"], e["message"]["body"]["n"]) for e in answers if e["message"]["type"] == "write_ok"}),
        "reads_waited": sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] == "read_ok"
                            and int(e["message"]["body"].get("waited_ms", 0)) > 0),
        "reads_redirected": sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] == "read"
                                and e["message"]["body"].get("redirected")),
        "primary_reads": sum(1 for e in at_primary if e["message"]["type"] == "read"),
        "primary_load": round(len(at_primary) / len(requests), 2) if requests else 0.0,
        "latency_p50": percentile(latencies, 0.5),
        "latency_p99": percentile(latencies, 0.99),
        "max_lag_entries": entries,
        "max_lag_ms": ms,
        "ryw_violations": broke.count("read-your-writes"),
        "monotonic_violations": broke.count("monotonic-reads"),
    }
