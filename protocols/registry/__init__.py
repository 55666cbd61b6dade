"""Service registry: leases, heartbeats, a sweep, client caches and incarnation numbers.

Theory of operation
-------------------
Roles: a registry (one node, ``registry``, or three peer replicas
``registry1..registry3``), providers ``p1..pN`` and consumers ``u1..uM``.
Each provider and consumer talks to one replica.

Providers register (name, incarnation, weight) and renew their lease with a
heartbeat every ``heartbeat_ms``. An entry lives for ``heartbeat_ms *
missed_beats`` (its lease, or TTL) after its last renewal; a sweep every
``sweep_ms`` evicts the expired ones. Consumers keep a client-side cache of
the table, refreshed by pulling every ``refresh_ms`` or kept current by
watching (the registry pushes each change), and call an instance from that
cache every ``call_ms``: calls to an instance that is dead, or that the
registry has dropped, show what a stale cache costs.

Incarnations: a provider that learns from a heartbeat's answer that the
registry does not know it (``unknown_instance``: it was evicted, or the
registry restarted) registers again with the next incarnation, forced to its
durable log first, so it survives a crash. A recovery also starts a new
incarnation. The registry ignores any heartbeat or registration from an
older incarnation than the one it holds, and never takes back an incarnation
it has evicted: a late heartbeat of a paused process cannot resurrect it.

Self-preservation (Eureka's rule, ``self_preservation``): the registry
expects every registered instance to renew within a lease; when fewer than
``renewal_threshold`` (0.85) of them did, it blames the network rather than
the instances and evicts nothing until renewals recover. It saves the table
from a partition, but with few instances one real crash is enough to engage
it (one of three is a third missing), and then the dead instance is never
evicted: the reason Eureka advises turning it off for small clusters.

Replication (``registry_replicas=3``): like Eureka's peers, a replica
forwards what a provider told it to the other two; each sweeps on its own. A
peer that has evicted an incarnation says so when a forwarded heartbeat
still names it, and the provider is made to come back newer.

Failure model: crash-recovery nodes (providers keep their incarnation on
disk; the registry keeps only a boot record, its table is in memory; a
consumer's cache is volatile), pauses, clock skew, and a network that
delays, loses, duplicates and partitions. Every periodic activity stops at
``duration_ms``, so a run ends. ``variant=no-incarnations`` is a
deliberately broken registry that ignores incarnations, so the checker can be
seen catching a resurrection.
"""

from __future__ import annotations

from protocols.base import Context, State
from protocols.registry import consumer, estimate, provider, server
from protocols.registry.invariants import INVARIANTS
from protocols.registry.names import (
    CONSUMER,
    MAX_CONSUMERS,
    MAX_PROVIDERS,
    PROVIDER,
    REGISTRY,
    check_weights,
    topology,
)
from protocols.registry.scenarios import SCENARIOS
from protocols.registry.summary import summarize
from protocols.registry.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec


def _one_or_three(value: int) -> str | None:
    return None if value in (1, 3) else "a registry is one node or three replicas"


PARAMS = (
    Param(name="providers", kind="int", default=3, min=1, max=MAX_PROVIDERS,
          help="How many provider instances (p1..pN) register with the registry."),
    Param(name="consumers", kind="int", default=2, min=1, max=MAX_CONSUMERS,
          help="How many consumers (u1..uM) discover providers and call them."),
    Param(name="registry_replicas", kind="int", default=1, min=1, max=3, check=_one_or_three,
          help="1: one registry node; 3: three replicas that forward registrations and heartbeats "
               "to each other (peer-to-peer, like Eureka)."),
    Param(name="heartbeat_ms", kind="int", default=100, min=10, max=10_000,
          help="How often a provider renews its lease."),
    Param(name="missed_beats", kind="int", default=3, min=1, max=10,
          help="How many heartbeats in a row may be missed: the lease (TTL) is heartbeat x missed beats."),
    Param(name="sweep_ms", kind="int", default=100, min=10, max=10_000,
          help="How often the registry sweeps out expired entries."),
    Param(name="discovery", kind="choice", default="pull", choices=("pull", "watch"),
          help="pull: consumers fetch the table every refresh; watch: the registry pushes every change."),
    Param(name="refresh_ms", kind="int", default=300, min=10, max=60_000,
          help="How often a consumer refreshes its cache (with watch: re-subscribes, in case a push was lost)."),
    Param(name="slow_refresh_ms", kind="int", default=0, min=0, max=60_000,
          help="If not 0, u1 refreshes only this often: a consumer with a long refresh."),
    Param(name="call_ms", kind="int", default=50, min=10, max=10_000,
          help="Pause of a consumer between the end of one call and the next."),
    Param(name="call_timeout_ms", kind="int", default=100, min=10, max=10_000,
          help="How long a consumer waits for a provider's answer before the call fails."),
    Param(name="weights", kind="str", default="1", check=check_weights,
          help="Each provider's weight, comma-separated (one value applies to all; missing ones are 1). "
               "Consumers pick instances in proportion to weight."),
    Param(name="self_preservation", kind="bool", default=False,
          help="Stop evicting while too few instances renew (Eureka's self-preservation)."),
    Param(name="renewal_threshold", kind="float", default=0.85, min=0.0, max=1.0,
          help="Self-preservation engages when fewer than this share of instances renewed within a lease."),
    Param(name="duration_ms", kind="int", default=2_000, min=100, max=120_000,
          help="Horizon: heartbeats, sweeps, refreshes and calls stop after this, so the run ends."),
    Param(name="variant", kind="choice", default="correct", choices=("correct", server.NAIVE),
          help="'no-incarnations' is a deliberately broken registry that ignores incarnation numbers."),
)


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its start or recovery handler runs."""
    if ctx.role == REGISTRY:
        return server.initial_state(ctx)
    if ctx.role == PROVIDER:
        return provider.initial_state(ctx)
    return consumer.initial_state(ctx)


SPEC = ProtocolSpec(
    estimate=estimate.events,
    name="service-registry",
    title="Service registry",
    summary="Registration, heartbeats and leases, client-side caches, self-preservation, and incarnation "
            "numbers that stop a stale instance from coming back.",
    theory=__doc__ or "",
    roles=(REGISTRY, PROVIDER, CONSUMER),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # Time is abstracted away in the explorer, so keep the horizon a few beats long and one of each role.
    explore_params={"providers": 1, "consumers": 1, "duration_ms": 200, "heartbeat_ms": 100, "missed_beats": 1,
                    "sweep_ms": 100, "refresh_ms": 150, "call_ms": 150, "call_timeout_ms": 100},
    foils=(Foil(params={"variant": "no-incarnations"}, breaks=("no-resurrection",)),),
    clean=({}, {"discovery": "watch"}),
)

CATALOGUE = Catalogue(chapter="Service registries", place=1, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
