"""Named scenarios of the four cache policies: parameters, fault plans, narration.

The teaching scenarios use the ``script`` parameter and pauses so that the
interesting interleaving happens by construction, on every seed: a client
is paused until another has done its part (``after`` patterns match the first
event of a kind, so each pattern names an event that happens once).
Scenarios that share a name across policies share their parameters and fault
plan, so ``manage.py compare`` sets them side by side on one seed.
"""

from __future__ import annotations

from typing import Any

from protocols.spec import Caption, Scenario

# ------------------------------------------------------------ shared parts


def deliver(node: str, type_: str) -> dict[str, Any]:
    """Return the pattern of the first delivery of a ``type_`` message to ``node``."""
    return {"kind": "deliver", "node": node, "message.type": type_}


FIRST_HIT = Caption(match={"kind": "send", "message.type": "get_ok", "message.body.hit": True},
                    text="A hit: the cache answers from its own copy, without asking the database.")
FIRST_MISS = Caption(match={"kind": "send", "message.type": "db_read"},
                     text="A miss: the value is read from the database and kept in the cache for next time.")
STALE = Caption(match={"kind": "violation", "invariant": "stale-read"},
                text="A stale read: the value returned had been overwritten by an acknowledged write.")
LOST = Caption(match={"kind": "violation", "invariant": "lost-write"},
               text="A lost write: it was acknowledged, and now no copy of it exists anywhere.")

CRASH_PARAMS = {"clients": 1, "caches": 1, "script": "c1: w k0, w k1, r k0, r k1"}
CRASH_FAULTS = (
    {"action": "crash", "node": "cache1", "after": deliver("c1", "put_ok")},
    {"action": "recover", "node": "cache1", "after": {"kind": "crash", "node": "cache1"}, "delay_ms": 150},
)
"""Crash c1's cache the moment c1 hears its first write acknowledged; bring it back, empty, 150 ms later."""

CRASH_CAPTIONS = (
    Caption(match={"kind": "crash", "node": "cache1"},
            text="cache1 crashes just as c1 learns its write of k0 is done. Everything in its memory is gone."),
    Caption(match={"kind": "recover", "node": "cache1"},
            text="cache1 is back, empty: the next read of k0 must go to the database."),
    Caption(match={"kind": "deliver", "node": "db", "message.type": "db_read"},
            text="The database answers with what it has: is c1's acknowledged write there?"),
)

PEER_PARAMS = {"clients": 2, "caches": 2, "script": "c1: r k0, r k0; c2: w k0"}
PEER_FAULTS = (
    {"action": "pause", "node": "c2", "at_ms": 0},
    {"action": "resume", "node": "c2", "after": deliver("c1", "get_ok")},
    {"action": "pause", "node": "c1", "after": deliver("c1", "get_ok")},
    {"action": "resume", "node": "c1", "after": deliver("c2", "put_ok")},
)
"""c1 reads k0 through cache1 (which keeps it); then c2 writes k0 through cache2; then c1 reads again."""

PEER_CAPTIONS = (
    Caption(match=deliver("c1", "get_ok"), text="c1 has read k0 through cache1, which now keeps a copy."),
    Caption(match={"kind": "send", "src": "c2", "message.type": "put"},
            text="c2 writes k0 through the other cache, cache2."),
    Caption(match=deliver("c2", "put_ok"), text="c2's write is acknowledged: the database has it."),
    Caption(match={"kind": "send", "src": "c1", "message.type": "get", "dst": "cache1"},
            text="c1 reads k0 again through cache1. What does cache1 still hold?"),
)

RACE_PARAMS = {"clients": 2, "caches": 1, "think_ms": 30, "ttl_ms": 200,
               "script": "c1: w k0, r k0; c2: w k0, r k0, r k0, r k0, r k0, r k0, r k0, r k0"}
