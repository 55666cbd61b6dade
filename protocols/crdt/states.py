"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict


class GCounterClientState(TypedDict):
    acked_dec: int
    acked_inc: int
    delta: int
    draws: int
    ops: int
    phase: Literal['adding', 'done', 'reading', 'stopped', 'thinking']
    read: int | None
    stream: int


class GCounterReplicaState(TypedDict):
    amnesia: bool
    dirty: bool
    p: dict[str, int]
    phase: Literal['quiet', 'serving']
    seen: dict[str, int]
    stream: int


class PnCounterReplicaState(TypedDict):
    amnesia: bool
    dirty: bool
    n: dict[str, int]
    p: dict[str, int]
    phase: Literal['quiet', 'serving']
    seen: dict[str, int]
    stream: int


STATES: dict[str, dict[str, Any]] = {
    'g-counter': {'client': GCounterClientState, 'replica': GCounterReplicaState},
    'pn-counter': {'client': GCounterClientState, 'replica': PnCounterReplicaState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
