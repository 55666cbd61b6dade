"""The MESI directory protocol's transition table: clients, caches, the directory.

A cache's phase is the transaction it waits on; which line state a message
meets is decided inside the handlers (see cache.py for the per-line rules).
Answers that fit no transaction (Data, Inv-Ack, Put-Ack in a phase that
expects none) have explicit rows that count them as strays, so a stale or
duplicated message is visible, never an exception.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Context, Transition, TransitionTable
from protocols.common.cache_clients import client_rows
from protocols.mesi import cache as c
from protocols.mesi import directory as d

CACHE, DIRECTORY = "cache", "directory"
ALL = c.CACHE_PHASES
AFTER_FINISH = ALL
"""A finished transaction serves the queue, which may start the next one in any phase."""


def route_to_cache(ctx: Context, key: str) -> str:
    """Client ``ci`` uses cache ((i-1) mod M)+1, whatever the key."""
    index = int(ctx.node[1:]) - 1
    return f"cache{index % ctx.params['caches'] + 1}"


def _cache_rows() -> list[Transition]:
    rows = [
        Transition(role=CACHE, phase="ready", on="start", to=("ready",),
                   why="a cache boots empty and waits for its clients"),
        Transition(role=CACHE, phase=ANY_PHASE, on="recover", to=("ready",), handler=c.cache_recover),
        # The directory's requests change a line, not the cache's transaction, except an invalidation
        # of the S copy an upgrade (SM_AD) was counting on: it now waits for data, as a write miss does.
        Transition(role=CACHE, phase=ANY_PHASE, on="msg:Inv", to=(STAY, "IM_AD"), handler=c.cache_inv),
        Transition(role=CACHE, phase=ANY_PHASE, on="msg:Fwd-GetS", to=(STAY,), handler=c.cache_fwd),
        Transition(role=CACHE, phase=ANY_PHASE, on="msg:Fwd-GetM", to=(STAY,), handler=c.cache_fwd),
        # Answers in phases that await none of them: stale or duplicated.
        Transition(role=CACHE, phase=ANY_PHASE, on="msg:Data", to=(STAY,), handler=c.cache_stray),
        Transition(role=CACHE, phase=ANY_PHASE, on="msg:Inv-Ack", to=(STAY,), handler=c.cache_stray),
        Transition(role=CACHE, phase=ANY_PHASE, on="msg:Put-Ack", to=(STAY,), handler=c.cache_stray),
        Transition(role=CACHE, phase="IS_D", on="msg:Data", to=AFTER_FINISH, handler=c.cache_data),
        Transition(role=CACHE, phase="evicting", on="msg:Put-Ack", to=("evicting", "IS_D", "IM_AD"),
                   handler=c.cache_put_ack),
    ]
    for op in ("read", "write"):
        rows += [
            # Ready: a hit answers, a miss starts a transaction (or an eviction first).
            Transition(role=CACHE, phase="ready", on="msg:" + op, to=AFTER_FINISH, handler=c.cache_request),
            # Busy with a transaction: the request waits in the queue.
            Transition(role=CACHE, phase=ANY_PHASE, on="msg:" + op, to=(STAY,), handler=c.cache_request),
        ]
    for waiting, acked in (("IM_AD", "IM_A"), ("SM_AD", "SM_A")):
        rows += [
            Transition(role=CACHE, phase=waiting, on="msg:Data", to=(waiting, acked, *AFTER_FINISH),
                       handler=c.cache_data),
            Transition(role=CACHE, phase=waiting, on="msg:Inv-Ack", to=(waiting,), handler=c.cache_inv_ack),
            Transition(role=CACHE, phase=acked, on="msg:Inv-Ack", to=(acked, *AFTER_FINISH),
                       handler=c.cache_inv_ack),
        ]
    return rows


def _directory_rows() -> list[Transition]:
    rows = [
        Transition(role=DIRECTORY, phase="serving", on="start", to=("serving",),
                   why="every line starts Invalid, memory empty"),
        Transition(role=DIRECTORY, phase=ANY_PHASE, on="recover", to=("serving",), handler=d.directory_recover),
        Transition(role=DIRECTORY, phase="serving", on="msg:Data", to=("serving",), handler=d.directory_data),
        Transition(role=DIRECTORY, phase="serving", on="msg:Unblock", to=("serving",),
                   handler=d.directory_unblock),
    ]
    rows += [Transition(role=DIRECTORY, phase="serving", on="msg:" + kind, to=("serving",),
                        handler=d.directory_request) for kind in d.REQUESTS]
    return rows


TABLE = TransitionTable(client_rows(route_to_cache) + _cache_rows() + _directory_rows())
