"""The durable nodes: the service's database ``db``, the ``broker`` and the ``consumer``'s own state.

Each logs every change before it answers (one record per local
transaction), and rebuilds its state from that log when it restarts.

- The database commits an order (``write``), or in outbox mode the order and
  its outbox row in one record (``commit``: the local transaction that makes
  the outbox atomic), then wakes the relay. It refuses every
  ``refuse_every``-th order of a client (a constraint: out of stock). It
  answers the relay's ``poll`` with its oldest unpublished row and marks a
  row published on ``mark``.
- The broker logs each event it accepts under a new delivery id, acknowledges
  the publisher and delivers it to the consumer again every ``redeliver_ms``
  until the consumer acknowledges that id: at-least-once. After
  ``max_deliveries`` sends it dead-letters the event (a dead-letter queue). A second publish
  of one order is a second event (it keeps no producer ids).
- The consumer applies a delivered event to its own state and acknowledges
  it. With ``idempotent_consumer`` it records the event's id in a dedup table
  in the same transaction and acknowledges a repeat without applying it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Record, Send, SetTimer, State

RELAY, CONSUMER = "relay", "consumer"
REDELIVER = "redeliver"


def _reply(event: Receive, kind: str, **body: Any) -> Send:
    return Send(dest=event.message.src, type=kind, body=body, in_reply_to=event.message.msg_id)


# ------------------------------------------------------------------ database


def db_initial() -> State:
    """Return the database's empty state (its log rebuilds it after a restart)."""
    return {"phase": "ready", "orders": [], "refused": [], "outbox": {}}


def _refuses(ctx: Context, order: str) -> bool:
    every = ctx.params["refuse_every"]
    return bool(every) and int(order.rsplit(".", 1)[1]) % every == 0


