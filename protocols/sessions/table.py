"""The session-guarantees transition table: the single source of truth, and the States tab's diagram.

The primary and the replicas have one phase each (``serving``): what changes
is their log, their applied position and the reads they hold, which the
panel draws. Clients move ``thinking -> waiting -> thinking ... -> done``.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, Transition, TransitionTable
from protocols.sessions import client as c
from protocols.sessions import primary as p
from protocols.sessions import replica as r
from protocols.sessions.common import CLIENT, PRIMARY, REPLICA

LATE = "a late or duplicated answer to an operation already over (the client went to the primary, or gave up)"
C_PHASES = ("thinking", "done")


def _client_rows() -> list[Transition]:
    rows = [
        Transition(role=CLIENT, phase="thinking", on="start", to=("thinking", "done"), handler=c.start),
        Transition(role=CLIENT, phase="thinking", on="timer:think", to=("waiting",), handler=c.think),
        Transition(role=CLIENT, phase="waiting", on="timer:wait", to=("waiting",), handler=c.waited),
        Transition(role=CLIENT, phase="waiting", on="timer:timeout", to=C_PHASES, handler=c.timed_out),
        Transition(role=CLIENT, phase=ANY_PHASE, on="recover", to=("done",), handler=c.recover,
                   why="a restarted session has lost its workload and its positions: it issues nothing more"),
    ]
    for reply in ("write_ok", "read_ok"):
        rows.append(Transition(role=CLIENT, phase="waiting", on=f"msg:{reply}", to=("waiting", *C_PHASES),
                               handler=c.answered))
        rows += [Transition(role=CLIENT, phase=phase, on=f"msg:{reply}", to=(phase,), why=LATE)
                 for phase in C_PHASES]
    return rows


def _server_rows() -> list[Transition]:
    s = "serving"
    return [
        Transition(role=PRIMARY, phase=s, on="start", to=(s,), why="the primary starts with an empty log and waits"),
        Transition(role=PRIMARY, phase=s, on="msg:write", to=(s,), handler=p.on_write),
        Transition(role=PRIMARY, phase=s, on="msg:read", to=(s,), handler=p.on_read),
        Transition(role=PRIMARY, phase=s, on="msg:replicate_ok", to=(s,), handler=p.on_replicate_ok),
        Transition(role=PRIMARY, phase=ANY_PHASE, on="recover", to=(s,), handler=p.recover),
        Transition(role=REPLICA, phase=s, on="start", to=(s,), why="a replica starts empty and waits for the log"),
        Transition(role=REPLICA, phase=s, on="msg:replicate", to=(s,), handler=r.on_replicate),
        Transition(role=REPLICA, phase=s, on="msg:read", to=(s,), handler=r.on_read),
        Transition(role=REPLICA, phase=s, on=f"timer:{r.APPLY_TIMER}", to=(s,), handler=r.on_apply),
        Transition(role=REPLICA, phase=ANY_PHASE, on="recover", to=(s,), handler=r.recover),
    ]


TABLE = TransitionTable(_client_rows() + _server_rows())
