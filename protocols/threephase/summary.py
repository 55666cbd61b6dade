"""Summary figures of a three-phase commit run, from its trace alone.

``outcome``, ``participant_phases``, ``decided_at_ms``, ``blocked_ms`` (each
participant's time in doubt: from its yes vote to its outcome, or to the end)
and ``messages_sent`` are shared with two-phase commit, so the compare table
sets them side by side; ``rounds`` (request rounds sent by the coordinator or
a termination leader) and ``leaders`` (termination protocol runs) are 3PC's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUESTS = ("can_commit", "pre_commit", "do_commit", "abort", "state_req")
"""The messages that open a round when a coordinator or a leader sends them."""

FIGURES = {
    "rounds": "Message rounds (coordinator and leaders)",
    "leaders": "Termination protocol runs",
}
"""Labels of 3PC's own figures (``ProtocolSpec.figures``)."""


def _outcome(phases: Mapping[str, Any]) -> str:
    seen = set(phases.values())
    if seen == {"committed"}:
        return "committed"
    if seen == {"aborted"}:
        return "aborted"
    return "inconsistent" if {"committed", "aborted"} <= seen else "undecided"


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    events = trace["events"]
    end = events[-1]["time"] if events else 0
    doubt_since: dict[str, int] = {}
    decided_at: dict[str, int] = {}
    rounds: set[tuple[str, str, int]] = set()
    leaders = 0
    for event in events:
        node = event.get("node", "")
        if event["kind"] == "send" and event["message"]["type"] in REQUESTS and "in_reply_to" not in event["message"]:
            rounds.add((node, event["message"]["type"], event["step"]))
        if event["kind"] != "state" or not node.startswith("p"):
            continue
        phase = event["state"]["phase"]
        if phase == "uncertain":
            doubt_since.setdefault(node, event["time"])
        if phase == "collecting" and event.get("cause") == "timer:timeout":
            leaders += 1
        if phase in ("committed", "aborted"):
            decided_at.setdefault(node, event["time"])
    phases = {n: f["state"].get("phase") for n, f in trace["final"].items() if f["role"] == "participant"}
    blocked = {n: (decided_at.get(n, end) - doubt_since[n]) if n in doubt_since else 0 for n in phases}
    return {
        "outcome": _outcome(phases),
        "participant_phases": phases,
        "decided_at_ms": decided_at,
        "blocked_ms": blocked,
        "messages_sent": sum(1 for e in events if e["kind"] == "send"),
        "rounds": len({(t, s) for _, t, s in rounds}),
        "leaders": leaders,
    }
