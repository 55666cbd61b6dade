"""Session guarantees' state per role, declared once (docs/adding-a-protocol.md, section 2a)."""

# No ``from __future__ import annotations``: TypedDict must see NotRequired unquoted to make a key optional.

from typing import Any, Literal, NotRequired, TypedDict


class Entry(TypedDict):
    pos: int
    key: str
    value: str


class PrimaryState(TypedDict):
    phase: Literal["serving"]
    log: list[Entry]
    """Every write, in order: entry ``pos`` is at index ``pos - 1``."""
    sent: dict[str, int]
    """Per replica, the last log position shipped to it."""
    acked: dict[str, int]
    """Per replica, the furthest position it said it has applied."""


class Versioned(TypedDict):
    v: str
    ver: int


class PendingEntry(TypedDict):
    pos: int
    key: str
    value: str
    due: int
    """When the replica's lag lets it apply the entry (its local time)."""


class HeldRead(TypedDict):
    client: str
    key: str
    n: int
    req: str
    token: int
    since: int


class ReplicaState(TypedDict):
    phase: Literal["serving"]
    applied: int
    """The log position up to which every entry is applied here."""
    head: int
    """The furthest log position the primary has told this replica of."""
    data: dict[str, Versioned]
    pending: list[PendingEntry]
    """Entries received and not applied yet, in log order."""
    held: list[HeldRead]
    """Reads whose session token is ahead of ``applied``: answered when it gets there."""


class Op(TypedDict):
    n: int
    op: Literal["read", "write"]
    key: str
    since: int
    at: str
    value: NotRequired[str]
    token: NotRequired[int]
    redirected: NotRequired[bool]


class Result(TypedDict):
    n: int
    op: Literal["read", "write"]
    key: str
    ms: int
    ok: bool
    value: str
    at: str
    pos: NotRequired[int]
    ver: NotRequired[int]
    token: NotRequired[int]
    waited_ms: NotRequired[int]
    redirected: NotRequired[bool]


class ClientState(TypedDict):
    phase: Literal["thinking", "waiting", "done"]
    rng: int
    n: int
    turn: int
    """Reads sent to replicas so far (round-robin's turn)."""
    written: int
    """The log position of this session's last acknowledged write."""
    seen: int
    """The furthest log position any of this session's reads reflected."""
    op: Op | None
    last: Result | None


STATES: dict[str, dict[str, Any]] = {
    "session-guarantees": {"primary": PrimaryState, "replica": ReplicaState, "client": ClientState}}
"""Protocol -> role -> the TypedDict of that role's state."""
