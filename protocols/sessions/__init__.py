"""Session guarantees: read-your-writes and monotonic reads over a primary with lagging replicas.

Theory of operation
-------------------
Roles: one ``primary``, replicas ``r1..rR`` and clients ``c1..cC``. Every
write goes to the primary, which appends it to its log at the next
position, forces it, acknowledges it with that position and ships it to
every replica asynchronously (``replicate``). Each replica applies the log
in order, ``lag_ms`` after it receives an entry (its own lag, from
``lags_ms``), and answers reads from what it has applied. Clients read at a
replica chosen per read, by a seeded draw or in turn (``read_from``).

Without help (``guarantee=none``) a session sees two anomalies (Terry et
al., "Session guarantees for weakly consistent replicated data", 1994): a
client that writes then reads at a replica behind its write does not see
its own write (**read-your-writes** violated), and a client whose second
read goes to a replica further behind than its first sees an older value
(**monotonic reads** violated). The remedies (``guarantee``):

* ``session-token``: the session keeps the log position of its last write
  and the furthest position its reads reflected; each read carries their
  maximum, and a replica holds the read until it has applied that far.
  The client waits at most ``wait_ms``, then reads at the primary (a
  redirected read). Both guarantees hold; the price is the wait, and the
  primary's load when replicas are far behind.
* ``primary-reads``: every read goes to the primary. Trivially correct;
  the replicas serve nobody and the primary carries the whole load.

Failure model: messages may be delayed, reordered, lost and duplicated;
nodes crash and restart (the primary keeps its log, a replica what it has
applied; a client session ends). A lost replication message is shipped
again when the replica's next acknowledgement reports a gap. Invariants
(history): ``read-your-writes`` and ``monotonic-reads``; liveness:
``clients-finish``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, State
from protocols.common.workload import WORKLOAD_PARAMS
from protocols.sessions import client, estimate, primary, replica
from protocols.sessions.common import PRIMARY, PRIMARY_NODE, check_lags, check_script
from protocols.sessions.invariants import INVARIANTS
from protocols.sessions.scenarios import SCENARIOS
from protocols.sessions.summary import FIGURES, summarize
from protocols.sessions.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

MAX_REPLICAS = 4
"""Four replicas at four lags already show every case; more lanes only crowd the diagram."""
MAX_CLIENTS = 6
"""Each client is a lane of the space-time diagram and a line of the positions panel."""


def _workload(name: str, **changes: Any) -> Param:
    base = next(p for p in WORKLOAD_PARAMS if p.name == name)
    fields = {f: getattr(base, f) for f in ("name", "kind", "default", "help", "min", "max", "choices", "check")}
    return Param(**{**fields, **changes})


PARAMS = (
    _workload("clients", default=2, max=MAX_CLIENTS),
    _workload("keys", default=2, max=100),
    _workload("read_ratio", default=0.6),
    _workload("distribution"),
    _workload("zipf_s"),
    _workload("think_ms"),
    _workload("ops_per_client", default=6, max=200),
    Param(name="replicas", kind="int", default=2, min=1, max=MAX_REPLICAS,
          help="How many replicas apply the primary's log and answer reads (r1, r2, ...)."),
    Param(name="lags_ms", kind="str", default="10,150", check=check_lags,
          help="Each replica's lag: how long it holds a log entry before applying it, for r1, r2, ... "
               "(comma-separated; the last value repeats, extra values are unused)."),
    Param(name="guarantee", kind="choice", default="none", choices=("none", "session-token", "primary-reads"),
          help="What keeps a session consistent: nothing; a session token (the position of the session's "
               "last write and furthest read) a replica must reach before it answers; or every read at the "
               "primary."),
    Param(name="read_from", kind="choice", default="random", choices=("random", "round-robin"),
          help="Which replica a read goes to: one drawn at random from the client's seeded stream, or each "
               "in turn (client ci starts at replica ri)."),
    Param(name="wait_ms", kind="int", default=100, min=1, max=60_000,
          help="How long a client waits for a replica's answer before reading at the primary instead."),
    Param(name="timeout_ms", kind="int", default=300, min=1, max=60_000,
          help="How long a client waits for the primary's answer before giving the operation up."),
    Param(name="script", kind="str", default="", check=check_script,
          help="Optional fixed operations instead of the workload, e.g. 'c1: w k0, r k0; c2: r k0'."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the primary, then the replicas r1..rR, then the clients c1..cC."""
    return {PRIMARY_NODE: PRIMARY, **{f"r{i}": "replica" for i in range(1, params["replicas"] + 1)},
            **{f"c{i}": "client" for i in range(1, params["clients"] + 1)}}


def initial_state(ctx: Context) -> State:
    """Return a node's state at the start, by role."""
    if ctx.role == PRIMARY:
        return primary.initial(ctx)
    return replica.initial(ctx) if ctx.role == "replica" else client.initial(ctx)


SPEC = ProtocolSpec(
    name="session-guarantees", title="Session guarantees: read-your-writes and monotonic reads", theory=__doc__ or "",
    summary="Clients write through a primary and read through lagging replicas: without help a client misses its "
            "own write and its reads go back in time; a session token the replica must reach, or reading at "
            "the primary, keeps both guarantees.",
    roles=(PRIMARY, "replica", "client"), topology=topology, initial_state=initial_state,
    table=TABLE, params=PARAMS, invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # One client writes k0 then reads it twice, one replica. The explorer delivers in any order and fires
    # any timer at any moment: without a guarantee the first read reaches r1 before the write does
    # (read-your-writes), or the client's wait runs out, it reads at the primary, then at r1 still behind
    # (monotonic reads): both within 1,000 worlds, the whole search complete in 19,004. With session tokens
    # r1 holds each read until it has applied the token, or the client reads at the primary: complete and
    # clean in 24,682 worlds (about a minute each here). Two replicas do not finish in 50,000.
    explore_params={"clients": 1, "replicas": 1, "script": "c1: w k0, r k0, r k0", "read_from": "round-robin",
                    "ops_per_client": 0, "think_ms": 0},
    foils=(Foil(params={"guarantee": "none"}, breaks=("read-your-writes", "monotonic-reads")),),
    clean=({"guarantee": "session-token"}, {"guarantee": "primary-reads"}),
)

CATALOGUE = Catalogue(chapter="Caches", place=3, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
