"""MESI (or MSI) cache coherence with a directory, among caches on a network.

Theory of operation
-------------------
Roles: clients ``c1..cN`` run the shared read/write workload, each against
one cache (client ``ci`` uses cache ((i-1) mod M)+1); caches
``cache1..cacheM`` keep lines in M, E, S or I; ``dir`` is the directory
and the memory behind it. The caches and the directory talk over the same
simulated network as everything else, so messages are delayed and, unless
``fifo`` is on, reordered.

The goal is the two coherence invariants of Sorin, Hill and Wood's *Primer*:
single writer or multiple readers per line at every moment (M or E in one
cache means I in all others), and every read returns the last write to its
line. A cache reads a line it holds in S, E or M, and writes one it holds in
M or E (E becomes M silently). Otherwise it asks the directory: GetS for a
shared copy, GetM for ownership. The directory knows the line's state
(I, S with its sharers, or an owner in E/M) and answers with Data from
memory, with Inv to every sharer (who acknowledge to the writer), or by
forwarding the request to the owner (Fwd-GetS / Fwd-GetM), who sends the
data itself. A full cache evicts its least recently used line: a shared one
silently, an owned one with PutM (carrying the data) or PutE, waiting for
Put-Ack. ``variant=msi`` has no E: a lone reader gets S, and its first
write costs a GetM.

Races are what make such protocols hard: an Inv may overtake the Data it
should follow, an owner may be asked for a line it is just writing back.
This directory is *blocking*: it handles one transaction per line at a time
and queues the rest until the requester sends Unblock. Every message of a
transaction is then handled before the next transaction on the line starts,
so the protocol stays correct under any delay and reordering, with a few
transient states (IS_D, IM_AD, IM_A, SM_AD, SM_A, MI_A, EI_A, SI_A, II_A).

Failure model: the protocol assumes what an on-chip interconnect gives, a
network that never loses or duplicates and nodes that never crash. The lab
lets you break that anyway: a lost message blocks its line (the liveness
check shows it), a duplicate is recognised by its transaction id and
ignored as a *stray*, a crashed owner loses its dirty data (``lost_writes``,
and a stale read for the checker).

``directory=broken`` forgets to invalidate the sharers on GetM, so that the
checker and the explorer can be seen to catch a real coherence bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, State
from protocols.common.cache_clients import client_initial
from protocols.common.workload import WORKLOAD_PARAMS
from protocols.mesi import estimate
from protocols.mesi.cache import cache_initial
from protocols.mesi.directory import directory_initial
from protocols.mesi.invariants import INVARIANTS
from protocols.mesi.scenarios import SCENARIOS
from protocols.mesi.summary import summarize
from protocols.mesi.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

MAX_CACHES = 8
"""Eight cache lanes plus clients and the directory still fit a projector."""

PARAMS = (
    *WORKLOAD_PARAMS,
    Param(name="caches", kind="int", default=2, min=1, max=MAX_CACHES,
          help="How many caches; client ci uses cache ((i-1) mod caches)+1."),
    Param(name="capacity", kind="int", default=4, min=1, max=64,
          help="Lines a cache holds; a miss in a full cache evicts the least recently used line."),
    Param(name="variant", kind="choice", default="mesi", choices=("mesi", "msi"),
          help="'mesi' grants a lone reader Exclusive (E), so its first write needs no message; 'msi' has no E."),
    Param(name="directory", kind="choice", default="correct", choices=("correct", "broken"),
          help="'broken' forgets to invalidate the sharers on GetM: a deliberate bug for the checker to catch."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (so every protocol of the family draws the same workload), then caches, then dir."""
    roles = {f"c{i}": "client" for i in range(1, params["clients"] + 1)}
    roles.update({f"cache{i}": "cache" for i in range(1, params["caches"] + 1)})
    roles["dir"] = "directory"
    return roles


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "client":
        return client_initial()
    if ctx.role == "cache":
        return cache_initial()
    return directory_initial()


SPEC = ProtocolSpec(
    estimate=estimate.events,
    name="mesi",
    title="MESI directory coherence",
    summary="Caches keep one line writable in one place or readable in many, through a directory, "
            "over a network that reorders.",
    theory=__doc__ or "",
    roles=("client", "cache", "directory"),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # Two caches of one line each, two clients of three operations on two keys (so misses evict and
    # write back): every order of every message is tried in about a second (some 5,000 worlds).
    explore_params={"clients": 2, "caches": 2, "keys": 2, "capacity": 1, "ops_per_client": 3,
                    "read_ratio": 0.5, "think_ms": 0},
    foils=(Foil(params={"directory": "broken"}, breaks=("single-writer-multiple-readers", "directory-agrees")),),
    clean=({}, {"variant": "msi"}),
)

CATALOGUE = Catalogue(chapter="Coherence and sharding", place=1, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
