"""Summary figures of a G-counter or PN-counter trace.

The figures every counter of the family reports come from
``protocols/common/counter_figures.py`` (so ``manage.py compare`` can put them
side by side): ``acknowledged_increments`` (and ``acknowledged_decrements``),
``final_values`` per server node, ``lost_updates``, ``stale_writes_accepted``
and ``stale_writes_rejected``, ``convergence_time`` and ``messages_per_op``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from protocols.common.counter_figures import (
    Events,
    client_reads,
    client_totals,
    duplicates_rejected,
    messages_sent,
    outcome_figures,
)
from protocols.crdt.vectors import counter_value, older_entries


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