RACE_FAULTS = (
    {"action": "pause", "node": "c2", "at_ms": 0},
    {"action": "pause", "node": "c1",
     "after": {"kind": "send", "src": "db", "dst": "c1", "message.type": "db_read_ok"}},
    {"action": "resume", "node": "c2", "after": {"kind": "pause", "node": "c1"}},
    {"action": "resume", "node": "c1", "after": deliver("c2", "delete_ok")},
)
"""c1 writes k0, then misses and reads it; it stalls before filling; c2 writes k0 and deletes it;
c1 fills the old value."""

RACE_CAPTIONS = (
    Caption(match={"kind": "send", "src": "c1", "message.type": "db_read"},
            text="c1 missed k0 in the cache and reads it from the database: the old value."),
    Caption(match={"kind": "pause", "node": "c1"},
            text="c1 stalls (a GC pause, a slow thread) before it puts that value into the cache."),
    Caption(match={"kind": "send", "src": "c2", "message.type": "db_write"},
            text="Meanwhile c2 writes k0: first the database..."),
    Caption(match={"kind": "send", "src": "c2", "message.type": "delete"},
            text="...then it deletes k0 from the cache, so the next read loads the new value."),
    Caption(match={"kind": "send", "src": "c1", "message.type": "fill"},
            text="c1 wakes up and fills the cache with the value it read before the write."),
)

# ------------------------------------------------------------ per policy

THREE_WRITES_PARAMS = {"clients": 1, "caches": 1, "keys": 2, "script": "c1: w k0, w k1, w k0, r k0, r k1"}
THREE_WRITES_FAULTS = (
    {"action": "crash", "node": "cache1",
     "after": {"kind": "deliver", "node": "c1", "message.type": "put_ok", "message.body.n": 3}},
    {"action": "pause", "node": "c1", "after": {"kind": "crash", "node": "cache1"}},
    {"action": "recover", "node": "cache1", "after": {"kind": "crash", "node": "cache1"}, "delay_ms": 150},
    {"action": "resume", "node": "c1", "after": {"kind": "recover", "node": "cache1"}, "delay_ms": 10},
)
"""Write-behind's crash (BEHIND_CRASH_FAULTS) for the other policies, on its workload: c1 writes k0, k1, k0;
cache1 crashes once all three are acknowledged; c1 waits while it is down, then reads both keys. The
write-policies-crash comparison sets the three policies side by side on it."""
THREE_WRITES_CAPTIONS = (
    Caption(match={"kind": "crash", "node": "cache1"},
            text="cache1 crashes once c1 has heard all three writes acknowledged."),
    Caption(match={"kind": "recover", "node": "cache1"},
            text="cache1 is back, empty: c1's reads go to the database. Are its writes there?"),
)

WRITE_THROUGH = (
    Scenario(name="plain", description="The random workload on two caches, without faults.",
             captions=(FIRST_MISS, FIRST_HIT,
                       Caption(match={"kind": "send", "message.type": "db_write"},
                               text="A write: the cache passes it to the database and waits before it answers."),
                       STALE)),
    Scenario(name="cache-crash",
             description="The cache crashes right after acknowledging a write: nothing is lost, "
                         "it was in the database.",
             params=CRASH_PARAMS, faults=CRASH_FAULTS, captions=CRASH_CAPTIONS),
    Scenario(name="peer-stale-read",
             description="Without invalidation, another cache keeps serving the value it had before a write.",
             params={**PEER_PARAMS, "invalidation": "none"}, faults=PEER_FAULTS,
             captions=(*PEER_CAPTIONS, STALE)),
    Scenario(name="peer-invalidation",
             description="With broadcast invalidation the same run reads the new value: cache1 dropped its copy.",
             params={**PEER_PARAMS, "invalidation": "broadcast"}, faults=PEER_FAULTS,
             captions=(*PEER_CAPTIONS,
                       Caption(match={"kind": "send", "message.type": "invalidate"},
                               text="cache2 tells every other cache to drop k0 before it acknowledges the write."))),
    Scenario(name="crash-after-three-writes",
             description="Write-behind's crash on write-through: every acknowledged write was already in the "
                         "database, one database write per client write.",
             params=THREE_WRITES_PARAMS, faults=THREE_WRITES_FAULTS, captions=THREE_WRITES_CAPTIONS),
)

