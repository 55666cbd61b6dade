"""The hot-keys cluster's transition table: clients, caches on the ring, the database."""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Transition, TransitionTable
from protocols.hotkeys import cache as c
from protocols.hotkeys import client as cl
from protocols.hotkeys.ring import MAX_HOT_KEYS

CLIENT, CACHE, DB = "client", "cache", "db"
CLIENT_PHASES = ("thinking", "waiting", "done")
NEAR_TIMERS = tuple(f"{cl.NEAR_TIMER}k{i}" for i in range(MAX_HOT_KEYS))
"""One near-cache timer per key that may be hot."""
LATE = "a late or duplicated answer to an operation already finished or given up"


def _client_rows() -> list[Transition]:
    rows = [
        Transition(role=CLIENT, phase="thinking", on="start", to=("thinking", "done"), handler=cl.client_start),
        Transition(role=CLIENT, phase="thinking", on="timer:think", to=CLIENT_PHASES, handler=cl.client_think),
        Transition(role=CLIENT, phase="waiting", on="timer:timeout", to=("thinking", "done"),
                   handler=cl.client_timeout),
        Transition(role=CLIENT, phase=ANY_PHASE, on="recover", to=("done",), handler=cl.client_recover),
    ]
    for reply in ("read_ok", "write_ok"):
        rows.append(Transition(role=CLIENT, phase="waiting", on="msg:" + reply, to=CLIENT_PHASES,
                               handler=cl.client_answer))
        rows += [Transition(role=CLIENT, phase=phase, on="msg:" + reply, to=(phase,), why=LATE)
                 for phase in ("thinking", "done")]
    rows += [Transition(role=CLIENT, phase=ANY_PHASE, on="timer:" + timer, to=(STAY,),
                        handler=cl.client_near_expired) for timer in NEAR_TIMERS]
    return rows


def _cache_rows() -> list[Transition]:
    serving = ("serving",)
    return [
        Transition(role=CACHE, phase="serving", on="start", to=serving, why="a cache boots empty on the ring"),
        Transition(role=CACHE, phase=ANY_PHASE, on="recover", to=serving, handler=c.cache_recover),
        Transition(role=CACHE, phase="serving", on="msg:read", to=serving, handler=c.cache_read),
        Transition(role=CACHE, phase="serving", on="msg:write", to=serving, handler=c.cache_write),
        Transition(role=CACHE, phase="serving", on="msg:fetched", to=serving, handler=c.cache_fetched),
        Transition(role=CACHE, phase="serving", on="msg:stored", to=serving, handler=c.cache_stored),
        Transition(role=CACHE, phase="serving", on="msg:replicate", to=serving, handler=c.cache_replicate),
        Transition(role=CACHE, phase="serving", on="msg:replicate_ok", to=serving, handler=c.cache_replicated),
    ]


def _db_rows() -> list[Transition]:
    serving = ("serving",)
    return [
        Transition(role=DB, phase="serving", on="start", to=serving, why="the database boots empty"),
        Transition(role=DB, phase=ANY_PHASE, on="recover", to=serving, handler=c.db_recover),
        Transition(role=DB, phase="serving", on="msg:fetch", to=serving, handler=c.db_fetch),
        Transition(role=DB, phase="serving", on="msg:store", to=serving, handler=c.db_store),
    ]


TABLE = TransitionTable(_client_rows() + _cache_rows() + _db_rows())
