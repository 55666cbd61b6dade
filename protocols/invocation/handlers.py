"""Service-invocation consumer handlers: one function per row of the consumer's table.

A consumer is an app with a client library in one node: it starts a call
every ``call_interval_ms`` (open loop: it does not wait for earlier calls),
and the library (``protocols/common/calls/caller.py``) balances, times out, retries and keeps the
breakers. When a call ends the consumer writes it to its call log (a durable
record with its outcome, attempts and latency): the figures are read from
there. Phases: ``calling`` (calls left to start), ``draining`` (all started,
some in flight), ``done``; how a consumer starts is the mesh's too
(``protocols/common/calls/consumer.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Recover, SetTimer, State
from protocols.common.calls import caller
from protocols.common.calls.consumer import NEXT_CALL
from protocols.common.calls.params import policy_from, provider_names
from protocols.common.calls.provider import provider_state


def consumer_state(ctx: Context) -> dict[str, Any]:
    """Return a consumer's state: the call counter and the library's fields."""
    endpoints = provider_names(ctx.params)
    return {"phase": "calling", "issued": 0,
            **caller.caller_state(policy_from(ctx.params, 1, len(endpoints)), endpoints)}


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "consumer":
        return consumer_state(ctx)
    return provider_state()


def call_records(finished: Sequence[dict[str, Any]], now: int) -> list[Persist]:
    """Turn finished calls into the consumer's call-log records."""
    records = []
    for done in finished:
        record = {"type": "call", "call": done["call"], "ok": done["ok"], "attempts": done["attempts"],
                  "latency_ms": now - done["start"]}
        record.update({k: done[k] for k in ("result", "why") if k in done})
        records.append(Persist(record=record))
    return records


def _phase(ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
    if state["phase"] == "done":
        return state  # Final: a recovered consumer is done however few calls it made.
    if state["issued"] < ctx.params["calls_per_consumer"]:
        return {**state, "phase": "calling"}
    return {**state, "phase": "draining" if state["inflight"] else "done"}


def _finish(ctx: Context, step: caller.Step, now: int, extra: Sequence[Effect] = ()) -> Outcome:
    state, effects, finished = step
    return _phase(ctx, state), [*effects, *extra, *call_records(finished, now)]


def consumer_next_call(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Start the next call (open loop) and schedule the one after it."""
    issued = state["issued"] + 1
    step = caller.begin({**state, "issued": issued}, f"{ctx.node}-{issued}", now)
    more: list[Effect] = []
    if issued < ctx.params["calls_per_consumer"]:
        more.append(SetTimer(name=NEXT_CALL, delay_ms=ctx.params["call_interval_ms"]))
    return _finish(ctx, step, now, more)


def consumer_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A provider answered an attempt: a reply ends the call, an error may retry it."""
    ok = event.message.type == "reply"
    return _finish(ctx, caller.on_answer(state, event.message.body, ok, now), now)


def consumer_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """An attempt deadline, a retry or a breaker cool-down came due."""
    return _finish(ctx, caller.on_timer(state, event.name, now), now)


def consumer_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """A consumer that crashed has lost its calls in flight; it starts no more."""
    logged = sum(1 for r in event.durable if r.get("type") == "call")
    return {**state, "phase": "done"}, [
        Note(text=f"{ctx.node} restarts after a crash with {logged} calls in its log; "
                  "the calls it had in flight are lost and it starts no more")]
