"""Named hot-keys scenarios: one hot key without a remedy, with a near-cache, replicated, replicated unsafely."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

HOT = {"clients": 6, "caches": 4, "keys": 20, "zipf_s": 2.0, "read_ratio": 0.9, "ops_per_client": 20, "hot_keys": 3}
"""The workload every scenario shares: six clients, a Zipf skew where k0 takes about 63% of the requests
(k0 to k2, the keys the remedies treat as hot, 82%)."""

FIRST_HOT_READ = Caption(match={"kind": "send", "message.type": "read", "message.body.key": "k0"},
                         text="k0 is the hot key: the Zipf draw picks it about two operations in three, and the "
                              "ring sends every read of it to the same cache, its owner.")

SCENARIOS = (
    Scenario(
        name="hot-key",
        description="No remedy: k0's owner serves every request for k0, about two thirds of all traffic, "
                    "while the other caches idle. Hashing spreads keys, not load.",
        params={**HOT, "remedy": "none"},
        captions=(
            FIRST_HOT_READ,
            Caption(match={"kind": "send", "message.type": "read_ok", "message.body.hit": True},
                    text="A hit: the hot key stays in its cache, so the database is spared; the cache is not."),
            Caption(match={"kind": "violation", "invariant": "overloaded-node"},
                    text="Over a window of forty requests one cache served more than half: the hot key's "
                         "owner. In the summary's load per node the busiest serves nearly three times the "
                         "mean."),
        ),
    ),
    Scenario(
        name="near-cache",
        description="Each client keeps the hot keys for 200 ms: most reads of them never leave the client, and "
                    "k0's owner is no longer far busier than the others. The price: after a write, the other "
                    "clients read the old value until their copy expires.",
        params={**HOT, "remedy": "near-cache", "near_ttl_ms": 200},
        captions=(
            FIRST_HOT_READ,
            Caption(match={"kind": "timer_set", "timer": "near_k0"},
                    text="The client keeps what it read of k0 in its near-cache, for near_ttl_ms."),
            Caption(match={"kind": "state", "cause": "timer:think", "state.last.via": "near"},
                    text="A read of k0 answered by the near-cache: no message at all, no load on any cache."),
            Caption(match={"kind": "violation", "invariant": "near-cache-stale-read"},
                    text="A stale read: another client wrote k0 and was acknowledged, but this client still "
                         "holds the old copy. Its age is bounded by the TTL plus one network delay."),
        ),
    ),
    Scenario(
        name="replicated",
        description="Each hot key lives on its owner and the next three caches clockwise, here all four; each "
                    "client reads it from one of them, writes go to the owner, which copies them to every "
                    "replica before it acknowledges. The busiest cache serves little more than its fair share.",
        params={**HOT, "remedy": "replicate", "replicas": 4},
        captions=(
            FIRST_HOT_READ,
            Caption(match={"kind": "send", "message.type": "replicate"},
                    text="A write of a hot key: the owner stored it in the database and now copies it to the "
                         "other replicas; the client hears back only when all have it."),
            Caption(match={"kind": "deliver", "message.type": "replicate_ok"},
                    text="A replica has the new version. Only when every replica holds it is the write "
                         "acknowledged, so no later read, wherever it lands, can see the old one."),
        ),
    ),
    Scenario(
        name="replicated-async",
        description="The same replication, acknowledging a write before the replicas have it, and one copy "
                    "lost on the way: a read that lands on that replica returns the old value after the new "
                    "one was acknowledged, and the checker says so.",
        params={**HOT, "remedy": "replicate", "replicas": 3, "replica_sync": "async", "hot_keys": 1,
                "read_ratio": 0.95},
        faults=({"action": "drop", "after": {"kind": "send", "message.type": "replicate", "message.body.key": "k0",
                                             "message.body.ver": 1}},),
        captions=(
            Caption(match={"kind": "send", "message.type": "write_ok", "message.body.key": "k0"},
                    text="The owner acknowledges the write of k0 at once; its copies to the replicas are still "
                         "on their way."),
            Caption(match={"kind": "drop"},
                    text="One copy of the first write of k0 is lost: that replica keeps the value it had, and nobody "
                         "waits for its answer."),
            Caption(match={"kind": "violation", "invariant": "reads-see-acknowledged-writes"},
                    text="Caught: a read at a replica returned k0's old value after the new one was "
                         "acknowledged. Write to all replicas before acknowledging (replica_sync=sync)."),
        ),
    ),
)
