"""The state of every role of the Redis lock, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict


class Key(TypedDict):
    """The lock key on one Redis node: its random value, who set it, and when it expires by the node's clock."""

    value: str
    client: str
    expires_at: int


class ClientState(TypedDict):
    phase: Literal['acquiring', 'committing', 'done', 'holding', 'thinking', 'waiting', 'writing']
    stream: int
    epoch: int
    op: int
    """Writes begun so far; the write in hand is ``<client>.<op>``."""
    written: int
    req: int
    """Acquisition attempts so far in this life (numbered from ``epoch``), the last one's number."""
    value: str | None
    """The random value of the last attempt: what the client's key holds on the nodes that said OK."""
    started_at: int | None
    """The client's clock when it sent the attempt's SETs (Redlock's start time)."""
    answers: dict[str, str]
    """Node -> "ok" or "busy", for the attempt in hand."""
    needed: int
    """How many OKs the attempt needs: a majority of the nodes (0 before the first attempt)."""
    tokens: dict[str, int]
    """Node -> the counter it returned with its OK (``fencing=counter``), for the attempt in hand."""
    token: int | None
    """The fencing token of the lock held: the highest counter of the majority (``fencing=counter``)."""
    valid_until: int | None
    """The end of the lock's validity by the client's clock: start + TTL - drift; set while it holds the lock."""
    attempts: int
    """Attempts for the write in hand."""
    tries: int
    """Unacknowledged sends of the write in hand."""
    gave_up: int


class RedisState(TypedDict):
    phase: Literal['free', 'held']
    key: Key | None
    counter: int
    """Incremented by every SET that takes the key when ``fencing=counter`` (forgotten in a restart without
    persistence)."""


class StoreState(TypedDict):
    phase: Literal['ready']
    log: list[dict[str, str]]
    """Every write the store applied, in order: ``{op, by, value}`` (the lock value it was made under)."""
    max_token: int
    """The highest fencing token of a write it applied (``fencing=counter``)."""


STATES: dict[str, dict[str, Any]] = {
    'redis-lock': {'client': ClientState, 'redis': RedisState, 'store': StoreState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
