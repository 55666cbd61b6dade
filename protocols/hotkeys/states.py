"""The state of every role of the hot-keys protocol, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

# No ``from __future__ import annotations``: TypedDict must see NotRequired unquoted to make a key optional.

from typing import Any, Literal, NotRequired, TypedDict


class Entry(TypedDict):
    v: str | None
    ver: int


class ClientOp(TypedDict):
    key: str
    n: int
    op: Literal['read', 'write']
    value: NotRequired[str]


class LastOp(TypedDict):
    key: str
    n: int
    op: Literal['read', 'write']
    value: str | None
    ver: int
    via: str
    """The cache that answered, ``near`` (the client's near-cache) or ``timeout`` (given up)."""


class ClientState(TypedDict):
    done: int
    last: LastOp | None
    near: dict[str, Entry]
    op: ClientOp | None
    phase: Literal['thinking', 'waiting', 'done']
    rng: int


class Pending(TypedDict):
    client: str
    key: str
    mid: str
    n: int
    op: Literal['read', 'write']
    value: str | None
    ver: int
    waiting: list[str]


class CacheState(TypedDict):
    epoch: int
    pending: dict[str, Pending]
    phase: Literal['serving']
    seq: int
    served: int
    store: dict[str, Entry]


class DbState(TypedDict):
    applied: dict[str, int]
    data: dict[str, Entry]
    phase: Literal['serving']


STATES: dict[str, dict[str, Any]] = {
    'cache-hot-keys': {'cache': CacheState, 'client': ClientState, 'db': DbState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
