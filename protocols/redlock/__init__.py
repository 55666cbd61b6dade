"""Redis locks: one instance with SET NX PX, and Redlock over independent nodes, under pauses and clock jumps.

Theory of operation
-------------------
Roles: clients ``c1..cN``, Redis nodes ``r1..rM`` (``redis_nodes``: 1 is a
single instance, 5 is Redlock as its author describes it) and a ``store``
the clients write to under the lock. Each client makes ``writes_per_client``
writes, each under the lock.

An attempt (``acquiring``): the client notes its clock (``started_at``),
picks a random value and sends ``SET lock <value> NX PX <ttl>`` to every
node. A node sets the key only if no live key is there (an expired key
counts as none: it checks expiry against *its own* clock) and answers
``set_ok`` or ``set_busy``. When every node has answered, or
``acquire_timeout_ms`` has passed, the client counts: with OK from a
majority and time left, ``validity = ttl - elapsed - drift`` (drift: 1 % of
the TTL plus 2 ms), it holds the lock until ``now + validity`` by its clock
(``holding``). Otherwise it releases on every node and tries again after a
random wait (``waiting``), at most ``max_acquires`` times per write.

Holding: the client works ``work_ms``, checks the validity left by its clock,
and writes (``committing`` is the instant between the check and the write:
where a pause strikes). The write names the lock value it was made under,
but the store cannot judge it: a random value has no order, so there is
nothing to fence with. On ``write_ok`` the client releases on every node:
``release=compare`` runs the compare-and-delete script (delete the key only
if it still holds my value); ``release=delete`` is a plain ``DEL`` that
deletes whatever key is there, someone else's included.

What it cannot promise (Kleppmann, "How to do distributed locking", 2016,
and antirez's reply): the lock is time, measured on many clocks. A holder
paused past its validity (a GC pause, a page fault) still writes; a node
whose clock jumps forward expires a key early; a node that restarts without
persistence forgets the keys it held. Each lets a second client take a
majority while the first still believes, or still is, the holder. Fencing
tokens would stop the late write at the store, but Redlock has none to give:
the lock-lease protocol shows what a monotonic token buys.

Failure model: crash-recovery (``persistence=always``: a node logs every SET
and DEL, as an append-only file with fsync always, and restores its key on
restart; ``none``: it forgets), pauses, clock faults, a network that delays,
loses, duplicates, reorders and partitions.
"""

from __future__ import annotations

from protocols.base import Context, State
from protocols.redlock import estimate
from protocols.redlock import handlers as h
from protocols.redlock.invariants import INVARIANTS
from protocols.redlock.scenarios import SCENARIOS
from protocols.redlock.summary import FIGURES, summarize
from protocols.redlock.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

PARAMS = (
    Param(name="clients", kind="int", default=2, min=1, max=8, help="How many clients take the lock and write."),
    Param(name="writes_per_client", kind="int", default=2, min=0, max=50,
          help="How many writes each client makes, each under the lock."),
    Param(name="redis_nodes", kind="int", default=5, min=1, max=7,
          help="Independent Redis nodes: 1 is a single instance; 5 is Redlock as its author describes it."),
    Param(name="ttl_ms", kind="int", default=200, min=5, max=60_000,
          help="The lock key's time to live (SET ... PX): how long a lock lasts unless released."),
    Param(name="work_ms", kind="int", default=40, min=0, max=60_000,
          help="How long a holder works (by its own clock) between taking the lock and writing."),
    Param(name="think_ms", kind="int", default=20, min=0, max=60_000,
          help="Each client waits up to this long (at random) before each write."),
    Param(name="acquire_timeout_ms", kind="int", default=50, min=1, max=10_000,
          help="How long an attempt waits for the nodes' answers before it counts them."),
    Param(name="retry_ms", kind="int", default=50, min=1, max=60_000,
          help="After a failed attempt a client waits up to this long (at random) before the next; also the "
               "time it waits for a write's acknowledgement before sending it again."),
    Param(name="max_acquires", kind="int", default=16, min=1, max=64,
          help="Attempts per write before the client gives that write up."),
    Param(name="max_write_tries", kind="int", default=3, min=1, max=20,
          help="Sends of one write without an acknowledgement before the client gives the write up."),
    Param(name="release", kind="choice", default="compare", choices=("compare", "delete"),
          help="'compare': release with the compare-and-delete script; 'delete': a plain DEL, which deletes "
               "another client's key as readily as one's own."),
    Param(name="fencing", kind="choice", default="off", choices=("off", "counter"),
          help="'counter': each node counts the SETs it grants and answers OK with its count; the lock's token is "
               "the highest count of the majority, and the store refuses a write with a token lower than one it "
               "has seen. 'off': the store takes every write."),
    Param(name="persistence", kind="choice", default="none", choices=("none", "always"),
          help="'always': a node logs every SET and DEL and restores its key after a restart; 'none': it forgets."),
)


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "redis":
        return h.redis_initial()
    if ctx.role == "store":
        return h.store_initial()
    return h.client_initial()


SPEC = ProtocolSpec(
    name="redis-lock",
    title="Redis locks and Redlock",
    summary="A lock that is a key with a time to live, on one Redis or on a majority of five: a paused holder, "
            "a clock jump or a restart lets two clients hold it.",
    theory=__doc__ or "",
    roles=("client", "redis", "store"),
    params=PARAMS,
    table=TABLE,
    topology=h.topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    figures=FIGURES,
    estimate=estimate.events,
    # Two clients, one write each, one attempt and one send each, one node: with three nodes the search is
    # still short of depth 9 at 50,000 worlds, and the clock faults that set Redlock's nodes apart are the
    # scenarios', not the explorer's. Without a token a write delayed in the network lands after the other
    # client's, under a later lock; with counter tokens the store refuses it, and the search ends clean.
    explore_params={"clients": 2, "writes_per_client": 1, "think_ms": 0, "work_ms": 0, "max_acquires": 1,
                    "max_write_tries": 1, "redis_nodes": 1},
    # The stale write is 13 steps deep, some 15,000 worlds in. A restart that forgets the counter (the
    # fenced-restart scenario) needs a crash, which would make the clean configuration unclean too.
    foils=(Foil(params={}, breaks=("stale-write-accepted",), deep=True),
           Foil(params={"release": "delete", "max_acquires": 2}, breaks=("foreign-release",))),
    clean=({"fencing": "counter"},),
)

CATALOGUE = Catalogue(chapter="Counters and locks", place=2, specs=(SPEC,))
