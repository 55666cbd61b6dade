"""Client-side load balancers: which provider gets the next attempt.

Theory of operation
-------------------
A caller knows its endpoints (providers, or their sidecars) in a fixed
order and asks a balancer to pick one among those its breakers currently
allow (the *eligible* ones):

- ``round-robin``: a cursor walks the endpoint list; the next eligible one
  at or after the cursor is picked, then the cursor moves past it. Skipping
  an ineligible endpoint does not shift the others' turns.
- ``random``: uniformly among the eligible, from the caller's seeded stream.
- ``least-outstanding``: the eligible endpoint with the fewest of this
  caller's attempts in flight (ties drawn at random): a slow provider
  accumulates outstanding work, so it is picked less.
- ``weighted``: smooth weighted round-robin (nginx's): every pick, each
  eligible endpoint's credit grows by its weight and the richest is picked
  and pays the total. Weights 3,1,1 give the sequence p1 p1 p2 p1 p3 and so
  on: exact proportions, spread out rather than in bursts.

A balancer's memory (the cursor, the credits) is a small JSON-ready dict in
the caller's state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.common.rng import Stream

BALANCERS = ("round-robin", "random", "least-outstanding", "weighted")

MAX_WEIGHT = 100
"""Weights are small integers: 3,1,1 says everything a lesson needs."""


def parse_weights(text: str, count: int) -> list[int]:
    """Read a ``weights`` value ("3,1,1") for ``count`` endpoints; missing ones weigh 1."""
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    weights = [int(t) for t in tokens]
    if any(not 1 <= w <= MAX_WEIGHT for w in weights):
        raise ValueError(f"weights are whole numbers from 1 to {MAX_WEIGHT}")
    return (weights + [1] * count)[:count]


def check_weights(text: str) -> str | None:
    """Say what is wrong with a ``weights`` value, or None (for Param.check)."""
    try:
        parse_weights(text, 0)
    except ValueError:
        return f"{text!r} is not a comma-separated list of whole numbers from 1 to {MAX_WEIGHT}"
    return None


def pick(
    balancer: str,
    endpoints: Sequence[str],
    eligible: Sequence[str],
    memory: Mapping[str, Any],
    outstanding: Mapping[str, int],
    weights: Sequence[int],
    stream: Stream,
) -> tuple[str | None, dict[str, Any]]:
    """Pick an endpoint among ``eligible`` (a subsequence of ``endpoints``); None if there is none."""
    if not eligible:
        return None, dict(memory)
    if balancer == "round-robin":
        return _round_robin(endpoints, eligible, memory)
    if balancer == "random":
        return stream.choice(eligible), dict(memory)
    if balancer == "least-outstanding":
        fewest = min(outstanding.get(e, 0) for e in eligible)
        tied = [e for e in eligible if outstanding.get(e, 0) == fewest]
        return (tied[0] if len(tied) == 1 else stream.choice(tied)), dict(memory)
    if balancer == "weighted":
        return _smooth_weighted(endpoints, eligible, memory, weights)
    raise ValueError(f"unknown balancer {balancer!r}; known: {', '.join(BALANCERS)}")


def _round_robin(endpoints: Sequence[str], eligible: Sequence[str],
                 memory: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    cursor = int(memory.get("next", 0)) % len(endpoints)
    for step in range(len(endpoints)):
        index = (cursor + step) % len(endpoints)
        if endpoints[index] in eligible:
            return endpoints[index], {**memory, "next": (index + 1) % len(endpoints)}
    raise ValueError("eligible endpoints must be among the endpoints")


def _smooth_weighted(endpoints: Sequence[str], eligible: Sequence[str], memory: Mapping[str, Any],
                     weights: Sequence[int]) -> tuple[str, dict[str, Any]]:
    weight = {e: (weights[i] if i < len(weights) else 1) for i, e in enumerate(endpoints)}
    credit = {e: int(memory.get("credit", {}).get(e, 0)) for e in endpoints}
    for e in eligible:
        credit[e] += weight[e]
    best = max(eligible, key=lambda e: (credit[e], -endpoints.index(e)))
    credit[best] -= sum(weight[e] for e in eligible)
    return best, {**memory, "credit": credit}
