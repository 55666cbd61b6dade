"""The figures every cache trace's ``summary`` carries, the same for every policy (write-behind adds its own).

``reads`` and ``writes`` count operations answered successfully;
``hit_ratio`` is the share of those reads answered from a cache (null with
no reads); ``stale_reads``, ``max_staleness`` (ms) and ``lost_writes`` are
counted by the very detectors the checker runs; ``db_reads`` and
``db_writes`` count requests that reached the database (a write-back
flush or recall counts as a write only if it carried a value, a
write-behind batch as the writes it carries);
``messages_per_op`` is messages sent per successful operation;
``write_latency_p50`` and ``write_latency_p99`` (ms) are a successful
write's time from its invocation to its answer at the client (what a
write-through cache makes its writers wait for, and write-back and
write-behind do not; null with no write); and
``linearizable`` is the per-key Wing & Gong verdict over the whole history
(true, false, or null when a key has too many operations), with
``nonlinearizable_key`` naming the first key that fails.

Write-behind adds its own (:func:`write_behind`, labelled in
``WRITE_BEHIND_FIGURES``): ``db_writes_per_write``, writes the database
applied per client write acknowledged (below 1 when coalescing folds writes
of one key together; resent or replayed writes the database skips are not
counted); ``coalesced_writes``, writes that found their key already queued at
their cache and replaced the queued value (counted as the put arrives, against
the cache's last recorded queue, so writes later lost count too); and the
window between a write's acknowledgement and the database applying it, or a
newer write of its key from the same cache (``ack_to_db_max_ms``,
``ack_to_db_p50_ms``; null when no write reached the database; writes lost
or still queued at the end are counted by ``lost_writes``, not here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.cache.detectors import db_reads_in_flight, lost_writes, stale_reads
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
            elif message["type"] == "batch":  # Write-behind: every write a batch carries.
                db_writes += len(message["body"]["writes"])
    in_progress = [{**op, "ok": False, "definite": False} for op in pending]
    verdict, bad_key = check_registers(register_ops(ended + in_progress))
    done = len(reads) + len(writes)
    waits = sorted(op["t1"] - op["t0"] for op in writes)
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
        "write_latency_p50": percentile(waits, 0.5),
        "write_latency_p99": percentile(waits, 0.99),
        "linearizable": verdict,
        "nonlinearizable_key": bad_key,
    }


def percentile(sorted_values: list[int], q: float) -> int | None:
    """Return the ``q`` quantile of sorted values as the stampede's latency takes it (None for none)."""
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else None


WRITE_BEHIND_FIGURES = {
    "db_writes_per_write": "Database writes per client write",
    "coalesced_writes": "Writes coalesced",
    "ack_to_db_max_ms": "Acknowledged, not yet in the database: longest (ms)",
    "ack_to_db_p50_ms": "Acknowledged, not yet in the database: median (ms)",
}
"""Labels of the figures only write-behind has."""


def write_behind(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the family's figures and write-behind's own: coalescing and the acknowledged-not-durable window."""
    figures = summarize(trace)
    puts: dict[str, list[Any]] = {}  # put message id -> [cache, key, value]
    acked: dict[str, list[list[Any]]] = {}  # cache/key -> [[value, ack time], ...] not yet in the database
    ack_time: dict[Any, int] = {}
    windows: list[int] = []
    applied = coalesced = 0
    queued: dict[str, set[str]] = {}  # cache -> keys in its queue, as its last state showed it
    for event in trace["events"]:
        kind = event["kind"]
        if kind == "state" and "queue" in event["state"]:
            queued[event["node"]] = {r["key"] for r in event["state"]["queue"]}
        elif kind == "crash":
            queued.pop(event["node"], None)
        elif kind == "deliver" and event["message"]["type"] == "put":
            body = event["message"]["body"]
            puts[event["message"]["msg_id"]] = [event["node"], body["key"], body["value"]]
            coalesced += body["key"] in queued.get(event["node"], set())
        elif kind == "send" and event["message"]["type"] == "put_ok" and event["message"]["in_reply_to"] in puts:
            cache, key, value = puts.pop(event["message"]["in_reply_to"])
            acked.setdefault(f"{cache}/{key}", []).append([value, event["time"]])
            ack_time[value] = event["time"]
        elif kind == "persist" and event["node"] == "db" and event["record"].get("src"):
            record = event["record"]
            applied += 1
            pending = acked.get(f"{record['src']}/{record['key']}", [])
            upto = ack_time.get(record["value"])
            done = [p for p in pending if upto is not None and p[1] <= upto]
            windows += [event["time"] - p[1] for p in done]
            acked[f"{record['src']}/{record['key']}"] = [p for p in pending if p not in done]
    windows.sort()
    writes = figures["writes"]
    return {**figures,
            "db_writes_per_write": round(applied / writes, 2) if writes else None,
            "coalesced_writes": coalesced,
            "ack_to_db_max_ms": windows[-1] if windows else None,
            "ack_to_db_p50_ms": windows[(len(windows) - 1) // 2] if windows else None}


STAMPEDE_FIGURES = {
    "peak_db_reads": "Peak concurrent database reads of one key",
    "stale_served": "Stale values served",
    "early_refreshes": "Early recomputations (XFetch)",
}
"""Labels of the figures only the stampede has."""


def stampede(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the stampede's figures: reads, hits, database reads and their peak, latency, stale served.

    ``peak_db_reads`` is the most database reads of one key in flight at once for one cache's clients,
    counted by the ``stampede`` detector's own core; latency is a read's, from its invocation to its
    answer (failed reads left out); ``stale_served`` counts answers a lease cache gave from an expired value;
    ``early_refreshes`` counts database reads an xfetch reader sent after a hit (its draw said recompute)."""
    ended, _ = unfinished(trace["events"])
    reads = sorted(op["t1"] - op["t0"] for op in ended if op["ok"] and op["op"] == "read")
    ok = [op for op in ended if op["ok"]]
    memo: dict[str, Any] = {}
    db_reads = stale = early = 0
    for event in trace["events"]:
        db_reads_in_flight(event, memo)
        message = event.get("message") or {}
        if event["kind"] == "deliver" and event["node"] == "db" and message["type"] == "db_read":
            db_reads += 1
        elif event["kind"] == "send" and message.get("type") == "db_read" and message["body"]["echo"].get("early"):
            early += 1
        elif event["kind"] == "send" and message.get("type") == "get_ok" and message["body"].get("stale"):
            stale += 1

    def pick(q: float) -> int | None:
        return reads[min(len(reads) - 1, int(q * len(reads)))] if reads else None

    return {"reads": len(reads),
            "hit_ratio": round(sum(1 for op in ok if op.get("hit")) / len(ok), 3) if ok else None,
            "db_reads": db_reads, "peak_db_reads": memo.get("peak", 0),
            "latency_p50": pick(0.5), "latency_p99": pick(0.99), "stale_served": stale, "early_refreshes": early}
