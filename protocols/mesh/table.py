"""The service-mesh transition table: the single source of truth.

Apps, sidecars and the control plane each have their rows; the provider
apps are service-invocation's providers (protocols/common/calls/provider.py). Rows without a handler are
deliberate ignores and say why.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.common.calls.caller import ATTEMPT_TIMEOUT, COOLDOWN, RETRY
from protocols.common.calls.consumer import NEXT_CALL, consumer_start
from protocols.common.calls.consumer import PHASES as CALLER
from protocols.common.calls.provider import provider_rows
from protocols.mesh import control as c
from protocols.mesh import handlers as h

U, OUT, IN, CTRL = "consumer", "consumer-sidecar", "provider-sidecar", "control"
SIDECAR = ("waiting", "ready")


def _app_rows() -> list[Transition]:
    rows = [
        Transition(role=U, phase="calling", on="start", to=("calling", "done"), handler=consumer_start),
        Transition(role=U, phase="calling", on="timer:" + NEXT_CALL, to=CALLER, handler=h.app_next_call),
        Transition(role=U, phase=ANY_PHASE, on="recover", to=("done",), handler=h.app_recover),
        Transition(role=U, phase="done", on="msg:result", to=("done",),
                   why="the answer to a call given up at the deadline: every call has ended"),
    ]
    for phase in ("calling", "draining"):
        rows += [
            Transition(role=U, phase=phase, on="msg:result", to=CALLER, handler=h.app_result),
            Transition(role=U, phase=phase, on="timer:" + h.DEADLINE, to=CALLER, handler=h.app_deadline),
        ]
    return rows


def _consumer_sidecar_rows() -> list[Transition]:
    rows = [
        Transition(role=OUT, phase="waiting", on="start", to=("waiting",), handler=h.out_start),
        Transition(role=OUT, phase="waiting", on="msg:call", to=("waiting",), handler=h.out_hold),
        Transition(role=OUT, phase="ready", on="msg:call", to=("ready",), handler=h.out_call),
        Transition(role=OUT, phase=ANY_PHASE, on="msg:policy", to=("ready",), handler=h.out_policy),
        Transition(role=OUT, phase=ANY_PHASE, on="recover", to=SIDECAR, handler=h.out_recover),
        Transition(role=OUT, phase="waiting", on="msg:reply", to=("waiting",),
                   why="an answer to an attempt sent before a crash wiped the sidecar's calls"),
        Transition(role=OUT, phase="waiting", on="msg:error", to=("waiting",),
                   why="an error for an attempt sent before a crash wiped the sidecar's calls"),
    ]
    for on in ("msg:reply", "msg:error"):
        rows.append(Transition(role=OUT, phase="ready", on=on, to=("ready",), handler=h.out_answer))
    for timer in (ATTEMPT_TIMEOUT, RETRY, COOLDOWN):
        rows.append(Transition(role=OUT, phase="ready", on="timer:" + timer, to=("ready",), handler=h.out_timer))
    return rows


def _provider_sidecar_rows() -> list[Transition]:
    return [
        Transition(role=IN, phase="waiting", on="start", to=("waiting",), handler=h.in_start),
        # Relayed in every phase: an inbound proxy's phase only says whether it has a policy yet.
        Transition(role=IN, phase=ANY_PHASE, on="msg:call", to=(STAY,), handler=h.in_call),
        Transition(role=IN, phase=ANY_PHASE, on="msg:reply", to=(STAY,), handler=h.in_answer),
        Transition(role=IN, phase=ANY_PHASE, on="msg:error", to=(STAY,), handler=h.in_answer),
        Transition(role=IN, phase=ANY_PHASE, on="msg:policy", to=("ready",), handler=h.in_policy),
        Transition(role=IN, phase=ANY_PHASE, on="recover", to=SIDECAR, handler=h.in_recover),
    ]


def _control_rows() -> list[Transition]:
    return [
        Transition(role=CTRL, phase="pushing", on="start", to=("pushing",), handler=c.control_start),
        # The last acknowledgement of a push makes the control plane steady; others change nothing.
        Transition(role=CTRL, phase=ANY_PHASE, on="msg:policy_ack", to=(STAY, "steady"), handler=c.control_ack),
        Transition(role=CTRL, phase="pushing", on="timer:" + c.RESEND, to=("pushing",), handler=c.control_resend),
        Transition(role=CTRL, phase=ANY_PHASE, on="timer:" + c.POLICY_CHANGE, to=("pushing",),
                   handler=c.control_change),
        Transition(role=CTRL, phase=ANY_PHASE, on="recover", to=("pushing",), handler=c.control_recover),
    ]


TABLE = TransitionTable(_app_rows() + _consumer_sidecar_rows() + _provider_sidecar_rows() + _control_rows()
                        + provider_rows())
