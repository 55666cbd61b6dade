"""Paxos Commit's state per role, declared once (docs/adding-a-protocol.md, section 2a)."""

from typing import Any, Literal, TypedDict

Value = Literal['prepared', 'aborted']
"""What an instance of Paxos may choose: one resource manager's vote."""


class LeaderState(TypedDict):
    phase: Literal['init', 'standby', 'collecting', 'preparing', 'proposing', 'committed', 'aborted']
    ballot: int
    """The ballot this leader runs (0 while it only listens to the resource managers' own ballot)."""
    heard: dict[str, dict[str, list[Any]]]
    """Instance -> acceptor -> [ballot, value]: the latest acceptance each acceptor reported."""
    promises: list[str]
    """Acceptors that promised this leader's ballot (phase 1)."""
    reported: dict[str, list[Any]]
    """Instance -> [ballot, value]: the highest acceptance the promises carried."""
    chosen: dict[str, Value]
    """Instance -> the value a quorum of acceptors accepted in one ballot, as this leader learned it."""
    outcome: Literal['committed', 'aborted'] | None
    """The outcome this leader learned (a backup learns it from the acceptors while it stands by)."""


class AcceptorState(TypedDict):
    phase: Literal['accepting']
    promised: int
    """The highest ballot promised (phase 1); -1 before any."""
    accepted: dict[str, list[Any]]
    """Instance -> [ballot, value]: what this acceptor accepted last for each resource manager's instance."""


class ParticipantState(TypedDict):
    phase: Literal['working', 'prepared', 'committed', 'aborted']
    vote: Literal['yes', 'no'] | None
    asked: bool
    """Whether it has asked the backup leader for help (once)."""


STATES: dict[str, dict[str, Any]] = {
    'paxos-commit': {'leader': LeaderState, 'acceptor': AcceptorState, 'participant': ParticipantState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
