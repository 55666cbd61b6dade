"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict

from protocols.common.cache_clients import ClientState  # The clients are the coherence protocols' shared ones.


class RingChangesItem(TypedDict):
    after: list[str]
    before: list[str]
    keys: int
    moved: int
    moved_modulo: int
    moved_ring: int
    node: str
    op: str
    version: int


class RingDrawing(TypedDict):
    dots: list[list[float | str]]
    keys: int
    moved: dict[str, str]
    placement: str
    points: dict[str, list[float]]
    shares: dict[str, int]
    vnodes: int


class RingState(TypedDict):
    changes: list[RingChangesItem]
    drawing: RingDrawing
    members: list[str]
    phase: Literal['routing']
    version: int


class CachePending(TypedDict):
    client: str
    key: str
    mid: str
    n: int
    op: str
    value: str | None


class CacheStore(TypedDict):
    k0: NotRequired[str | None]
    k1: NotRequired[str | None]
    k10: NotRequired[None]
    k11: NotRequired[str | None]
    k12: NotRequired[None]
    k121: NotRequired[None]
    k13: NotRequired[str | None]
    k14: NotRequired[None]
    k15: NotRequired[str | None]
    k16: NotRequired[None]
    k17: NotRequired[str | None]
    k1771: NotRequired[None]
    k18: NotRequired[str]
    k2: NotRequired[str | None]
    k22: NotRequired[str]
    k23: NotRequired[None]
    k24: NotRequired[None]
    k26: NotRequired[None]
    k29: NotRequired[str]
    k3: NotRequired[str | None]
    k30: NotRequired[str | None]
    k32: NotRequired[None]
    k33: NotRequired[None]
    k34: NotRequired[None]
    k38: NotRequired[None]
    k39: NotRequired[None]
    k4: NotRequired[str | None]
    k42: NotRequired[None]
    k45: NotRequired[None]
    k4501: NotRequired[None]
    k46: NotRequired[None]
    k468: NotRequired[None]
    k47: NotRequired[None]
    k49: NotRequired[None]
    k5: NotRequired[str | None]
    k52: NotRequired[None]
    k53: NotRequired[None]
    k57: NotRequired[str]
    k6: NotRequired[str | None]
    k64: NotRequired[None]
    k66: NotRequired[str | None]
    k6680: NotRequired[None]
    k67: NotRequired[None]
    k68: NotRequired[None]
    k6872: NotRequired[None]
    k7: NotRequired[str | None]
    k70: NotRequired[str | None]
    k7021: NotRequired[None]
    k7071: NotRequired[str]
    k71: NotRequired[None]
    k7127: NotRequired[None]
    k78: NotRequired[None]
    k8: NotRequired[None]
    k81: NotRequired[str]
    k82: NotRequired[None]
    k83: NotRequired[None]
    k8370: NotRequired[None]
    k85: NotRequired[None]
    k86: NotRequired[None]
    k88: NotRequired[None]
    k9: NotRequired[None]
    k91: NotRequired[str]
    k9176: NotRequired[str]
    k94: NotRequired[None]
    k95: NotRequired[None]
    k97: NotRequired[None]
    k98: NotRequired[str | None]
    k99: NotRequired[None]
    k9926: NotRequired[None]


class CacheState(TypedDict):
    epoch: int
    members: list[str]
    pending: dict[str, CachePending]
    phase: Literal['member', 'standby']
    queue: list[CachePending]
    seq: int
    store: CacheStore
    strays: int
    view: int


class DbState(TypedDict):
    data: dict[str, str]
    phase: Literal['serving']


STATES: dict[str, dict[str, Any]] = {
    'consistent-hashing': {'cache': CacheState, 'client': ClientState, 'db': DbState, 'ring': RingState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
