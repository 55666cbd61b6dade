"""Consumer handlers: a client-side cache of the registry's table, and calls made from it.

Discovery: with ``discovery=pull`` the consumer asks its registry for the
table every ``refresh_ms`` (``u1`` every ``slow_refresh_ms`` when that is
set); with ``watch`` it subscribes, the registry pushes every change, and the
consumer re-subscribes every ``refresh_ms`` with the mark it holds (a lost
push or a restarted registry is then noticed). Each answer carries the
registry's ``[boot, version]`` mark; an answer older than the cache is a
late one and is dropped. The first discovery waits one heartbeat, so that
providers have had time to register.

Calls: closed loop. Every ``call_ms`` after the previous call ended, the
consumer picks a cached instance (weighted by its weight, with its own
seeded stream) and calls it; the call ends with the provider's ``call_ok``
or, after ``call_timeout_ms``, as a failure. With an empty cache the call
fails at once (``no instance``). A call's outcome is kept in ``last_call``
(``n``, ``to``, ``ok``, ``ms``, ``at`` its start, ``error``) and in the
counters ``calls``, ``ok`` and ``failed``: the rates panel reads those.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Persist, Receive, Send, SetTimer, Start, State
from protocols.common.ring import stable_hash
from protocols.common.rng import Stream, seed_from_draw
from protocols.registry.names import home_registry, past_horizon, refresh_of

EPOCH_SPAN = 1_000_000
"""After a restart, calls are numbered ``epoch * EPOCH_SPAN + n`` (as the hash ring's caches number their
requests), so an answer to a call made before the crash never ends a call of the new life."""

FIRST_MARK = [0, 0]
"""Below every registry's first answer (boot 1, version 0)."""


def initial_state(ctx: Context) -> State:
    """Return a consumer with an empty cache, before it has discovered anything; ``home`` is the replica it asks."""
    return {"phase": "discovering", "cache": {}, "seen": FIRST_MARK, "cache_at": None, "req": 0, "rng": 0,
            "n": 0, "call": None, "last_call": None, "calls": 0, "ok": 0, "failed": 0,
            "home": home_registry(ctx.node, ctx.params)}


def _begin(ctx: Context, state: State, rng: int) -> Outcome:
    return {**state, "rng": rng}, [
        SetTimer(name="refresh", delay_ms=ctx.params["heartbeat_ms"]),
        SetTimer(name="call", delay_ms=ctx.params["call_ms"]),
    ]


def start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the call stream from the start draw; discover after one heartbeat, then start calling."""
    return _begin(ctx, state, seed_from_draw(event.draw, salt=int(ctx.node[1:])))


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart with an empty cache (it was volatile), a stream seeded from name and time, in a new epoch."""
    state = initial_state(ctx)  # What the engine hands a recovering node anyway: memory is gone.
    if past_horizon(now, ctx.params):
        return {**state, "phase": "stopped"}, ()
    epoch = 1 + sum(1 for r in event.durable if r.get("type") == "restart")
    new, effects = _begin(ctx, {**state, "n": epoch * EPOCH_SPAN}, stable_hash(f"{ctx.node}@{now}"))
    return new, [Persist(record={"type": "restart", "epoch": epoch}), *effects]


def _stop(state: State) -> Outcome:
    return {**state, "phase": "stopped"}, [CancelTimer(name="refresh"), CancelTimer(name="call")]


def refresh(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Pull the table (or re-subscribe with the mark held), and wake again one refresh later."""
    if past_horizon(now, ctx.params):
        return _stop(state)
    registry = state["home"]
    again = SetTimer(name="refresh", delay_ms=refresh_of(ctx.node, ctx.params))
    if ctx.params["discovery"] == "watch":
        return state, [Send(dest=registry, type="watch", body={"seen": list(state["seen"])}), again]
    req = state["req"] + 1
    return {**state, "req": req}, [Send(dest=registry, type="discover", body={"req": req}), again]


def instances(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Take an answer or a push into the cache unless it is older than what the cache holds."""
    body = event.message.body
    mark = [int(body["boot"]), int(body["version"])]
    if mark < list(state["seen"]):
        return state, ()  # A late answer: the cache already holds a newer table.
    cache = {name: {"inc": int(e["inc"]), "weight": int(e["weight"])} for name, e in body["instances"].items()}
    phase = state["phase"]
    if phase == "discovering" and cache:
        phase = "ready"
    return {**state, "phase": phase, "cache": cache, "seen": mark, "cache_at": now}, ()


def pick(cache: dict[str, Any], stream: Stream) -> str:
    """Choose a cached instance with probability proportional to its weight."""
    names = sorted(cache)
    total = sum(cache[n]["weight"] for n in names)
    point = stream.random() * total
    for name in names:
        point -= cache[name]["weight"]
        if point < 0:
            return name
    return names[-1]


def call(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Call an instance from the cache; with nothing discovered yet, wait; with an empty cache, fail."""
    if past_horizon(now, ctx.params):
        return _stop(state)
    again = SetTimer(name="call", delay_ms=ctx.params["call_ms"])
    if state["phase"] == "discovering":
        return state, [again]  # Nothing discovered yet: not a failed call, just not started.
    n = state["n"] + 1
    if not state["cache"]:
        return _ended(state, {"n": n, "to": None, "ok": False, "ms": 0, "at": now, "error": "no instance"}), [again]
    stream = Stream(state["rng"])
    target = pick(state["cache"], stream)
    inc = state["cache"][target]["inc"]
    state = {**state, "n": n, "rng": stream.state, "call": {"n": n, "to": target, "inc": inc, "at": now}}
    return state, [Send(dest=target, type="call", body={"n": n, "inc": inc}),
                   SetTimer(name="call_timeout", delay_ms=ctx.params["call_timeout_ms"])]


def _ended(state: State, outcome: dict[str, Any]) -> State:
    ok = bool(outcome["ok"])
    return {**state, "n": outcome["n"], "call": None, "last_call": outcome, "calls": state["calls"] + 1,
            "ok": state["ok"] + ok, "failed": state["failed"] + (not ok)}


def _next(ctx: Context, state: State) -> list[Effect]:
    return [] if state["phase"] == "stopped" else [SetTimer(name="call", delay_ms=ctx.params["call_ms"])]


def answered(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The called instance answered in time: a success (a late answer to a timed-out call is dropped)."""
    current = state["call"]
    message = event.message
    if current is None or message.body.get("n") != current["n"] or message.src != current["to"]:
        return state, ()
    outcome = {"n": current["n"], "to": current["to"], "ok": True, "ms": now - current["at"], "at": current["at"]}
    return _ended(state, outcome), [CancelTimer(name="call_timeout"), *_next(ctx, state)]


def timed_out(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer in time: the call failed (the instance is down, paused or cut off)."""
    current = state["call"]
    if current is None:
        return state, ()
    outcome = {"n": current["n"], "to": current["to"], "ok": False, "ms": now - current["at"], "at": current["at"],
               "error": "timeout"}
    return _ended(state, outcome), _next(ctx, state)
