"""Summary figures of a Redis lock run, computed from its trace alone.

``writes`` (writes the store applied), ``grants`` (acquisitions: a client took the key on a majority in time),
``failed_acquisitions`` (attempts that did not), ``messages_per_acquisition`` (SETs, their answers and the
releases, per acquisition), ``stale_writes_accepted`` (findings of ``stale-write-accepted``),
``stale_writes_rejected`` (writes fenced out by token) and ``foreign_releases``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.redlock.handlers import STORE

LOCK_MESSAGES = ("set", "set_ok", "set_busy", "unlock", "del")


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the protocol's figures for a trace."""
    events = trace["events"]
    holdings = {(e["node"], e["state"]["value"]) for e in events
                if e["kind"] == "state" and e["state"].get("phase") == "holding"}
    attempts = {(e["node"], e["state"]["req"]) for e in events
                if e["kind"] == "state" and e["state"].get("phase") == "acquiring"}
    lock_messages = sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] in LOCK_MESSAGES)
    violations = [v["invariant"] for v in trace["violations"]]
    return {
        "writes": len(trace["final"].get(STORE, {}).get("state", {}).get("log", [])),
        "grants": len(holdings),
        "failed_acquisitions": len(attempts) - len(holdings),
        "messages_per_acquisition": round(lock_messages / max(1, len(holdings)), 2),
        "stale_writes_accepted": violations.count("stale-write-accepted"),
        "stale_writes_rejected": sum(1 for e in events
                                     if e["kind"] == "send" and e["message"]["type"] == "write_refused"),
        "foreign_releases": violations.count("foreign-release"),
    }


FIGURES = {
    "failed_acquisitions": "Failed acquisitions",
    "messages_per_acquisition": "Lock messages per acquisition",
    "foreign_releases": "Locks released by another client",
}
"""Labels of this protocol's own figures (``ProtocolSpec.figures``); ``writes`` and ``grants`` are shared."""
