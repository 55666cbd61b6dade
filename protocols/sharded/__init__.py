"""A sharded counter: shards s1..sK on a consistent-hash ring, clients c1..cN.

Theory of operation
-------------------
Roles: shards, each holding one share of the count, and clients (the
family's shared client, ``protocols/common/counter_clients.py``). For every increment
a client draws a random sub-key from its seeded stream and sends the
increment to the shard that owns the sub-key on a consistent-hash ring
(``vnodes`` points per shard); that one shard counts it and acknowledges.
The counter is the sum of the shares, so a read fans out to every shard
and gathers their answers.

The trade-off: an increment costs two messages whatever K is, and the
shards share the write load, so writes scale out; a read costs 2K messages
and needs every shard. When a shard is down the read cannot be complete.
This implementation chooses a *partial* read over a failed one: the reader
asks a silent shard again (three tries, ``retry_ms`` apart) and then
returns the sum of the answers it has, marked with the shards it leaves out
(``missing``), so the reader knows its value is a lower bound. Increments
routed to the dead shard wait, retried, until it recovers or the horizon
passes: the sub-key's owner is the only shard that may count it, so that a
retry can never be counted by two shards.

Failure model: crash-recovery. With ``durable`` (the default) a shard
forces its count before acknowledging and recovers it; without, a crash
loses its share, and the next complete read comes up short, which the
``read-sum-bounded`` detector flags at the read. Lost, duplicated and
reordered messages are handled by retries and by each shard remembering
every client's last operation number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common import counter_clients as clients
from protocols.common.counter_figures import (
    client_reads,
    client_totals,
    duplicates_rejected,
    messages_sent,
    outcome_figures,
)
from protocols.sharded import estimate
from protocols.sharded.handlers import SHARD, initial_state
from protocols.sharded.invariants import INVARIANTS
from protocols.sharded.scenarios import SCENARIOS
from protocols.sharded.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

PARAMS = (
    Param(name="shards", kind="int", default=3, min=1, max=8, help="How many shards share the count."),
    Param(name="vnodes", kind="int", default=16, min=1, max=64,
          help="Points per shard on the consistent-hash ring (more points, a more even spread)."),
    Param(name="durable", kind="bool", default=True,
          help="Shards force their count to a durable log before acknowledging, and recover it."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (so their draws match the family's), then s1..sK."""
    roles = clients.client_names(params)
    roles.update({f"s{i}": SHARD for i in range(1, params["shards"] + 1)})
    return roles


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the family's figures, with the read's cost and how many reads were partial."""
    events, final = trace["events"], trace["final"]
    shards = [n for n, f in final.items() if f["role"] == SHARD]
    acked: dict[str, int] = {}
    read_messages, readers = 0, set()
    for event in events:
        if event["kind"] != "send":
            continue
        kind = event["message"]["type"]
        if kind == "add_ok" and event["message"]["body"].get("applied"):
            acked[event["src"]] = acked.get(event["src"], 0) + 1
        elif kind in ("read", "read_ok"):
            read_messages += 1
            if kind == "read":
                readers.add(event["src"])
    lost = 0
    for shard in shards:
        node = final[shard]
        logged = [r["count"] for r in node["durable"] if r.get("type") == "count"]
        visible = node["state"]["count"] if node["up"] else (logged[-1] if logged else 0)
        lost += max(0, acked.get(shard, 0) - visible)
    client_states = [f["state"] for f in final.values() if f["role"] == clients.CLIENT]
    return {
        "acknowledged_increments": client_totals(final)[0],
        "final_values": {s: (final[s]["state"]["count"] if final[s]["up"] else None) for s in shards},
        "reads": client_reads(final),
        "partial_reads": sum(1 for s in client_states if s["phase"] == "done" and s.get("missing")),
        **outcome_figures(events, lost=lost, rejected=duplicates_rejected(events)),
        # Each client reads once: all read requests and answers, per reader.
        "messages_per_read": round(read_messages / len(readers), 2) if readers else None,
        "messages_sent": messages_sent(events),
    }


SPEC = ProtocolSpec(
    estimate=estimate.events,
    name="counter-sharded",
    title="Sharded counter",
    summary="Increments spread over shards by consistent hashing; a read must ask every shard and add up.",
    theory=__doc__ or "",
    roles=(clients.CLIENT, SHARD),
    params=clients.CLIENT_PARAMS + PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # One client, one increment, two shards, and one crash anywhere (with recovery at any later point):
    # a volatile shard shows its loss only if it crashes, and a durable one must survive it. The horizon
    # comes before any retry (each resend would multiply the worlds), so the search tries every delivery
    # order and ends (621 worlds). A second client made it some 150,000 with the crash.
    explore_params={"clients": 1, "increments_per_client": 1, "shards": 2, "duration_ms": 100, "retry_ms": 10_000},
    explore_crashes=1,
    foils=(Foil(params={"durable": False}, breaks=("read-sum-bounded",), max_crashes=1),),
)

CATALOGUE = Catalogue(chapter="Replicated counters", place=1, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
