"""The ZooKeeper lock's transition table: every (role, phase, input) the protocol can meet.

Rows without a handler are deliberate ignores and say why; the States tab draws the machines from these rows.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Handler, Transition, TransitionTable
from protocols.zklock import client as c
from protocols.zklock import service as zk
from protocols.zklock import store as st

C, Z, S = "client", "zk", "store"
LIVE = ("thinking", "creating", "listing", "checking", "waiting", "holding", "writing", "releasing")
"""Phases in which a client has a session it believes alive."""
ALL = (*LIVE, "connecting", "done")
LOST = ("connecting", "done")
"""Where a lost session leads: a new one, or, out of sessions, the end of the workload."""
NEXT = ("thinking", "creating", "done")
"""Where a finished write leads: think, begin the next at once (think_ms=0), or stop."""
WATCHING = ("listing", "checking", "waiting")
"""Phases in which a watch may be set: a notification may overtake the answer that set it."""
LATE = "a late or repeated answer: to a request this client no longer waits for, or from an abandoned session"
EXPECTED: dict[str, tuple[str, Handler, tuple[str, ...]]] = {
    "msg:create_ok": ("creating", c.created, (STAY, "listing")),
    "msg:children": ("listing", c.listed, (STAY, "holding", "writing", "checking", "waiting", *LOST)),
    "msg:exists_ok": ("checking", c.checked, (STAY, "waiting", "listing")),
    "msg:write_ok": ("writing", c.written, (STAY, "releasing")),
    "msg:delete_ok": ("releasing", c.released, (STAY, *NEXT)),
    "msg:connect_ok": ("connecting", c.connected, (STAY, "creating", *NEXT)),
}
"""Answers, each awaited in one phase: the phase, its handler and where it may lead; elsewhere it is late."""


def _client_rows() -> list[Transition]:
    rows = [
        Transition(role=C, phase="thinking", on="start", to=NEXT, handler=c.client_start),
        Transition(role=C, phase="thinking", on="timer:think", to=("creating",), handler=c.begin_write),
        *[Transition(role=C, phase=p, on="msg:watch", to=(STAY, "listing"), handler=c.notified)
          for p in WATCHING],
        Transition(role=C, phase="holding", on="timer:work", to=("writing",), handler=c.send_write),
        Transition(role=C, phase="writing", on="timer:retry", to=("writing", "releasing"), handler=c.write_retry),
        Transition(role=C, phase=ANY_PHASE, on="recover", to=("connecting",), handler=c.client_recover),
    ]
    for key, (phase, handler, to) in EXPECTED.items():
        rows.append(Transition(role=C, phase=phase, on=key, to=to, handler=handler))
        rows += [Transition(role=C, phase=p, on=key, to=(STAY,), why=LATE) for p in ALL if p != phase]
    rows += [Transition(role=C, phase=p, on="msg:watch", to=(STAY,),
                        why="a notification the client no longer waits for (the herd's parent watch, or a "
                            "watch of an abandoned session)") for p in ALL if p not in WATCHING]
    for phase in LIVE:
        rows += [
            Transition(role=C, phase=phase, on="timer:ping", to=(STAY,), handler=c.ping),
            Transition(role=C, phase=phase, on="msg:pong", to=(STAY,), handler=c.pong),
            Transition(role=C, phase=phase, on="timer:lost", to=LOST, handler=c.suspended),
            Transition(role=C, phase=phase, on="msg:error", to=(STAY, *LOST), handler=c.refused),
        ]
    for phase in LOST:
        rows += [Transition(role=C, phase=phase, on="msg:pong", to=(STAY,), why=LATE),
                 Transition(role=C, phase=phase, on="msg:error", to=(STAY,),
                            why="an error for an abandoned session, or the store refusing a write given up")]
    rows += [Transition(role=C, phase=p, on="timer:reply", to=LOST, handler=c.no_answer)
             for p in ("creating", "listing", "checking", "releasing", "connecting")]
    return rows


def _service_rows() -> list[Transition]:
    rows = [
        Transition(role=Z, phase="idle", on="start", to=("idle", "serving"), handler=zk.service_start),
        Transition(role=Z, phase=ANY_PHASE, on="msg:connect", to=("serving",), handler=zk.connect),
        Transition(role=Z, phase="serving", on="msg:close", to=(STAY, "idle"), handler=zk.close),
        Transition(role=Z, phase="idle", on="msg:close", to=(STAY,), why="no session left to close"),
        Transition(role=Z, phase="serving", on="timer:tick", to=(STAY, "idle"), handler=zk.tick),
        Transition(role=Z, phase="idle", on="timer:tick", to=(STAY,),
                   why="the last session closed after this tick was set: nothing to count down"),
        Transition(role=Z, phase=ANY_PHASE, on="recover", to=("idle", "serving"), handler=zk.service_recover),
    ]
    for key, handler in (("msg:ping", zk.ping), ("msg:create", zk.create), ("msg:get_children", zk.get_children),
                         ("msg:exists", zk.exists), ("msg:delete", zk.delete)):
        rows.append(Transition(role=Z, phase=ANY_PHASE, on=key, to=(STAY,), handler=handler))
    return rows


STORE_ROWS = (
    Transition(role=S, phase="serving", on="msg:write", to=("serving",), handler=st.store_write),
    Transition(role=S, phase=ANY_PHASE, on="recover", to=("serving",), handler=st.store_recover),
    Transition(role=S, phase="serving", on="start", to=("serving",), why="the store waits for writes"))

TABLE = TransitionTable([*_client_rows(), *_service_rows(), *STORE_ROWS])
