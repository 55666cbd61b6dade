"""The transactional outbox's transition table: every (role, phase, input) the protocol can meet.

Rows without a handler are deliberate ignores and say why; the States tab draws the machines from these rows.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.outbox import clients as c
from protocols.outbox import relay as r
from protocols.outbox import service as s
from protocols.outbox import stores as d

BUSY = ("writing", "publishing", "committing")
"""The service's phases with an order in hand."""
AFTER = ("idle", *BUSY)
"""Where an answer about the order in hand may lead: done (and idle, or on to the next queued order),
or the mode's next step."""
FORGOTTEN = "an answer about an order the service forgot in a crash: nobody waits for it"
RELAY_WAITS = ("polling", "publishing", "marking")
"""The relay's phases with a request out (and its retry timer set)."""
NEXT = ("thinking", "done")


def _client_rows() -> list[Transition]:
    rows = [
        Transition(role="client", phase="thinking", on="start", to=NEXT, handler=c.start),
        Transition(role="client", phase="thinking", on="timer:think", to=("waiting",), handler=c.send_order),
        Transition(role="client", phase="waiting", on="timer:timeout", to=NEXT, handler=c.timed_out),
        Transition(role="client", phase=ANY_PHASE, on="recover", to=NEXT, handler=c.recover),
    ]
    for answer in ("msg:order_ok", "msg:order_failed"):
        rows.append(Transition(role="client", phase="waiting", on=answer, to=(STAY, *NEXT), handler=c.answered))
        rows += [Transition(role="client", phase=phase, on=answer, to=(STAY,),
                            why="an answer after the client stopped waiting for it") for phase in NEXT]
    return rows


def _service_rows() -> list[Transition]:
    rows = [
        Transition(role="service", phase="idle", on="start", to=(STAY,), handler=s.start),
        Transition(role="service", phase="idle", on="msg:order", to=BUSY, handler=s.take_order),
        Transition(role="service", phase=ANY_PHASE, on="recover", to=("idle",), handler=s.recover),
    ]
    rows += [Transition(role="service", phase=phase, on="msg:order", to=(STAY,), handler=s.take_order,
                        why="busy with another order: this one is queued") for phase in BUSY]
    answers = {"msg:write_ok": s.acknowledged, "msg:write_refused": s.refused, "msg:publish_ok": s.acknowledged,
               "msg:commit_ok": s.acknowledged, "msg:commit_refused": s.refused}
    waits = {"msg:write_ok": "writing", "msg:write_refused": "writing", "msg:publish_ok": "publishing",
             "msg:commit_ok": "committing", "msg:commit_refused": "committing"}
    for key, handler in answers.items():
        rows.append(Transition(role="service", phase=waits[key], on=key, to=(STAY, *AFTER), handler=handler))
        rows += [Transition(role="service", phase=phase, on=key, to=(STAY,), why=FORGOTTEN)
                 for phase in ("idle", *BUSY) if phase != waits[key]]
    return rows


STORE_ROWS = {
    "database": {"start": d.start, "msg:write": d.db_write, "msg:commit": d.db_write, "msg:poll": d.db_poll,
                 "msg:mark": d.db_mark, "recover": d.db_recover},
    "broker": {"start": d.start, "msg:publish": d.publish, "msg:ack": d.acked, "timer:redeliver": d.redeliver,
               "recover": d.broker_recover},
    "consumer": {"start": d.start, "msg:deliver": d.consume, "recover": d.consumer_recover},
}
"""The durable nodes have one phase, ``ready``: each input is handled there and keeps it."""


def _store_rows() -> list[Transition]:
    return [Transition(role=role, phase="ready", on=key, to=(STAY,), handler=handler)
            for role, handlers in STORE_ROWS.items() for key, handler in handlers.items()]


def _relay_rows() -> list[Transition]:
    rows = [
        Transition(role="relay", phase="sleeping", on="start", to=(STAY,), handler=r.start),
        Transition(role="relay", phase=ANY_PHASE, on="recover", to=("polling",), handler=r.recover),
        Transition(role="relay", phase="sleeping", on="msg:wake", to=("waiting",), handler=r.woken),
        Transition(role="relay", phase="waiting", on="msg:wake", to=(STAY,),
                   why="a poll is already due: it will see the new row"),
        Transition(role="relay", phase="waiting", on="timer:poll", to=("polling",), handler=r.poll_due),
        Transition(role="relay", phase="polling", on="msg:rows", to=("publishing", "waiting", "sleeping"),
                   handler=r.rows),
        Transition(role="relay", phase="publishing", on="msg:publish_ok", to=(STAY, "marking"),
                   handler=r.published),
        Transition(role="relay", phase="marking", on="msg:mark_ok", to=(STAY, "polling"), handler=r.marked),
    ]
    for phase in RELAY_WAITS:
        rows += [Transition(role="relay", phase=phase, on="msg:wake", to=(STAY,), handler=r.woken_busy),
                 Transition(role="relay", phase=phase, on="timer:retry", to=(STAY, "sleeping"), handler=r.retry)]
    late = {"msg:rows": "an answer to a poll sent again: the first answer was acted on",
            "msg:publish_ok": "the broker's ack of an event sent again (a retry): the row is past publishing",
            "msg:mark_ok": "the database's ack of a mark sent again (a retry): the row is marked"}
    waits = {"msg:rows": "polling", "msg:publish_ok": "publishing", "msg:mark_ok": "marking"}
    for key, why in late.items():
        rows += [Transition(role="relay", phase=phase, on=key, to=(STAY,), why=why)
                 for phase in ("sleeping", "waiting", *RELAY_WAITS) if phase != waits[key]]
    return rows


TABLE = TransitionTable(_client_rows() + _service_rows() + _store_rows() + _relay_rows())
