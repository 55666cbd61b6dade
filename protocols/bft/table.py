"""The Byzantine counter's transition table: one block of rows per replica behaviour.

A replica's phase is its behaviour, so the table reads as a catalogue of
what each kind of replica does with an increment and with a read; the
state diagram shows them side by side. Behaviours never change.
"""

from __future__ import annotations

from protocols.base import Handler, Transition, TransitionTable
from protocols.bft import handlers as h

R = h.REPLICA

# behaviour -> (what it does with an increment, what it does with a read)
_ACTIONS: dict[str, tuple[Handler, Handler]] = {
    h.HONEST: (h.replica_add, h.replica_read),
    "lie-high": (h.replica_add, h.liar_read_high),
    "lie-low": (h.liar_add_unstored, h.liar_read_low),
    "equivocate": (h.replica_add, h.liar_read_equivocate),
}


def _replica_rows() -> list[Transition]:
    rows = []
    for phase, (add, read) in _ACTIONS.items():
        rows += [
            Transition(role=R, phase=phase, on="start", to=(phase,),
                       why="a replica waits for clients; it has nothing to start"),
            Transition(role=R, phase=phase, on="msg:add", to=(phase,), handler=add),
            Transition(role=R, phase=phase, on="msg:read", to=(phase,), handler=read),
            Transition(role=R, phase=phase, on="recover", to=(phase,), handler=h.replica_recover),
        ]
    silent = "a silent Byzantine replica never answers anything"
    rows += [
        Transition(role=R, phase="silent", on="start", to=("silent",), why=silent),
        Transition(role=R, phase="silent", on="msg:add", to=("silent",), why=silent),
        Transition(role=R, phase="silent", on="msg:read", to=("silent",), why=silent),
        Transition(role=R, phase="silent", on="recover", to=("silent",), why=silent),
    ]
    return rows


TABLE = TransitionTable(h.CLIENT.rows() + _replica_rows())
