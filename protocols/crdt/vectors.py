"""The pure lattice under the state-based counters: vectors of per-replica counts and their merge.

A vector maps a replica's name to how many operations that replica has
accepted (a missing name counts as 0). ``merge`` is the pointwise maximum:
commutative, associative and idempotent (a join semilattice), so replicas
may exchange states in any order, any number of times, and still agree once
each has heard, directly or not, from every other. A G-counter is one
vector P (value: the sum); a PN-counter is two, P for increments and N for
decrements (value: sum of P minus sum of N), each merged separately.
"""

from __future__ import annotations

from collections.abc import Mapping

Vector = Mapping[str, int]


def merge(a: Vector, b: Vector) -> dict[str, int]:
    """Return the pointwise maximum of two vectors, keys in sorted order."""
    return {key: max(a.get(key, 0), b.get(key, 0)) for key in sorted({*a, *b})}


def total(vector: Vector) -> int:
    """Return the sum of a vector's entries."""
    return sum(vector.values())


def dominates(a: Vector, b: Vector) -> bool:
    """Say whether ``a`` holds at least every entry of ``b`` (merging ``b`` into ``a`` changes nothing)."""
    return all(a.get(key, 0) >= value for key, value in b.items())


def older_entries(local: Vector, incoming: Vector) -> int:
    """Count the entries of ``incoming`` smaller than ``local``'s: stale news the merge ignores."""
    return sum(1 for key, value in incoming.items() if value < local.get(key, 0))


def counter_value(p: Vector, n: Vector | None = None) -> int:
    """Return a counter's value: sum of P, minus sum of N for a PN-counter."""
    return total(p) - (total(n) if n is not None else 0)