WRITE_BACK = (
    Scenario(name="plain", description="The random workload on two caches, without faults.",
             captions=(FIRST_MISS, FIRST_HIT,
                       Caption(match={"kind": "send", "message.type": "claim"},
                               text="To write a key, a cache must own it: it claims it from the database."),
                       Caption(match={"kind": "send", "message.type": "flush"},
                               text="The flush timer: dirty entries are written back to the database, late."),
                       STALE)),
    Scenario(name="cache-crash-loses-dirty",
             description="The cache crashes holding an acknowledged write that was never flushed: it is lost.",
             params=CRASH_PARAMS, faults=CRASH_FAULTS, captions=(*CRASH_CAPTIONS, LOST)),
    Scenario(name="ownership-transfer",
             description="Two caches write one key in turn: the database recalls it from the first before "
                         "granting it to the second.",
             params={"clients": 2, "caches": 2, "script": "c1: w k0, r k0; c2: w k0, r k0"},
             faults=({"action": "pause", "node": "c2", "at_ms": 0},
                     {"action": "resume", "node": "c2", "after": deliver("c1", "put_ok")}),
             captions=(Caption(match={"kind": "send", "message.type": "grant"},
                               text="cache1 owns k0 now: it may keep it dirty."),
                       Caption(match={"kind": "send", "message.type": "recall"},
                               text="cache2 wants k0 too: the database first recalls it from cache1."),
                       Caption(match={"kind": "send", "message.type": "recall_ok"},
                               text="cache1 hands k0 back with its dirty value and drops its copy."))),
    Scenario(name="flush-on-eviction",
             description="A one-entry cache: writing a second key evicts the first, which is flushed as it leaves.",
             params={"clients": 1, "caches": 1, "capacity": 1, "flush_interval_ms": 5_000,
                     "script": "c1: w k0, w k1, r k0"},
             captions=(Caption(match={"kind": "send", "message.type": "flush", "message.body.release": True},
                               text="No room for k1: dirty k0 is evicted, and flushed to the database "
                                    "on its way out."),)),
    Scenario(name="crash-after-three-writes",
             description="Write-behind's crash on write-back: the dirty keys, never flushed, are lost.",
             params=THREE_WRITES_PARAMS, faults=THREE_WRITES_FAULTS, captions=(*THREE_WRITES_CAPTIONS, LOST)),
)

WRITE_AROUND = (
    Scenario(name="plain", description="The random workload on two caches, without faults.",
             captions=(FIRST_MISS, FIRST_HIT,
                       Caption(match={"kind": "send", "message.type": "db_write"},
                               text="A write goes around the cache, straight to the database."),
                       STALE)),
    Scenario(name="own-read-misses",
             description="Read, write, read: the write drops the writer's cached copy, so the next read misses.",
             params={"clients": 1, "caches": 1, "script": "c1: r k0, w k0, r k0"},
             captions=(Caption(match=deliver("cache1", "db_write_ok"),
                               text="The write is in the database; cache1 drops its now-old copy of k0."),
                       Caption(match={"kind": "deliver", "node": "c1", "message.type": "get_ok",
                                      "message.body.n": 3, "message.body.hit": False},
                               text="The read after the write misses: write-around left nothing in cache1 to hit."),)),
    Scenario(name="peer-stale-read",
             description="The writer's cache drops its copy, but another cache keeps serving the old value.",
             params=PEER_PARAMS, faults=PEER_FAULTS, captions=(*PEER_CAPTIONS, STALE)),
)

