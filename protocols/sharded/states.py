"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict


class ClientState(TypedDict):
    acked_dec: int
    acked_inc: int
    answers: dict[str, int]
    attempts: int
    delta: int
    draws: int
    key: str | None
    missing: list[str]
    ops: int
    phase: Literal['adding', 'done', 'reading', 'stopped', 'thinking']
    read: int | None
    read_messages: int
    """What one read costs in messages: a request and an answer per shard."""
    stream: int
    target: str | None


class ShardState(TypedDict):
    count: int
    phase: Literal['serving']
    seen: dict[str, int]


STATES: dict[str, dict[str, Any]] = {
    'counter-sharded': {'client': ClientState, 'shard': ShardState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
