"""The sharded counter's transition table: the single source of truth.

A shard has one phase, ``serving``: it counts what is routed to it and
answers reads. The clients' rows come from the family's shared client.
"""

from __future__ import annotations

from protocols.base import Transition, TransitionTable
from protocols.sharded import handlers as h

S = h.SHARD


def _shard_rows() -> list[Transition]:
    return [
        Transition(role=S, phase="serving", on="start", to=("serving",),
                   why="a shard waits for increments; it has nothing to start"),
        Transition(role=S, phase="serving", on="msg:add", to=("serving",), handler=h.shard_add),
        Transition(role=S, phase="serving", on="msg:read", to=("serving",), handler=h.shard_read),
        Transition(role=S, phase="serving", on="recover", to=("serving",), handler=h.shard_recover),
    ]


TABLE = TransitionTable(h.CLIENT.rows() + _shard_rows())
