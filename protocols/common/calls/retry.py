"""Retries: jittered exponential backoff, and a retry budget over a sliding window.

Theory of operation
-------------------
A failed attempt (an error reply or a timeout) may be retried, at most
``max_retries`` times per call. The n-th retry waits ``backoff_ms * 2**(n-1)``
milliseconds with "equal jitter": half of it fixed, the other half drawn
from the caller's seeded stream, so that callers that failed together do not
all come back at the same instant.

Retries alone turn a slow provider into an overloaded one: every timed-out
attempt is still queued at the provider (nobody cancels it), and its retry
adds more. A **retry budget** (Finagle's and Linkerd's remedy) caps retries
to a fraction of the calls: over the last ``budget_window_ms``, retries may
be at most ``ratio`` times the calls started. A retry the budget refuses
ends its call with a failure. ``none`` (or 0) means no budget: every call may
use all its retries.

The window is kept in node state as two short lists of local times (calls
started, retries granted), pruned as time moves on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_BACKOFF_MS = 10_000
"""A backoff longer than this is no longer a retry, it is a new call."""

NO_BUDGET = ("none", "off", "no", "")

Window = dict[str, list[int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a call is retried."""

    max_retries: int
    backoff_ms: int

    @classmethod
    def of(cls, policy: Mapping[str, Any]) -> RetryPolicy:
        """Read the retry part of a caller's policy dict."""
        return cls(max_retries=policy["max_retries"], backoff_ms=policy["backoff_ms"])


def backoff_delay(policy: RetryPolicy, retry: int, u: float) -> int:
    """Return the wait before retry number ``retry`` (1 for the first), given a draw ``u`` in [0, 1)."""
    base = min(MAX_BACKOFF_MS, policy.backoff_ms * 2 ** max(0, retry - 1))
    return base // 2 + int(u * (base - base // 2 + 1)) if base else 0


def parse_budget(text: str) -> float | None:
    """Read a ``retry_budget`` value: None for no budget, else a ratio in (0, 1]."""
    value = text.strip().lower()
    if value in NO_BUDGET:
        return None
    ratio = float(value)
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"{text!r} is not a ratio from 0 to 1")
    return ratio or None


def check_budget(text: str) -> str | None:
    """Say what is wrong with a ``retry_budget`` value, or None (for Param.check)."""
    try:
        parse_budget(text)
    except ValueError:
        return f"{text!r} is not 'none' or a ratio from 0 to 1 (0 means no budget)"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """At most ``ratio`` retries per call started, over the last ``window_ms``; no limit if ratio is None."""

    ratio: float | None
    window_ms: int

    @classmethod
    def of(cls, policy: Mapping[str, Any]) -> Budget:
        """Read the budget part of a caller's policy dict."""
        return cls(ratio=policy["retry_budget"], window_ms=policy["budget_window_ms"])


def new_window() -> Window:
    """Return an empty sliding window."""
    return {"calls": [], "retries": []}


def prune(window: Mapping[str, list[int]], now: int, budget: Budget) -> Window:
    """Forget what happened ``window_ms`` or longer ago."""
    start = now - budget.window_ms
    return {"calls": [t for t in window["calls"] if t > start],
            "retries": [t for t in window["retries"] if t > start]}


def note_call(window: Mapping[str, list[int]], now: int, budget: Budget) -> Window:
    """Record a call started at ``now``."""
    pruned = prune(window, now, budget)
    return {**pruned, "calls": [*pruned["calls"], now]}


def try_retry(window: Mapping[str, list[int]], now: int, budget: Budget) -> tuple[bool, Window]:
    """Ask for one retry at ``now``; return whether the budget grants it, and the window."""
    pruned = prune(window, now, budget)
    wanted = {**pruned, "retries": [*pruned["retries"], now]}
    if budget.ratio is not None and not within(wanted, budget):
        return False, pruned
    return True, wanted


def within(window: Mapping[str, list[int]], budget: Budget) -> bool:
    """Say whether a (pruned) window keeps retries within the budget."""
    if budget.ratio is None:
        return True
    # A tiny tolerance: 0.2 * 5 calls is 1.0000000000000002 retries, not fewer than 1.
    return len(window["retries"]) <= budget.ratio * len(window["calls"]) + 1e-9
