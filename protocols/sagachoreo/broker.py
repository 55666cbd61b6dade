"""The broker: it takes each published event, logs it, and delivers it to every subscriber, at least once.

Each (event, subscriber) gets a delivery number; the broker sends it again
every ``redeliver_ms`` until that subscriber acknowledges it (0: never
again), and after ``max_deliveries`` sends dead-letters it. A second publication of one event
(a relay's retry, or its restart before it marked the row) is accepted as
it comes and delivered again: the broker keeps no producer ids, so
duplicates are the consumer's to recognise. The broker is durable: its log
rebuilds its state should it restart.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Outcome, Persist, Receive, Send, SetTimer, State
from protocols.sagachoreo.events import parse, subscribers

REDELIVER = "redeliver"


def initial() -> State:
    """Return the broker's empty state."""
    return {"phase": "ready", "published": 0, "unacked": {}, "dead": []}


def _deliver(number: str, event: str, to: str) -> Send:
    saga_name, kind, step = parse(event)
    return Send(dest=to, type="deliver", body={"delivery": int(number), "id": event, "saga": saga_name,
                                               "kind": kind, "step": step})


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: wait for publications."""
    return state, ()


def publish(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Accept an event: log it with one delivery per subscriber, acknowledge the publisher, deliver."""
    name = str(event.message.body["id"])
    targets = subscribers(name, ctx.params["services"], ctx.params["countermeasure"] == "semantic-lock")
    first = state["published"] + 1
    numbered = [(str(first + i), to) for i, to in enumerate(targets)]
    unacked = {**state["unacked"], **{n: {"event": name, "to": to, "sends": 1} for n, to in numbered}}
    reply = Send(dest=event.message.src, type="publish_ok", body={"id": name}, in_reply_to=event.message.msg_id)
    effects: list[Effect] = [Persist(record={"type": "event", "id": name, "first": first, "to": targets}), reply]
    effects += [_deliver(n, name, to) for n, to in numbered]
    if targets and ctx.params["redeliver_ms"]:
        effects.append(SetTimer(name=REDELIVER, delay_ms=ctx.params["redeliver_ms"]))
    return {**state, "published": state["published"] + len(targets), "unacked": unacked}, effects


def acked(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A subscriber acknowledged a delivery: forget it; with nothing left, stop the redelivery timer."""
    key = str(event.message.body["delivery"])
    if key not in state["unacked"]:
        return state, ()  # A repeated acknowledgement.
    unacked = {k: v for k, v in state["unacked"].items() if k != key}
    effects: list[Effect] = [Persist(record={"type": "ack", "delivery": int(key)})]
    idle = not unacked and ctx.params["redeliver_ms"]
    return {**state, "unacked": unacked}, effects + ([CancelTimer(name=REDELIVER)] if idle else [])


def redeliver(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Deliver every unacknowledged event again, and wait again; one sent ``max_deliveries`` times is
    dead-lettered instead (logged, and reported by ``events-delivered``)."""
    effects: list[Effect] = []
    unacked, dead = {}, list(state["dead"])
    for number, entry in state["unacked"].items():
        if entry["sends"] >= ctx.params["max_deliveries"]:
            dead.append(f"{entry['event']}@{entry['to']}")
            effects.append(Persist(record={"type": "dead", "delivery": int(number)}))
            continue
        unacked[number] = {**entry, "sends": entry["sends"] + 1}
        effects.append(_deliver(number, entry["event"], entry["to"]))
    if unacked and ctx.params["redeliver_ms"]:
        effects.append(SetTimer(name=REDELIVER, delay_ms=ctx.params["redeliver_ms"]))
    return {**state, "unacked": unacked, "dead": dead}, effects


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart: replay the log of events, acknowledgements and dead letters; deliver what is unacknowledged."""
    published, unacked, dead = 0, {}, []
    for r in event.durable:
        if r.get("type") == "event":
            for i, to in enumerate(r["to"]):
                unacked[str(int(r["first"]) + i)] = {"event": str(r["id"]), "to": str(to), "sends": 0}
            published = max(published, int(r["first"]) + len(r["to"]) - 1)
        elif r.get("type") in ("ack", "dead") and str(r.get("delivery")) in unacked:
            entry = unacked.pop(str(r["delivery"]))
            dead += [f"{entry['event']}@{entry['to']}"] if r["type"] == "dead" else []
    return redeliver(ctx, {"phase": "ready", "published": published, "unacked": unacked, "dead": dead}, event, now)
