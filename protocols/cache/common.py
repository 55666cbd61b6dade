"""What the four cache write policies share: node names, parameters, cache entries.

Every policy places the same nodes, so ``manage.py compare`` can run them on
one workload, seed and fault plan: clients ``c1..cN``, caches
``cache1..cacheM`` and one database ``db``. Client ``ci`` talks to cache
``((i-1) mod M) + 1``. A cache holds at most ``capacity`` entries and evicts
the least recently used one; its state is small and JSON-ready::

    {"phase": "serving", "entries": {"k0": {"v": "c1:3", "ver": 2}}, "lru": ["k0"], "seen": {"k0": 2}}

``lru`` lists keys oldest use first; ``seen`` is the highest database version
the cache has heard of per key, so a late fill of an older version can be
refused (see :func:`fill_allowed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, ParameterError, State
from protocols.common.script import ScriptFormat
from protocols.common.workload import WORKLOAD_PARAMS, key_name
from protocols.spec import Param

CLIENT, CACHE, DB = "client", "cache", "db"
ROLES = (CLIENT, CACHE, DB)
DB_NODE = "db"

MAX_CACHES = 8
"""Eight cache lanes beside eight client lanes still fit a projector."""

MAX_CAPACITY = 64
"""A cache's whole state travels to the browser on every change: keep it a screenful."""

MAX_SCRIPT_OPS = 64
"""A script is a teaching device: a few operations per client, written by hand."""


SCRIPT = ScriptFormat(max_ops=MAX_SCRIPT_OPS)
parse_script = SCRIPT.parse
"""Read ``"c1: r k0, w k1; c2: w k0"`` into ``{"c1": [("read", "k0"), ("write", "k1")], ...}``."""


COMMON_PARAMS: tuple[Param, ...] = (
    *WORKLOAD_PARAMS,
    Param(name="caches", kind="int", default=2, min=1, max=MAX_CACHES,
          help="How many cache nodes; client ci uses cache ((i-1) mod caches)+1."),
    Param(name="capacity", kind="int", default=4, min=1, max=MAX_CAPACITY,
          help="How many keys one cache holds before it evicts the least recently used."),
    Param(name="timeout_ms", kind="int", default=300, min=10, max=60_000,
          help="How long a client waits for an answer before it gives the operation up."),
    Param(name="script", kind="str", default="", check=SCRIPT.check,
          help="Optional fixed operations instead of the random workload, e.g. 'c1: r k0, r k0; c2: w k0'. "
               "Scripted clients run their script; the others run the random workload."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients, then the caches, then the database."""
    names = {f"c{i}" for i in range(1, params["clients"] + 1)}
    keys = {key_name(i) for i in range(params["keys"])}
    for client, steps in parse_script(params["script"]).items():
        if client not in names:
            raise ParameterError(f"parameter script: there is no client {client} (clients={params['clients']})")
        for _, key in steps:
            if key not in keys:
                raise ParameterError(f"parameter script: there is no key {key} (keys={params['keys']})")
    roles = {f"c{i}": CLIENT for i in range(1, params["clients"] + 1)}
    roles.update({f"cache{i}": CACHE for i in range(1, params["caches"] + 1)})
    roles[DB_NODE] = DB
    return roles


def cache_of(client: str, caches: int) -> str:
    """Return the cache client ``ci`` talks to: cache ((i-1) mod caches)+1."""
    return f"cache{(int(client[1:]) - 1) % caches + 1}"


def peers(ctx: Context) -> list[str]:
    """Return the other caches, in placement order."""
    return [n for n in ctx.nodes_with_role(CACHE) if n != ctx.node]


def empty_cache() -> dict[str, Any]:
    """Return a cache's state at boot (and after a crash: a cache keeps nothing durable)."""
    return {"phase": "serving", "entries": {}, "lru": [], "seen": {}}


# ------------------------------------------------------------ entries


def touch(state: State, key: str) -> list[str]:
    """Return the LRU list with ``key`` moved to the most recently used end."""
    return [k for k in state["lru"] if k != key] + [key]


def without(state: State, key: str) -> dict[str, Any]:
    """Return the state with ``key``'s entry removed."""
    entries = {k: v for k, v in state["entries"].items() if k != key}
    return {**state, "entries": entries, "lru": [k for k in state["lru"] if k != key]}


def victim(state: State, key: str, capacity: int) -> str | None:
    """Return the key to evict before ``key`` is inserted, or None if there is room."""
    if key in state["entries"] or len(state["entries"]) < capacity:
        return None
    return str(state["lru"][0])


def put_entry(state: State, key: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return the state with ``entry`` stored under ``key`` (room already made) and marked most recent."""
    return {**state, "entries": {**state["entries"], key: dict(entry)}, "lru": touch(state, key)}


def raise_seen(state: State, key: str, version: int) -> dict[str, Any]:
    """Return the state remembering that ``key`` has reached at least ``version`` in the database."""
    if state["seen"].get(key, -1) >= version:
        return dict(state)
    return {**state, "seen": {**state["seen"], key: version}}


def fill_allowed(state: State, key: str, version: int) -> bool:
    """Say whether a value of ``version`` read from the database may enter the cache.

    A fill older than what the cache already knows (an entry of a newer
    version, or an invalidation that announced one) would bring back an
    overwritten value: that is the stale fill, refused here.
    """
    entry = state["entries"].get(key)
    if entry is not None and entry.get("ver", -1) > version:
        return False
    return bool(version >= state["seen"].get(key, -1))


def reply_to(echo: Mapping[str, Any]) -> str | None:
    """Return the request id an echoed context answers."""
    req = echo.get("req")
    return str(req) if req is not None else None
