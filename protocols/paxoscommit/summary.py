"""Summary figures of a Paxos Commit run, from its trace alone.

Shared with the other commit protocols: ``outcome``, ``participant_phases``,
``decided_at_ms``, ``blocked_ms`` (each resource manager's time prepared
before it learned the outcome, or until the end) and ``messages_sent``.
Its own: ``ballots`` (leader ballots run to recover, 0 without a failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIGURES = {"ballots": "Recovery ballots run"}
"""Labels of Paxos Commit's own figures (``ProtocolSpec.figures``)."""


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    events = trace["events"]
    end = events[-1]["time"] if events else 0
    prepared_at: dict[str, int] = {}
    decided_at: dict[str, int] = {}
    ballots = set()
    for event in events:
        if event["kind"] == "send" and event["message"]["type"] == "p1a":
            ballots.add(event["message"]["body"]["ballot"])
        if event["kind"] != "state" or event["state"].get("vote", "-") == "-":
            continue  # Only resource managers keep a vote.
        node, phase = event["node"], event["state"]["phase"]
        if phase == "prepared":
            prepared_at.setdefault(node, event["time"])
        elif phase != "working":
            decided_at.setdefault(node, event["time"])
    phases = {n: f["state"]["phase"] for n, f in trace["final"].items() if f["role"] == "participant"}
    seen = set(phases.values())
    outcome = next((o for o in ("committed", "aborted") if seen == {o}), None)
    if outcome is None:
        outcome = "inconsistent" if {"committed", "aborted"} <= seen else "undecided"
    return {
        "outcome": outcome,
        "participant_phases": phases,
        "decided_at_ms": decided_at,
        "blocked_ms": {n: decided_at.get(n, end) - t for n, t in prepared_at.items()},
        "messages_sent": sum(1 for e in events if e["kind"] == "send"),
        "ballots": len(ballots),
    }
