"""Write-around cache: writes go to the database only; the cache fills on read misses.

Theory of operation
-------------------
Roles: clients ``c1..cN``, caching proxies ``cache1..cacheM`` and the
database ``db``. Reads are as in write-through: a hit is answered from the
cache, a miss is read from the database and kept (read-allocate).

A write goes *around* the cache: the proxy forwards it to the database and
does not store the new value (no-write-allocate), so data written once and
rarely read never takes cache space. The standard behaviour, kept here, is
that the proxy *invalidates* its own copy once the database has acknowledged
the write: leaving it would make the writer's cache serve the overwritten
value to the very client that just wrote, until it is evicted. The proxy also
remembers the new version, so a read miss it had in flight cannot put the old
value back. The price is a miss: the next read of a freshly written key goes
to the database.

Nothing tells the *other* caches: a copy another proxy cached before the
write stays, stale, until it is evicted (the ``peer-stale-read`` scenario),
just as in write-through with ``invalidation=none``.

An acknowledged write is in the database (``ack-implies-db``); a cache crash
loses only copies. Failure model: crash-recovery nodes, caches keep nothing
durable, the database keeps its log; lossy, reordering network; partitions.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Outcome, Receive, Send, State, Transition
from protocols.cache import detectors, estimate, scenarios
from protocols.cache import table as t
from protocols.cache.client import initial_client
from protocols.cache.common import CACHE, COMMON_PARAMS, DB_NODE, empty_cache, raise_seen, reply_to
from protocols.cache.common import without as drop_entry
from protocols.cache.db import echo_of, initial_db
from protocols.cache.policy import STALE_READ_SCRIPT, policy_spec
from protocols.spec import Foil


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return a node's boot state by role."""
    if ctx.role == CACHE:
        return empty_cache()
    return initial_db(ctx) if ctx.node == DB_NODE else initial_client(ctx)


def wa_put(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Send a client's write around the cache, straight to the database."""
    body = event.message.body
    echo = {"client": event.message.src, "n": body["n"], "req": event.message.msg_id}
    return state, [Send(dest=DB_NODE, type="db_write", body={"key": body["key"], "value": body["value"],
                                                             "echo": echo})]


def wa_write_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database has the write: drop this cache's older copy, then acknowledge."""
    body = event.message.body
    key, version, echo = body["key"], body["ver"], echo_of(body)
    entry = state["entries"].get(key)
    if entry is not None and entry.get("ver", -1) < version:
        state = drop_entry(state, key)
    state = raise_seen(state, key, version)
    return state, [Send(dest=echo["client"], type="put_ok", body={"key": key, "n": echo["n"]},
                        in_reply_to=reply_to(echo))]


def rows() -> list[Transition]:
    """Return write-around's whole table."""
    own = [
        Transition(role=CACHE, phase="serving", on="msg:put", to=("serving",), handler=wa_put),
        Transition(role=CACHE, phase="serving", on="msg:db_write_ok", to=("serving",), handler=wa_write_ok),
    ]
    return t.client_rows(t.PROXY_ANSWERS) + t.proxy_cache_rows() + own + t.db_rows()


TABLE = t.build(rows())

SPEC = policy_spec(
    name="cache-write-around",
    title="Write-around cache",
    summary="Writes bypass the cache and invalidate the writer's copy; caches fill only on read misses.",
    theory=__doc__ or "",
    params=COMMON_PARAMS,
    table=TABLE,
    initial_state=initial_state,
    invariants=(detectors.ACK_IMPLIES_DB, detectors.STALE_READ, detectors.LOST_WRITE),
    scenarios=scenarios.WRITE_AROUND,
    # Nothing tells the other cache: c1's second read finds its old copy. One shared cache is safe.
    explore_script=STALE_READ_SCRIPT,
    foils=(Foil(params={}, breaks=("stale-read",)),),
    clean=({"caches": 1},),
    estimate=estimate.per_operation(20),
)
