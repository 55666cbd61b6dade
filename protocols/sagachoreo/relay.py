"""A service's relay: it drains the service's outbox into the broker, one row at a time.

The relay's phase is the service's phase. ``idle``: nothing to publish.
A transaction that writes a row wakes it (the commit notifies it, as a
LISTEN/NOTIFY would): it publishes the oldest unpublished row
(``publishing``) and, on the broker's ``publish_ok``, marks the row (a
logged record) and goes on with the next, or back to ``idle``. Without an answer in ``retry_ms`` it publishes
the row again (0: never). At-least-once: the row is marked only after the
broker has it, so a relay that crashes or retries in between publishes the
same event id twice; the consumers' dedup tables make that harmless.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Persist, Receive, Send, SetTimer, State

BROKER = "broker"
RETRY = "retry"


def _oldest(state: State) -> str | None:
    return next((row for row, done in state["outbox"].items() if not done), None)


def added(ctx: Context, state: State) -> Outcome:
    """A transaction wrote a row: an idle relay publishes it; a busy one gets to it after the row in hand."""
    if state["phase"] != "idle":
        return state, []
    return _next(ctx, state)


def _publish(ctx: Context, state: State, row: str) -> Outcome:
    retry = ctx.params["retry_ms"]
    return {**state, "phase": "publishing", "row": row}, [
        Send(dest=BROKER, type="publish", body={"id": row}), *([SetTimer(name=RETRY, delay_ms=retry)] if retry else [])]


def _next(ctx: Context, state: State) -> Outcome:
    row = _oldest(state)
    if row is None:
        return {**state, "phase": "idle", "row": None}, []
    return _publish(ctx, state, row)


def published(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The broker has the row's event: mark the row, then publish the next one."""
    row = str(event.message.body["id"])
    if row != state["row"]:
        return state, []  # The answer to an earlier publication of a row already marked.
    effects: list[Effect] = [Persist(record={"type": "mark", "id": row})]
    if ctx.params["retry_ms"]:
        effects.append(CancelTimer(name=RETRY))
    state, more = _next(ctx, {**state, "outbox": {**state["outbox"], row: True}, "row": None})
    return state, [*effects, *more]


def retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer in time: publish the row again (the broker may have it already: a duplicate)."""
    return _publish(ctx, state, str(state["row"]))


def resume(ctx: Context, state: State) -> Outcome:
    """After a restart: a row left unpublished (or unmarked) is published again."""
    return _next(ctx, {**state, "phase": "idle", "row": None})
