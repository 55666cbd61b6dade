"""The orchestrated saga's transition table: the single source of truth, and the States tab's diagram.

The orchestrator's phase is about the whole run (it runs several sagas at
once; each saga's own status is in its state). A service is ``pending``
while a saga's step holds its semantic lock, ``open`` otherwise. Rows
without a handler are deliberate ignores and say why.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.saga import orchestrator as o
from protocols.saga import service as s

ORCH, SVC = "orchestrator", "service"
ANSWERS = ("step_ok", "step_failed", "step_busy", "compensate_ok", "compensate_failed", "release_ok")


def _orchestrator_rows() -> list[Transition]:
    ends = ("running", "finished")
    late = "a late or repeated answer once every saga has ended: nothing waits for it"
    return [
        Transition(role=ORCH, phase="init", on="start", to=("running",), handler=o.start),
        Transition(role=ORCH, phase="running", on="timer:next", to=(STAY,), handler=o.next_saga),
        Transition(role=ORCH, phase="running", on="msg:step_ok", to=ends, handler=o.step_ok),
        Transition(role=ORCH, phase="running", on="msg:step_failed", to=ends, handler=o.step_failed),
        Transition(role=ORCH, phase="running", on="msg:step_busy", to=(STAY,), handler=o.busy),
        Transition(role=ORCH, phase="running", on="msg:compensate_ok", to=ends, handler=o.compensate_ok),
        Transition(role=ORCH, phase="running", on="msg:compensate_failed", to=(STAY,), handler=o.compensate_failed),
        Transition(role=ORCH, phase="running", on="msg:release_ok", to=ends, handler=o.release_ok),
        Transition(role=ORCH, phase="running", on="timer:retry", to=ends, handler=o.retry),
        *[Transition(role=ORCH, phase="finished", on=f"msg:{kind}", to=(STAY,), why=late) for kind in ANSWERS],
        Transition(role=ORCH, phase="finished", on="timer:retry", to=(STAY,),
                   why="a resend falling due as the last saga ended: nothing is awaited any more"),
    ]


def _service_rows() -> list[Transition]:
    rows = [Transition(role=SVC, phase="open", on="start", to=(STAY,), why="a service waits for its first step")]
    for phase in ("open", "pending"):
        rows += [
            Transition(role=SVC, phase=phase, on="msg:step", to=("open", "pending"), handler=s.on_step),
            Transition(role=SVC, phase=phase, on="msg:compensate", to=(STAY, "open"), handler=s.on_compensate),
            Transition(role=SVC, phase=phase, on="msg:release", to=(STAY, "open"), handler=s.on_release),
        ]
    rows.append(Transition(role=SVC, phase=ANY_PHASE, on="recover", to=("open", "pending"), handler=s.recover,
                           why="a restart reads the service's log: its last step or compensation says whether "
                               "the item is pending"))
    return rows


TABLE = TransitionTable(_orchestrator_rows() + _service_rows())
