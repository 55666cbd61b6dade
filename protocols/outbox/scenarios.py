"""Named outbox scenarios: each a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms; the broker redelivers after
200 ms without an ack and the relay resends a request after 200 ms, both
longer than any round trip, so only a crash makes a duplicate here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.spec import Caption, Scenario

Pattern = Mapping[str, Any]

DB_COMMITS: Pattern = {"kind": "persist", "node": "db", "record.type": "order"}
BROKER_ACCEPTS: Pattern = {"kind": "persist", "node": "broker", "record.type": "event"}
APPLIES: Pattern = {"kind": "persist", "node": "consumer", "record.type": "apply"}
CRASHED = {node: {"kind": "crash", "node": node} for node in ("svc", "relay")}
BACK = {node: {"kind": "recover", "node": node} for node in ("svc", "relay")}


def violated(invariant: str) -> Pattern:
    """The checker's first violation of ``invariant``."""
    return {"kind": "violation", "invariant": invariant}


def _crash(node: str, after: Pattern, back_ms: int = 300) -> tuple[dict[str, Any], ...]:
    """Crash ``node`` right after the first event matching ``after``; bring it back ``back_ms`` later."""
    return ({"action": "crash", "node": node, "after": dict(after)},
            {"action": "recover", "node": node, "after": {"kind": "crash", "node": node}, "delay_ms": back_ms})


def _story(name: str, description: str, *captions: tuple[Pattern, str], params: Pattern,
           faults: Sequence[Pattern] = ()) -> Scenario:
    """Return a scenario from its narration, each caption a (pattern, text) pair."""
    return Scenario(name=name, description=description, params=dict(params), faults=tuple(faults),
                    captions=tuple(Caption(match=match, text=text) for match, text in captions))


RELAY_CRASH = _crash("relay", BROKER_ACCEPTS)

SCENARIOS = (
    _story("db-first-crash-loses-event",
           "Dual write, database first: the service crashes right after the database commits the first order "
           "and before it publishes. The order exists; the consumer never hears of it.",
           (DB_COMMITS, "The database commits the first order. The service still has to publish its event: only "
                        "its memory says so."),
           (CRASHED["svc"], "The service crashes between the two writes. Nothing durable "
                                              "anywhere says that an event is owed."),
           (BACK["svc"], "It restarts with no memory of that order: its event is never sent."),
           (violated("lost-event"),
            "The run is over: the database has an order the consumer never applied. A lost event."),
           params={"mode": "dual-write-db-first"}, faults=_crash("svc", DB_COMMITS)),
    _story("publish-first-crash-phantom",
           "Dual write, publish first: the service crashes after the broker accepts the first event and before "
           "it writes the database. The consumer applies an order that does not exist.",
           (BROKER_ACCEPTS, "The broker accepts the first order's event and delivers it; the database has not been "
                            "written."),
           (CRASHED["svc"], "The service crashes before its database write: nobody will ever "
                                              "write that order."),
           (violated("phantom-event"),
            "The consumer applied an order the database will never have: a phantom event."),
           params={"mode": "dual-write-publish-first"}, faults=_crash("svc", BROKER_ACCEPTS)),
    _story("publish-first-refused-phantom",
           "Dual write, publish first, with no crash: the database refuses every second order (out of stock) "
           "after its event is out. Each refusal is a phantom.",
           ({"kind": "persist", "node": "db", "record.type": "refused"},
            "The database refuses a second order, but its event was published first and cannot be "
            "called back."),
           (violated("phantom-event"),
            "The consumer applied an order the database refused: a phantom event without any crash."),
           params={"mode": "dual-write-publish-first", "refuse_every": 2}),
    _story("outbox-relay-crash-duplicate",
           "Outbox: the relay crashes after the broker accepts a row's event and before it marks the row "
           "published. Restarted, it finds the row unpublished and publishes it again: the consumer applies it "
           "twice.",
           (DB_COMMITS, "One local transaction writes the order and its outbox row: both or neither."),
           (CRASHED["relay"], "The relay crashes after the broker took the event, before the "
                                                "row is marked: at-least-once."),
           (BACK["relay"], "Restarted, the relay polls: the row is still unpublished, so "
                                                  "it publishes it again."),
           (violated("duplicate-effect"),
            "The consumer applies the second copy too: a duplicate effect. Nothing was lost."),
           params={"mode": "outbox"}, faults=RELAY_CRASH),
    _story("outbox-relay-crash-idempotent",
           "The same relay crash, with an idempotent consumer: its dedup table, written in the transaction that "
           "applies an event, turns the second copy into a mere acknowledgement.",
           (BACK["relay"], "The relay restarts and publishes the unmarked row again."),
           ({"kind": "note", "node": "consumer"}, "The consumer finds the event's id in its dedup table: it "
                                                  "acknowledges the copy without applying it. Exactly one effect."),
           params={"mode": "outbox", "idempotent_consumer": True}, faults=RELAY_CRASH),
    _story("outbox-happy",
           "Outbox with an idempotent consumer and no fault: every order is committed with its row, the relay "
           "publishes and marks each, the consumer applies each once.",
           (DB_COMMITS, "The order and its outbox row commit in one local transaction; the database wakes the "
                        "relay."),
           ({"kind": "send", "src": "relay", "message.type": "publish"},
            "The relay polls the outbox and publishes the oldest unpublished row."),
           ({"kind": "send", "src": "relay", "message.type": "mark"},
            "The broker has it: the relay marks the row published."),
           (APPLIES, "The broker delivers the event; the consumer applies it and records its id."),
           params={"mode": "outbox", "idempotent_consumer": True}),
)
