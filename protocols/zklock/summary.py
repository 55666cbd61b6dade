"""Summary figures of a ZooKeeper lock run, computed from its trace alone.

``writes`` (writes the store applied), ``grants`` (times a client found its node the lowest),
``notifications_per_release`` (watch notifications the service sent, per lock node that went: one in the
recipe, about one per waiter in the herd), ``messages_per_acquisition`` (the recipe's requests, answers and
notifications, per grant; pings left out), ``stale_writes_accepted`` (findings of ``stale-write-accepted``),
``stale_writes_rejected`` (writes the store fenced out) and ``sessions_expired``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.zklock.service import SERVICE
from protocols.zklock.store import STALE_TOKEN, STORE

LOCK_MESSAGES = ("create", "create_ok", "get_children", "children", "exists", "exists_ok", "watch", "delete",
                 "delete_ok")


def _service_changes(events: list[Mapping[str, Any]]) -> tuple[int, int]:
    """Count the lock nodes that went and the sessions that expired, from the service's states."""
    nodes: set[str] = set()
    sessions: set[int] = set()
    gone = expired = 0
    for e in events:
        if e["kind"] != "state" or e["node"] != SERVICE:
            continue
        now_nodes = {str(n["name"]) for n in e["state"]["nodes"]}
        now_sessions = {int(s["id"]) for s in e["state"]["sessions"]}
        if e.get("cause") != "recover":
            gone += len(nodes - now_nodes)
            expired += len(sessions - now_sessions) if e.get("cause") == "timer:tick" else 0
        nodes, sessions = now_nodes, now_sessions
    return gone, expired


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the protocol's figures for a trace."""
    events = trace["events"]
    grants = {(e["node"], e["state"]["token"]) for e in events
              if e["kind"] == "state" and e["state"].get("phase") == "holding"}
    sent = [e["message"] for e in events if e["kind"] == "send"]
    gone, expired = _service_changes(events)
    violations = [v["invariant"] for v in trace["violations"]]
    return {
        "writes": len(trace["final"].get(STORE, {}).get("state", {}).get("log", [])),
        "grants": len(grants),
        "notifications_per_release": round(sum(1 for m in sent if m["type"] == "watch") / max(1, gone), 2),
        "messages_per_acquisition": round(sum(1 for m in sent if m["type"] in LOCK_MESSAGES) / max(1, len(grants)),
                                          2),
        "stale_writes_accepted": violations.count("stale-write-accepted"),
        "stale_writes_rejected": sum(1 for m in sent if m["type"] == "error" and m["src"] == STORE
                                     and m["body"].get("code") == STALE_TOKEN),
        "sessions_expired": expired,
    }


FIGURES = {
    "notifications_per_release": "Watch notifications per release",
    "messages_per_acquisition": "Lock messages per acquisition",
    "sessions_expired": "Sessions expired",
}
"""Labels of this protocol's own figures (``ProtocolSpec.figures``); the others are shared (protocols/figures.py)."""
