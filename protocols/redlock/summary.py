"""Summary figures of a Redis lock run, computed from its trace alone.

``writes`` (writes the store applied), ``grants`` (acquisitions: a client took the key on a majority in time),
``failed_acquisitions`` (attempts that did not), ``messages_per_acquisition`` (SETs, their answers and the
releases, per acquisition), ``stale_writes_accepted`` (findings of ``stale-write-accepted``),
``stale_writes_rejected`` (writes fenced out by token), ``foreign_releases``, ``two_holders`` (findings of
``mutual-exclusion``: a client took the lock inside another's validity), and availability:
``acquire_ms_p50`` and ``acquire_ms_p99`` (from a write's first attempt to holding the lock) and
``unavailable_ms`` (from a holder's crash to the next client holding the lock).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.redlock.handlers import STORE

LOCK_MESSAGES = ("set", "set_ok", "set_busy", "unlock", "del")
BELIEVING = ("holding", "committing", "writing")


def _percentile(values: list[int], p: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def availability(events: list[Mapping[str, Any]]) -> tuple[list[int], int]:
    """Return each acquisition's wait (from a write's first attempt to holding) and the time the lock was out
    of reach after a holder crashed (from the crash to the next client holding)."""
    asked: dict[str, int] = {}
    waits: list[int] = []
    phase: dict[str, str] = {}
    crashed_at: int | None = None
    unavailable = 0
    for e in events:
        node = e.get("node")
        if e["kind"] == "crash" and phase.get(str(node)) in BELIEVING:
            crashed_at = int(e["time"]) if crashed_at is None else crashed_at
        if e["kind"] != "state" or "answers" not in e["state"]:
            continue
        state, now = e["state"], int(e["time"])
        phase[str(node)] = state["phase"]
        if state["phase"] == "acquiring" and state.get("attempts") == 1:
            asked[str(node)] = now
        elif state["phase"] == "holding" and str(node) in asked:
            waits.append(now - asked.pop(str(node)))
            if crashed_at is not None:
                unavailable += now - crashed_at
                crashed_at = None
    return waits, unavailable


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the protocol's figures for a trace."""
    events = trace["events"]
    holdings = {(e["node"], e["state"]["value"]) for e in events
                if e["kind"] == "state" and e["state"].get("phase") == "holding"}
    attempts = {(e["node"], e["state"]["req"]) for e in events
                if e["kind"] == "state" and e["state"].get("phase") == "acquiring"}
    lock_messages = sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] in LOCK_MESSAGES)
    violations = [v["invariant"] for v in trace["violations"]]
    waits, unavailable = availability(events)
    return {
        "writes": len(trace["final"].get(STORE, {}).get("state", {}).get("log", [])),
        "grants": len(holdings),
        "failed_acquisitions": len(attempts) - len(holdings),
        "messages_per_acquisition": round(lock_messages / max(1, len(holdings)), 2),
        "stale_writes_accepted": violations.count("stale-write-accepted"),
        "stale_writes_rejected": sum(1 for e in events
                                     if e["kind"] == "send" and e["message"]["type"] == "write_refused"),
        "foreign_releases": violations.count("foreign-release"),
        "two_holders": violations.count("mutual-exclusion"),
        "acquire_ms_p50": _percentile(waits, 0.5),
        "acquire_ms_p99": _percentile(waits, 0.99),
        "unavailable_ms": unavailable,
    }


FIGURES = {
    "failed_acquisitions": "Failed acquisitions",
    "messages_per_acquisition": "Lock messages per acquisition",
    "foreign_releases": "Locks released by another client",
}
"""Labels of this protocol's own figures (``ProtocolSpec.figures``); ``writes`` and ``grants`` are shared."""
