"""State-based counters (CRDTs): the G-counter and the PN-counter, replicas r1..rR, clients c1..cN.

Theory of operation
-------------------
Roles: replicas, each keeping a vector with one entry per replica, and
clients (``clients.py``), client ci talking to replica ((i-1) mod R)+1. A
replica counts an increment by raising *its own* entry by one and
acknowledges at once: no coordination, so a replica accepts writes even when
cut off from every other. Every ``gossip_ms`` (jittered) it sends its
vector to one peer drawn from its seeded stream (``gossip_fanout=all``: to
every peer); the peer merges by pointwise maximum and, if it knew something
the sender did not, answers with the merged vector (push-pull). The value
is the sum of the entries. A PN-counter keeps two such vectors, P for
increments and N for decrements; its value is sum(P) - sum(N). A client's
retried operation carries the same number, and the replica keeps each
client's last applied number, so it is acknowledged again but counted once.

Why it converges: the merge is commutative, associative and idempotent (a
join semilattice), so any order, any repetition, any number of hops gives
the same result once every replica has heard, directly or through others,
of every entry. Messages may be lost, duplicated and reordered; partitions
only delay.

Failure model: crash-recovery. By default replicas persist nothing
(``durable`` off): a crashed replica comes back with a zero vector, and
this is where the CRDT's guarantee quietly ends. (1) The operations it
acknowledged but had not yet gossiped are gone. (2) Worse, its peers may
hold a *bigger* copy of its own entry than it does now, so the increments
it accepts next only rebuild its entry up to what the peers already hold:
the pointwise maximum hides them. Both are lost updates, and the
``no-lost-updates`` detector names the step. With ``durable`` on, a
replica forces its vectors before acknowledging, recovers them, and
nothing is lost. (The other classic fix is a fresh replica identity per
incarnation, which costs a vector entry per restart.)

Gossip is bounded so every run ends. Until the horizon ``duration_ms`` a
replica gossips on its timer; past it, it sends its vectors to every peer
once more if they changed since its last such round, and otherwise falls
``quiet``. News arriving later (a delayed increment, a merge that teaches
something) wakes it up for another round, so the last word of every
replica reaches every other and the run ends converged. Clients stop
retrying at the horizon too; scenarios heal well before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common import counter_clients as clients
from protocols.crdt import estimate
from protocols.crdt.handlers import REPLICA, initial_state
from protocols.crdt.invariants import INVARIANTS
from protocols.crdt.scenarios import SCENARIOS
from protocols.crdt.summary import crdt_summary
from protocols.crdt.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

REPLICA_PARAMS = (
    Param(name="replicas", kind="int", default=3, min=2, max=8, help="How many replicas keep the counter."),
    Param(name="gossip_ms", kind="int", default=100, min=10, max=60_000,
          help="Interval between a replica's gossip rounds (jittered by a quarter either way)."),
    Param(name="gossip_fanout", kind="choice", default="one", choices=("one", "all"),
          help="Gossip to one peer drawn at random each round, or to every peer."),
    Param(name="durable", kind="bool", default=False,
          help="Replicas force their vectors to a durable log before acknowledging, and recover them."),
)
PN_PARAMS = (
    Param(name="decrement_ratio", kind="float", default=0.3, min=0.0, max=1.0,
          help="Chance that a client's operation is a decrement rather than an increment."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (so their draws match the family's), then r1..rR."""
    roles = clients.client_names(params)
    roles.update({f"r{i}": REPLICA for i in range(1, params["replicas"] + 1)})
    return roles


# The explorer's small model: one client, one increment, two replicas gossiping to each other (no
# draws: a random peer choice would make every round a new world), a horizon soon reached, and no
# client retry before it (each resend would multiply the worlds; every delivery order is still tried).
# A gossip interval past the horizon: a replica's first round already finds it passed, so it gossips
# only news (a round per change), which is all convergence needs (4,178 worlds instead of over 50,000).
_EXPLORE = {"clients": 1, "increments_per_client": 1, "replicas": 2, "gossip_fanout": "all", "gossip_ms": 10_000,
            "duration_ms": 100, "retry_ms": 10_000}
# A replica without a log forgets its own entry only if it crashes: the small model allows one crash
# (durable=False, the default, then loses an update at depth 4); durable=True is the correct setting.
_FOILS = (Foil(params={"durable": False}, breaks=("no-lost-updates",), max_crashes=1),)
_CLEAN = ({"durable": True},)

G_COUNTER = ProtocolSpec(
    estimate=estimate.events,
    name="g-counter",
    title="G-counter (grow-only CRDT)",
    summary="Replicas count on their own and gossip vectors merged by pointwise maximum: they always "
            "converge, unless a replica forgets its own entry.",
    theory=__doc__ or "",
    roles=(clients.CLIENT, REPLICA),
    params=clients.CLIENT_PARAMS + REPLICA_PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=crdt_summary,
    explore_params=_EXPLORE,
    explore_crashes=1,
    foils=_FOILS,
    clean=_CLEAN,
)

PN_COUNTER = ProtocolSpec(
    estimate=estimate.events,
    name="pn-counter",
    title="PN-counter (increment and decrement CRDT)",
    summary="Two G-counters, P for increments and N for decrements: the value is sum(P) - sum(N).",
    theory=__doc__ or "",
    roles=(clients.CLIENT, REPLICA),
    params=clients.CLIENT_PARAMS + REPLICA_PARAMS + PN_PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=crdt_summary,
    explore_params=_EXPLORE,
    explore_crashes=1,
    foils=_FOILS,
    clean=_CLEAN,
)

CATALOGUE = Catalogue(chapter="Replicated counters", place=2, specs=(G_COUNTER, PN_COUNTER))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
