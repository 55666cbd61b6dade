"""The clients: each sends ``orders_per_client`` orders to the service, one at a time.

A client waits ``client_timeout_ms`` (0: for ever) for the service's answer; a service that
crashed with its order never answers, and the client moves on (it does not
retry: a retry would hide the dual write's loss behind a second attempt, and
the lesson is what the service does with one). Each order sent is logged
before it leaves, so a client that restarts never reuses an order id.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Outcome, Persist, Receive, Recover, Send, SetTimer, State

SERVICE = "svc"


def order_id(client: str, number: int) -> str:
    """Return the id of a client's ``number``-th order (``c1.2``): it names the event too."""
    return f"{client}.{number}"


def initial() -> State:
    """Return a client's boot state."""
    return {"phase": "thinking", "sent": 0, "ok": 0, "failed": 0, "unanswered": 0}


def _next(ctx: Context, state: State) -> Outcome:
    """Think before the next order, or stop when every order is sent."""
    if state["sent"] >= ctx.params["orders_per_client"]:
        return {**state, "phase": "done"}, ()
    return {**state, "phase": "thinking"}, [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: think before the first order."""
    return _next(ctx, state)


def send_order(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Log the order's number, send it to the service and wait for its answer."""
    number = state["sent"] + 1
    order = order_id(ctx.node, number)
    timeout = ctx.params["client_timeout_ms"]
    return {**state, "phase": "waiting", "sent": number}, [
        Persist(record={"type": "sent", "n": number}),
        Send(dest=SERVICE, type="order", body={"order": order}),
        *([SetTimer(name="timeout", delay_ms=timeout)] if timeout else [])]


def answered(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The service confirmed or refused the order in hand; an answer about an earlier one is ignored."""
    if event.message.body.get("order") != order_id(ctx.node, state["sent"]):
        return state, ()
    field = "ok" if event.message.type == "order_ok" else "failed"
    done, effects = _next(ctx, {**state, field: state[field] + 1})
    return done, [*([CancelTimer(name="timeout")] if ctx.params["client_timeout_ms"] else []), *effects]


def timed_out(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer in time: the service lost the order (or is down); move on."""
    return _next(ctx, {**state, "unanswered": state["unanswered"] + 1})


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restart: count on from the last order logged; the one in hand is left unanswered."""
    sent = max((int(r["n"]) for r in event.durable if r.get("type") == "sent"), default=0)
    return _next(ctx, {**initial(), "sent": sent, "unanswered": int(sent > 0)})
