"""Summary figures of a ZooKeeper lock run, computed from its trace alone.

``writes`` (writes the store applied), ``grants`` (times a client found its node the lowest),
``notifications_per_release`` (watch notifications the service sent, per lock node that went: one in the
recipe, about one per waiter in the herd), ``messages_per_acquisition`` (the recipe's requests, answers and
notifications, per grant; pings left out), ``stale_writes_accepted`` (findings of ``stale-write-accepted``),
``stale_writes_rejected`` (writes the store fenced out), ``sessions_expired``, and the lock chapter's
availability figures: ``acquire_ms_p50``/``acquire_ms_p99`` (from a write's create request to holding) and
``unavailable_ms`` (from a holder's crash to the next holder: the session timeout, more or less).
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


def _waits(events: list[Mapping[str, Any]]) -> tuple[list[int], int]:
    """Return how long each write waited for the lock (from its node's creation request to holding) and how
    long the lock stood unheld after a holder crashed (from the crash to the next holder)."""
    begun: dict[tuple[str, int], int] = {}
    acting: set[str] = set()
    waits: list[int] = []
    orphaned_at, unheld = None, 0
    for e in events:
        who, when = str(e.get("node")), int(e["time"])
        if e["kind"] == "crash" and who in acting:
            orphaned_at = when if orphaned_at is None else orphaned_at
        if e["kind"] != "state" or "watching" not in e["state"]:
            continue
        phase, op = e["state"]["phase"], int(e["state"]["op"])
        acting.discard(who)
        if phase == "creating":
            begun.setdefault((who, op), when)
        elif phase in ("holding", "writing"):
            acting.add(who)
            if (who, op) in begun:
                waits.append(when - begun.pop((who, op)))
                unheld += 0 if orphaned_at is None else when - orphaned_at
                orphaned_at = None
    return waits, unheld


def _rank(values: list[int], share: float) -> int:
    ordered = sorted(values) or [0]
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the protocol's figures for a trace."""
    events = trace["events"]
    grants = {(e["node"], e["state"]["token"]) for e in events
              if e["kind"] == "state" and e["state"].get("phase") == "holding"}
    sent = [e["message"] for e in events if e["kind"] == "send"]
    gone, expired = _service_changes(events)
    violations = [v["invariant"] for v in trace["violations"]]
    waits, unheld = _waits(events)
    return {
        "acquire_ms_p50": _rank(waits, 0.5), "acquire_ms_p99": _rank(waits, 0.99), "unavailable_ms": unheld,
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
