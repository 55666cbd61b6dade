"""The caller's side of a call: balancing, timeouts, retries, the budget and the breakers.

Theory of operation
-------------------
A *caller* (a consumer in service-invocation, a consumer's sidecar in
service-mesh) turns each client call into one or more *attempts*. An attempt
goes to the endpoint the balancer picks among those the breakers allow, and
waits at most ``timeout_ms``. A success ends the call. A failure (an error
reply, or no reply in time) is counted by that endpoint's breaker and, if
the call has retries left and the budget grants one, retried after a
jittered backoff; otherwise the call fails. With no endpoint allowed (every
breaker open) the call fails fast without sending anything.

An attempt carries the call's id and its number; with ``idempotency`` on it
also carries the call id as its idempotency key, the same for every attempt
of the call, so a provider can answer a retry from the result it stored.
Only the current attempt of a call is awaited: an answer to an abandoned
attempt (timed out, then retried) is counted as *late* and ignored.

Timers are data, one per kind however many calls are in flight:
``attempt_timeout`` (the earliest deadline), ``retry`` (the earliest retry)
and ``cooldown`` (the earliest breaker cool-down). After every step each is
moved to the earliest time it is now needed, or cancelled when nothing
needs it, so it never fires for nothing (the caller remembers in ``armed``
when each is due).

Everything here is a pure function of (state, input, now): it returns the new
state, the effects and the calls that finished, which the role's handler
turns into a log record (a consumer) or a reply to its app (a sidecar).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from protocols.base import CancelTimer, Effect, Note, Send, SetTimer, State
from protocols.common.calls import breaker as br
from protocols.common.calls.balancers import pick
from protocols.common.calls.retry import Budget, RetryPolicy, backoff_delay, new_window, note_call, try_retry
from protocols.common.rng import Stream

ATTEMPT_TIMEOUT, RETRY, COOLDOWN = "attempt_timeout", "retry", "cooldown"
TIMERS = (ATTEMPT_TIMEOUT, RETRY, COOLDOWN)

Step = tuple[dict[str, Any], list[Effect], list[dict[str, Any]]]
"""A caller's step: new state, effects, and the calls that finished in it."""


def caller_state(policy: Mapping[str, Any], endpoints: list[str], rng: int = 0) -> dict[str, Any]:
    """Return a caller's fields: policy, endpoints, calls in flight, breakers, budget window, metrics."""
    return {
        "policy": dict(policy),
        "endpoints": list(endpoints),
        "inflight": {},
        "breakers": {e: br.new_breaker() for e in endpoints} if policy.get("breaker") else {},
        "window": new_window(),
        "lb": {},
        "rng": rng,
        "armed": {},
        "metrics": {"calls": 0, "ok": 0, "failed": 0, "retries": 0, "late": 0},
    }