ASIDE = (
    Scenario(name="plain", description="The random workload, without faults.",
             captions=(Caption(match={"kind": "send", "message.type": "fill"},
                               text="A miss: the client read the database and puts the value into the cache."),
                       Caption(match={"kind": "send", "message.type": "delete"},
                               text="A write: the client updated the database and deletes the key from the cache."),
                       STALE)),
    Scenario(name="stale-fill-race",
             description="A reader's late fill puts an overwritten value back into the cache, where it lives "
                         "until its TTL runs out.",
             params={**RACE_PARAMS, "remedy": "none"}, faults=RACE_FAULTS,
             captions=(*RACE_CAPTIONS, STALE,
                       Caption(match={"kind": "timer", "node": "cache1", "timer": "expire"},
                               text="The TTL runs out: only now does the stale value leave the cache."))),
    Scenario(name="stale-fill-race-remedied",
             description="The same race with versioned fills: the cache refuses a fill older than the delete.",
             params={**RACE_PARAMS, "remedy": "versioned-fill"}, faults=RACE_FAULTS,
             captions=(*RACE_CAPTIONS,
                       Caption(match={"kind": "deliver", "node": "cache1", "message.type": "fill"},
                               text="The fill carries version 1, but the delete announced version 2: refused."))),
    Scenario(name="stale-fill-race-double-delete",
             description="The same race with a delayed second delete, which removes the stale fill.",
             params={**RACE_PARAMS, "remedy": "delayed-double-delete"}, faults=RACE_FAULTS,
             captions=(*RACE_CAPTIONS,
                       Caption(match={"kind": "timer", "node": "c2", "timer": "double_delete"},
                               text="c2 deletes k0 a second time, after the stale fill has landed."))),
)

BEHIND_CRASH_PARAMS = {"clients": 1, "caches": 1, "keys": 2, "batch_size": 4, "max_age_ms": 400,
                       "script": "c1: w k0, w k1, w k0, r k0, r k1"}
BEHIND_CRASH_FAULTS = (
    {"action": "crash", "node": "cache1",
     "after": {"kind": "deliver", "node": "c1", "message.type": "put_ok", "message.body.n": 3}},
    {"action": "pause", "node": "c1", "after": {"kind": "crash", "node": "cache1"}},
    {"action": "recover", "node": "cache1", "after": {"kind": "crash", "node": "cache1"}, "delay_ms": 150},
    {"action": "resume", "node": "c1", "after": {"kind": "recover", "node": "cache1"}, "delay_ms": 10},
)
"""c1 writes k0, k1, k0 (the third folds into the first); cache1 crashes once all three are acknowledged and
before the batch leaves (it waits for 4 writes or 400 ms); c1 waits while it is down, then reads both keys."""

BEHIND_CRASH_CAPTIONS = (
    Caption(match={"kind": "send", "src": "cache1", "message.type": "put_ok"},
            text="cache1 acknowledges the write at once: it is only in cache1's queue."),
    Caption(match={"kind": "deliver", "node": "cache1", "message.type": "put", "message.body.n": 3},
            text="A second write of k0: it replaces the queued one (coalesced), so the database will get one write."),
    Caption(match={"kind": "crash", "node": "cache1"},
            text="cache1 crashes with three acknowledged writes queued and no batch sent yet."),
    Caption(match={"kind": "recover", "node": "cache1"},
            text="cache1 is back. What is left of its queue?"),
)

BEHIND_ORDER_FAULTS = (
    {"action": "pause", "node": "c2", "at_ms": 0},
    {"action": "pause", "node": "c3", "at_ms": 0},
    {"action": "pause", "node": "cache1", "after": deliver("c1", "put_ok")},
    {"action": "resume", "node": "c2", "after": deliver("c1", "put_ok")},
    {"action": "resume", "node": "c3", "after": deliver("cache2", "batch_ok")},
    {"action": "resume", "node": "cache1",
     "after": {"kind": "deliver", "node": "c3", "message.type": "get_ok", "message.body.key": "k0"}},
)
"""c1 writes k0 through cache1, whose writer then stalls; only then does c2 write k1 through cache2, which
drains; c3 reads k1 and k0 through cache3, from the database; then cache1 wakes up."""

