"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict


class ClientState(TypedDict):
    acked_dec: int
    acked_inc: int
    acks: list[str]
    answers: dict[str, int]
    attempts: int
    counts_at: int
    delta: int
    draws: int
    f: int
    ops: int
    phase: Literal['adding', 'done', 'reading', 'stopped', 'thinking']
    quorum: int
    read: int | None
    stream: int
    tally: dict[str, int]


class ReplicaState(TypedDict):
    phase: Literal['equivocate', 'honest', 'lie-high', 'lie-low', 'silent']
    tags: list[str]


STATES: dict[str, dict[str, Any]] = {
    'counter-bft': {'client': ClientState, 'replica': ReplicaState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