class _Caller:
    """One step of a caller: a private mutable copy of its state, the effects, the finished calls."""

    def __init__(self, state: State, now: int) -> None:
        self.s: dict[str, Any] = copy.deepcopy(dict(state))
        self.now = now
        self.effects: list[Effect] = []
        self.finished: list[dict[str, Any]] = []
        self.stream = Stream(self.s["rng"])

    @property
    def policy(self) -> dict[str, Any]:
        return self.s["policy"]  # type: ignore[no-any-return]

    def done(self) -> Step:
        self.s["rng"] = self.stream.state
        self._rearm()
        return self.s, self.effects, self.finished

    # ------------------------------------------------------------ calls

    def begin(self, call: str, origin: Mapping[str, Any]) -> None:
        self.s["metrics"]["calls"] += 1
        self.s["window"] = note_call(self.s["window"], self.now, Budget.of(self.policy))
        entry: dict[str, Any] = {"n": 0, "to": None, "start": self.now, "deadline": None, "retry_at": None,
                                 "trial": False}
        if origin:
            entry["origin"] = dict(origin)
        self.s["inflight"][call] = entry
        self.attempt(call)

    def attempt(self, call: str) -> None:
        entry = self.s["inflight"][call]
        endpoints = self.s["endpoints"]
        eligible = [e for e in endpoints if self._allows(e)]
        outstanding: dict[str, int] = {}
        for other in self.s["inflight"].values():
            if other["deadline"] is not None:
                outstanding[other["to"]] = outstanding.get(other["to"], 0) + 1
        weights = self.policy.get("weights") or []
        choice, self.s["lb"] = pick(self.policy["balancer"], endpoints, eligible, self.s["lb"],
                                    outstanding, weights, self.stream)
        if choice is None:
            why = "fail fast: every breaker is open" if endpoints else "no endpoint known"
            self.finish(call, ok=False, why=why)
            return
        trial = False
        if choice in self.s["breakers"]:
            self.s["breakers"][choice], trial = br.on_send(self.s["breakers"][choice])
        n = entry["n"] + 1
        entry.update(n=n, to=choice, deadline=self.now + self.policy["timeout_ms"], retry_at=None, trial=trial)
        body: dict[str, Any] = {"call": call, "attempt": n}
        if self.policy.get("idempotency"):
            body["key"] = call
        self.effects.append(Send(dest=choice, type="call", body=body))

    def answer(self, body: Mapping[str, Any], ok: bool) -> None:
        entry = self.s["inflight"].get(body.get("call"))
        if entry is None or entry["deadline"] is None or body.get("attempt") != entry["n"]:
            self.s["metrics"]["late"] += 1  # An abandoned attempt answers after all: nobody waits for it.
            return
        call = str(body["call"])
        self._outcome(entry["to"], ok, entry["trial"])
        if ok:
            self.finish(call, ok=True, result=body.get("result"), deduped=bool(body.get("deduped")))
        else:
            self.failed(call, str(body.get("error", "error")))

    def timeouts(self) -> None:
        for call in list(self.s["inflight"]):
            entry = self.s["inflight"][call]
            if entry["deadline"] is not None and entry["deadline"] <= self.now:
                self._outcome(entry["to"], False, entry["trial"])
                self.failed(call, "timeout")

    def retries(self) -> None:
        for call in list(self.s["inflight"]):
            entry = self.s["inflight"].get(call)
            if entry is not None and entry["retry_at"] is not None and entry["retry_at"] <= self.now:
                self.attempt(call)

    def failed(self, call: str, why: str) -> None:
        entry = self.s["inflight"][call]
        used = entry["n"] - 1
        if used >= self.policy["max_retries"]:
            self.finish(call, ok=False, why=f"{why}; no retries left")
            return
        granted, self.s["window"] = try_retry(self.s["window"], self.now, Budget.of(self.policy))
        if not granted:
            self.effects.append(Note(text=f"retry budget spent: {call} is not retried"))
            self.finish(call, ok=False, why=f"{why}; retry budget spent")
            return
        self.s["metrics"]["retries"] += 1
        delay = backoff_delay(RetryPolicy.of(self.policy), used + 1, self.stream.random())
        entry.update(deadline=None, retry_at=self.now + delay)

    def finish(self, call: str, ok: bool, **fields: Any) -> None:
        entry = self.s["inflight"].pop(call)
        self.s["metrics"]["ok" if ok else "failed"] += 1
        record = {"call": call, "ok": ok, "attempts": entry["n"], "start": entry["start"], **fields}
        if "origin" in entry:
            record["origin"] = entry["origin"]
        self.finished.append(record)

    # ---------------------------------------------------------- breakers

    def _allows(self, endpoint: str) -> bool:
        b = self.s["breakers"].get(endpoint)
        return b is None or br.allows(b, br.BreakerPolicy.of(self.policy))

    def _outcome(self, endpoint: str, ok: bool, trial: bool) -> None:
        b = self.s["breakers"].get(endpoint)
        if b is None:
            return
        policy = br.BreakerPolicy.of(self.policy)
        after = (br.on_success if ok else br.on_failure)(b, policy, self.now, trial)
        self._set_breaker(endpoint, b, after)

    def cool(self) -> None:
        policy = br.BreakerPolicy.of(self.policy)
        for endpoint, b in list(self.s["breakers"].items()):
            self._set_breaker(endpoint, b, br.cool(b, policy, self.now))

    def _set_breaker(self, endpoint: str, before: Mapping[str, Any], after: dict[str, Any]) -> None:
        self.s["breakers"][endpoint] = after
        if after["state"] != before["state"]:
            self.effects.append(Note(text=f"breaker for {endpoint}: {before['state']} -> {after['state']}"))

    # ------------------------------------------------------------ timers

    def _rearm(self) -> None:
        inflight = self.s["inflight"].values()
        policy = br.BreakerPolicy.of(self.policy) if self.s["breakers"] else None
        cools = [br.cool_due(b, policy) for b in self.s["breakers"].values()] if policy else []
        wants = {
            ATTEMPT_TIMEOUT: min((e["deadline"] for e in inflight if e["deadline"] is not None), default=None),
            RETRY: min((e["retry_at"] for e in inflight if e["retry_at"] is not None), default=None),
            COOLDOWN: min((t for t in cools if t is not None), default=None),
        }
        armed = self.s["armed"]
        for name, want in wants.items():
            have = armed.get(name)
            if want is None:
                if have is not None:
                    self.effects.append(CancelTimer(name=name))
                    del armed[name]
            elif want != have:
                self.effects.append(SetTimer(name=name, delay_ms=max(0, want - self.now)))
                armed[name] = want


def begin(state: State, call: str, now: int, origin: Mapping[str, Any] | None = None) -> Step:
    """Start a client call: note it in the budget window and send its first attempt."""
    caller = _Caller(state, now)
    caller.begin(call, origin or {})
    return caller.done()


def on_answer(state: State, body: Mapping[str, Any], ok: bool, now: int) -> Step:
    """An attempt was answered: a reply (``ok``) or an error."""
    caller = _Caller(state, now)
    caller.answer(body, ok)
    return caller.done()


def on_timer(state: State, name: str, now: int) -> Step:
    """One of the caller's timers fired: time out, retry or cool down whatever is due."""
    caller = _Caller(state, now)
    caller.s["armed"].pop(name, None)  # The engine has forgotten it: it fired.
    if name == ATTEMPT_TIMEOUT:
        caller.timeouts()
    elif name == RETRY:
        caller.retries()
    elif name == COOLDOWN:
        caller.cool()
    else:
        raise ValueError(f"unknown caller timer {name!r}")
    return caller.done()


def apply_policy(state: State, policy: Mapping[str, Any], endpoints: list[str], now: int) -> Step:
    """Adopt a new policy (and endpoint list): keep the breakers of known endpoints, add or drop the rest."""
    caller = _Caller(state, now)
    old = caller.policy
    caller.s["policy"] = dict(policy)
    caller.s["endpoints"] = list(endpoints)
    if policy.get("breaker"):
        kept = caller.s["breakers"] if old.get("breaker") else {}
        caller.s["breakers"] = {e: kept.get(e) or br.new_breaker(now) for e in endpoints}
    else:
        caller.s["breakers"] = {}
    if old.get("balancer") != policy.get("balancer"):
        caller.s["lb"] = {}
    return caller.done()
