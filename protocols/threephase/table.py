"""The three-phase commit transition table: the single source of truth, and the States tab's diagram.

Rows without a handler are deliberate ignores and say why. An input answered
alike in every phase is an ``ANY_PHASE`` row that keeps the phase (``STAY``);
an exact row for a phase takes precedence over it.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.threephase import coordinator as c
from protocols.threephase import participant as p
from protocols.threephase import termination as t

C, P = "coordinator", "participant"
UNDECIDED = ("uncertain", "prepared", "collecting", "precommitting")
"""A participant's phases after its yes vote and before an outcome."""


def _coordinator_rows() -> list[Transition]:
    return [
        Transition(role=C, phase="init", on="start", to=("waiting",), handler=c.begin),
        Transition(role=C, phase="waiting", on="msg:vote", to=("waiting", "precommitted", "aborted"),
                   handler=c.tally),
        Transition(role=C, phase="waiting", on="timer:timeout", to=("aborted",), handler=c.votes_missing),
        Transition(role=C, phase="precommitted", on="msg:ack", to=("precommitted", "committed"),
                   handler=c.acknowledged),
        Transition(role=C, phase="precommitted", on="timer:timeout", to=("committed",), handler=c.acks_missing),
        Transition(role=C, phase="committed", on="msg:decision_req", to=(STAY,), handler=c.answer),
        Transition(role=C, phase="aborted", on="msg:decision_req", to=(STAY,), handler=c.answer),
        Transition(role=C, phase="recovering", on="msg:do_commit", to=("committed",), handler=c.learn),
        Transition(role=C, phase="recovering", on="msg:abort", to=("aborted",), handler=c.learn),
        Transition(role=C, phase=ANY_PHASE, on="msg:vote", to=(STAY,),
                   why="a vote after the coordinator moved on (late or duplicated): it no longer counts"),
        Transition(role=C, phase=ANY_PHASE, on="msg:ack", to=(STAY,),
                   why="an acknowledgement after the outcome, or from before a crash: nothing waits for it"),
        Transition(role=C, phase=ANY_PHASE, on="msg:decision_req", to=(STAY,),
                   why="undecided, it cannot say; it tells every participant once it decides"),
        Transition(role=C, phase=ANY_PHASE, on="msg:do_commit", to=(STAY,),
                   why="an outcome reached without the coordinator reaches one that knows its own, or was "
                       "wrongly suspected and keeps to its protocol: atomicity judges the result"),
        Transition(role=C, phase=ANY_PHASE, on="msg:abort", to=(STAY,),
                   why="an outcome reached without the coordinator reaches one that knows its own, or was "
                       "wrongly suspected and keeps to its protocol: atomicity judges the result"),
        Transition(role=C, phase=ANY_PHASE, on="recover", to=("precommitted", "recovering", "committed", "aborted"),
                   handler=c.recover),
    ]


def _participant_rows() -> list[Transition]:
    rows = [
        Transition(role=P, phase="working", on="start", to=("working",), handler=p.start),
        Transition(role=P, phase="working", on="msg:can_commit", to=("uncertain", "aborted"), handler=p.vote),
        Transition(role=P, phase="working", on="timer:timeout", to=("aborted",), handler=p.no_can_commit),
        Transition(role=P, phase="working", on="msg:abort", to=("aborted",), handler=p.told,
                   why="the coordinator's Abort overtook its CanCommit"),
        Transition(role=P, phase="working", on="msg:state_req", to=("aborted",), handler=p.report,
                   why="it never voted, so it may abort, and answers so"),
        Transition(role=P, phase=ANY_PHASE, on="msg:can_commit", to=(STAY,),
                   why="CanCommit again (a duplicate): the vote went once; were it lost, the coordinator aborts"),
        Transition(role=P, phase="uncertain", on="msg:pre_commit", to=("prepared",), handler=p.precommit),
        Transition(role=P, phase="prepared", on="msg:pre_commit", to=(STAY,), handler=p.reack),
        Transition(role=P, phase="collecting", on="msg:pre_commit", to=(STAY,),
                   handler=p.precommit_while_collecting),
        Transition(role=P, phase="precommitting", on="msg:pre_commit", to=(STAY,), handler=p.reack),
        Transition(role=P, phase="committed", on="msg:pre_commit", to=(STAY,), handler=p.reack,
                   why="a leader asks one that has since committed: the acknowledgement lets it commit too"),
        Transition(role=P, phase="aborted", on="msg:pre_commit", to=(STAY,),
                   why="PreCommit after aborting happens only when a timeout lied (a partition, delays beyond "
                       "the timeouts); atomicity reports what follows"),
        Transition(role=P, phase="committed", on="msg:do_commit", to=(STAY,), why="a repeated outcome"),
        Transition(role=P, phase="aborted", on="msg:do_commit", to=(STAY,),
                   why="DoCommit after aborting: atomicity is already broken, and reported"),
        Transition(role=P, phase="aborted", on="msg:abort", to=(STAY,), why="a repeated outcome"),
        Transition(role=P, phase="committed", on="msg:abort", to=(STAY,),
                   why="Abort after committing: atomicity is already broken, and reported"),
        Transition(role=P, phase=ANY_PHASE, on="msg:state_req", to=(STAY,), handler=p.report),
        Transition(role=P, phase="collecting", on="msg:state_reply",
                   to=("collecting", "precommitting", "committed", "aborted"), handler=t.collect),
        Transition(role=P, phase=ANY_PHASE, on="msg:state_reply", to=(STAY,),
                   why="a late answer to a leadership that is over"),
        Transition(role=P, phase="precommitting", on="msg:ack", to=("precommitting", "committed"),
                   handler=t.acknowledged),
        Transition(role=P, phase=ANY_PHASE, on="msg:ack", to=(STAY,),
                   why="a late acknowledgement to a leadership that is over"),
        Transition(role=P, phase="committed", on="msg:decision_req", to=(STAY,), handler=p.answer),
        Transition(role=P, phase="aborted", on="msg:decision_req", to=(STAY,), handler=p.answer),
        Transition(role=P, phase=ANY_PHASE, on="msg:decision_req", to=(STAY,),
                   why="undecided, it cannot say; the one asking also asked everyone else"),
        Transition(role=P, phase="uncertain", on="timer:timeout", to=("uncertain", "collecting", "aborted"),
                   handler=p.timed_out),
        Transition(role=P, phase="prepared", on="timer:timeout", to=("prepared", "collecting", "committed"),
                   handler=p.timed_out),
        Transition(role=P, phase="collecting", on="timer:timeout", to=("precommitting", "committed", "aborted"),
                   handler=t.collect_timeout),
        Transition(role=P, phase="precommitting", on="timer:timeout", to=("committed",), handler=t.acks_timeout),
        Transition(role=P, phase=ANY_PHASE, on="recover", to=("uncertain", "prepared", "committed", "aborted"),
                   handler=p.recover),
    ]
    for phase in UNDECIDED:
        rows += [
            Transition(role=P, phase=phase, on="msg:do_commit", to=("committed",), handler=p.told),
            Transition(role=P, phase=phase, on="msg:abort", to=("aborted",), handler=p.told),
        ]
    return rows


TABLE = TransitionTable(_coordinator_rows() + _participant_rows())
