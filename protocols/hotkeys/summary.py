"""Summary figures of a hot-keys run, computed from the trace alone.

- ``load_per_node``: client requests each cache was sent (every cache, a
  silent one at 0), and ``max_mean_load``: the busiest cache's load over the
  mean. About the number of caches when one key takes all the traffic; near
  1 when it is spread.
- ``reads``, ``writes``: operations answered (by a cache or the near-cache);
  ``near_hits``: reads the near-cache answered without a message;
  ``timeouts``: operations given up.
- ``db_reads``: fetches the caches sent to the database.
- ``stale_reads``: reads that returned a version older than a write
  acknowledged before them (the near-cache's, and any a cache answered);
  ``max_staleness``: the oldest of them, in ms since the newer write was
  acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.hotkeys.ring import cache_names

FIGURES = {
    "max_mean_load": "Busiest node's load over the mean",
    "near_hits": "Reads served by the near-cache",
    "timeouts": "Operations given up",
}
"""Labels of this protocol's own figures (the others are the families' shared ones)."""
STALE = ("near-cache-stale-read", "stale-replica-read")


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures (see the module docstring)."""
    events = trace["events"]
    load = dict.fromkeys(cache_names(trace["params"]["caches"]), 0)
    db_reads = 0
    ops = {"read": 0, "write": 0, "near": 0, "timeout": 0}
    roles: dict[str, str] = {}
    done: dict[str, int] = {}  # Each client's operations finished so far: a state with more has finished one.
    for e in events:
        kind = e["kind"]
        if kind == "start":
            roles[e["node"]] = e["role"]
        elif kind == "deliver" and e["message"]["type"] in ("read", "write") and e["dst"] in load:
            load[e["dst"]] += 1
        elif kind == "send" and e["message"]["type"] == "fetch":
            db_reads += 1
        elif kind == "state" and roles.get(e["node"]) == "client":
            count = e["state"]["done"]
            if count > done.get(e["node"], 0):
                _count(ops, e["state"]["last"])
            done[e["node"]] = count
    stale = [e["finding"]["data"]["age_ms"] for e in events
             if e["kind"] == "violation" and e["finding"]["id"] in STALE]
    mean = sum(load.values()) / len(load) if load else 0
    return {
        "reads": ops["read"], "writes": ops["write"], "near_hits": ops["near"], "timeouts": ops["timeout"],
        "load_per_node": load,
        "max_mean_load": round(max(load.values()) / mean, 2) if mean else 0.0,
        "db_reads": db_reads,
        "stale_reads": len(stale), "max_staleness": max(stale, default=0),
    }


def _count(ops: dict[str, int], last: Mapping[str, Any]) -> None:
    if last["via"] == "timeout":
        ops["timeout"] += 1
        return
    ops[last["op"]] += 1
    ops["near"] += last["via"] == "near"
