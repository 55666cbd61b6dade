"""The figures every cache trace's ``summary`` carries, the same for the four policies.

``reads`` and ``writes`` count operations answered successfully;
``hit_ratio`` is the share of those reads answered from a cache (null with
no reads); ``stale_reads``, ``max_staleness`` (ms) and ``lost_writes`` are
counted by the very detectors the checker runs; ``db_reads`` and
``db_writes`` count requests that reached the database (a write-back
flush or recall counts as a write only if it carried a value);
``messages_per_op`` is messages sent per successful operation; and
``linearizable`` is the per-key Wing & Gong verdict over the whole history
(true, false, or null when a key has too many operations), with
``nonlinearizable_key`` naming the first key that fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.cache.detectors import lost_writes, stale_reads
from protocols.cache.history import WRITE_CARRIERS, unfinished
from protocols.cache.linearizability import check_registers, register_ops


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the cache family's figures for a trace."""
    events = trace["events"]
    ended, pending = unfinished(events)
    ok = [op for op in ended if op["ok"]]
    reads = [op for op in ok if op["op"] == "read"]
    writes = [op for op in ok if op["op"] == "write"]
    stale_memo: dict[str, Any] = {}
    lost_memo: dict[str, Any] = {}
    stale: list[dict[str, Any]] = []
    lost = 0
    db_reads = db_writes = sends = 0
    for event in events:
        stale += stale_reads(event, stale_memo)
        lost += len(lost_writes(event, lost_memo))
        kind = event["kind"]
        if kind == "send":
            sends += 1
        elif kind == "deliver" and event["node"] == "db":
            message = event["message"]
            if message["type"] == "db_read":
                db_reads += 1
            elif message["type"] in WRITE_CARRIERS and "value" in message["body"]:
                db_writes += 1
    in_progress = [{**op, "ok": False, "definite": False} for op in pending]
    verdict, bad_key = check_registers(register_ops(ended + in_progress))
    done = len(reads) + len(writes)
    return {
        "reads": len(reads),
        "writes": len(writes),
        "hit_ratio": round(sum(1 for op in reads if op.get("hit")) / len(reads), 3) if reads else None,
        "stale_reads": len(stale),
        "max_staleness": max((r["age_ms"] for r in stale), default=0),
        "lost_writes": lost,
        "db_reads": db_reads,
        "db_writes": db_writes,
        "messages_per_op": round(sends / done, 2) if done else None,
        "linearizable": verdict,
        "nonlinearizable_key": bad_key,
    }
