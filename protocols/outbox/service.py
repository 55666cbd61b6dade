"""The service ``svc``: it takes an order and must both change its database and publish the order's event.

One order at a time (a single worker), others queued. What it does with an order is the ``mode``:

- ``dual-write-db-first``: ``writing`` (the database's ``write``, await its
  ack), then ``publishing`` (the broker's ``publish``, await its ack), then
  answer the client. A crash in ``publishing``, or in ``writing`` once the
  database has the order, loses the event: nobody else knows it is owed.
- ``dual-write-publish-first``: ``publishing`` first, then ``writing``. A
  crash in between, or a database that refuses the order, leaves a phantom:
  the consumer hears of an order the database never had.
- ``outbox``: ``committing``: one local transaction (``commit``) writes the
  order and its outbox row together; the relay publishes it later. The
  service publishes nothing itself, so its crash can lose only orders the
  database never committed, which nobody was told of.

The service keeps nothing durable: a crash forgets the order in hand and the
queue; their clients time out.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Receive, Send, State

DATABASE, BROKER = "db", "broker"
FIRST_STEP = {"dual-write-db-first": "writing", "dual-write-publish-first": "publishing", "outbox": "committing"}
"""The phase each mode starts an order in."""
REQUEST = {"writing": ("write", DATABASE), "publishing": ("publish", BROKER), "committing": ("commit", DATABASE)}
"""The message each busy phase sends, and to whom."""


def initial() -> State:
    """Return the service's state at boot and after a crash: it remembers nothing."""
    return {"phase": "idle", "current": None, "queue": []}


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: wait for orders."""
    return state, ()


def _begin(ctx: Context, state: State, pending: dict[str, str]) -> Outcome:
    """Take an order in hand: send the first step of the mode's sequence."""
    return _step(ctx, {**state, "current": pending}, FIRST_STEP[ctx.params["mode"]])


def _step(ctx: Context, state: State, phase: str) -> Outcome:
    kind, dest = REQUEST[phase]
    return {**state, "phase": phase}, [Send(dest=dest, type=kind, body={"order": state["current"]["order"]})]


def _finish(ctx: Context, state: State, answer: str) -> Outcome:
    """Answer the client of the order in hand, then take the next queued order, if any."""
    current = state["current"]
    effects: list[Effect] = [Send(dest=current["client"], type=answer, body={"order": current["order"]})]
    state = {**state, "phase": "idle", "current": None}
    if state["queue"]:
        state, more = _begin(ctx, {**state, "queue": state["queue"][1:]}, state["queue"][0])
        effects += more
    return state, effects


def take_order(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """An order arrives: serve it now if idle, else queue it."""
    pending = {"order": str(event.message.body["order"]), "client": event.message.src}
    if state["phase"] != "idle":
        return {**state, "queue": [*state["queue"], pending]}, ()
    return _begin(ctx, state, pending)


def _about_current(state: State, event: Receive) -> bool:
    """Say whether an answer concerns the order in hand (not one forgotten in a crash)."""
    return state["current"] is not None and event.message.body.get("order") == state["current"]["order"]


AFTER_ACK = {
    ("dual-write-db-first", "writing"): "publishing",
    ("dual-write-publish-first", "publishing"): "writing",
}
"""The step that follows an acknowledgement, by mode and phase; any other acknowledgement ends the order."""


def acknowledged(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database or the broker has done its part: take the mode's next step, or answer the client.

    Database first, the database's ack leads to publishing; publish first, the broker's ack leads to the
    database write; the other ack (and the outbox's one commit) completes the order.
    """
    if not _about_current(state, event):
        return state, ()
    then = AFTER_ACK.get((ctx.params["mode"], state["phase"]))
    return _step(ctx, state, then) if then else _finish(ctx, state, "order_ok")


def refused(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database refused the order: tell the client. Published first, the event cannot be taken back."""
    if not _about_current(state, event):
        return state, ()
    outcome, effects = _finish(ctx, state, "order_failed")
    if ctx.params["mode"] == "dual-write-publish-first":
        effects = [Note(text=f"{state['current']['order']} refused, but its event is already published"),
                   *effects]
    return outcome, effects


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart empty: the order in hand and the queue are gone with the crash."""
    return initial(), [Note(text="restarted with no memory of the orders in hand")]
