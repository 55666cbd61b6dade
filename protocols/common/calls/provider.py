"""The provider's side: a bounded queue, a few workers, idempotency keys, injected slowness and failures.

Theory of operation
-------------------
A provider has ``provider_capacity`` workers. A call that finds a worker
free starts at once and takes ``service_ms`` (``slow_ms`` on a provider
named in ``slow_provider``); otherwise it waits in a FIFO queue of at most
``queue_limit`` calls, and past that it is refused at once with the error
``overloaded``. Nobody tells a provider that a caller gave up, so it still
works on attempts whose caller timed out long ago: with retries, the queue
of a slow provider fills with work nobody waits for. That is the retry
storm.

A call *takes effect* when its execution completes: the provider forces an
``executed`` record to its durable log (the effect itself, think of a
payment written to a ledger) and replies with the result. With an
idempotency key the provider first looks the key up: a key it has already
executed is answered from the stored result and executes nothing. The keys
survive a crash (they are rebuilt from the log). Each provider keeps only its
own keys: a retry that lands on another provider is executed again there.

A provider named in ``failing_provider`` answers a ``fail_ratio`` share of
the calls it receives at once with the error ``unavailable`` (drawn from
its seeded stream), until ``fail_until_ms`` (0: for the whole run). Crashes
and pauses come from the fault plan.

Phases only say how loaded the provider is: ``idle``, ``busy`` (workers
busy, nobody waiting) or ``queueing``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from protocols.base import (
    ANY_PHASE,
    Context,
    Effect,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    State,
    Transition,
)
from protocols.common.rng import Stream, seed_from_draw

PROVIDER = "provider"
WORK = "work"
PHASES = ("idle", "busy", "queueing")
PROVIDER_SALT = 7

PROVIDER_WHY = ("a provider's phase is the length of its queue (idle: none, busy: one call in work, queueing: "
                "more), so a call arriving or a piece of work finishing may move it either way from any phase")
"""Why the provider's rows lead from any phase to any phase."""


def names(text: str) -> list[str]:
    """Split a comma-separated list of node names."""
    return [t.strip() for t in text.split(",") if t.strip()]


def provider_state() -> dict[str, Any]:
    """Return a provider's state at boot and after a crash."""
    return {"phase": "idle", "rng": 0, "queue": [], "active": [], "keys": {}, "executions": 0,
            "deduped": 0, "errors": 0, "armed": None}


def _service_ms(ctx: Context) -> int:
    slow = ctx.node in names(ctx.params["slow_provider"])
    return int(ctx.params["slow_ms"] if slow else ctx.params["service_ms"])


def _failing_now(ctx: Context, now: int) -> bool:
    if ctx.node not in names(ctx.params["failing_provider"]):
        return False
    until = ctx.params["fail_until_ms"]
    return bool(until == 0 or now < until)


def _phase(state: Mapping[str, Any]) -> str:
    if state["queue"]:
        return "queueing"
    return "busy" if state["active"] else "idle"


def _rearm(s: dict[str, Any], now: int) -> list[Effect]:
    """Arm the work timer for the earliest completion (a finished step leaves it unarmed)."""
    want = min((job["done"] for job in s["active"]), default=None)
    if want is None or s["armed"] == want:
        return []
    s["armed"] = want
    return [SetTimer(name=WORK, delay_ms=max(0, want - now))]


def provider_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the provider's stream (it decides which calls a failing provider refuses)."""
    return {**state, "rng": seed_from_draw(event.draw, PROVIDER_SALT)}, ()


def provider_call(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Take a call: refuse it (failing or full), start it on a free worker, or queue it."""
    s = copy.deepcopy(dict(state))
    message = event.message
    request = {"src": message.src, "mid": message.msg_id, "body": dict(message.body)}
    effects: list[Effect] = []
    stream = Stream(s["rng"])
    failing = _failing_now(ctx, now) and stream.chance(ctx.params["fail_ratio"])
    s["rng"] = stream.state
    if failing:
        effects.append(_error(s, request, "unavailable"))
    elif len(s["active"]) < ctx.params["provider_capacity"]:
        s["active"].append({**request, "done": now + _service_ms(ctx)})
    elif len(s["queue"]) < ctx.params["queue_limit"]:
        s["queue"].append(request)
    else:
        effects.append(_error(s, request, "overloaded"))
    effects += _rearm(s, now)
    s["phase"] = _phase(s)
    return s, effects


def _error(s: dict[str, Any], request: Mapping[str, Any], code: str) -> Send:
    s["errors"] += 1
    return Send(dest=request["src"], type="error", body={**request["body"], "error": code},
                in_reply_to=request["mid"])


def provider_work(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Finish every call whose service time is over, then start queued ones on the freed workers."""
    s = copy.deepcopy(dict(state))
    s["armed"] = None
    effects: list[Effect] = []
    still = []
    for job in s["active"]:
        if job["done"] <= now:
            effects += _complete(ctx, s, job)
        else:
            still.append(job)
    while s["queue"] and len(still) < ctx.params["provider_capacity"]:
        still.append({**s["queue"].pop(0), "done": now + _service_ms(ctx)})
    s["active"] = still
    effects += _rearm(s, now)
    s["phase"] = _phase(s)
    return s, effects


def _complete(ctx: Context, s: dict[str, Any], job: Mapping[str, Any]) -> list[Effect]:
    """Execute a call (force the effect, then reply), or answer a known key from the stored result."""
    body = job["body"]
    key = body.get("key")
    if key is not None and key in s["keys"]:
        s["deduped"] += 1
        return [Send(dest=job["src"], type="reply", body={**body, "result": s["keys"][key], "deduped": True},
                     in_reply_to=job["mid"])]
    s["executions"] += 1
    result = f"{ctx.node}#{s['executions']}"
    if key is not None:
        s["keys"][key] = result
    return [
        Persist(record={"type": "executed", "call": body.get("call"), "key": key, "result": result}),
        Send(dest=job["src"], type="reply", body={**body, "result": result, "deduped": False},
             in_reply_to=job["mid"]),
    ]


def provider_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Come back with the keys (and results) of every execution in the log; the queue is lost."""
    executed = [r for r in event.durable if r.get("type") == "executed"]
    keys = {r["key"]: r["result"] for r in executed if r.get("key") is not None}
    return {**provider_state(), "rng": state.get("rng", 0), "keys": keys, "executions": len(executed)}, ()


def provider_rows() -> list[Transition]:
    """The provider's rows, the same in both protocols (in the mesh, calls come through the provider's sidecar)."""
    p = PROVIDER
    return [
        Transition(role=p, phase="idle", on="start", to=("idle",), handler=provider_start),
        Transition(role=p, phase=ANY_PHASE, on="msg:call", to=PHASES, handler=provider_call, why=PROVIDER_WHY),
        Transition(role=p, phase=ANY_PHASE, on="timer:" + WORK, to=PHASES, handler=provider_work, why=PROVIDER_WHY),
        Transition(role=p, phase=ANY_PHASE, on="recover", to=("idle",), handler=provider_recover),
    ]
