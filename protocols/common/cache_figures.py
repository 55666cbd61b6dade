"""Figures of the operations the coherence protocols' clients see answered, from the trace alone.

The clients of ``mesi`` and ``consistent-hashing`` are the same
(``cache_clients.py``), so both count their answers alike: ``reads`` and
``writes`` answered, ``hit_ratio`` (the share a cache answered from a line it
held), ``stale_reads`` (reads that did not return the last write) and
``max_staleness`` (the longest time, in virtual ms, by which a stale read's
value had already been overwritten), ``messages_per_op`` (every message sent
divided by the operations answered), and ``last_writes`` (each key's last
value written, for the protocol's own figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def op_figures(events: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Count answered reads and writes, hits, stale reads and the worst staleness."""
    reads = writes = hits = stale = sends = 0
    worst = 0
    last: dict[str, Any] = {}
    overwritten: dict[tuple[str, str], int] = {}  # (key, value as JSON text) -> when a later write replaced it
    for event in events:
        if event["kind"] != "send":
            continue
        sends += 1
        message = event["message"]
        if message["type"] not in ("read_ok", "write_ok"):
            continue
        body = message["body"]
        key, value = body["key"], body["value"]
        hits += bool(body.get("hit"))
        if message["type"] == "write_ok":
            writes += 1
            overwritten.setdefault((key, repr(last.get(key))), event["time"])
            overwritten.pop((key, repr(value)), None)  # Written again: current until replaced anew.
            last[key] = value
            continue
        reads += 1
        if value != last.get(key):
            stale += 1
            worst = max(worst, event["time"] - overwritten.get((key, repr(value)), event["time"]))
    ops = reads + writes
    return {
        "reads": reads, "writes": writes,
        "hit_ratio": round(hits / ops, 3) if ops else 0.0,
        "stale_reads": stale, "max_staleness": worst,
        "messages_per_op": round(sends / ops, 2) if ops else 0.0,
        "last_writes": last,
    }
