"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict


class CounterNaiveClientState(TypedDict):
    op: int
    phase: Literal['done', 'reading', 'thinking', 'writing']
    read: str | None
    stream: int
    tries: int
    value: int | None


class CounterNaiveStoreState(TypedDict):
    phase: Literal['serving']
    value: int


class LockLeaseClientState(TypedDict):
    acquires: int
    lease_until: int | None
    op: int
    phase: Literal['acquiring', 'committing', 'done', 'holding', 'thinking', 'writing']
    req: int
    sent_at: int | None
    stream: int
    token: int | None
    tries: int


class LockLeaseLockLeasesItem(TypedDict):
    client: str
    token: int
    until: int


class LockLeaseEnded(TypedDict):
    """The last lease to leave the lock's table, and how: released by its holder or expired by the lock's clock."""
    client: str
    how: Literal['released', 'expired']
    token: int


class LockLeaseLockState(TypedDict):
    ended: NotRequired[LockLeaseEnded]
    grace_until: NotRequired[int]
    last_token: int
    leases: list[LockLeaseLockLeasesItem]
    phase: Literal['free', 'held', 'recovering']


class LockLeaseStoreState(TypedDict):
    content: list[str]
    max_token: int
    phase: Literal['serving']


class CounterLockedClientState(TypedDict):
    acquires: int
    lease_until: int | None
    op: int
    phase: Literal['acquiring', 'done', 'reading', 'thinking', 'writing']
    read: str | None
    req: int
    sent_at: int | None
    stream: int
    token: int | None
    tries: int
    value: int | None


class CounterLockedLockState(TypedDict):
    ended: NotRequired[LockLeaseEnded]
    last_token: int
    leases: list[LockLeaseLockLeasesItem]
    phase: Literal['free', 'held', 'recovering']


class CounterLockedStoreState(TypedDict):
    max_token: int
    phase: Literal['serving']
    value: int


STATES: dict[str, dict[str, Any]] = {
    'counter-naive': {'client': CounterNaiveClientState, 'store': CounterNaiveStoreState},
    'lock-lease': {'client': LockLeaseClientState, 'lock': LockLeaseLockState, 'store': LockLeaseStoreState},
    'counter-locked': {
        'client': CounterLockedClientState,
        'lock': CounterLockedLockState,
        'store': CounterLockedStoreState,
    },
}
"""Protocol -> role -> the TypedDict of that role's state."""
