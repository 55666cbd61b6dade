"""The Paxos Commit transition table: the single source of truth, and the States tab's diagram."""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.paxoscommit import acceptor as a
from protocols.paxoscommit import leader as ld
from protocols.paxoscommit import participant as rm

L, A, P = "leader", "acceptor", "participant"
SETTLED = ("committed", "aborted")
AT_WORK = ("collecting", "preparing", "proposing")
"""A leader's phases while it drives the transaction to an outcome."""


def _leader_rows() -> list[Transition]:
    rows = [
        Transition(role=L, phase="init", on="start", to=("collecting", "standby"), handler=ld.start),
        Transition(role=L, phase="standby", on="msg:p2b", to=(STAY,), handler=ld.hear,
                   why="standing by, it learns the outcome without announcing it"),
        Transition(role=L, phase="collecting", on="timer:timeout", to=("preparing", "proposing"),
                   handler=ld.late_votes),
        Transition(role=L, phase="standby", on="msg:help", to=(STAY, "preparing", "proposing"), handler=ld.help_asked),
        Transition(role=L, phase="preparing", on="msg:p1b", to=(STAY, "proposing"), handler=ld.promised),
        Transition(role=L, phase=ANY_PHASE, on="msg:p1b", to=(STAY,),
                   why="a promise after the quorum was counted: phase 2 is under way or over"),
        Transition(role=L, phase=ANY_PHASE, on="msg:help", to=(STAY,),
                   why="running its own ballot already: its outcome will go to every resource manager"),
        Transition(role=L, phase=ANY_PHASE, on="recover", to=("committed", "aborted", "standby"), handler=ld.recover),
    ]
    for phase in AT_WORK:
        rows.append(Transition(role=L, phase=phase, on="msg:p2b", to=(STAY, *SETTLED), handler=ld.hear))
    for phase in SETTLED:
        rows += [Transition(role=L, phase=phase, on="msg:p2b", to=(STAY,), why="an acceptance after the outcome"),
                 Transition(role=L, phase=phase, on="msg:help", to=(STAY,), handler=ld.tell)]
    return rows


def _acceptor_rows() -> list[Transition]:
    return [
        Transition(role=A, phase="accepting", on="start", to=(STAY,), why="an acceptor waits to be asked"),
        Transition(role=A, phase="accepting", on="msg:p1a", to=(STAY,), handler=a.promise),
        Transition(role=A, phase="accepting", on="msg:p2a", to=(STAY,), handler=a.accept),
        Transition(role=A, phase=ANY_PHASE, on="recover", to=("accepting",), handler=a.recover),
    ]


def _participant_rows() -> list[Transition]:
    return [
        Transition(role=P, phase="working", on="start", to=(STAY,), handler=rm.start),
        Transition(role=P, phase="working", on="msg:begin", to=("prepared", "aborted"), handler=rm.begin),
        Transition(role=P, phase="working", on="timer:timeout", to=("aborted",), handler=rm.give_up),
        Transition(role=P, phase="working", on="msg:abort", to=("aborted",), handler=rm.learn,
                   why="its instance was closed by a leader's ballot before BEGIN came"),
        Transition(role=P, phase=ANY_PHASE, on="msg:begin", to=(STAY,),
                   why="BEGIN again, or after giving up: its value is proposed already"),
        Transition(role=P, phase="prepared", on="msg:commit", to=("committed",), handler=rm.learn),
        Transition(role=P, phase="prepared", on="msg:abort", to=("aborted",), handler=rm.learn),
        Transition(role=P, phase="prepared", on="timer:timeout", to=(STAY,), handler=rm.ask),
        Transition(role=P, phase="committed", on="msg:commit", to=(STAY,), why="the outcome again"),
        Transition(role=P, phase="aborted", on="msg:abort", to=(STAY,), why="the outcome again"),
        Transition(role=P, phase="committed", on="msg:abort", to=(STAY,),
                   why="the other outcome: only a broken recovery allows it, and atomicity reports it"),
        Transition(role=P, phase="aborted", on="msg:commit", to=(STAY,),
                   why="the other outcome: only a broken recovery allows it, and atomicity reports it"),
        Transition(role=P, phase=ANY_PHASE, on="recover", to=("prepared", "committed", "aborted"), handler=rm.recover),
    ]


TABLE = TransitionTable(_leader_rows() + _acceptor_rows() + _participant_rows())
