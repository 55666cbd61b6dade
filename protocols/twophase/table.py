"""The two-phase commit transition table: the single source of truth.

Every (role, phase, input) the protocol can meet is a row; rows without a
handler are deliberate ignores and say why. The UI's state diagram is drawn
from these rows.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, Transition, TransitionTable
from protocols.twophase import handlers as h

C, P = "coordinator", "participant"
DECIDED = ("committed", "aborted")


def _coordinator_rows() -> list[Transition]:
    rows = [
        Transition(role=C, phase="init", on="start", to=("init",), handler=h.coordinator_start),
        Transition(role=C, phase="init", on="msg:vote", to=("init", *DECIDED), handler=h.coordinator_vote),
        Transition(role=C, phase="init", on="timer:vote_timeout", to=("aborted",),
                   handler=h.coordinator_vote_timeout),
        Transition(role=C, phase="init", on="msg:status_request", to=("init",),
                   why="undecided yet: the decision will be sent when it is made"),
        Transition(role=C, phase=ANY_PHASE, on="recover", to=DECIDED, handler=h.coordinator_recover),
    ]
    for phase in DECIDED:
        rows += [
            Transition(role=C, phase=phase, on="msg:vote", to=(phase,), handler=h.coordinator_late_vote),
            Transition(role=C, phase=phase, on="msg:ack", to=(phase,), handler=h.coordinator_ack),
            Transition(role=C, phase=phase, on="timer:resend", to=(phase,), handler=h.coordinator_resend),
            Transition(role=C, phase=phase, on="msg:status_request", to=(phase,),
                       handler=h.coordinator_status),
        ]
    return rows


def _participant_rows() -> list[Transition]:
    rows = [
        Transition(role=P, phase="working", on="start", to=("working",), handler=h.participant_start),
        Transition(role=P, phase="working", on="msg:prepare", to=("prepared", "aborted"),
                   handler=h.participant_prepare),
        Transition(role=P, phase="working", on="timer:prepare_timeout", to=("aborted",),
                   handler=h.participant_abort_alone),
        Transition(role=P, phase="working", on="msg:status_request", to=("aborted",),
                   handler=h.participant_abort_alone,
                   why="cooperative termination: one that has not voted may still abort, and says so"),
        Transition(role=P, phase="working", on="msg:abort", to=("aborted",), handler=h.participant_learn),
        Transition(role=P, phase="working", on="msg:commit", to=("committed",), handler=h.participant_learn,
                   why="only a faulty coordinator sends this; the participant obeys it"),
        Transition(role=P, phase="prepared", on="msg:prepare", to=("prepared",), handler=h.participant_revote),
        Transition(role=P, phase="prepared", on="msg:commit", to=("committed",), handler=h.participant_learn),
        Transition(role=P, phase="prepared", on="msg:abort", to=("aborted",), handler=h.participant_learn),
        Transition(role=P, phase="prepared", on="msg:status_reply", to=("prepared", *DECIDED),
                   handler=h.participant_learn),
        Transition(role=P, phase="prepared", on="timer:status_timeout", to=("prepared",),
                   handler=h.participant_ask),
        Transition(role=P, phase="prepared", on="msg:status_request", to=("prepared",),
                   handler=h.participant_tell),
        Transition(role=P, phase=ANY_PHASE, on="recover", to=("prepared", *DECIDED),
                   handler=h.participant_recover),
        Transition(role=P, phase="aborted", on="msg:prepare", to=("aborted",), handler=h.participant_revote),
        Transition(role=P, phase="aborted", on="msg:abort", to=("aborted",), handler=h.participant_reack),
        Transition(role=P, phase="aborted", on="msg:commit", to=("aborted",),
                   why="only a faulty coordinator commits after this participant aborted"),
        Transition(role=P, phase="committed", on="msg:commit", to=("committed",), handler=h.participant_reack),
        Transition(role=P, phase="committed", on="msg:prepare", to=("committed",),
                   why="a stale, duplicated PREPARE: the transaction is long decided"),
    ]
    for phase in DECIDED:
        rows += [
            Transition(role=P, phase=phase, on="msg:status_request", to=(phase,), handler=h.participant_tell),
            Transition(role=P, phase=phase, on="msg:status_reply", to=(phase,),
                       why="a late answer to a question already settled"),
        ]
    return rows


TABLE = TransitionTable(_coordinator_rows() + _participant_rows())
