"""Summary figures every replicated counter reports, so ``manage.py compare`` can set them side by side.

The g-counter, pn-counter, counter-sharded and counter-bft share their
clients (``counter_clients.py``) and so their figures about them: the
operations acknowledged and the values read, the messages each operation
cost, the repeats recognised and not counted twice, and the outcome
(``lost_updates``, ``stale_writes_accepted`` and ``stale_writes_rejected``,
``convergence_time``, ``messages_per_op``). Each protocol adds its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Events = Iterable[Mapping[str, Any]]


def client_totals(final: Mapping[str, Any]) -> tuple[int, int]:
    """Return (acknowledged increments, acknowledged decrements) from the clients' final states."""
    states = [f["state"] for f in final.values() if f["role"] == "client"]
    return sum(s.get("acked_inc", 0) for s in states), sum(s.get("acked_dec", 0) for s in states)


def client_reads(final: Mapping[str, Any]) -> dict[str, Any]:
    """Return each client's read (None if it never finished one)."""
    return {n: f["state"].get("read") for n, f in final.items() if f["role"] == "client"}


def messages_per_op(events: Events) -> float | None:
    """Return messages sent per client operation (each increment, decrement or read counts one)."""
    sent, ops = 0, set()
    for event in events:
        if event["kind"] != "send":
            continue
        sent += 1
        message = event["message"]
        if message["type"] == "add":
            ops.add((event["src"], "add", message["body"].get("op")))
        elif message["type"] == "read" and event["src"].startswith("c"):
            ops.add((event["src"], "read", None))
    return round(sent / len(ops), 2) if ops else None


def duplicates_rejected(events: Events) -> int:
    """Count repeated operations a server recognised and acknowledged without counting again."""
    return sum(1 for e in events if e["kind"] == "send" and e["message"]["type"] == "add_ok"
               and e["message"]["body"].get("applied") is False)


def messages_sent(events: Events) -> int:
    """Count every message sent in the run, answers and gossip included."""
    return sum(1 for e in events if e["kind"] == "send")


def outcome_figures(events: Events, *, lost: int, rejected: int, converged: int | None = None) -> dict[str, Any]:
    """Return the figures every counter of the family reports after its reads: losses, fencing, cost per op."""
    # No counter of the family writes under a stale lease, so none ever accepts a stale write.
    return {"lost_updates": lost, "stale_writes_accepted": 0, "stale_writes_rejected": rejected,
            "convergence_time": converged, "messages_per_op": messages_per_op(events)}
