"""The coordination-service lock: ZooKeeper's recipe of ephemeral sequential nodes, with the czxid as a fence.

Theory of operation
-------------------
Roles: clients ``c1..cN``, the coordination service ``zk`` (one server, so
every operation is linearizable; see ``service``) and the ``store`` the
clients write to under the lock. Each client makes ``writes_per_client``
writes, each under the lock.

Sessions: each client has a session with the service, open before the run,
kept alive by a ping every ``heartbeat_ms``. The service expires a session
left unheard for ``session_timeout_ms`` (counted in ticks of ``tick_ms``) and
deletes its ephemeral nodes. The client, for its part, counts its session as
lost when it has heard nothing for two thirds of the timeout (ZooKeeper's
read timeout; Curator's ``SUSPENDED`` then ``LOST``), stops acting as holder
and opens a new session to try again (see ``client``).

The recipe (ZooKeeper's "Locks" recipe): to acquire, create
``/lock/n-`` as EPHEMERAL_SEQUENTIAL (the service names it, say,
``/lock/n-0000000003``, and records the creation's zxid, its czxid); list
``/lock``'s children; if the client's node has the lowest sequence number it
holds the lock; otherwise it calls ``exists`` on the node just before its own
with a watch, and waits for that watch's ``deleted`` notification (if the
predecessor is already gone it lists again), then lists again. Watching only
the predecessor means a release wakes one client. Release: delete the node.
A holder that crashes, or whose session expires, releases by the same
deletion, without anyone guessing a lease.

``watch=herd`` is the naive way: every waiter lists the children with a watch
on ``/lock`` itself, so every creation and deletion notifies every waiter,
who all list again (the herd effect), although only one can take the lock.

Fencing: the node's czxid rises with every creation, so it is a fencing
token. Every write carries it; with ``fencing=on`` the store refuses a write
whose token is lower than one it has applied. Needed, because the lock is
only as good as the holder's knowledge of its session: a holder paused (a
GC pause) past its session's expiry wakes up still believing, and writes;
a write already on its way when the session expires lands late. Without
fencing the store accepts that write after the next holder's.

Guarantees (checked by the invariants): the service's queue is ordered and
holds only nodes of live sessions, so it never has two lowest live nodes;
with fencing on the store never applies a write under an older token than
one it has applied. Not guaranteed: that only one client *believes* it holds
the lock (illustrative).

Failure model: crash-recovery (the service's transaction log, the store's
log and the clients' write numbers are durable; the service's watches are
not), pauses, clock faults, a network that delays, loses, duplicates,
reorders and partitions.
"""

from __future__ import annotations

from collections.abc import Callable

from protocols.base import Context, State
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec
from protocols.zklock import client, estimate
from protocols.zklock.invariants import INVARIANTS
from protocols.zklock.scenarios import SCENARIOS
from protocols.zklock.service import service_initial
from protocols.zklock.store import store_initial
from protocols.zklock.summary import FIGURES, summarize
from protocols.zklock.table import TABLE


def _number(name: str, default: int, bounds: tuple[int, int], text: str) -> Param:
    return Param(name=name, kind="int", default=default, min=bounds[0], max=bounds[1], help=text)


def _either(name: str, options: tuple[str, str], text: str) -> Param:
    return Param(name=name, kind="choice", default=options[0], choices=options, help=text)


MINUTE, TEN_MINUTES = (0, 60_000), (0, 600_000)
PARAMS = (
    _number("clients", 3, (1, 8), "How many clients queue for the lock and write."),
    _number("writes_per_client", 2, (0, 50), "How many writes each client makes, each under the lock."),
    _number("think_ms", 20, MINUTE, "Each client waits up to this long (at random) before each write; 0 begins "
                                    "at once."),
    _number("work_ms", 40, MINUTE,
            "How long a holder works (by its own clock) between taking the lock and writing."),
    _number("session_timeout_ms", 200, (2, 600_000),
            "The service expires a session it has not heard from for this long (and deletes its ephemeral "
            "nodes); a client counts its session lost after two thirds of it without an answer."),
    _number("heartbeat_ms", 60, TEN_MINUTES, "A client pings the service this often to keep its session alive; "
                                             "0: no pings, and no timeouts of its own: only requests keep a "
                                             "session alive, and a client learns it lost one only if the "
                                             "service tells it."),
    _number("tick_ms", 50, (1, 60_000), "The service's tickTime: it checks sessions for expiry once a tick, so "
                                        "a session expires up to one tick after its timeout."),
    _either("fencing", ("on", "off"), "'on': the store refuses a write whose token (its lock node's czxid) is "
                                      "lower than one it has applied."),
    _either("watch", ("recipe", "herd"),
            "'recipe': each waiter watches its predecessor; 'herd': each waiter watches /lock's children, and "
            "every change wakes them all."),
    _number("retry_ms", 50, (0, 60_000), "How long a holder waits for the store's acknowledgement before "
                                         "sending its write again; 0: it sends each write once and waits for "
                                         "the answer, however long it takes."),
    _number("max_tries", 3, (1, 10),
            "Sends of one write without an acknowledgement before the holder gives the write up and releases."),
    _number("max_sessions", 3, (1, 10), "Sessions a client opens in a life (the first included) before it "
                                        "gives its remaining writes up."),
)

BOOT: dict[str, Callable[[Context], State]] = {
    "zk": lambda ctx: service_initial(), "store": lambda ctx: store_initial(), "client": client.client_initial}
"""Each role's state at boot and after a crash, before its recovery handler runs."""


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    return BOOT[ctx.role](ctx)


SPEC = ProtocolSpec(
    name="zk-lock", title="Coordination-service lock (ZooKeeper recipe)",
    summary="Ephemeral sequential nodes under /lock, each waiter watching its predecessor; a session that "
            "expires in a pause loses the lock, and only the czxid as a fencing token stops its late write.",
    theory=__doc__ or "", roles=("client", "zk", "store"), params=PARAMS,
    table=TABLE, topology=client.topology, initial_state=initial_state,
    invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # Two clients, one write each, one session each. The explorer fires any timer at any moment, so the
    # service's tick may expire a session between any two steps: that is how it finds a holder whose session
    # expired while its write was on its way (it does not pause nodes): fencing=off breaks stale-write-accepted
    # in 8 steps (two ticks expire c1's session after it listed, c2's node becomes the lowest, then c1's write
    # lands). Pings are off (heartbeat_ms=0, and with them the client's own timeouts): with time abstracted
    # away they only refresh sessions the tick may expire anyway (with them the search was still at depth 10
    # after 50,000 worlds). The write is sent once (retry_ms=0): a holder that gives a write up and releases
    # while it is on its way is another way to a late write, one the expiry already shows, and it multiplied
    # the worlds by five (162,325 with max_tries=1, depth 30). So the search ends: fencing on is clean in
    # 29,861 worlds (depth 28, no safety violation, no liveness failure; about 9 CPU seconds), fencing off
    # in 31,349; tests/protocols/test_zklock.py checks fencing with retries by Hypothesis.
    explore_params={"clients": 2, "writes_per_client": 1, "think_ms": 0, "work_ms": 0, "max_sessions": 1,
                    "retry_ms": 0, "heartbeat_ms": 0, "session_timeout_ms": 50, "tick_ms": 50},
    foils=(Foil(params={"fencing": "off"}, breaks=("stale-write-accepted",)),), clean=({},),
)

CATALOGUE = Catalogue(chapter="Counters and locks", place=3, specs=(SPEC,))
