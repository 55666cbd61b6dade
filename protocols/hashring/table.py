"""The consistent-hashing cluster's transition table: clients, the ring router, caches, the database."""

from __future__ import annotations

from protocols.base import ANY_PHASE, Context, Transition, TransitionTable
from protocols.common.cache_clients import client_rows
from protocols.hashring import cache as c
from protocols.hashring import router as r

RING, CACHE, DB = "ring", "cache", "db"
CACHE_PHASES = ("member", "standby")


def route_to_ring(ctx: Context, key: str) -> str:
    """Every client request goes to the ring's router, which knows the membership."""
    return "ring"


def _ring_rows() -> list[Transition]:
    routing = ("routing",)
    return [
        Transition(role=RING, phase="routing", on="start", to=routing, handler=r.ring_start),
        Transition(role=RING, phase=ANY_PHASE, on="recover", to=routing, handler=r.ring_recover),
        Transition(role=RING, phase="routing", on="msg:read", to=routing, handler=r.ring_route),
        Transition(role=RING, phase="routing", on="msg:write", to=routing, handler=r.ring_route),
        Transition(role=RING, phase="routing", on="client:add_node", to=routing, handler=r.ring_add),
        Transition(role=RING, phase="routing", on="client:remove_node", to=routing, handler=r.ring_remove),
        Transition(role=RING, phase="routing", on="timer:join", to=routing, handler=r.ring_join_timer),
        Transition(role=RING, phase="routing", on="timer:leave", to=routing, handler=r.ring_leave_timer),
    ]


def _cache_rows() -> list[Transition]:
    rows = [Transition(role=CACHE, phase=ANY_PHASE, on="recover", to=("standby",), handler=c.cache_recover)]
    for phase in CACHE_PHASES:
        rows += [
            Transition(role=CACHE, phase=phase, on="start", to=(phase,),
                       why="a cache boots empty, in or out of the initial ring"),
            Transition(role=CACHE, phase=phase, on="msg:view", to=CACHE_PHASES, handler=c.cache_view),
            Transition(role=CACHE, phase=phase, on="msg:get", to=CACHE_PHASES, handler=c.cache_request),
            Transition(role=CACHE, phase=phase, on="msg:put", to=CACHE_PHASES, handler=c.cache_request),
            Transition(role=CACHE, phase=phase, on="msg:fetched", to=(phase,), handler=c.cache_db_answer),
            Transition(role=CACHE, phase=phase, on="msg:stored", to=(phase,), handler=c.cache_db_answer),
        ]
    return rows


def _db_rows() -> list[Transition]:
    serving = ("serving",)
    return [
        Transition(role=DB, phase="serving", on="start", to=serving, why="the database boots empty"),
        Transition(role=DB, phase=ANY_PHASE, on="recover", to=serving, handler=c.db_recover),
        Transition(role=DB, phase="serving", on="msg:fetch", to=serving, handler=c.db_fetch),
        Transition(role=DB, phase="serving", on="msg:store", to=serving, handler=c.db_store),
    ]


TABLE = TransitionTable(client_rows(route_to_ring) + _ring_rows() + _cache_rows() + _db_rows())
