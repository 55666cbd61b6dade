"""Summary figures of a counter or lock run, computed from its trace alone.

Every protocol of the family reports the same figures, so ``manage.py
compare`` can put them side by side: ``acknowledged_increments`` (distinct
operations whose ``write_ok`` reached their client: increments, or writes for
``lock-lease``), ``final_values`` (the store's value, or its log's content),
``lost_updates`` (acknowledged increments missing from the final value: the
shortfall ``acknowledged - value`` for a counter, acknowledged operations
absent from the log for ``lock-lease``), ``stale_writes_accepted`` (findings
of ``stale-write-accepted``), ``stale_writes_rejected`` (distinct writes the
store refused with ``stale_token``) and ``messages_per_op`` (messages sent per
acknowledged operation). Protocols with the lock add ``grants`` (distinct
tokens granted) and ``max_token``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.counters.params import LOCK, STORE


def _acknowledged(events: list[Mapping[str, Any]]) -> set[str]:
    return {
        e["message"]["body"].get("op")
        for e in events
        if e["kind"] == "deliver" and e["message"]["type"] == "write_ok"
    }


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the family's figures for a trace (with lock figures when it has a lock)."""
    events = trace["events"]
    acked = _acknowledged(events)
    sends = [e for e in events if e["kind"] == "send"]
    store = trace["final"].get(STORE, {}).get("state", {})
    if "content" in store:
        final: Any = list(store["content"])
        lost = len(acked - set(final))
    else:
        final = store.get("value", 0)
        lost = max(0, len(acked) - int(final))
    rejected = {
        (e["dst"], e["message"]["body"].get("op"), e["message"]["body"].get("token"))
        for e in sends
        if e["src"] == STORE and e["message"]["type"] == "error"
    }
    figures: dict[str, Any] = {
        "acknowledged_increments": len(acked),
        "final_values": {node: (list(info["state"]["content"]) if "content" in info["state"]
                                else info["state"].get("value"))
                         for node, info in trace["final"].items() if info["role"] == "store"},
        "lost_updates": lost,
        "stale_writes_accepted": sum(1 for v in trace["violations"] if v["invariant"] == "stale-write-accepted"),
        "stale_writes_rejected": len(rejected),
        "messages_per_op": round(len(sends) / max(1, len(acked)), 2),
    }
    if LOCK in trace["final"]:
        tokens = {e["message"]["body"]["token"] for e in sends
                  if e["src"] == LOCK and e["message"]["type"] == "grant"}
        figures["grants"] = len(tokens)
        figures["max_token"] = max(tokens, default=0)
    return figures
