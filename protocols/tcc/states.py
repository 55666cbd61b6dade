"""TCC's state per role, declared once (docs/adding-a-protocol.md, section 2a)."""

from typing import Any, Literal, TypedDict

ControlRow = Literal["tried", "confirmed", "cancelled"]
BranchStatus = Literal["registered", "tried", "failed", "confirmed", "cancelled"]


class CoordinatorState(TypedDict):
    phase: Literal["init", "trying", "confirming", "cancelling", "confirmed", "cancelled"]
    xid: str | None
    """The global transaction under way (``tx1``, ``tx2``, ...), None before the first."""
    txn: int
    """How many global transactions it has begun."""
    branches: dict[str, BranchStatus]
    """Each registered branch and what the coordinator knows of it in this transaction."""
    retries: int
    """Resends of the second phase so far in this transaction."""


class PendingTry(TypedDict):
    xid: str
    amount: int


class BranchState(TypedDict):
    phase: Literal["idle", "busy", "reserved", "failed", "confirmed", "cancelled"]
    xid: str | None
    """The latest global transaction the branch has heard of; its phase is about that one."""
    balance: int
    """The account's spendable balance."""
    frozen: int
    """The amount reserved by Tries and not yet confirmed or cancelled."""
    control: dict[str, ControlRow]
    """The transaction control table (empty with ``control_table=false``): global transaction -> its row."""
    pending: PendingTry | None
    """A Try that arrived and has yet to run (the slow branch only)."""


STATES: dict[str, dict[str, Any]] = {"tcc": {"coordinator": CoordinatorState, "branch": BranchState}}
"""Protocol -> role -> the TypedDict of that role's state."""
