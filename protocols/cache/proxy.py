"""The read path of a caching proxy, shared by write-through, write-back and write-around.

A client sends ``get`` to its cache. A hit is answered at once; a miss is
forwarded to the database as ``db_read`` with the client's request in
``echo``, and the answer fills the cache (read-allocate) and goes back to
the client. Many misses on one key are not coalesced: simple, and each is
one more database read in the summary.

A fill is refused when the cache already knows a newer version (see
``common.fill_allowed``) or holds an entry it owns (write-back's dirty data);
the client still gets the value the database read, which was current when the
database read it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from protocols.base import Context, Effect, Outcome, Receive, Send, State
from protocols.cache.common import DB_NODE, fill_allowed, put_entry, raise_seen, reply_to, touch, victim
from protocols.cache.db import echo_of

Evict = Callable[[Context, State, str], tuple[dict[str, Any], list[Effect]]]
"""Remove a cache's victim entry; return the new state and what leaving takes (a flush, for write-back)."""


def drop_victim(ctx: Context, state: State, key: str) -> tuple[dict[str, Any], list[Effect]]:
    """Evict a clean entry: it is a copy of the database, nothing is lost."""
    entries = {k: v for k, v in state["entries"].items() if k != key}
    return {**state, "entries": entries, "lru": [k for k in state["lru"] if k != key]}, []


def make_room(ctx: Context, state: State, key: str, evict: Evict) -> tuple[dict[str, Any], list[Effect]]:
    """Evict the least recently used entry if ``key`` does not fit; return the state and the eviction's effects."""
    out = victim(state, key, ctx.params["capacity"])
    if out is None:
        return dict(state), []
    return evict(ctx, state, out)


def cache_get(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a hit from the cache; forward a miss to the database."""
    body = event.message.body
    key = body["key"]
    entry = state["entries"].get(key)
    if entry is not None:
        reply = {"key": key, "value": entry["v"], "ver": entry.get("ver"), "hit": True, "n": body["n"]}
        return {**state, "lru": touch(state, key)}, [
            Send(dest=event.message.src, type="get_ok", body=reply, in_reply_to=event.message.msg_id)]
    echo = {"client": event.message.src, "n": body["n"], "req": event.message.msg_id}
    return state, [Send(dest=DB_NODE, type="db_read", body={"key": key, "echo": echo})]


def fill(ctx: Context, state: State, key: str, value: Any, version: int,
         evict: Evict) -> tuple[dict[str, Any], list[Effect]]:
    """Store a value read from the database unless it would be stale or displace owned data."""
    current = state["entries"].get(key)
    if (current is not None and current.get("own")) or not fill_allowed(state, key, version):
        return dict(state), []
    state, effects = make_room(ctx, state, key, evict)
    state = put_entry(state, key, {"v": value, "ver": version})
    return raise_seen(state, key, version), effects


def make_read_ok(evict: Evict) -> Callable[[Context, State, Receive, int], Outcome]:
    """Return the handler for the database's answer to a miss, evicting with ``evict``."""

    def cache_read_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
        """Fill the cache with the database's answer and pass it on to the waiting client."""
        body = event.message.body
        echo = echo_of(body)
        state, effects = fill(ctx, state, body["key"], body["value"], body["ver"], evict)
        reply = {"key": body["key"], "value": body["value"], "ver": body["ver"], "hit": False, "n": echo["n"]}
        effects.append(Send(dest=echo["client"], type="get_ok", body=reply, in_reply_to=reply_to(echo)))
        return state, effects

    return cache_read_ok


cache_read_ok = make_read_ok(drop_victim)
"""The read-miss answer for policies whose entries are always clean."""


def cache_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A cache keeps nothing durable: it comes back empty (the engine reset its state)."""
    return state, ()
