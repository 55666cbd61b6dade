"""Consistent hashing: a ring of virtual nodes, and modulo hashing to compare with.

Hashes come from BLAKE2b, not Python's ``hash`` (salted per process), so a
key lands on the same node in every run, process and machine.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence


def stable_hash(text: str) -> int:
    """Return a 64-bit hash of ``text``, the same everywhere."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def ring_points(nodes: Iterable[str], vnodes: int) -> list[tuple[int, str]]:
    """Return the ring: every node's ``vnodes`` points, sorted by position."""
    return sorted((stable_hash(f"{node}#{i}"), node) for node in nodes for i in range(vnodes))


def ring_owner(points: Sequence[tuple[int, str]], key: str) -> str:
    """Return the node owning ``key``: the first point clockwise from the key's hash."""
    if not points:
        raise ValueError("the ring is empty")
    i = bisect.bisect_left(points, (stable_hash(key), ""))
    return points[i % len(points)][1]


def modulo_owner(nodes: Sequence[str], key: str) -> str:
    """Return the node owning ``key`` under plain modulo hashing (``hash mod n``)."""
    if not nodes:
        raise ValueError("no nodes")
    return nodes[stable_hash(key) % len(nodes)]
