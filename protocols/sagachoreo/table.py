"""The choreographed saga's transition table: every (role, phase, input) the protocol can meet.

A service's phase is its relay's (idle, or publishing a row);
the saga's steps and compensations run in any of them and only wake an idle
relay. Rows without a handler are deliberate ignores and say why.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.sagachoreo import broker as b
from protocols.sagachoreo import relay as r
from protocols.sagachoreo import service as s

S = "service"
PHASES = ("idle", "publishing")
LATE = "the broker's answer to a publication the relay is no longer waiting for (a retry's twin, or one sent " \
       "before a restart): the row is marked or will be published again"


def _service_rows() -> list[Transition]:
    rows = [
        Transition(role=S, phase="idle", on="start", to=(STAY,), handler=s.start),
        Transition(role=S, phase="publishing", on="msg:publish_ok", to=(STAY, "idle"), handler=r.published),
        Transition(role=S, phase="publishing", on="timer:retry", to=(STAY,), handler=r.retry),
        Transition(role=S, phase=ANY_PHASE, on="recover", to=("idle", "publishing"), handler=s.recover,
                   why="a restart replays the log: an unpublished (or unmarked) outbox row is published again"),
    ]
    for phase in PHASES:
        wakes = (STAY, "publishing") if phase == "idle" else (STAY,)
        rows += [Transition(role=S, phase=phase, on="msg:deliver", to=wakes, handler=s.deliver),
                 Transition(role=S, phase=phase, on="timer:begin", to=wakes, handler=s.begin)]
    rows += [Transition(role=S, phase=phase, on="msg:publish_ok", to=(STAY,), why=LATE) for phase in ("idle",)]
    return rows


def _broker_rows() -> list[Transition]:
    handlers = {"start": b.start, "msg:publish": b.publish, "msg:ack": b.acked, "timer:redeliver": b.redeliver,
                "recover": b.recover}
    return [Transition(role="broker", phase="ready", on=key, to=(STAY,), handler=h) for key, h in handlers.items()]


TABLE = TransitionTable(_service_rows() + _broker_rows())