WRITE_BEHIND = (
    Scenario(name="plain", description="The random workload on two caches, without faults.",
             captions=(FIRST_MISS, FIRST_HIT,
                       Caption(match={"kind": "send", "message.type": "put_ok"},
                               text="A write is acknowledged from the cache and queued: the database has not "
                                    "seen it yet."),
                       Caption(match={"kind": "send", "message.type": "batch"},
                               text="The writer drains the queue: one batch, applied by the database in its "
                                    "order."),
                       STALE)),
    Scenario(name="cache-crash-volatile",
             description="The cache crashes with acknowledged writes still in its volatile queue: they are lost.",
             params={**BEHIND_CRASH_PARAMS, "queue": "volatile"}, faults=BEHIND_CRASH_FAULTS,
             captions=(*BEHIND_CRASH_CAPTIONS, LOST,
                       Caption(match={"kind": "send", "src": "cache1", "message.type": "db_read"},
                               text="The queue was in memory only: the read goes to the database, which never "
                                    "had the write."))),
    Scenario(name="cache-crash-durable",
             description="The same crash with a durable queue: the cache replays its log and nothing is lost.",
             params={**BEHIND_CRASH_PARAMS, "queue": "durable"}, faults=BEHIND_CRASH_FAULTS,
             captions=(*BEHIND_CRASH_CAPTIONS,
                       Caption(match={"kind": "persist", "node": "cache1", "record.type": "queued"},
                               text="A durable queue: the write is forced to cache1's log before it is "
                                    "acknowledged."),
                       Caption(match={"kind": "send", "src": "cache1", "message.type": "batch"},
                               text="Replayed from the log, the unconfirmed writes leave in one batch."))),
    Scenario(name="reorder-across-caches",
             description="Two caches drain at their own pace: a reader of the database sees k1's newer write "
                         "but not k0's older one.",
             params={"clients": 3, "caches": 3, "keys": 2, "max_age_ms": 30,
                     "script": "c1: w k0; c2: w k1; c3: r k1, r k0"},
             faults=BEHIND_ORDER_FAULTS,
             captions=(Caption(match=deliver("c1", "put_ok"),
                               text="c1's write of k0 is acknowledged, and waits in cache1's queue."),
                       Caption(match={"kind": "pause", "node": "cache1"},
                               text="cache1's writer stalls (a long pause) before its batch leaves."),
                       Caption(match={"kind": "send", "src": "c2", "message.type": "put"},
                               text="Only now does c2 write k1, through cache2."),
                       Caption(match=deliver("cache2", "batch_ok"),
                               text="cache2's batch is applied: the database has k1's new value, and still k0's "
                                    "old one."),
                       Caption(match={"kind": "violation", "invariant": "write-order"},
                               text="c3 saw k1's new value, then k0's old one, although k0 was written first."),
                       Caption(match={"kind": "resume", "node": "cache1"},
                               text="cache1 wakes up and drains k0: too late for c3."))),
    Scenario(name="db-down-back-pressure",
             description="The database is down: batches are resent, the queue fills, and past max_queue the "
                         "cache answers busy; once the database is back the queue drains.",
             params={"clients": 1, "caches": 1, "keys": 4, "batch_size": 1, "max_age_ms": 10, "max_queue": 3,
                     "timeout_ms": 400, "script": "c1: w k0, w k1, w k2, w k3, r k0"},
             faults=({"action": "crash", "node": "db", "at_ms": 0},
                     {"action": "recover", "node": "db", "at_ms": 900}),
             captions=(Caption(match={"kind": "crash", "node": "db"}, text="The database is down."),
                       Caption(match={"kind": "drop", "message.type": "batch"},
                               text="The batch finds no database; the writer will send it again."),
                       Caption(match={"kind": "send", "src": "cache1", "message.type": "error"},
                               text="Three writes wait unconfirmed: cache1 stops acknowledging and answers busy."),
                       Caption(match={"kind": "recover", "node": "db"},
                               text="The database is back: the next resend is applied, and the queue drains."))),
)

