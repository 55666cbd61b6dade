"""A tiny seeded generator whose whole state is one integer (SplitMix64).

Protocols may not import ``random`` (the layering test forbids it): their
only randomness is the ``draw`` the simulator hands each node at start. A
node that needs a stream of numbers (a client's workload, a jittered
backoff) turns that draw into a seed and keeps the generator's state, a
plain integer, in its volatile state. So the stream is part of the state:
replayed, snapshotted and lost on a crash exactly like the rest of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1


def seed_from_draw(draw: float, salt: int = 0) -> int:
    """Turn a ``Start.draw`` in [0, 1) into a 64-bit seed (``salt`` separates streams)."""
    return (int(draw * (1 << 53)) ^ (salt * 0x9E3779B97F4A7C15)) & _MASK


class Stream:
    """A generator over an integer state: read ``.state`` back into the node's state when done."""

    __slots__ = ("state",)

    def __init__(self, state: int) -> None:
        self.state = state & _MASK

    def next64(self) -> int:
        """Return the next 64-bit value (SplitMix64)."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """Return a float in [0, 1)."""
        return (self.next64() >> 11) / float(1 << 53)

    def below(self, n: int) -> int:
        """Return an integer in [0, n)."""
        if n <= 0:
            raise ValueError("below() needs a positive bound")
        return int(self.random() * n)

    def between(self, lo: int, hi: int) -> int:
        """Return an integer in [lo, hi], both ends included."""
        return lo + self.below(hi - lo + 1)

    def choice(self, items: Sequence[T]) -> T:
        """Return one of ``items``."""
        return items[self.below(len(items))]

    def chance(self, probability: float) -> bool:
        """Return True with the given probability."""
        return self.random() < probability
