"""Write-through cache: a write reaches the database before the client hears "done".

Theory of operation
-------------------
Roles: clients ``c1..cN``, caching proxies ``cache1..cacheM`` and the
database ``db``. A client reads and writes through its cache. A read hit is
answered from the cache; a miss is read from the database and kept
(read-allocate). A write is forwarded to the database; once the database has
forced it to its log and answered with the new version, the cache stores the
value too (write-allocate) and only then acknowledges the client.

So an acknowledged write is always in the database, and a crash of a cache
loses only copies: this is the invariant ``ack-implies-db``, and the
``cache-crash`` scenario shows a crash that costs nothing but misses.

What write-through does not give is agreement between caches. With
``invalidation=none`` another cache keeps serving the value it cached before
the write: a stale read, for as long as that copy lives (here, until it is
evicted). With ``invalidation=broadcast`` the writing cache tells every peer
to drop the key (``invalidate``, carrying the new version) and waits for all
of them to confirm before it acknowledges the client; a peer also remembers
the version, so a read miss it had in flight cannot bring the old value back.
If a peer does not confirm within half the client timeout, the write is
answered with an error (it is in the database, but a peer may still be stale).

Failure model: crash-recovery nodes; caches keep nothing durable, the
database keeps its log. Lossy, duplicating, reordering network; partitions.

Invariants checked from the outside: ``ack-implies-db``, ``stale-read``,
``lost-write``.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Receive, Send, SetTimer, State, Transition
from protocols.cache import detectors, estimate, scenarios
from protocols.cache import table as t
from protocols.cache.client import initial_client
from protocols.cache.common import (
    CACHE,
    COMMON_PARAMS,
    DB_NODE,
    empty_cache,
    fill_allowed,
    peers,
    put_entry,
    raise_seen,
    reply_to,
    without,
)
from protocols.cache.db import echo_of, initial_db
from protocols.cache.policy import STALE_READ_SCRIPT, policy_spec
from protocols.cache.proxy import drop_victim, make_room
from protocols.spec import Foil, Param


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return a node's boot state by role."""
    if ctx.role == CACHE:
        return {**empty_cache(), "inval": {}}
    return initial_db(ctx) if ctx.node == DB_NODE else initial_client(ctx)


