"""Summary figures of a replicated-counter trace; the helpers serve the whole family.

Every protocol of the family reports the same figures, so ``manage.py
compare`` can put them side by side: ``acknowledged_increments`` (and
``acknowledged_decrements``), ``final_values`` per server node,
``lost_updates``, ``stale_writes_accepted`` and ``stale_writes_rejected``,
``convergence_time`` and ``messages_per_op``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from protocols.crdt.vectors import counter_value, older_entries

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


def convergence_time(events: Events, nodes: Iterable[str], key: Callable[[Mapping[str, Any]], Any]) -> int | None:
    """Return virtual ms from the last heal (or recovery) until ``nodes`` last came to agree, or None.

    None when the run has no heal or recovery, or when the nodes disagree at the end.
    """
    names = set(nodes)
    latest: dict[str, Any] = {}
    down: set[str] = set()
    reference: int | None = None
    since: int | None = None
    for event in events:
        kind, node = event["kind"], event.get("node", "")
        if kind == "heal" or (kind == "recover" and node in names):
            reference, since = event["time"], None
            down.discard(node)
        elif kind == "crash" and node in names:
            down.add(node)
        elif kind == "state" and node in names:
            latest[node] = key(event["state"])
        else:
            continue
        live = [latest.get(n) for n in sorted(names - down)]
        if not live or any(v != live[0] for v in live):
            since = None
        elif since is None and reference is not None:
            since = event["time"]
    if reference is None or since is None:
        return None
    return since - reference


def crdt_summary(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the G-counter's or PN-counter's figures."""
    events, final = trace["events"], trace["final"]
    replicas = [n for n, f in final.items() if f["role"] == "replica"]
    pn = any("n" in final[r]["state"] for r in replicas)
    kinds = ("p", "n") if pn else ("p",)
    acked_inc, acked_dec = client_totals(final)
    acked: dict[tuple[str, str], int] = {}
    stale = duplicates_rejected(events)
    latest: dict[str, Mapping[str, Any]] = {}
    for event in events:
        if event["kind"] == "state" and event.get("node") in replicas:
            latest[event["node"]] = event["state"]
        elif event["kind"] == "send" and event["message"]["type"] == "add_ok":
            body = event["message"]["body"]
            if body.get("applied"):
                which = "n" if body.get("delta", 1) < 0 else "p"
                acked[(event["src"], which)] = acked.get((event["src"], which), 0) + 1
        elif event["kind"] == "deliver" and event["message"]["type"] in ("gossip", "gossip_reply"):
            local = latest.get(event["dst"], {})
            stale += sum(older_entries(local.get(k, {}), event["message"]["body"].get(k, {})) for k in kinds)
    up = [r for r in replicas if final[r]["up"]]
    lost = 0
    for (replica, which), count in acked.items():
        visible = max((final[r]["state"].get(which, {}).get(replica, 0) for r in up), default=0)
        lost += max(0, count - visible)
    figures: dict[str, Any] = {"acknowledged_increments": acked_inc}
    if pn:
        figures["acknowledged_decrements"] = acked_dec
    figures.update({
        "final_values": {r: (counter_value(final[r]["state"]["p"], final[r]["state"].get("n"))
                             if final[r]["up"] else None) for r in replicas},
        "reads": client_reads(final),
        **outcome_figures(events, lost=lost, rejected=stale,
                          converged=convergence_time(events, replicas, lambda s: [s.get(k) for k in kinds])),
        "messages_sent": messages_sent(events),
    })
    return figures
