"""The Redis lock's transition table: every (role, phase, input) the protocol can meet.

Rows without a handler are deliberate ignores and say why; the States tab draws the machines from these rows.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.redlock import handlers as h

C, R, S = "client", "redis", "store"
NEXT = ("thinking", "done")
"""Where a write ends: think before the next one, or stop."""
AGAIN = ("waiting", *NEXT)
"""Where a failed attempt leads: wait and try again, or give the write up."""
LATE_SET = "an answer to an attempt this client has finished with: the key it set expires by itself"
LATE_ACK = "a duplicated answer to a write this client has finished with"


def _client_rows() -> list[Transition]:
    rows = [
        Transition(role=C, phase="thinking", on="start", to=NEXT, handler=h.client_start),
        Transition(role=C, phase="thinking", on="timer:think", to=("acquiring",), handler=h.begin_attempt),
        Transition(role=C, phase="waiting", on="timer:retry", to=("acquiring",), handler=h.begin_attempt),
        Transition(role=C, phase="acquiring", on="timer:acquire", to=("holding", *AGAIN), handler=h.decide),
        Transition(role=C, phase="holding", on="timer:work", to=("committing", *AGAIN),
                   handler=h.check_validity),
        Transition(role=C, phase="committing", on="timer:write", to=("writing",), handler=h.send_write),
        Transition(role=C, phase="writing", on="timer:retry", to=("writing", *NEXT), handler=h.write_retry),
        Transition(role=C, phase="writing", on="msg:write_ok", to=(STAY, *NEXT), handler=h.written),
        Transition(role=C, phase="writing", on="msg:write_refused", to=(STAY, *AGAIN), handler=h.refused),
        Transition(role=C, phase=ANY_PHASE, on="recover", to=NEXT, handler=h.client_recover),
    ]
    for answer in ("msg:set_ok", "msg:set_busy"):
        rows.append(Transition(role=C, phase="acquiring", on=answer, to=(STAY, "holding", *AGAIN),
                               handler=h.answered))
        rows += [Transition(role=C, phase=phase, on=answer, to=(STAY,), why=LATE_SET)
                 for phase in ("thinking", "waiting", "holding", "committing", "writing", "done")]
    for answer in ("msg:write_ok", "msg:write_refused"):
        rows += [Transition(role=C, phase=phase, on=answer, to=(STAY,), why=LATE_ACK)
                 for phase in ("thinking", "waiting", "acquiring", "holding", "committing", "done")]
    return rows


def _redis_rows() -> list[Transition]:
    nothing = "no key to delete: it expired, was deleted, or was forgotten in a restart"
    return [
        Transition(role=R, phase="free", on="start", to=("free",), why="the node waits for commands"),
        Transition(role=R, phase="free", on="msg:set", to=("held",), handler=h.redis_set),
        Transition(role=R, phase="held", on="msg:set", to=("held",), handler=h.redis_set),
        Transition(role=R, phase="free", on="msg:unlock", to=("free",), why=nothing),
        Transition(role=R, phase="free", on="msg:del", to=("free",), why=nothing),
        Transition(role=R, phase="held", on="msg:unlock", to=(STAY, "free"), handler=h.redis_unlock),
        Transition(role=R, phase="held", on="msg:del", to=("free",), handler=h.redis_del),
        Transition(role=R, phase="held", on="timer:expire", to=(STAY, "free"), handler=h.redis_expire),
        Transition(role=R, phase=ANY_PHASE, on="recover", to=("free", "held"), handler=h.redis_recover),
    ]


def _store_rows() -> list[Transition]:
    return [
        Transition(role=S, phase="ready", on="start", to=("ready",), why="the store waits for writes"),
        Transition(role=S, phase="ready", on="msg:write", to=("ready",), handler=h.store_write),
        Transition(role=S, phase=ANY_PHASE, on="recover", to=("ready",), handler=h.store_recover),
    ]


TABLE = TransitionTable([*_client_rows(), *_redis_rows(), *_store_rows()])
