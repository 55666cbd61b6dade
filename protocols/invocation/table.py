"""The service-invocation transition table: the single source of truth.

Every (role, phase, input) a consumer or a provider can meet is a row; rows
without a handler are deliberate ignores and say why.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.invocation import handlers as h
from protocols.invocation import provider as pv
from protocols.invocation.client import ATTEMPT_TIMEOUT, COOLDOWN, RETRY

U, P = "consumer", "provider"
CALLER = ("calling", "draining", "done")

PROVIDER_WHY = ("a provider's phase is the length of its queue (idle: none, busy: one call in work, queueing: "
                "more), so a call arriving or a piece of work finishing may move it either way from any phase")
"""A consumer's phases; every caller step may end any call, so it may lead to any of them."""


def consumer_rows() -> list[Transition]:
    """The consumer's rows (the mesh's consumer sidecar has its own)."""
    rows = [
        Transition(role=U, phase="calling", on="start", to=("calling", "done"), handler=h.consumer_start),
        Transition(role=U, phase="calling", on="timer:next_call", to=CALLER, handler=h.consumer_next_call),
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


def provider_rows() -> list[Transition]:
    """The provider's rows, shared with the mesh (where calls come through the provider's sidecar)."""
    return [
        Transition(role=P, phase="idle", on="start", to=("idle",), handler=pv.provider_start),
        Transition(role=P, phase=ANY_PHASE, on="msg:call", to=pv.PHASES, handler=pv.provider_call, why=PROVIDER_WHY),
        Transition(role=P, phase=ANY_PHASE, on="timer:" + pv.WORK, to=pv.PHASES, handler=pv.provider_work,
                   why=PROVIDER_WHY),
        Transition(role=P, phase=ANY_PHASE, on="recover", to=("idle",), handler=pv.provider_recover),
    ]


TABLE = TransitionTable(consumer_rows() + provider_rows())
