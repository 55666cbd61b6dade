"""Summary figures of a consistent-hashing run, computed from the trace alone.

The cache figures (``reads``, ``writes``, ``hit_ratio``, ``messages_per_op``,
and ``stale_reads``/``max_staleness``, which membership changes can cause)
are counted as for ``mesi``; ``db_reads``/``db_writes`` are the database's
fetches and stores. Each membership change the router logged gives
``changes`` (op, node, keys moved on the ring and under modulo hashing, out
of ``keys``), and the totals ``keys_moved`` (under the run's placement) and
``keys_moved_modulo``. ``load_per_node`` counts the requests routed to each
cache: a hot key shows as one busy node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.cache_figures import op_figures


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures (see the module docstring)."""
    events = trace["events"]
    figures = op_figures(events)
    figures.pop("last_writes")
    sends = [e for e in events if e["kind"] == "send"]
    load: dict[str, int] = {}
    for e in sends:
        if e["src"] == "ring" and e["message"]["type"] in ("get", "put"):
            load[e["dst"]] = load.get(e["dst"], 0) + 1
    changes = [
        {k: e["record"][k] for k in ("version", "op", "node", "moved", "moved_ring", "moved_modulo", "keys")}
        for e in events if e["kind"] == "persist" and e["node"] == "ring"
    ]
    return {
        **figures,
        "db_reads": sum(1 for e in sends if e["message"]["type"] == "fetch"),
        "db_writes": sum(1 for e in events if e["kind"] == "persist" and e["node"] == "db"),
        "keys_moved": sum(c["moved"] for c in changes),
        "keys_moved_modulo": sum(c["moved_modulo"] for c in changes),
        "changes": changes,
        "load_per_node": dict(sorted(load.items())),
    }
