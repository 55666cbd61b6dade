"""Cache-aside (lazy loading): the application, not the cache, keeps the cache up to date.

Theory of operation
-------------------
Roles: clients ``c1..cN`` are the application; ``cache1..cacheM`` are plain
key-value stores with a time-to-live (``ttl_ms``); ``db`` is the database.
The cache never talks to the database.

Read: ask the cache (``get``). On a hit, done. On a miss, read the database
(``db_read``), put what it answered into the cache (``fill``, fire and
forget) and return it. Write: update the database (``db_write``), then
delete the key from the cache (``delete``) so the next read loads the new
value. Deleting rather than updating the cache is the usual advice: two
concurrent updates could land in the cache in the wrong order, a delete
cannot.

The classic race remains (``stale-fill-race``): a reader misses and reads
the *old* value from the database; before its fill reaches the cache, a
writer updates the database and deletes the key; then the reader's fill
lands, and the cache serves the old value to everyone until its TTL runs
out. The scenario pauses the reader at just that moment, so it happens on
every seed.

Remedies (``remedy``):

* ``delayed-double-delete``: the writer deletes the key again
  ``double_delete_ms`` after the first delete, removing a stale fill that
  landed in between; the write returns after the second delete. It narrows
  the window: a fill later than the second delete, or a read between the
  fill and the second delete, is still stale.
* ``versioned-fill``: fills and deletes carry the database version; a delete
  leaves the version behind in the cache, and a fill older than what the
  cache has seen is refused. Like memcached leases, it closes the race.

A cache records which entries it holds past their TTL (``expired``, by its
own clock, each time its state changes; the ``expire`` timer sweeps them out
at the first expiry), so a page shows what the cache knows and never judges
a TTL against the playhead's clock.

Failure model: crash-recovery nodes, caches keep nothing durable, the
database keeps its log; lossy, reordering network; partitions. Invariants:
``ack-implies-db``, ``stale-read``, ``lost-write``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from protocols.base import ANY_PHASE, Context, Effect, Handler, Outcome, Receive, Send, SetTimer, State, Transition
from protocols.cache import client as cl
from protocols.cache import detectors, estimate, scenarios
from protocols.cache import table as t
from protocols.cache.common import (
    CACHE,
    CLIENT,
    COMMON_PARAMS,
    DB_NODE,
    empty_cache,
    fill_allowed,
    put_entry,
    raise_seen,
    without,
)
from protocols.cache.db import initial_db
from protocols.cache.policy import STALE_READ_SCRIPT, policy_spec
from protocols.cache.proxy import cache_recover, drop_victim, make_room
from protocols.spec import Foil, Param

ANSWERS = ("get_ok", "db_read_ok", "db_write_ok", "delete_ok")
"""What a cache-aside client hears back: from the cache and from the database."""

EXPECTS = {
    "get_ok": (("read", "cache"),),
    "db_read_ok": (("read", "db"),),
    "db_write_ok": (("write", "db"),),
    "delete_ok": (("write", "delete"), ("write", "delete2")),
}
"""Which (operation, step) each answer moves on; any other is late or duplicated."""


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return a node's boot state by role."""
    if ctx.role == CACHE:
        return {**empty_cache(), "next_exp": None, "expired": []}
    return initial_db(ctx) if ctx.node == DB_NODE else cl.initial_client(ctx)


# ---------------------------------------------------------------- client


