"""Transition rows the cache policies share: clients, the database, the proxies' read path.

Each policy's table is these rows plus its own (see ``rows_for``). Clients
move ``idle -> waiting -> idle ... -> done``; caches and the database have a
single phase each (``serving``, ``up``): what changes is their data, which the
cache-state panel draws, not a phase.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocols.base import ANY_PHASE, Handler, Transition, TransitionTable
from protocols.cache import client as cl
from protocols.cache import db
from protocols.cache import proxy as px
from protocols.cache.common import CACHE, CLIENT, DB

C_PHASES = ("idle", "waiting", "done")
PROXY_ANSWERS = ("get_ok", "put_ok", "error")
"""What a cache answers a client of a caching proxy."""

LATE = "a late answer to an operation the client already gave up (timed out or crashed)"


def client_rows(answers: Sequence[str], think: Handler = cl.client_think,
                answer: Handler = cl.client_answer) -> list[Transition]:
    """Return the client rows: start, think, the answers, the timeout, late answers, recovery."""
    rows = [
        Transition(role=CLIENT, phase="idle", on="start", to=("idle", "done"), handler=cl.client_start),
        Transition(role=CLIENT, phase="idle", on="timer:think", to=("waiting",), handler=think),
        Transition(role=CLIENT, phase="waiting", on="timer:timeout", to=("idle", "done"),
                   handler=cl.client_timeout),
        Transition(role=CLIENT, phase=ANY_PHASE, on="recover", to=("done",), handler=cl.client_recover),
    ]
    for kind in answers:
        rows += [
            Transition(role=CLIENT, phase="waiting", on=f"msg:{kind}", to=C_PHASES, handler=answer),
            Transition(role=CLIENT, phase="idle", on=f"msg:{kind}", to=("idle",), why=LATE),
            Transition(role=CLIENT, phase="done", on=f"msg:{kind}", to=("done",), why=LATE),
        ]
    return rows


def db_rows() -> list[Transition]:
    """Return the database rows every policy has: reads, writes, recovery."""
    return [
        Transition(role=DB, phase="up", on="start", to=("up",), why="the database starts empty and waits"),
        Transition(role=DB, phase="up", on="msg:db_read", to=("up",), handler=db.db_read),
        Transition(role=DB, phase="up", on="msg:db_write", to=("up",), handler=db.db_write),
        Transition(role=DB, phase=ANY_PHASE, on="recover", to=("up",), handler=db.db_recover),
    ]


def proxy_cache_rows(read_ok: Handler = px.cache_read_ok) -> list[Transition]:
    """Return the read path of a caching proxy: get, the database's answer to a miss, recovery."""
    return [
        Transition(role=CACHE, phase="serving", on="start", to=("serving",),
                   why="a cache starts empty and waits for requests"),
        Transition(role=CACHE, phase="serving", on="msg:get", to=("serving",), handler=px.cache_get),
        Transition(role=CACHE, phase="serving", on="msg:db_read_ok", to=("serving",), handler=read_ok),
        Transition(role=CACHE, phase=ANY_PHASE, on="recover", to=("serving",), handler=px.cache_recover),
    ]


def build(rows: Sequence[Transition]) -> TransitionTable:
    """Return a table of the given rows (duplicates are refused by the table itself)."""
    return TransitionTable(list(rows))