def db_write(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Commit an order (``write``), or an order and its outbox row at once (``commit``), unless refused."""
    order, with_row = str(event.message.body["order"]), event.message.type == "commit"
    ok, no = ("commit_ok", "commit_refused") if with_row else ("write_ok", "write_refused")
    if order in state["orders"]:
        return state, [_reply(event, ok, order=order)]  # A repeat: the order is there already.
    if _refuses(ctx, order):
        return ({**state, "refused": sorted({*state["refused"], order})},
                [Persist(record={"type": "refused", "order": order}), _reply(event, no, order=order)])
    state = {**state, "orders": [*state["orders"], order]}
    effects: list[Effect] = [Persist(record={"type": "order", "order": order, "outbox": with_row})]
    if with_row:
        state = {**state, "outbox": {**state["outbox"], order: False}}
        effects.append(Send(dest=RELAY, type="wake", body={"order": order}))
    return state, [*effects, _reply(event, ok, order=order)]


def db_poll(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer the relay with the oldest unpublished outbox row (none: an empty answer)."""
    waiting = [order for order, done in state["outbox"].items() if not done]
    return state, [_reply(event, "rows", orders=waiting[:1])]


def db_mark(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Mark an outbox row published (once), and acknowledge."""
    order = str(event.message.body["order"])
    effects: list[Effect] = []
    if state["outbox"].get(order) is False:
        state = {**state, "outbox": {**state["outbox"], order: True}}
        effects.append(Persist(record={"type": "mark", "order": order}))
    return state, [*effects, _reply(event, "mark_ok", order=order)]


def db_rebuild(log: Sequence[Record]) -> State:
    """Replay the database's log."""
    orders: list[str] = []
    refused: set[str] = set()
    outbox: dict[str, bool] = {}
    for r in log:
        kind, order = r.get("type"), str(r.get("order"))
        if kind == "order":
            orders.append(order)
            if r.get("outbox"):
                outbox[order] = False
        elif kind == "refused":
            refused.add(order)
        elif kind == "mark":
            outbox[order] = True
    return {"phase": "ready", "orders": orders, "refused": sorted(refused), "outbox": outbox}


def db_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart: the log holds every commit, refusal and mark."""
    return db_rebuild(event.durable), ()


# ------------------------------------------------------------------ broker


def broker_initial() -> State:
    """Return the broker's empty state."""
    return {"phase": "ready", "published": 0, "unacked": {}, "dead": []}


def _deliver(number: str, order: str) -> Send:
    return Send(dest=CONSUMER, type="deliver", body={"id": int(number), "order": order})


def publish(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Accept an event: log it under a new id, acknowledge the publisher, deliver it, and watch for its ack."""
    order, number = str(event.message.body["order"]), str(state["published"] + 1)
    unacked = {**state["unacked"], number: {"order": order, "sends": 1}}
    return {**state, "published": int(number), "unacked": unacked}, [
        Persist(record={"type": "event", "id": int(number), "order": order}),
        _reply(event, "publish_ok", order=order), _deliver(number, order),
        SetTimer(name=REDELIVER, delay_ms=ctx.params["redeliver_ms"])]


def acked(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The consumer acknowledged a delivery: forget it; with nothing left, stop the redelivery timer."""
    key = str(event.message.body["id"])
    if key not in state["unacked"]:
        return state, ()  # A repeated acknowledgement.
    unacked = {k: v for k, v in state["unacked"].items() if k != key}
    effects: list[Effect] = [Persist(record={"type": "ack", "id": int(key)})]
    return {**state, "unacked": unacked}, effects + ([] if unacked else [CancelTimer(name=REDELIVER)])


def redeliver(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Deliver every unacknowledged event again, and wait again; one sent ``max_deliveries`` times is
    dead-lettered instead (logged, and reported by ``events-delivered``)."""
    effects: list[Effect] = []
    unacked, dead = {}, list(state["dead"])
    for number, entry in state["unacked"].items():
        if entry["sends"] >= ctx.params["max_deliveries"]:
            dead.append(entry["order"])
            effects.append(Persist(record={"type": "dead", "id": int(number)}))
            continue
        unacked[number] = {**entry, "sends": entry["sends"] + 1}
        effects.append(_deliver(number, entry["order"]))
    if unacked:
        effects.append(SetTimer(name=REDELIVER, delay_ms=ctx.params["redeliver_ms"]))
    return {**state, "unacked": unacked, "dead": dead}, effects


def broker_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart: replay the log of events, acknowledgements and dead letters; deliver what is unacknowledged."""
    published, unacked, dead = 0, {}, []
    for r in event.durable:
        key = str(r.get("id"))
        if r.get("type") == "event":
            published = max(published, int(r["id"]))
            unacked[key] = {"order": str(r["order"]), "sends": 0}
        elif r.get("type") in ("ack", "dead") and key in unacked:
            entry = unacked.pop(key)
            dead += [entry["order"]] if r["type"] == "dead" else []
    return redeliver(ctx, {"phase": "ready", "published": published, "unacked": unacked, "dead": dead}, event, now)


# ------------------------------------------------------------------ consumer


def consumer_initial() -> State:
    """Return the consumer's empty state."""
    return {"phase": "ready", "applied": {}, "dedup": []}


def consume(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Apply a delivered event (unless the dedup table has it) and acknowledge it."""
    order, ack = str(event.message.body["order"]), _reply(event, "ack", id=event.message.body["id"])
    if ctx.params["idempotent_consumer"] and order in state["dedup"]:
        return state, [Note(text=f"{order} already processed: acknowledged, not applied"), ack]
    applied = {**state["applied"], order: state["applied"].get(order, 0) + 1}
    dedup = sorted({*state["dedup"], order}) if ctx.params["idempotent_consumer"] else state["dedup"]
    return {**state, "applied": applied, "dedup": dedup}, [Persist(record={"type": "apply", "order": order}), ack]


def consumer_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart: the applied effects and the dedup table are in the log."""
    applied: dict[str, int] = {}
    for r in event.durable:
        if r.get("type") == "apply":
            applied[str(r["order"])] = applied.get(str(r["order"]), 0) + 1
    dedup = sorted(applied) if ctx.params["idempotent_consumer"] else []
    return {"phase": "ready", "applied": applied, "dedup": dedup}, ()


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: the durable nodes wait to be asked."""
    return state, ()
