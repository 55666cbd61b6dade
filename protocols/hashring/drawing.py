"""What the ring panel draws, recorded by the router in its state for every view.

The browser renders the log and never hashes: at boot, at every membership
change and on recovery the router puts the ring of its current view in its
``drawing`` (so the ``state`` event carries it, and seeking anywhere in the
log finds the drawing of the view in force there). It holds:

- ``placement``, ``vnodes``, ``keys``: what the picture is of, for its caption
  (the browser has no other copy of the parameters; no handler or invariant
  reads these: they read ``ctx.params`` and ``memo["params"]``).
- ``points``: each member's virtual nodes, as positions on the circle.
- ``shares``: how many of all ``keys`` each member owns.
- ``dots``: the sampled keys as ``[key, position, owner]``.
- ``moved``: the sampled keys that the change to this view moved, each with
  its previous owner (empty at boot).

Positions are fractions of a turn, clockwise from the top (a hash over
2^64). Owners follow the run's placement; the points are the ring's
whatever the placement, as the router hashes them.

The record is bounded whatever the parameters: at most ``MAX_POINTS`` points,
``MAX_DOTS`` dots and as many moved keys, about 30 KB of JSON at worst (8
caches of 500 points, 10,000 keys, modulo placement); 3.5 KB with the
defaults. It changes only with the view, so only the router's ``state``
events at boot, at a change and on recovery carry it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from protocols.common.workload import key_name
from protocols.hashring.placement import key_hashes, node_points, owner_table

MAX_POINTS = 2_000
"""Virtual nodes recorded at most, all members together. 8 caches of 500 would be 4,000: past the
limit each member records its first points only (``cache1#0``, ``cache1#1``...), the same number for
every member. Hashes scatter, so any of a node's points are spread like all of them, and 2,000 ticks
already fill the panel's circle."""

MAX_DOTS = 400
"""Keys recorded as dots at most; a larger key space is sampled evenly (k0, k25, k50... of 10,000).
More dots than this hide each other on the panel; the shares still count every key."""

POSITION_DECIMALS = 4
"""A position is rounded to 1/10,000 of a turn: a tenth of a pixel on the panel's ring, six characters."""

TURN = 2 ** 64
"""Positions on the ring run from 0 to 2^64 (a 64-bit hash)."""


def drawing(members: Sequence[str], before: Sequence[str] | None, vnodes: int, placement: str,
            keys: int) -> dict[str, Any]:
    """Return the drawing of the view ``members``; ``before`` is the view it replaced (None at boot)."""
    nodes = tuple(sorted(members))
    owners = owner_table(nodes, vnodes, placement, keys)
    was = owner_table(tuple(sorted(before)), vnodes, placement, keys) if before else owners
    hashes = key_hashes(keys)
    sampled = sampled_keys(keys)
    shares = dict.fromkeys(nodes, 0)
    for node in owners:
        shares[node] += 1
    return {
        "placement": placement, "vnodes": vnodes, "keys": keys,
        "points": _points(nodes, vnodes),
        "shares": shares,
        "dots": [[key_name(i), fraction(hashes[i]), owners[i]] for i in sampled],
        "moved": {key_name(i): was[i] for i in sampled if was[i] != owners[i]},
    }


def sampled_keys(keys: int) -> range:
    """Return the indexes of the keys drawn as dots: all of them, or every n-th, at most MAX_DOTS."""
    return range(0, keys, -(-keys // MAX_DOTS))


def points_per_member(members: int, vnodes: int) -> int:
    """Return how many points each member records: all its ``vnodes``, or its share of MAX_POINTS."""
    return min(vnodes, MAX_POINTS // members)


def fraction(position: int) -> float:
    """Return a ring position as a fraction of a turn, rounded (one that rounds up to 1 is the top, 0)."""
    return round(position / TURN, POSITION_DECIMALS) % 1.0


def _points(nodes: tuple[str, ...], vnodes: int) -> dict[str, list[float]]:
    kept = points_per_member(len(nodes), vnodes)
    return {node: sorted(fraction(p) for p in node_points(node, kept)) for node in nodes}
