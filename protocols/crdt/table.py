"""The transition table shared by the G-counter and the PN-counter: the single source of truth.

Replicas are ``serving`` (gossiping on their timer) and, past the horizon
with nothing new to tell, ``quiet``: still answering clients and merging
what arrives, and woken up to gossip again by anything that changes their
vectors. Every message is welcome in either phase: a state-based CRDT
accepts any state at any time, that is its point.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.crdt import handlers as h

R = h.REPLICA
LIVE = ("serving", "quiet")


def _replica_rows() -> list[Transition]:
    return [
        Transition(role=R, phase="serving", on="start", to=("serving",), handler=h.replica_start),
        # News (a new operation, or vectors that teach it something) wakes a quiet replica up.
        Transition(role=R, phase=ANY_PHASE, on="msg:add", to=(STAY, "serving"), handler=h.replica_add),
        Transition(role=R, phase=ANY_PHASE, on="msg:read", to=(STAY,), handler=h.replica_read),
        Transition(role=R, phase=ANY_PHASE, on="msg:gossip", to=(STAY, "serving"), handler=h.replica_gossip),
        Transition(role=R, phase=ANY_PHASE, on="msg:gossip_reply", to=(STAY, "serving"),
                   handler=h.replica_gossip_reply),
        Transition(role=R, phase="serving", on="timer:gossip", to=LIVE, handler=h.replica_gossip_timer),
        Transition(role=R, phase=ANY_PHASE, on="recover", to=LIVE, handler=h.replica_recover),
    ]


TABLE = TransitionTable(h.CLIENT.rows() + _replica_rows())