def sweep_ms(ctx: Context) -> int:
    """How long a writing cache waits for its peers to confirm an invalidation."""
    return max(1, int(ctx.params["timeout_ms"]) // 2)


def wt_put(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Forward a client's write to the database; remember nothing (the reply echoes the request)."""
    body = event.message.body
    echo = {"client": event.message.src, "n": body["n"], "req": event.message.msg_id, "value": body["value"]}
    return state, [Send(dest=DB_NODE, type="db_write", body={"key": body["key"], "value": body["value"],
                                                             "echo": echo})]


def wt_write_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database has the write: keep a copy, tell the peers if asked to, then acknowledge."""
    body = event.message.body
    key, version, echo = body["key"], body["ver"], echo_of(body)
    effects: list[Effect] = []
    if fill_allowed(state, key, version):
        state, effects = make_room(ctx, state, key, drop_victim)
        state = put_entry(state, key, {"v": echo["value"], "ver": version})
    state = raise_seen(state, key, version)
    others = peers(ctx)
    if ctx.params["invalidation"] == "broadcast" and others:
        token = f"{ctx.node}/{echo['req']}"
        waiting = {"client": echo["client"], "n": echo["n"], "req": echo["req"], "key": key,
                   "left": others, "t": now}
        if not state["inval"]:
            effects.append(SetTimer(name="inval_sweep", delay_ms=sweep_ms(ctx)))
        state = {**state, "inval": {**state["inval"], token: waiting}}
        effects += [Send(dest=p, type="invalidate", body={"key": key, "ver": version, "token": token})
                    for p in others]
        return state, effects
    effects.append(Send(dest=echo["client"], type="put_ok", body={"key": key, "n": echo["n"]},
                        in_reply_to=reply_to(echo)))
    return state, effects


def wt_invalidate(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A peer wrote this key: drop an older copy, remember the version, confirm."""
    body = event.message.body
    key, version = body["key"], body["ver"]
    entry = state["entries"].get(key)
    if entry is not None and entry.get("ver", -1) < version:
        state = without(state, key)
    state = raise_seen(state, key, version)
    return state, [Send(dest=event.message.src, type="invalidate_ok", body={"token": body["token"]},
                        in_reply_to=event.message.msg_id)]


def wt_invalidate_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A peer confirmed: once every peer has, acknowledge the client's write."""
    token = event.message.body["token"]
    waiting = state["inval"].get(token)
    if waiting is None or event.message.src not in waiting["left"]:
        return state, ()  # Confirmed twice (a duplicate), or already given up by the sweep.
    left = [p for p in waiting["left"] if p != event.message.src]
    if left:
        return {**state, "inval": {**state["inval"], token: {**waiting, "left": left}}}, ()
    rest = {k: v for k, v in state["inval"].items() if k != token}
    effects: list[Effect] = [Send(dest=waiting["client"], type="put_ok",
                                  body={"key": waiting["key"], "n": waiting["n"]}, in_reply_to=waiting["req"])]
    if not rest:
        effects.append(CancelTimer(name="inval_sweep"))
    return {**state, "inval": rest}, effects


def wt_sweep(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Give up on invalidations unconfirmed for too long: answer those writes with an error."""
    late = {k: v for k, v in state["inval"].items() if now - v["t"] >= sweep_ms(ctx)}
    rest = {k: v for k, v in state["inval"].items() if k not in late}
    effects: list[Effect] = [
        Send(dest=w["client"], type="error", in_reply_to=w["req"],
             body={"key": w["key"], "n": w["n"], "code": "invalidation-unconfirmed", "definite": False})
        for w in late.values()
    ]
    if rest:
        effects.append(SetTimer(name="inval_sweep", delay_ms=sweep_ms(ctx)))
    return {**state, "inval": rest}, effects


def rows() -> list[Transition]:
    """Return write-through's whole table."""
    own = [
        Transition(role=CACHE, phase="serving", on="msg:put", to=("serving",), handler=wt_put),
        Transition(role=CACHE, phase="serving", on="msg:db_write_ok", to=("serving",), handler=wt_write_ok),
        Transition(role=CACHE, phase="serving", on="msg:invalidate", to=("serving",), handler=wt_invalidate),
        Transition(role=CACHE, phase="serving", on="msg:invalidate_ok", to=("serving",),
                   handler=wt_invalidate_ok),
        Transition(role=CACHE, phase="serving", on="timer:inval_sweep", to=("serving",), handler=wt_sweep),
    ]
    return t.client_rows(t.PROXY_ANSWERS) + t.proxy_cache_rows() + own + t.db_rows()


TABLE = t.build(rows())

PARAMS = (
    *COMMON_PARAMS,
    Param(name="invalidation", kind="choice", default="none", choices=("none", "broadcast"),
          help="On a write, 'broadcast' makes every other cache drop its copy before the write is acknowledged."),
)

SPEC = policy_spec(
    name="cache-write-through",
    title="Write-through cache",
    summary="Writes reach the database before they are acknowledged; other caches may still serve old copies.",
    theory=__doc__ or "",
    params=PARAMS,
    table=TABLE,
    initial_state=initial_state,
    invariants=(detectors.ACK_IMPLIES_DB, detectors.STALE_READ, detectors.LOST_WRITE),
    scenarios=scenarios.WRITE_THROUGH,
    # Without invalidation (the default) c1's second read finds its cache's old copy.
    explore_script=STALE_READ_SCRIPT,
    foils=(Foil(params={"invalidation": "none"}, breaks=("stale-read",)),),
    clean=({"invalidation": "broadcast"}, {"caches": 1}),
    estimate=estimate.write_through,
)
