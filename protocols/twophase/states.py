"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict


class CoordinatorState(TypedDict):
    acks: list[str]
    decision: str | None
    phase: Literal['aborted', 'committed', 'init']
    resends: int
    votes: dict[str, str]


class ParticipantState(TypedDict):
    asked: int
    phase: Literal['aborted', 'committed', 'prepared', 'working']
    vote: str | None


STATES: dict[str, dict[str, Any]] = {
    'two-phase-commit': {'coordinator': CoordinatorState, 'participant': ParticipantState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
