"""Three-phase commit's state per role, declared once (docs/adding-a-protocol.md, section 2a).

Every handler returns a mapping of exactly one of these shapes; tests/protocols/test_state_types.py checks
each ``state`` event of every scenario against the JSON Schema derived from them.
"""

from typing import Any, Literal, TypedDict

PhaseReport = Literal['working', 'uncertain', 'prepared', 'committed', 'aborted']
"""What a participant tells a termination leader it is (its 3PC state, whatever its role in the election)."""


class CoordinatorState(TypedDict):
    phase: Literal['init', 'waiting', 'precommitted', 'committed', 'aborted', 'recovering']
    votes: dict[str, str]
    """Each participant's vote so far (``yes`` or ``no``), while waiting."""
    acks: list[str]
    """The participants that acknowledged PreCommit, while precommitted."""


class ParticipantState(TypedDict):
    phase: Literal['working', 'uncertain', 'prepared', 'collecting', 'precommitting', 'committed', 'aborted']
    vote: Literal['yes', 'no'] | None
    """This participant's vote, fixed at start from the ``votes`` parameter."""
    round: int
    """Whom it waits for: 0 the coordinator, k the k-th participant as termination leader."""
    was: PhaseReport | None
    """A leader's own 3PC state (uncertain or prepared) while it collects the others'."""
    replies: dict[str, PhaseReport]
    """A leader's collected answers to its state request."""
    acks: list[str]
    """The participants that acknowledged a leader's PreCommit, while it is precommitting."""
    decided_by: str | None
    """Whose decision its outcome is: the coordinator, a termination leader, or itself (None while undecided)."""


STATES: dict[str, dict[str, Any]] = {
    'three-phase-commit': {'coordinator': CoordinatorState, 'participant': ParticipantState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
