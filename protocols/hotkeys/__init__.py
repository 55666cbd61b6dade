"""Hot keys: a Zipf workload on a ring of caches, one key overloading one node, and two remedies.

Theory of operation
-------------------
Roles: clients ``c1..cN`` run the shared read/write workload with keys drawn
from a Zipf distribution (``zipf_s`` over ``keys`` keys: k0 is the most
requested); caches ``cache1..cacheM`` sit on a consistent-hashing ring with
``vnodes`` points each (``protocols.common.ring``); ``db`` is the database
behind them. A client routes each request itself: a key belongs to the first
cache clockwise from its hash. A cache answers reads from its store or
fetches from the database, and writes through to the database, which gives
every write of a key its next version.

The problem: hashing spreads *keys* evenly, not *requests*. Under Zipf with
s = 2 over 20 keys, k0 alone draws about 63% of the requests, all to one
cache: its load is nearly three times the mean of four (``max_mean_load``;
as the skew grows it tends to the number of caches), and adding caches does
not help. The keys declared hot (``hot_keys``: k0, k1... the top ranks, which a
real system finds by sampling its traffic) get a remedy (``remedy``):

* ``near-cache``: each client keeps what it read of a hot key for
  ``near_ttl_ms`` and answers later reads of it locally, without a message.
  The hot node sees at most one read of the key per client per TTL. The
  price is staleness: a client does not hear of another's write until its
  copy expires, so it may read a value older than an acknowledged write, by
  at most the TTL plus one network delay (its own write drops its copy).
* ``replicate``: a hot key lives on its owner and the next ``replicas - 1``
  caches clockwise; each client reads it from the replica its number picks
  (c1 the one after the owner, c2 the next...), writes go to the owner, which writes
  through to the database, copies the new version to every replica and, with
  ``replica_sync=sync``, acknowledges only when all have it (write to all,
  not invalidate: a replica always has a value to serve). Each replica takes
  1/r of the key's reads; every write costs r - 1 more messages.
  ``replica_sync=async`` acknowledges first (a foil).

Failure model: crash-recovery nodes (a cache comes back empty in a new
epoch; the database is durable); a lossy, reordering, duplicating network.
There are no retries: a lost message makes its client give the operation up
after ``timeout_ms``, never return a wrong value. Invariants: a read a cache
answers never returns a value older than a write acknowledged before the
read was sent (versions from the database; every copy keeps the newest it
has seen); the near-cache's stale reads and an overloaded node are reported
as illustrative findings, the lesson rather than a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, State
from protocols.common.workload import WORKLOAD_PARAMS
from protocols.hotkeys import estimate
from protocols.hotkeys.cache import cache_initial, db_initial
from protocols.hotkeys.client import client_initial
from protocols.hotkeys.invariants import INVARIANTS
from protocols.hotkeys.ring import MAX_CACHES, MAX_HOT_KEYS, cache_names
from protocols.hotkeys.scenarios import SCENARIOS
from protocols.hotkeys.summary import FIGURES, summarize
from protocols.hotkeys.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

REMEDIES = ("none", "near-cache", "replicate")

_DEFAULTS = {"distribution": "zipf", "zipf_s": 2.0, "keys": 20, "read_ratio": 0.9, "clients": 4,
             "ops_per_client": 12}
"""The shared workload, skewed: this protocol is about the Zipf case."""


def _workload() -> tuple[Param, ...]:
    out = []
    for p in WORKLOAD_PARAMS:
        fields = {f: getattr(p, f) for f in ("name", "kind", "default", "help", "min", "max", "choices", "check")}
        out.append(Param(**{**fields, "default": _DEFAULTS.get(p.name, p.default)}))
    return tuple(out)


PARAMS = (
    *_workload(),
    Param(name="caches", kind="int", default=4, min=1, max=MAX_CACHES, help="Caches on the ring."),
    Param(name="vnodes", kind="int", default=50, min=1, max=200,
          help="Virtual nodes (points on the ring) per cache; more spread the keys more evenly."),
    Param(name="remedy", kind="choice", default="none", choices=REMEDIES,
          help="What is done about the hot keys: nothing, a near-cache at each client, or copies on the next "
               "caches of the ring."),
    Param(name="hot_keys", kind="int", default=1, min=1, max=MAX_HOT_KEYS,
          help="How many of the most requested keys (k0, k1...) the remedy treats as hot."),
    Param(name="near_ttl_ms", kind="int", default=50, min=1, max=60_000,
          help="With near-cache: how long a client keeps what it read of a hot key."),
    Param(name="replicas", kind="int", default=3, min=1, max=MAX_CACHES,
          help="With replicate: caches holding each hot key, its owner and the next ones clockwise."),
    Param(name="replica_sync", kind="choice", default="sync", choices=("sync", "async"),
          help="With replicate: acknowledge a write once every replica has it (sync), or at once and copy "
               "it after (async, unsafe)."),
    Param(name="overload_share", kind="float", default=0.5, min=0.05, max=1.0,
          help="A cache serving more than this share of a window of requests is reported overloaded."),
    Param(name="timeout_ms", kind="int", default=500, min=1, max=60_000,
          help="How long a client waits for an answer before giving the operation up."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (the family's shared workload), then the caches and the database."""
    roles = {f"c{i}": "client" for i in range(1, params["clients"] + 1)}
    roles.update({name: "cache" for name in cache_names(params["caches"])})
    roles["db"] = "db"
    return roles


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "client":
        return client_initial()
    if ctx.role == "cache":
        return cache_initial(ctx)
    return db_initial()


SPEC = ProtocolSpec(
    name="cache-hot-keys",
    title="Hot keys",
    summary="A Zipf workload on a ring of caches: one key overloads one node; a near-cache at the clients or "
            "copies on the next nodes of the ring spread the load, the first at the price of stale reads.",
    theory=__doc__ or "",
    roles=("client", "cache", "db"),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    figures=FIGURES,
    estimate=estimate.events,
    # One client, two caches, one key on both: with seed 0 the client writes k0 twice, then reads it at the
    # replica. replica_sync=async is caught in 14 steps (under 6,000 worlds); sync completes clean in 3,377
    # worlds. A second client multiplies the worlds past 30,000 without a shorter path to the foil.
    explore_params={"clients": 1, "caches": 2, "keys": 1, "ops_per_client": 3, "read_ratio": 0.25,
                    "remedy": "replicate", "replicas": 2, "think_ms": 0, "vnodes": 4},
    foils=(Foil(params={"replica_sync": "async"}, breaks=("reads-see-acknowledged-writes",)),),
    clean=({}, {"remedy": "near-cache"}),
)

CATALOGUE = Catalogue(chapter="Caches", place=2, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
