"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict

from protocols.common.cache_clients import ClientState  # The clients are the coherence protocols' shared ones.


class CacheCur(TypedDict):
    client: str
    key: str
    mid: str
    n: int
    op: str
    value: str | None


class CacheLines(TypedDict):
    st: str
    v: str | None


CacheTxn = TypedDict("CacheTxn", {"acks": int | None, "data": bool, "from": list[str], "key": str, "kind": str,
                                   "tid": int})
"""A cache's transaction in flight ("from" is a keyword, hence this form)."""


class CacheState(TypedDict):
    cur: CacheCur | None
    epoch: int
    lines: dict[str, CacheLines]
    lru: list[str]
    phase: Literal['IM_A', 'IM_AD', 'IS_D', 'SM_A', 'SM_AD', 'evicting', 'ready']
    queue: list[CacheCur]
    recovered: bool
    seq: int
    strays: int
    txn: CacheTxn | None


class DirectoryLinesBusy(TypedDict):
    kind: str
    req: str
    tid: int
    wait: list[str]


class DirectoryLinesQueueItem(TypedDict):
    key: str
    kind: str
    src: str
    tid: int
    value: str | None


class DirectoryLines(TypedDict):
    busy: DirectoryLinesBusy | None
    owner: str | None
    queue: list[DirectoryLinesQueueItem]
    sharers: list[str]
    st: str


class DirectoryState(TypedDict):
    lines: dict[str, DirectoryLines]
    memory: dict[str, str]
    phase: Literal['serving']
    seen: dict[str, int]
    strays: int


STATES: dict[str, dict[str, Any]] = {
    'mesi': {'cache': CacheState, 'client': ClientState, 'directory': DirectoryState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
