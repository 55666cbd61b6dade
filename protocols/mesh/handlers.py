"""Service-mesh handlers for the apps and their sidecars (the control plane is in control.py).

A consumer app only talks to its own sidecar: it sends ``call`` and waits
for ``result``, giving up after ``app_deadline_ms`` (in case its sidecar
died). The consumer's sidecar does everything the invocation consumer's
library did (``protocols/common/calls/caller.py``), with the policy and the
endpoints it was pushed. Until its first policy arrives it holds the calls
(phase ``waiting``). A provider's sidecar forwards calls to its app and
relays the answers, counting requests and errors. The provider apps are the
invocation providers unchanged: they answer whoever sent the call, here
their sidecar.

A sidecar forces each policy it adopts to its durable log (its config on
disk), so after a crash it comes back with the same version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Note,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    State,
)
from protocols.common.calls import caller
from protocols.common.calls.consumer import NEXT_CALL
from protocols.common.calls.provider import provider_state
from protocols.common.rng import seed_from_draw
from protocols.mesh.control import control_state, sidecar_of

DEADLINE = "deadline"
SIDECAR_SALT = 5
VIA = ("via", "via_mid")
"""What a provider's sidecar adds to a call so the answer finds its way back without a table."""


def app_of(sidecar: str) -> str:
    """Return the service a sidecar sits beside."""
    return sidecar.removesuffix("-sidecar")


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "consumer":
        return {"phase": "calling", "issued": 0, "rng": 0, "waiting": {}, "armed": None}
    if ctx.role == "consumer-sidecar":
        return {"phase": "waiting", "version": 0, "held": [], **caller.caller_state({"version": 0}, [])}
    if ctx.role == "provider-sidecar":
        return {"phase": "waiting", "version": 0, "metrics": {"requests": 0, "errors": 0}}
    if ctx.role == "control":
        return control_state()
    return provider_state()


# ------------------------------------------------------------ consumer app


def _app_phase(ctx: Context, s: dict[str, Any]) -> dict[str, Any]:
    if s["issued"] < ctx.params["calls_per_consumer"]:
        return {**s, "phase": "calling"}
    return {**s, "phase": "draining" if s["waiting"] else "done"}


def _app_step(ctx: Context, s: dict[str, Any], now: int, effects: list[Effect]) -> Outcome:
    """Keep the deadline timer on the oldest waiting call (cancelled when none waits); set the phase."""
    oldest = min(s["waiting"].values(), default=None)
    if oldest is None:
        if s["armed"] is not None:
            effects.append(CancelTimer(name=DEADLINE))
            s["armed"] = None
    elif s["armed"] != oldest:
        s["armed"] = oldest
        effects.append(SetTimer(name=DEADLINE, delay_ms=max(0, oldest + ctx.params["app_deadline_ms"] - now)))
    return _app_phase(ctx, s), effects


