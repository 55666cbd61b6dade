"""The state of every role of the ZooKeeper lock, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict


class ClientState(TypedDict):
    phase: Literal['checking', 'connecting', 'creating', 'done', 'holding', 'listing', 'releasing', 'thinking',
                   'waiting', 'writing']
    stream: int
    session: int | None
    """The session the client believes alive (None while it opens a new one, and when done)."""
    sessions: int
    """Sessions opened in this life, the one at boot included: at most ``max_sessions``."""
    req: int
    """The number of the client's last request to the server."""
    asked: int | None
    """The request whose answer the client waits for."""
    pinging: bool
    """A ping is on its way and unanswered (pings go one at a time)."""
    op: int
    """Writes begun; the write in hand is ``<client>.<op>``."""
    finished: int
    """Writes acknowledged or given up: a write is in hand while ``op > finished``."""
    written: int
    gave_up: int
    node: str | None
    """The client's lock node, ``/lock/n-0000000003``, while it has one."""
    token: int | None
    """That node's czxid: the fencing token its writes carry."""
    watching: str | None
    """The path whose watch the client waits on: its predecessor, or /lock in the herd."""
    tries: int


class Session(TypedDict):
    id: int
    client: str
    left: int
    """Ticks the session may still go unheard; one found at zero by a tick expires."""


class LockNode(TypedDict):
    name: str
    session: int
    """The session that owns the ephemeral node: when it ends, the node goes."""
    client: str
    czxid: int


class Watch(TypedDict):
    path: str
    session: int
    client: str


class Ended(TypedDict):
    """The last lock node to go, and how: ``released`` (deleted by its owner), ``closed`` or ``expired``."""

    name: str
    client: str
    how: str


class ZkState(TypedDict):
    phase: Literal['idle', 'serving']
    zxid: int
    cversion: int
    """/lock's count of child changes: the next sequential suffix."""
    next_session: int
    sessions: list[Session]
    nodes: list[LockNode]
    """/lock's children in sequence order."""
    watches: list[Watch]
    ended: Ended | None


class StoreState(TypedDict):
    """The store: every write it applied, in order (``{op, by, token}``), and the highest token among them."""

    phase: Literal['serving']
    log: list[dict[str, Any]]
    max_token: int


STATES: dict[str, dict[str, Any]] = {'zk-lock': {'client': ClientState, 'zk': ZkState, 'store': StoreState}}
"""Protocol -> role -> the TypedDict of that role's state."""
