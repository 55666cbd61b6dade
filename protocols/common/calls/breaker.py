"""A circuit breaker per provider: closed, open, half-open, as pure functions of outcomes and time.

Theory of operation
-------------------
A caller keeps one breaker per provider. **Closed**, every call may go
through, and consecutive failures (an error reply or a timeout) are counted;
a success resets the count. At ``failure_threshold`` consecutive failures the
breaker **opens**: the provider is skipped (the balancer routes around it,
or the call fails fast) so that a sick provider gets time to recover instead
of more load. After ``cooldown_ms`` the breaker turns **half-open**: up to
``half_open_trials`` trial calls are let through. If that many trials
succeed it closes again; a failed trial opens it for another cool-down.

Outcomes that do not belong to the breaker's current episode are ignored:
while open, late answers to calls sent before it opened; while half-open,
answers to calls that were not trials.

A breaker is a JSON-ready dict (it lives in node state, which the browser
draws): ``state``, ``failures`` (consecutive, kept at the value that tripped
it so the checker can see the threshold was reached), ``since`` (local time
of the last transition, so the checker can see the cool-down elapsed),
``trials`` (trials sent in this half-open episode), ``ok`` (trials that
succeeded) and one counter per edge of the state machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
STATES = (CLOSED, OPEN, HALF_OPEN)

EDGES = {(CLOSED, OPEN): "opened", (OPEN, HALF_OPEN): "half_opened",
         (HALF_OPEN, CLOSED): "closed", (HALF_OPEN, OPEN): "reopened"}
"""The only legal transitions, each with the counter that counts it."""

Breaker = dict[str, Any]


def machine() -> dict[str, Any]:
    """Return the breaker's state machine as data: its states and each legal edge with its counter.

    The catalogue carries it (``facts["breaker"]``) to the circuit-breaker panel, which draws it.
    """
    return {"states": list(STATES),
            "edges": [{"from": was, "to": now, "counter": counter} for (was, now), counter in EDGES.items()]}


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerPolicy:
    """When a breaker opens, how long it stays open, how many trials close it."""

    failure_threshold: int
    cooldown_ms: int
    half_open_trials: int

    @classmethod
    def of(cls, policy: Mapping[str, Any]) -> BreakerPolicy:
        """Read the breaker's part of a caller's policy dict."""
        return cls(failure_threshold=policy["failure_threshold"], cooldown_ms=policy["cooldown_ms"],
                   half_open_trials=policy["half_open_trials"])


def new_breaker(now: int = 0) -> Breaker:
    """Return a closed breaker that has never moved."""
    return {"state": CLOSED, "failures": 0, "since": now, "trials": 0, "ok": 0,
            "opened": 0, "half_opened": 0, "closed": 0, "reopened": 0}


def transitions(breaker: Mapping[str, Any]) -> int:
    """Return how many transitions a breaker has made."""
    return sum(int(breaker.get(name, 0)) for name in EDGES.values())


def _move(breaker: Mapping[str, Any], to: str, now: int, **fields: Any) -> Breaker:
    edge = EDGES[(breaker["state"], to)]
    return {**breaker, **fields, "state": to, "since": now, edge: breaker[edge] + 1}


def allows(breaker: Mapping[str, Any], policy: BreakerPolicy) -> bool:
    """Say whether a call may be sent through this breaker now."""
    if breaker["state"] == CLOSED:
        return True
    if breaker["state"] == HALF_OPEN:
        return bool(breaker["trials"] < policy.half_open_trials)
    return False


def on_send(breaker: Mapping[str, Any]) -> tuple[Breaker, bool]:
    """Account for a call sent through the breaker; return it and whether the call is a trial."""
    if breaker["state"] == HALF_OPEN:
        return {**breaker, "trials": breaker["trials"] + 1}, True
    return dict(breaker), False


def on_success(breaker: Mapping[str, Any], policy: BreakerPolicy, now: int, trial: bool) -> Breaker:
    """A call through the breaker succeeded."""
    if breaker["state"] == CLOSED:
        return {**breaker, "failures": 0}
    if breaker["state"] == HALF_OPEN and trial:
        ok = breaker["ok"] + 1
        if ok >= policy.half_open_trials:
            return _move(breaker, CLOSED, now, failures=0, trials=0, ok=ok)
        return {**breaker, "ok": ok}
    return dict(breaker)  # Open, or a non-trial answer while half-open: not this episode's.


def on_failure(breaker: Mapping[str, Any], policy: BreakerPolicy, now: int, trial: bool) -> Breaker:
    """A call through the breaker failed (an error reply or a timeout)."""
    if breaker["state"] == CLOSED:
        failures = breaker["failures"] + 1
        if failures >= policy.failure_threshold:
            return _move(breaker, OPEN, now, failures=failures)
        return {**breaker, "failures": failures}
    if breaker["state"] == HALF_OPEN and trial:
        return _move(breaker, OPEN, now, trials=0, ok=0)
    return dict(breaker)


def cool(breaker: Mapping[str, Any], policy: BreakerPolicy, now: int) -> Breaker:
    """Half-open an open breaker whose cool-down has elapsed by ``now``; otherwise leave it."""
    if breaker["state"] == OPEN and now - breaker["since"] >= policy.cooldown_ms:
        return _move(breaker, HALF_OPEN, now, trials=0, ok=0)
    return dict(breaker)


def cool_due(breaker: Mapping[str, Any], policy: BreakerPolicy) -> int | None:
    """Return the local time at which an open breaker may half-open; None unless open."""
    return breaker["since"] + policy.cooldown_ms if breaker["state"] == OPEN else None


def judge(before: Mapping[str, Any], after: Mapping[str, Any],
          policy: BreakerPolicy) -> tuple[str, dict[str, Any]] | None:
    """Say what is wrong with one breaker's change from ``before`` to ``after`` (a problem id and its data), or None.

    The checker's view of the rules: open only at the threshold, half-open
    only after the cool-down, close only after enough good trials, and no
    other edges. The invariant's templates (protocols/common/calls/invariants.py)
    put each problem in words.
    """
    was, now = before["state"], after["state"]
    if was == now:
        return None
    if (was, now) not in EDGES:
        return "skipped-edge", {"was": was, "now": now}
    if now == OPEN and was == CLOSED and after["failures"] < policy.failure_threshold:
        return "opened-early", {"failures": after["failures"], "threshold": policy.failure_threshold}
    if now == HALF_OPEN and after["since"] - before["since"] < policy.cooldown_ms:
        return "half-opened-early", {"after_ms": after["since"] - before["since"], "cooldown": policy.cooldown_ms}
    if now == CLOSED and after["ok"] < policy.half_open_trials:
        return "closed-early", {"ok": after["ok"], "trials": policy.half_open_trials}
    return None
