"""Where a key lives: its owner on the ring, and the replicas of a hot key (the next nodes clockwise).

Built on :mod:`protocols.common.ring` (BLAKE2b points, the same in every
process). The membership never changes in this protocol: caches
``cache1..cacheM`` all sit on the ring from the start, each with ``vnodes``
points. A key's *preference list* is the distinct caches met walking
clockwise from its hash: the first is its owner, the next ``replicas - 1``
hold copies of a hot key. Pure functions of their arguments, memoised.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

from protocols.common.ring import ring_points, stable_hash

MAX_CACHES = 8
"""Caches on the ring at most: enough to show a hot node among its peers, few enough to draw."""
MAX_HOT_KEYS = 3
"""Keys that may be declared hot (k0, k1, k2): each has a near-cache timer of its own (``near_k0``...)."""


def cache_names(caches: int) -> list[str]:
    """Return the caches' names, cache1 to cache{caches}."""
    return [f"cache{i}" for i in range(1, caches + 1)]


def hot_key_names(hot_keys: int, keys: int) -> list[str]:
    """Return the keys declared hot: the top ranks of the Zipf workload (k0 is the hottest)."""
    return [f"k{i}" for i in range(min(hot_keys, keys, MAX_HOT_KEYS))]


@lru_cache(maxsize=16)
def _points(caches: int, vnodes: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    points = ring_points(cache_names(caches), vnodes)
    return tuple(p for p, _ in points), tuple(n for _, n in points)


@lru_cache(maxsize=1024)
def preference(caches: int, vnodes: int, key: str, count: int) -> tuple[str, ...]:
    """Return the first ``count`` distinct caches clockwise from ``key``'s hash (fewer if there are fewer)."""
    positions, names = _points(caches, vnodes)
    start = bisect.bisect_left(positions, stable_hash(key))
    found: list[str] = []
    for step in range(len(names)):
        name = names[(start + step) % len(names)]
        if name not in found:
            found.append(name)
            if len(found) == count:
                break
    return tuple(found)


def owner(caches: int, vnodes: int, key: str) -> str:
    """Return the cache owning ``key``: the first point clockwise from its hash."""
    return preference(caches, vnodes, key, 1)[0]
