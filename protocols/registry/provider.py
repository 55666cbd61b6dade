"""Provider handlers: register, renew by heartbeat, come back newer after an eviction, serve calls.

A provider ``registering`` sends its registration (name, incarnation,
weight) to its registry and repeats it every heartbeat until it is
acknowledged for *this* incarnation; then it is ``up`` and sends a heartbeat
every ``heartbeat_ms``. The registry answers a heartbeat only when it does
not know the instance (``unknown_instance``): the provider was evicted, or
the registry restarted empty. The provider then takes the next incarnation,
forces it to its durable log *before* using it, and registers again. A
recovery does the same, so a restarted process is always newer than anything
of its past life still in flight. Answers about an older incarnation are
late echoes and change nothing. Calls are served in every phase: a process
that is alive answers, whatever the registry thinks of it.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, State
from protocols.registry.names import home_registry, past_horizon, weight_of


def initial_state(ctx: Context) -> State:
    """Return a provider before its first registration."""
    return {"phase": "registering", "inc": 0, "served": 0}


def _register(ctx: Context, state: State, inc: int, now: int, why: str) -> Outcome:
    """Force incarnation ``inc`` to the log, then register it and keep retrying until told."""
    if past_horizon(now, ctx.params):
        return {**state, "phase": "stopped"}, [CancelTimer(name="heartbeat"), CancelTimer(name="register_retry")]
    body = {"inc": inc, "weight": weight_of(ctx.node, ctx.params)}
    effects: list[Effect] = [
        Note(text=f"register as {ctx.node}#{inc}: {why}"),
        Persist(record={"type": "incarnation", "inc": inc}),
        CancelTimer(name="heartbeat"),
        Send(dest=home_registry(ctx.node, ctx.params), type="register", body=body),
        SetTimer(name="register_retry", delay_ms=ctx.params["heartbeat_ms"]),
    ]
    return {**state, "phase": "registering", "inc": inc}, effects


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot as incarnation 1 and register."""
    return _register(ctx, state, 1, now, "first start")


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restart as a new incarnation, one above the last one logged, and register it."""
    state = initial_state(ctx)  # What the engine hands a recovering node anyway: memory is gone.
    logged = [int(r["inc"]) for r in event.durable if r.get("type") == "incarnation"]
    last = max(logged, default=0)
    if past_horizon(now, ctx.params):
        return {**state, "phase": "stopped", "inc": last}, ()
    return _register(ctx, {**state, "inc": last}, last + 1, now, "restarted after a crash")


def registered(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The registry took this incarnation: start heartbeating (an ack for an older one is late)."""
    if event.message.body.get("inc") != state["inc"]:
        return state, ()
    return {**state, "phase": "up"}, [
        CancelTimer(name="register_retry"),
        SetTimer(name="heartbeat", delay_ms=ctx.params["heartbeat_ms"]),
    ]


def retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No acknowledgement yet: register the same incarnation again (the registry takes it idempotently)."""
    if past_horizon(now, ctx.params):
        return {**state, "phase": "stopped"}, ()
    body = {"inc": state["inc"], "weight": weight_of(ctx.node, ctx.params)}
    return state, [
        Send(dest=home_registry(ctx.node, ctx.params), type="register", body=body),
        SetTimer(name="register_retry", delay_ms=ctx.params["heartbeat_ms"]),
    ]


def heartbeat(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Renew the lease, and wake again one heartbeat later (until the horizon)."""
    if past_horizon(now, ctx.params):
        return {**state, "phase": "stopped"}, ()
    body = {"inc": state["inc"], "weight": weight_of(ctx.node, ctx.params)}
    return state, [
        Send(dest=home_registry(ctx.node, ctx.params), type="heartbeat", body=body),
        SetTimer(name="heartbeat", delay_ms=ctx.params["heartbeat_ms"]),
    ]


def unknown(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The registry no longer knows this incarnation: come back as the next one."""
    if event.message.body.get("inc") != state["inc"]:
        return state, ()  # About an older incarnation: a late echo of a past life.
    return _register(ctx, state, state["inc"] + 1, now, f"{event.message.src} no longer knows #{state['inc']}")


def serve(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a consumer's call: a live process serves, registered or not."""
    message = event.message
    return {**state, "served": state["served"] + 1}, [
        Send(dest=message.src, type="call_ok", body={"n": message.body.get("n")}, in_reply_to=message.msg_id),
    ]
