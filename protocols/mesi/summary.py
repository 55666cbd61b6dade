"""Summary figures of a coherence run, computed from the trace alone.

``reads``/``writes``: operations answered; ``hit_ratio``: the share answered
without asking the directory; ``stale_reads``: reads that did not return the
last write; ``max_staleness``: the longest time, in virtual ms, by which a
stale read's value had already been overwritten; ``lost_writes``: lines
whose last write is held nowhere at the end (no running cache, not memory);
``db_reads``/``db_writes``: memory reads (Data from the directory) and
memory writes (forced to its log); ``messages_per_op``: every message sent
divided by the operations answered; ``invalidations``: Inv messages sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.cache_figures import op_figures


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the coherence run's figures (see the module docstring)."""
    events = trace["events"]
    figures = op_figures(events)
    last = figures.pop("last_writes")
    db_reads = sum(1 for e in events if e["kind"] == "send" and e["src"] == "dir" and e["message"]["type"] == "Data")
    db_writes = sum(1 for e in events if e["kind"] == "persist" and e["node"] == "dir")
    invalidations = sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] == "Inv")
    return {**figures, "lost_writes": lost_writes(trace["final"], last), "db_reads": db_reads,
            "db_writes": db_writes, "invalidations": invalidations}


def lost_writes(final: Mapping[str, Any], last: Mapping[str, Any]) -> int:
    """Count lines whose last written value no running cache and no memory holds."""
    held: dict[str, set[str]] = {}
    for info in final.values():
        state = info["state"]
        if info["role"] == "cache" and info["up"]:
            for key, line in state.get("lines", {}).items():
                held.setdefault(key, set()).add(repr(line["v"]))
        elif info["role"] == "directory":
            for key, value in state.get("memory", {}).items():
                held.setdefault(key, set()).add(repr(value))
            if not info["up"]:  # Memory survives in the log even while the directory is down.
                for record in info["durable"]:
                    held.setdefault(record["key"], set()).add(repr(record["value"]))
    return sum(1 for key, value in last.items() if repr(value) not in held.get(key, set()))