# ------------------------------------------------------------- stampede

HERD_PARAMS = {"clients": 6, "caches": 1, "ttl_ms": 100, "think_ms": 20, "ops_per_client": 8, "query_ms": 20}
"""Six readers of one hot key, a TTL a few of their reads long, a query as slow as a read's round trip."""

XFETCH_PARAMS = {**HERD_PARAMS, "ttl_ms": 300, "ops_per_client": 16, "warm": True, "remedy": "xfetch"}
"""XFetch's setting: the key cached from the start (XFetch does nothing for a cold start) and a TTL several
recomputations long (a TTL close to delta has readers recompute right after each fill)."""

EXPIRY = Caption(match={"kind": "state", "node": "cache1", "state.phase": "fresh"},
                 text="The first fill: the hot key is cached for ttl_ms, and reads hit.")
EXPIRED = Caption(match={"kind": "timer", "node": "cache1", "timer": "ttl"},
                  text="The hot key's TTL runs out, with every client still reading it.")

STAMPEDE = (
    Scenario(name="expiry-herd",
             description="The hot key expires under six readers with no remedy: every miss queries the database.",
             params={**HERD_PARAMS, "remedy": "none"},
             captions=(Caption(match={"kind": "violation", "invariant": "stampede"},
                               text="A second database read of the same key while the first is still running: "
                                    "the herd. The database runs them one after another."),
                       EXPIRY, EXPIRED)),
    Scenario(name="expiry-single-flight",
             description="The same expiry with single-flight: the first miss fetches, the others wait for its fill.",
             params={**HERD_PARAMS, "remedy": "single-flight"},
             captions=(Caption(match={"kind": "state", "node": "cache1", "state.phase": "filling"},
                               text="The first miss is sent to the database; the cache now holds every other "
                                    "reader of the key until that one fill."),
                       EXPIRY, EXPIRED,
                       Caption(match={"kind": "send", "src": "cache1", "message.type": "get_ok",
                                      "message.body.hit": True},
                               text="The held readers are answered from the one fill: one database read."))),
    Scenario(name="expiry-xfetch",
             description="A warm hot key under six readers with XFetch: as the expiry nears, a reader's draw sends it "
                         "to the database early while the others keep hitting.",
             params=XFETCH_PARAMS,
             captions=(Caption(match={"kind": "send", "message.type": "db_read", "message.body.echo.early": True},
                               text="A reader hit, but its draw said recompute: the expiry is near and the query "
                                    "slow. It reads the database now; the others keep hitting the cached value."),
                       Caption(match={"kind": "deliver", "node": "cache1", "message.type": "fill"},
                               text="The early value lands before the TTL ran out: a new expiry, and no reader "
                                    "missed or waited."),
                       Caption(match={"kind": "violation", "invariant": "stampede"},
                               text="Two readers drew early in the same window: two database reads at once. XFetch "
                                    "makes the herd small, not impossible."))),
    Scenario(name="expiry-lease",
             description="The same expiry with leases: one reader holds the lease and fetches; the others "
                         "retry (cold) or read the stale value (after an expiry).",
             params={**HERD_PARAMS, "remedy": "lease"},
             captions=(Caption(match={"kind": "send", "src": "cache1", "message.type": "retry"},
                               text="The cache is cold and a lease is out: 'retry shortly', no database read."),
                       EXPIRY, EXPIRED,
                       Caption(match={"kind": "send", "src": "cache1", "message.type": "get_ok",
                                      "message.body.stale": True},
                               text="While the lease holder refetches, the others get the expired value: a "
                                    "stale read served, and no herd."))),
)
