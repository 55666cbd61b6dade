"""Consistent hashing: a cache cluster sharded on a ring of virtual nodes.

Theory of operation
-------------------
Roles: clients ``c1..cN`` run the shared read/write workload; ``ring`` is
the router that knows the membership; caches ``cache1..cache8``, of which
the first ``initial_nodes`` start in the ring and the others wait on
standby; ``db`` is the database behind them.

Placement: every cache has ``vnodes`` points on a circle of 2^64 positions
(BLAKE2b of ``"cache3#17"``), and a key belongs to the first point clockwise
from its own hash. Adding a node takes, for each of its points, the arc just
before it, from whichever node owned that arc: the keys that move all move
to the new node, about 1/n of them. Removing a node hands each of its arcs to
the next point clockwise. Modulo hashing (``hash mod n``) instead reshuffles
almost everything when n changes: about (n-1)/n of the keys when one node
joins. More virtual nodes make each node's share closer to 1/n.

The design is a router, simple to follow: a client sends every request to
``ring``, which forwards it to the owner under the current *view* (version
and members). A cache answers hits from its store and misses from the
database, and writes through to the database. Membership changes (the
``add_node``/``remove_node`` client requests on ``ring``, or ``join_at_ms``
and ``leave_at_ms``) bump the view, are forced to the router's log, and are
broadcast to every cache; each request also carries the view, so a cache
that has not heard yet catches up first. On a new view a cache drops the
keys it no longer owns (everything, if it skipped a view), so a key that
comes back to it later is fetched afresh. The router notes, for every
change, how many of the ``keys`` move on the ring and how many would move
with modulo hashing, and keeps in its state the view's *drawing* (its ring
points, the sampled keys with their owners, the keys the change moved), so
the ring panel draws from the log and never hashes.

Failure model: crash-recovery for every node (the router's view and the
database are durable, a cache's store is not); any network. Consistent
hashing decides *placement*; it promises nothing about consistency while
requests routed on an old view are still in flight, which is why
``stale_reads`` is in the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, State
from protocols.common.cache_clients import client_initial
from protocols.common.workload import WORKLOAD_PARAMS
from protocols.hashring import estimate
from protocols.hashring.cache import cache_initial, db_initial
from protocols.hashring.invariants import INVARIANTS
from protocols.hashring.placement import PLACEMENTS
from protocols.hashring.router import MAX_CACHES, cache_names, ring_initial
from protocols.hashring.scenarios import SCENARIOS
from protocols.hashring.summary import summarize
from protocols.hashring.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

CACHES = tuple(cache_names())

PARAMS = (
    *WORKLOAD_PARAMS,
    Param(name="vnodes", kind="int", default=100, min=1, max=500,
          help="Virtual nodes (points on the ring) per cache; more spread the keys more evenly."),
    Param(name="initial_nodes", kind="int", default=4, min=1, max=MAX_CACHES,
          help="Caches in the ring at the start (cache1 up to this one); the others wait on standby."),
    Param(name="placement", kind="choice", default="ring", choices=PLACEMENTS,
          help="'ring' is consistent hashing; 'modulo' places a key on node hash mod n, to compare."),
    Param(name="join_at_ms", kind="int", default=0, min=0, max=600_000,
          help="When join_node joins the ring, in virtual ms (0: never)."),
    Param(name="join_node", kind="choice", default="cache5", choices=CACHES, help="The cache that joins."),
    Param(name="leave_at_ms", kind="int", default=0, min=0, max=600_000,
          help="When leave_node leaves the ring, in virtual ms (0: never)."),
    Param(name="leave_node", kind="choice", default="cache1", choices=CACHES, help="The cache that leaves."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (the family's shared workload), then the router, the caches and the database."""
    roles = {f"c{i}": "client" for i in range(1, params["clients"] + 1)}
    roles["ring"] = "ring"
    roles.update({name: "cache" for name in CACHES})
    roles["db"] = "db"
    return roles


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "client":
        return client_initial()
    if ctx.role == "ring":
        return ring_initial(ctx)
    if ctx.role == "cache":
        return cache_initial(ctx)
    return db_initial()


SPEC = ProtocolSpec(
    estimate=estimate.events,
    name="consistent-hashing",
    title="Consistent hashing",
    summary="A cache cluster on a hash ring: when a node joins or leaves, only about 1/n of the keys move.",
    theory=__doc__ or "",
    roles=("client", "ring", "cache", "db"),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # Five keys, not two: with cache1 and cache2, modulo placement moves k0..k3 only to the joining
    # cache5 (each lands on index 2 of three), so with fewer keys it looks consistent; k4 moves to cache1.
    explore_params={"clients": 2, "keys": 5, "ops_per_client": 2, "initial_nodes": 2, "vnodes": 4,
                    "think_ms": 0, "join_at_ms": 1},
    foils=(Foil(params={"placement": "modulo"}, breaks=("only-the-changed-node-moves",)),),
)

CATALOGUE = Catalogue(chapter="Coherence and sharding", place=2, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
