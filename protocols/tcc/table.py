"""The TCC transition table: the single source of truth, and the States tab's diagram.

Rows without a handler are deliberate ignores and say why. The branch's rows
are per phase: its phase is about its latest global transaction, so a message
about an older one (a late retry) leaves it where it is.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.tcc import branch as b
from protocols.tcc import coordinator as c

C, B = "coordinator", "branch"
SETTLED = ("reserved", "failed", "confirmed", "cancelled")
"""A branch's phases once a Try has run (or been refused), where the next transaction's Try may come."""


def _coordinator_rows() -> list[Transition]:
    late = "a late or repeated answer about a transaction, or a phase, already over: nothing waits for it"
    return [
        Transition(role=C, phase="init", on="start", to=("trying",), handler=c.begin),
        Transition(role=C, phase="trying", on="msg:try_ok", to=("trying", "confirming"), handler=c.tried),
        Transition(role=C, phase="trying", on="msg:try_failed", to=("trying", "cancelling"), handler=c.try_failed),
        Transition(role=C, phase="trying", on="timer:timeout", to=("cancelling",), handler=c.try_timeout),
        Transition(role=C, phase="confirming", on="msg:confirm_ok", to=("confirming", "trying", "confirmed"),
                   handler=c.acknowledged),
        Transition(role=C, phase="cancelling", on="msg:cancel_ok", to=("cancelling", "trying", "cancelled"),
                   handler=c.acknowledged),
        Transition(role=C, phase="confirming", on="timer:retry", to=(STAY,), handler=c.retry),
        Transition(role=C, phase="cancelling", on="timer:retry", to=(STAY,), handler=c.retry),
        *[Transition(role=C, phase=ANY_PHASE, on=f"msg:{kind}", to=(STAY,), why=late)
          for kind in ("try_ok", "try_failed", "confirm_ok", "cancel_ok")],
        Transition(role=C, phase=ANY_PHASE, on="recover", to=("trying", "confirming", "cancelling", "confirmed",
                                                              "cancelled"), handler=c.recover,
                   why="a restart reads the log: its last record (begin, decision or end) says where to resume"),
    ]


def _branch_rows() -> list[Transition]:
    rows = [
        Transition(role=B, phase="idle", on="start", to=(STAY,), why="a branch waits for its first Try"),
        Transition(role=B, phase="idle", on="msg:try", to=("busy", "reserved", "failed"), handler=b.on_try),
        Transition(role=B, phase="busy", on="msg:try", to=(STAY,), handler=b.on_try),
        Transition(role=B, phase="busy", on="timer:work", to=("reserved", "failed", "cancelled"),
                   handler=b.work_done),
        Transition(role=B, phase="cancelled", on="timer:work", to=(STAY, "reserved"), handler=b.work_done),
        Transition(role=B, phase="confirmed", on="timer:work", to=(STAY, "reserved"), handler=b.work_done),
    ]
    for phase in SETTLED:
        rows.append(Transition(role=B, phase=phase, on="msg:try",
                               to=(STAY, "busy", "reserved", "failed", "confirmed", "cancelled"), handler=b.on_try,
                               why="the next transaction's Try (run, deferred or failing), or a repeated one: "
                                   "with the control table its row says where the branch stands"))
    for phase in ("idle", "busy", *SETTLED):
        rows += [
            Transition(role=B, phase=phase, on="msg:confirm", to=(STAY, "confirmed"), handler=b.on_confirm),
            Transition(role=B, phase=phase, on="msg:cancel", to=(STAY, "cancelled"), handler=b.on_cancel),
        ]
    rows.append(Transition(role=B, phase=ANY_PHASE, on="recover", to=("idle", "reserved", "confirmed", "cancelled"),
                           handler=b.recover,
                           why="a restart reads the account's log: its last change says where the branch stands"))
    return rows


TABLE = TransitionTable(_coordinator_rows() + _branch_rows())
