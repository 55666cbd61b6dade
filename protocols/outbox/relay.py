"""The relay (``mode=outbox``): it drains the outbox table into the broker, one row at a time.

``polling`` asks the database for its oldest unpublished row; ``publishing``
sends that row's event to the broker and awaits its ack; ``marking`` marks
the row published and awaits the database's ack, then polls again at once.
An empty poll puts it to ``sleeping``, from which the database's ``wake``
(sent with each outbox commit, like a LISTEN/NOTIFY) brings it to
``waiting``: it polls ``poll_ms`` later. A wake that arrives mid-poll sets
``woken``, so an empty answer computed before that commit does not put it
to sleep. Every request is sent again after ``retry_ms`` without an answer
(0: never), at most ``max_sends`` times in all; then the relay sleeps until
woken.

At-least-once: the row is marked only after the broker's ack, so a relay
that crashes (or retries) between publishing and marking publishes the row
again when it restarts: the event goes out twice. The relay keeps nothing
durable; the outbox table is its memory.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Receive, Send, SetTimer, State

DATABASE, BROKER = "db", "broker"
RETRY, POLL = "retry", "poll"
ASKS = {"polling": ("poll", DATABASE), "publishing": ("publish", BROKER), "marking": ("mark", DATABASE)}
"""The request each waiting phase sends (and sends again on its retry timer), and to whom."""


def initial() -> State:
    """Return the relay's state at boot and after a crash."""
    return {"phase": "sleeping", "row": None, "sends": 0, "woken": False}


def _ask(ctx: Context, state: State, phase: str, again: bool = False) -> Outcome:
    kind, dest = ASKS[phase]
    body = {} if phase == "polling" else {"order": state["row"]}
    sends = state["sends"] + 1 if again else 1
    retry = ctx.params["retry_ms"]
    return {**state, "phase": phase, "sends": sends}, [
        Send(dest=dest, type=kind, body=body), *([SetTimer(name=RETRY, delay_ms=retry)] if retry else [])]


def _cancel(ctx: Context) -> list[Effect]:
    return [CancelTimer(name=RETRY)] if ctx.params["retry_ms"] else []


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: the outbox of a new database is empty; sleep until a commit wakes the relay."""
    return state, ()


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart: the row in hand is forgotten; poll, and the outbox says what is still unpublished."""
    return _ask(ctx, initial(), "polling")


def woken(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Asleep: a row was committed; poll ``poll_ms`` from now."""
    return {**state, "phase": "waiting", "woken": False}, [SetTimer(name=POLL, delay_ms=ctx.params["poll_ms"])]


def woken_busy(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Busy: remember to poll once more before sleeping."""
    return {**state, "woken": True}, ()


def poll_due(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The poll interval is over: ask the database."""
    return _ask(ctx, state, "polling")


def retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer in time: send the request of this phase again, or give up after ``max_sends`` and sleep
    until the next commit wakes it (the row stays unpublished until then)."""
    if state["sends"] >= ctx.params["max_sends"]:
        return {**state, "phase": "sleeping", "row": None, "sends": 0, "woken": False}, [
            Note(text=f"no answer after {state['sends']} sends: giving up until woken")]
    return _ask(ctx, state, state["phase"], again=True)


def rows(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database's answer: publish its row; none, sleep (or wait to poll again if woken meanwhile)."""
    found = list(event.message.body["orders"])
    effects = _cancel(ctx)
    if found:
        outcome, more = _ask(ctx, {**state, "row": str(found[0])}, "publishing")
        return outcome, effects + list(more)
    if state["woken"]:
        return {**state, "phase": "waiting", "woken": False}, [*effects, SetTimer(name=POLL,
                                                                                  delay_ms=ctx.params["poll_ms"])]
    return {**state, "phase": "sleeping", "row": None}, effects


def _about_row(state: State, event: Receive) -> bool:
    return bool(event.message.body.get("order") == state["row"])


def published(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The broker has the row's event: mark the row published."""
    if not _about_row(state, event):
        return state, ()
    outcome, more = _ask(ctx, state, "marking")
    return outcome, [*_cancel(ctx), *more]


def marked(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The row is marked: poll again at once for the next one."""
    if not _about_row(state, event):
        return state, ()
    outcome, more = _ask(ctx, {**state, "row": None}, "polling")
    return outcome, [*_cancel(ctx), *more]