def app_next_call(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Hand the next call to the local sidecar (open loop) and schedule the one after it."""
    issued = state["issued"] + 1
    call = f"{ctx.node}-{issued}"
    s = {**state, "issued": issued, "waiting": {**state["waiting"], call: now}}
    effects: list[Effect] = [Send(dest=sidecar_of(ctx.node), type="call", body={"call": call})]
    if issued < ctx.params["calls_per_consumer"]:
        effects.append(SetTimer(name=NEXT_CALL, delay_ms=ctx.params["call_interval_ms"]))
    return _app_step(ctx, s, now, effects)


def app_result(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The sidecar says how a call ended: write it to the call log."""
    body = event.message.body
    start = state["waiting"].get(body.get("call"))
    if start is None:
        return state, ()  # Given up at the deadline already.
    waiting = {k: v for k, v in state["waiting"].items() if k != body["call"]}
    record = {"type": "call", "call": body["call"], "ok": bool(body.get("ok")), "attempts": body.get("attempts", 0),
              "latency_ms": now - start}
    record.update({k: body[k] for k in ("result", "why") if k in body})
    return _app_step(ctx, {**state, "waiting": waiting}, now, [Persist(record=record)])


def app_deadline(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Give up the calls the sidecar has not answered in ``app_deadline_ms``."""
    s = {**state, "armed": None, "waiting": dict(state["waiting"])}
    effects: list[Effect] = []
    for call, start in list(s["waiting"].items()):
        if now - start >= ctx.params["app_deadline_ms"]:
            del s["waiting"][call]
            effects.append(Persist(record={"type": "call", "call": call, "ok": False, "attempts": 0,
                                           "latency_ms": now - start, "why": "no answer from the sidecar"}))
    return _app_step(ctx, s, now, effects)


def app_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """A consumer app that crashed has lost its calls in flight; it starts no more."""
    return {**state, "phase": "done"}, [Note(text=f"{ctx.node} restarts after a crash and starts no more calls")]


# ------------------------------------------------------- consumer sidecar


def _results(finished: Sequence[Mapping[str, Any]]) -> list[Effect]:
    """Tell each finished call's app how it ended."""
    effects: list[Effect] = []
    for done in finished:
        body = {k: done[k] for k in ("call", "ok", "attempts", "result", "why") if k in done}
        origin = done["origin"]
        effects.append(Send(dest=origin["app"], type="result", body=body, in_reply_to=origin["mid"]))
    return effects


def _sidecar_step(step: caller.Step, extra: Sequence[Effect] = ()) -> Outcome:
    state, effects, finished = step
    return state, [*extra, *effects, *_results(finished)]


def out_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the sidecar's stream (random balancing, jitter)."""
    return {**state, "rng": seed_from_draw(event.draw, SIDECAR_SALT)}, ()


def out_hold(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """No policy yet: hold the app's call until the control plane has spoken."""
    m = event.message
    return {**state, "held": [*state["held"], {"call": m.body["call"], "app": m.src, "mid": m.msg_id}]}, ()


def out_call(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The app makes a call: balance, send the first attempt."""
    m = event.message
    return _sidecar_step(caller.begin(state, str(m.body["call"]), now, {"app": m.src, "mid": m.msg_id}))


def out_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A provider's sidecar answered an attempt: a reply ends the call, an error may retry it."""
    return _sidecar_step(caller.on_answer(state, event.message.body, event.message.type == "reply", now))


def out_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """An attempt deadline, a retry or a breaker cool-down came due."""
    return _sidecar_step(caller.on_timer(state, event.name, now))


def out_policy(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Adopt a newer policy (force it to the log, start the held calls) and acknowledge it."""
    body = event.message.body
    ack = Send(dest=event.message.src, type="policy_ack", body={"version": max(body["version"], state["version"])},
               in_reply_to=event.message.msg_id)
    if body["version"] <= state["version"]:
        return state, [ack]
    s, effects, finished = caller.apply_policy(state, body["policy"], body["endpoints"], now)
    s = {**s, "phase": "ready", "version": body["version"], "held": []}
    effects = [Persist(record={"type": "policy", **body}), *effects]
    for held in state["held"]:
        s, more, done = caller.begin(s, held["call"], now, {"app": held["app"], "mid": held["mid"]})
        effects += more
        finished += done
    return s, [*effects, *_results(finished), ack]


def out_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Come back with the last policy in the log (calls in flight are lost: the apps' deadlines catch them)."""
    policies = [r for r in event.durable if r.get("type") == "policy"]
    if not policies:
        return state, ()
    last = policies[-1]
    s, effects, _ = caller.apply_policy(state, last["policy"], last["endpoints"], now)
    return {**s, "phase": "ready", "version": last["version"]}, effects


# ------------------------------------------------------- provider sidecar


def in_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Nothing to do until calls or a policy arrive."""
    return state, ()


def in_call(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Forward a call to the local app, noting where its answer must go back to."""
    m = event.message
    metrics = {**state["metrics"], "requests": state["metrics"]["requests"] + 1}
    body = {**m.body, "via": m.src, "via_mid": m.msg_id}
    return {**state, "metrics": metrics}, [Send(dest=app_of(ctx.node), type="call", body=body)]


def in_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Relay the app's answer to the caller's sidecar."""
    m = event.message
    body = {k: v for k, v in m.body.items() if k not in VIA}
    s = state
    if m.type == "error":
        s = {**state, "metrics": {**state["metrics"], "errors": state["metrics"]["errors"] + 1}}
    return s, [Send(dest=m.body["via"], type=m.type, body=body, in_reply_to=m.body["via_mid"])]


def in_policy(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Adopt a newer policy version (an inbound proxy only needs to know which) and acknowledge it."""
    body = event.message.body
    ack = Send(dest=event.message.src, type="policy_ack", body={"version": max(body["version"], state["version"])},
               in_reply_to=event.message.msg_id)
    if body["version"] <= state["version"]:
        return state, [ack]
    return {**state, "phase": "ready", "version": body["version"]}, [
        Persist(record={"type": "policy", "version": body["version"]}), ack]


def in_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Come back with the last policy version in the log."""
    versions = [r["version"] for r in event.durable if r.get("type") == "policy"]
    if not versions:
        return state, ()
    return {**state, "phase": "ready", "version": versions[-1]}, ()
