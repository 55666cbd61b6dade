"""Where keys live: owner tables over the whole key space, and what a membership change moves.

Built on :mod:`protocols.common.ring`. The ring's points and each key's
hash are pure functions of their inputs, so they are memoised: the router,
every cache and the checker ask the same questions many times (a state
check runs after every step), and a key space of 10,000 keys must not cost
10,000 BLAKE2b hashes each time.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from functools import lru_cache

from protocols.common.ring import ring_points, stable_hash
from protocols.common.workload import key_name

PLACEMENTS = ("ring", "modulo")

MEMO_ENTRIES = 64
"""Distinct (members, vnodes) rings remembered: a run changes membership a handful of times."""


@lru_cache(maxsize=MEMO_ENTRIES)
def _points(members: tuple[str, ...], vnodes: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Return the ring as two parallel tuples: point positions (sorted) and their nodes."""
    points = ring_points(members, vnodes)
    return tuple(p for p, _ in points), tuple(n for _, n in points)


@lru_cache(maxsize=MEMO_ENTRIES)
def node_points(node: str, vnodes: int) -> tuple[int, ...]:
    """Return the positions of one node's first ``vnodes`` points, sorted."""
    return tuple(p for p, _ in ring_points((node,), vnodes))


@lru_cache(maxsize=16)
def key_hashes(keys: int) -> tuple[int, ...]:
    """Return the hash of every key k0..k{keys-1}."""
    return tuple(stable_hash(key_name(i)) for i in range(keys))


def owner(members: Sequence[str], vnodes: int, placement: str, key: str) -> str:
    """Return the node owning ``key``: first ring point clockwise, or hash mod n over sorted members."""
    nodes = tuple(sorted(members))
    if not nodes:
        raise ValueError("no members")
    if placement == "modulo":
        return nodes[stable_hash(key) % len(nodes)]
    positions, names = _points(nodes, vnodes)
    i = bisect.bisect_left(positions, stable_hash(key))
    return names[i % len(names)]


@lru_cache(maxsize=MEMO_ENTRIES)
def owner_table(members: tuple[str, ...], vnodes: int, placement: str, keys: int) -> tuple[str, ...]:
    """Return the owner of every key k0..k{keys-1}; ``members`` sorted."""
    if placement == "modulo":
        return tuple(members[h % len(members)] for h in key_hashes(keys))
    positions, names = _points(members, vnodes)
    size = len(names)
    return tuple(names[bisect.bisect_left(positions, h) % size] for h in key_hashes(keys))


def moved_keys(before: Sequence[str], after: Sequence[str], vnodes: int, placement: str, keys: int) -> list[int]:
    """Return the indexes of the keys whose owner differs between two memberships."""
    old = owner_table(tuple(sorted(before)), vnodes, placement, keys)
    new = owner_table(tuple(sorted(after)), vnodes, placement, keys)
    return [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]


def moves(before: Sequence[str], after: Sequence[str], vnodes: int, keys: int) -> dict[str, int]:
    """Count the keys a change moves under the ring and under modulo hashing."""
    return {placement: len(moved_keys(before, after, vnodes, placement, keys)) for placement in PLACEMENTS}