def ca_think(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Start the next operation: a read asks the cache, a write goes to the database."""
    op, state = cl.draw_op(ctx, state)
    timeout = SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])
    if op["op"] == "read":
        return {**state, "step": "cache"}, [
            Send(dest=cl.my_cache(ctx), type="get", body={"key": op["key"], "n": op["n"]}), timeout]
    body = {"key": op["key"], "value": op["value"], "echo": {"n": op["n"]}}
    return {**state, "step": "db"}, [Send(dest=DB_NODE, type="db_write", body=body), timeout]


def ca_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Take the next step of the operation in progress; ignore answers that belong to no step."""
    kind = event.message.type
    if not cl.current(state, event) or (state["op"]["op"], state["step"]) not in EXPECTS[kind]:
        return state, ()  # Late, duplicated, or for a step already passed.
    op, body = state["op"], event.message.body
    if kind == "get_ok":
        if body.get("hit"):
            return cl.finish(ctx, state, {"value": body.get("value"), "ok": True, "hit": True})
        return {**state, "step": "db"}, [
            Send(dest=DB_NODE, type="db_read", body={"key": op["key"], "echo": {"n": op["n"]}})]
    if kind == "db_read_ok":
        fill = Send(dest=cl.my_cache(ctx), type="fill",
                    body={"key": op["key"], "value": body["value"], "ver": body["ver"]})
        state, effects = cl.finish(ctx, state, {"value": body["value"], "ok": True, "hit": False})
        return state, [fill, *effects]
    if kind == "db_write_ok":
        delete = Send(dest=cl.my_cache(ctx), type="delete", body={"key": op["key"], "ver": body["ver"],
                                                                  "n": op["n"]})
        return {**state, "step": "delete", "op": {**op, "ver": body["ver"]}}, [delete]
    if state["step"] == "delete" and ctx.params["remedy"] == "delayed-double-delete":
        return {**state, "step": "wait"}, [SetTimer(name="double_delete", delay_ms=ctx.params["double_delete_ms"])]
    return cl.finish(ctx, state, {"value": op["value"], "ok": True})


def ca_double_delete(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Delete the key a second time, to remove a stale fill that landed since the first delete."""
    op = state["op"]
    return {**state, "step": "delete2"}, [
        Send(dest=cl.my_cache(ctx), type="delete", body={"key": op["key"], "ver": op.get("ver", 0), "n": op["n"]})]


# ----------------------------------------------------------------- cache


def live(entry: Mapping[str, Any], now: int) -> bool:
    """Say whether an entry is within its TTL at ``now`` (it expires at ``exp`` exactly)."""
    return bool(entry["exp"] > now)


def recording_expiry(handler: Handler) -> Handler:
    """Wrap a cache handler: a state it changes records the keys held past their TTL at ``now``."""

    @functools.wraps(handler)
    def run(ctx: Context, state: State, event: Any, now: int) -> Outcome:
        new, effects = handler(ctx, state, event, now)
        if new == state:
            return new, effects  # Unchanged: no state event, nothing new to record.
        expired = sorted(k for k, e in new["entries"].items() if not live(e, now))
        return {**new, "expired": expired}, effects

    return run


def ca_get(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer from the cache: a live entry is a hit; a missing or expired one is a miss."""
    body = event.message.body
    key = body["key"]
    entry = state["entries"].get(key)
    if entry is not None and live(entry, now):
        reply = {"key": key, "value": entry["v"], "ver": entry["ver"], "hit": True, "n": body["n"]}
        return state, [Send(dest=event.message.src, type="get_ok", body=reply, in_reply_to=event.message.msg_id)]
    if entry is not None:
        state = without(state, key)  # Expired: gone, lazily.
    return state, [Send(dest=event.message.src, type="get_ok", in_reply_to=event.message.msg_id,
                        body={"key": key, "hit": False, "n": body["n"]})]


def ca_fill(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Store what a reader loaded from the database, for ttl_ms (refused if stale, with versioned-fill)."""
    body = event.message.body
    key, version = body["key"], body["ver"]
    if ctx.params["remedy"] == "versioned-fill" and not fill_allowed(state, key, version):
        return state, ()
    state, effects = make_room(ctx, state, key, drop_victim)
    expires = now + ctx.params["ttl_ms"]
    state = put_entry(state, key, {"v": body["value"], "ver": version, "exp": expires})
    if state["next_exp"] is None or expires < state["next_exp"]:
        state = {**state, "next_exp": expires}
        effects.append(SetTimer(name="expire", delay_ms=ctx.params["ttl_ms"]))
    return state, effects


def ca_delete(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Drop the key (with versioned-fill, remember the version so an older fill is refused); confirm."""
    body = event.message.body
    key = body["key"]
    state = without(state, key)
    if ctx.params["remedy"] == "versioned-fill":
        state = raise_seen(state, key, body["ver"])
    return state, [Send(dest=event.message.src, type="delete_ok", body={"key": key, "n": body["n"]},
                        in_reply_to=event.message.msg_id)]


def ca_expire(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Remove every entry whose TTL has run out; wake again for the next one."""
    kept = {k: e for k, e in state["entries"].items() if live(e, now)}
    state = {**state, "entries": kept, "lru": [k for k in state["lru"] if k in kept], "next_exp": None}
    effects: list[Effect] = []
    if kept:
        first = min(e["exp"] for e in kept.values())
        state = {**state, "next_exp": first}
        effects.append(SetTimer(name="expire", delay_ms=first - now))
    return state, effects


def rows() -> list[Transition]:
    """Return cache-aside's whole table."""
    s = "serving"
    cache = [
        Transition(role=CACHE, phase=s, on="start", to=(s,), why="a cache starts empty and waits for requests"),
        Transition(role=CACHE, phase=s, on="msg:get", to=(s,), handler=recording_expiry(ca_get)),
        Transition(role=CACHE, phase=s, on="msg:fill", to=(s,), handler=recording_expiry(ca_fill)),
        Transition(role=CACHE, phase=s, on="msg:delete", to=(s,), handler=recording_expiry(ca_delete)),
        Transition(role=CACHE, phase=s, on="timer:expire", to=(s,), handler=recording_expiry(ca_expire)),
        Transition(role=CACHE, phase=ANY_PHASE, on="recover", to=(s,), handler=cache_recover),
    ]
    client = [
        *t.client_rows(ANSWERS, think=ca_think, answer=ca_answer),
        Transition(role=CLIENT, phase="waiting", on="timer:double_delete", to=("waiting",),
                   handler=ca_double_delete),
    ]
    return client + cache + t.db_rows()


TABLE = t.build(rows())

PARAMS = (
    *COMMON_PARAMS,
    Param(name="ttl_ms", kind="int", default=200, min=1, max=600_000,
          help="How long a filled entry lives in the cache."),
    Param(name="remedy", kind="choice", default="none", choices=("none", "delayed-double-delete", "versioned-fill"),
          help="A defence against the stale-fill race: none, a second delayed delete, or version-checked fills."),
    Param(name="double_delete_ms", kind="int", default=50, min=1, max=60_000,
          help="With delayed-double-delete: how long the writer waits before deleting the key again."),
)

SPEC = policy_spec(
    name="cache-aside",
    title="Cache-aside (lazy loading)",
    summary="The application fills the cache on a miss and deletes the key on a write; a racing fill can go stale.",
    theory=__doc__ or "",
    params=PARAMS,
    table=TABLE,
    initial_state=initial_state,
    invariants=(detectors.ACK_IMPLIES_DB, detectors.STALE_READ, detectors.LOST_WRITE),
    scenarios=scenarios.ASIDE,
    explore_caches=1,
    # c1's miss reads the old value, c2 writes and deletes, c1's fill lands late: its next read is stale.
    explore_script=STALE_READ_SCRIPT,
    foils=(Foil(params={"remedy": "none"}, breaks=("stale-read",)),),
    clean=({"remedy": "versioned-fill"},),
    estimate=estimate.per_operation(28),
)
