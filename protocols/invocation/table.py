"""The service-invocation transition table: the single source of truth.

Every (role, phase, input) a consumer or a provider can meet is a row; rows
without a handler are deliberate ignores and say why.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.common.calls.caller import ATTEMPT_TIMEOUT, COOLDOWN, RETRY
from protocols.common.calls.consumer import NEXT_CALL, consumer_start
from protocols.common.calls.consumer import PHASES as CALLER
from protocols.common.calls.provider import provider_rows
from protocols.invocation import handlers as h

U = "consumer"


def consumer_rows() -> list[Transition]:
    """The consumer's rows (the mesh's consumer sidecar has its own)."""
    rows = [
        Transition(role=U, phase="calling", on="start", to=("calling", "done"), handler=consumer_start),
        Transition(role=U, phase="calling", on="timer:" + NEXT_CALL, to=CALLER, handler=h.consumer_next_call),
        Transition(role=U, phase=ANY_PHASE, on="timer:" + COOLDOWN, to=(STAY,), handler=h.consumer_timer),
        Transition(role=U, phase=ANY_PHASE, on="recover", to=("done",), handler=h.consumer_recover),
    ]
    for phase in ("calling", "draining"):
        rows += [
            Transition(role=U, phase=phase, on="msg:reply", to=CALLER, handler=h.consumer_answer),
            Transition(role=U, phase=phase, on="msg:error", to=CALLER, handler=h.consumer_answer),
            Transition(role=U, phase=phase, on="timer:" + ATTEMPT_TIMEOUT, to=CALLER, handler=h.consumer_timer),
            Transition(role=U, phase=phase, on="timer:" + RETRY, to=CALLER, handler=h.consumer_timer),
        ]
    rows += [
        Transition(role=U, phase="done", on="msg:reply", to=("done",),
                   why="a late answer to an attempt abandoned long ago: every call has ended"),
        Transition(role=U, phase="done", on="msg:error", to=("done",),
                   why="a late error for an attempt abandoned long ago: every call has ended"),
    ]
    return rows


TABLE = TransitionTable(consumer_rows() + provider_rows())
