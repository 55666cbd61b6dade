"""Named service registry scenarios: each a fault plan and its narration.

All use one registry (``registry``), three providers and two consumers, so
the fault plans can name the nodes. The times fit the defaults: everyone has
registered and discovered well before 600 ms, a lease is 300 ms and the
sweep runs every 100 ms.
"""

from __future__ import annotations

from protocols.spec import Caption, Scenario

CRASH_AT_MS = 600
EVERYONE_BUT_THE_REGISTRY = ["p1", "p2", "p3", "u1", "u2"]
FIRST_EVICTION = {"kind": "state", "node": "registry", "state.evictions": 1}
AFTER_ONE_EVICTION = 4
"""The registry's version once three providers registered (1, 2, 3) and one was evicted."""

PROVIDER_CRASH = Scenario(
    name="provider-crash",
    description="A provider crashes. Calls routed to it fail until the registry evicts it and each "
                "consumer's next refresh drops it from its cache.",
    params={"registry_replicas": 1},
    faults=({"action": "crash", "node": "p2", "at_ms": CRASH_AT_MS},),
    captions=(
        Caption(match={"kind": "crash", "node": "p2"},
                text="p2 crashes. The registry still lists it, and so do the consumers' caches: "
                     "calls sent to p2 now go unanswered."),
        Caption(match={"kind": "timer", "timer": "call_timeout"},
                text="A call to p2 times out: the consumer's cache points at a dead instance."),
        Caption(match=FIRST_EVICTION,
                text="No heartbeat from p2 for a whole lease (heartbeat x missed beats): the sweep evicts it."),
        Caption(match={"kind": "deliver", "message.type": "instances", "message.body.version": AFTER_ONE_EVICTION},
                text="A consumer refreshes its cache: p2 is gone from it, and its calls succeed again."),
    ),
)

PROVIDER_PAUSE = Scenario(
    name="provider-pause-past-ttl",
    description="A provider stalls (a long garbage-collection pause) past its lease: the registry evicts "
                "a live instance, which learns it from its next heartbeat and registers again with a "
                "higher incarnation.",
    params={"registry_replicas": 1},
    faults=(
        {"action": "pause", "node": "p1", "at_ms": CRASH_AT_MS},
        {"action": "resume", "node": "p1", "at_ms": CRASH_AT_MS + 600},
    ),
    captions=(
        Caption(match={"kind": "pause", "node": "p1"},
                text="p1 stalls: it is alive, but sends no heartbeat and answers no call."),
        Caption(match=FIRST_EVICTION,
                text="p1's lease runs out and the sweep evicts it: a false eviction, p1 is not dead."),
        Caption(match={"kind": "resume", "node": "p1"},
                text="p1 wakes up and sends the heartbeat it owed, still as incarnation 1."),
        Caption(match={"kind": "send", "src": "registry", "message.type": "unknown_instance"},
                text="The registry has evicted p1#1 and will not take it back: it answers 'unknown instance'."),
        Caption(match={"kind": "persist", "node": "p1", "record.inc": 2},
                text="p1 forces incarnation 2 to its log before using it, so a crash cannot make it reuse 1."),
        Caption(match={"kind": "note", "node": "registry", "text": "registered p1#2"},
                text="The registry takes p1#2: newer than anything it evicted. Late messages of #1 stay ignored."),
    ),
)

PARTITION_FAULTS = (
    {"action": "partition", "groups": [["registry"], EVERYONE_BUT_THE_REGISTRY], "at_ms": CRASH_AT_MS},
    {"action": "heal", "at_ms": CRASH_AT_MS + 700},
)

REGISTRY_PARTITION = Scenario(
    name="registry-partition",
    description="The registry is cut off from providers and consumers. Without self-preservation it "
                "mistakes its own isolation for the providers' death and evicts every one of them.",
    params={"registry_replicas": 1, "self_preservation": False},
    faults=PARTITION_FAULTS,
    captions=(
        Caption(match={"kind": "partition"},
                text="The registry is cut off. Providers and consumers still reach each other."),
        Caption(match={"kind": "drop", "message.type": "discover", "reason": "partition"},
                text="A consumer cannot refresh: it keeps calling from its cached list, which is still right."),
        Caption(match={"kind": "state", "node": "registry", "state.evictions": 3},
                text="No heartbeats get through, and every lease runs out: the registry evicts every instance. "
                     "A mass eviction caused by the network, not by the providers."),
        Caption(match={"kind": "heal"},
                text="The network heals. Each provider's next heartbeat is answered 'unknown instance'."),
        Caption(match={"kind": "state", "node": "p1", "state.inc": 2},
                text="The providers register again, each with a higher incarnation."),
    ),
)

REGISTRY_PARTITION_SP = Scenario(
    name="registry-partition-self-preservation",
    description="The same partition with Eureka's self-preservation: when too few instances renew at once, "
                "the registry suspects the network rather than the providers and evicts nothing.",
    params={"registry_replicas": 1, "self_preservation": True},
    faults=PARTITION_FAULTS,
    captions=(
        Caption(match={"kind": "partition"},
                text="The registry is cut off. Providers and consumers still reach each other."),
        Caption(match={"kind": "state", "node": "registry", "state.phase": "preserving"},
                text="Leases run out, but far fewer than the threshold of instances renewed: self-preservation "
                     "engages, and the registry evicts nothing."),
        Caption(match={"kind": "heal"},
                text="The network heals; heartbeats renew every lease and the registry leaves self-preservation. "
                     "No instance was evicted, and no provider had to register again."),
    ),
)

STALE_CLIENT_CACHE = Scenario(
    name="stale-client-cache",
    description="A provider crashes; u1 refreshes its cache only every 1.5 s. After the eviction u2 "
                "soon stops calling the dead provider, while u1 keeps calling it from its stale cache.",
    params={"registry_replicas": 1, "slow_refresh_ms": 1500, "duration_ms": 2500},
    faults=({"action": "crash", "node": "p2", "at_ms": CRASH_AT_MS},),
    captions=(
        Caption(match={"kind": "crash", "node": "p2"},
                text="p2 crashes. Both consumers still list it in their caches."),
        Caption(match=FIRST_EVICTION,
                text="The registry evicts p2. The consumers do not know yet: they learn at their next refresh."),
        Caption(match={"kind": "deliver", "dst": "u2", "message.type": "instances",
                       "message.body.version": AFTER_ONE_EVICTION},
                text="u2 refreshes every 300 ms: p2 leaves its cache and its calls succeed again."),
        Caption(match={"kind": "deliver", "dst": "u1", "message.type": "instances",
                       "message.body.version": AFTER_ONE_EVICTION},
                text="Only now does u1 refresh: until this moment it kept calling p2, evicted long ago."),
    ),
)

SCENARIOS = (PROVIDER_CRASH, PROVIDER_PAUSE, REGISTRY_PARTITION, REGISTRY_PARTITION_SP, STALE_CLIENT_CACHE)
