"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict


class CacheWriteThroughClientLast(TypedDict):
    definite: NotRequired[bool]
    hit: NotRequired[bool]
    key: str
    n: int
    ok: bool
    op: str
    value: str | None
    why: NotRequired[str]


class CacheWriteThroughClientOp(TypedDict):
    key: str
    n: int
    op: str
    value: NotRequired[str]


class CacheWriteThroughClientState(TypedDict):
    last: CacheWriteThroughClientLast | None
    n: int
    op: CacheWriteThroughClientOp | None
    phase: Literal['done', 'idle', 'waiting']
    rng: int
    step: str


class CacheWriteThroughCacheEntries(TypedDict):
    v: str | None
    ver: int


class CacheWriteThroughCacheInval(TypedDict):
    client: str
    key: str
    left: list[str]
    n: int
    req: str
    t: int


class CacheWriteThroughCacheState(TypedDict):
    entries: dict[str, CacheWriteThroughCacheEntries]
    inval: dict[str, CacheWriteThroughCacheInval]
    lru: list[str]
    phase: Literal['serving']
    seen: dict[str, int]


class CacheWriteThroughDbData(TypedDict):
    v: str
    ver: int


class CacheWriteThroughDbState(TypedDict):
    data: dict[str, CacheWriteThroughDbData]
    phase: Literal['up']


class CacheWriteBackCacheClaims(TypedDict):
    q: list[list[int | str]]
    t: int


class CacheWriteBackCacheEntries(TypedDict):
    dirty: NotRequired[bool]
    ep: NotRequired[int]
    own: NotRequired[bool]
    seq: NotRequired[int]
    v: str | None
    ver: NotRequired[int]


class CacheWriteBackCacheState(TypedDict):
    claims: dict[str, CacheWriteBackCacheClaims]
    entries: dict[str, CacheWriteBackCacheEntries]
    flushing: bool
    idle: int
    lru: list[str]
    phase: Literal['serving']
    recalled: dict[str, int]
    seen: dict[str, int]


class CacheWriteBackDbClaims(TypedDict):
    cache: str
    tok: str
    tries: int


class CacheWriteBackDbOwners(TypedDict):
    cache: str | None
    ep: int


class CacheWriteBackDbState(TypedDict):
    applied: dict[str, list[int]]
    claims: dict[str, CacheWriteBackDbClaims]
    data: dict[str, CacheWriteThroughDbData]
    owners: dict[str, CacheWriteBackDbOwners]
    phase: Literal['up']


class CacheWriteAroundCacheState(TypedDict):
    entries: dict[str, CacheWriteThroughCacheEntries]
    lru: list[str]
    phase: Literal['serving']
    seen: dict[str, int]


class CacheAsideClientOp(TypedDict):
    key: str
    n: int
    op: str
    value: NotRequired[str]
    ver: NotRequired[int]


class CacheAsideClientState(TypedDict):
    last: CacheWriteThroughClientLast | None
    n: int
    op: CacheAsideClientOp | None
    phase: Literal['done', 'idle', 'waiting']
    rng: int
    step: str


class CacheAsideCacheEntries(TypedDict):
    exp: int
    v: str | None
    ver: int


class CacheAsideCacheState(TypedDict):
    entries: dict[str, CacheAsideCacheEntries]
    expired: list[str]
    """Keys held past their TTL by the cache's clock when its state last changed (swept at the next expiry)."""
    lru: list[str]
    next_exp: int | None
    phase: Literal['serving']
    seen: dict[str, int]


class CacheWriteBehindQueued(TypedDict):
    """One acknowledged write the database has not confirmed: queued, or in the batch in flight."""
    folded: int
    """Earlier writes of the same key this one replaced in the queue (coalesced)."""
    inc: int
    key: str
    seq: int
    value: str


class CacheWriteBehindCacheEntries(TypedDict):
    dirty: NotRequired[bool]
    v: str | None
    ver: NotRequired[int]


class CacheWriteBehindCacheState(TypedDict):
    batch: list[CacheWriteBehindQueued]
    entries: dict[str, CacheWriteBehindCacheEntries]
    inc: int
    lru: list[str]
    overdue: bool
    """The age timer fired while a batch was in flight: the queue leaves as soon as that batch is confirmed."""
    phase: Literal['idle', 'flushing']
    queue: list[CacheWriteBehindQueued]
    seen: dict[str, int]
    seq: int
    tries: int


class CacheWriteBehindDbState(TypedDict):
    applied: dict[str, list[int]]
    """Per cache, the highest (incarnation, sequence) applied: a resent or replayed write at or below is skipped."""
    data: dict[str, CacheWriteThroughDbData]
    phase: Literal['up']


class CacheStampedeClientLast(TypedDict):
    hit: NotRequired[bool]
    key: str
    n: int
    ok: bool
    op: str
    value: str | None
    why: NotRequired[str]
    definite: NotRequired[bool]


class CacheStampedeClientOp(TypedDict):
    key: str
    n: int
    op: Literal['read']


class CacheStampedeClientState(TypedDict):
    last: CacheStampedeClientLast | None
    n: int
    op: CacheStampedeClientOp | None
    phase: Literal['done', 'idle', 'waiting']
    rng: int
    step: Literal['', 'cache', 'db', 'retry']


class CacheStampedeEntry(TypedDict):
    v: str | None
    ver: int
    delta: NotRequired[int]
    """xfetch: how long the database read that filled it took (ms)."""
    expiry: NotRequired[int]
    """xfetch: when its TTL runs out (the fill's time plus ttl_ms)."""


class CacheStampedeWaiter(TypedDict):
    client: str
    n: int
    req: str


class CacheStampedeCacheState(TypedDict):
    entries: dict[str, CacheStampedeEntry]
    expired: list[str]
    phase: Literal['empty', 'filling', 'fresh', 'stale']
    token: int
    waiters: list[CacheStampedeWaiter]


class CacheStampedeEcho(TypedDict):
    n: int
    via: str
    lease: NotRequired[int]
    flight: NotRequired[int]
    """The single-flight fetch this read is (its cache's number for it): only its own fill ends the flight."""
    sent: NotRequired[int]
    """xfetch: when the reader sent the read, so its answer tells how long it took (delta)."""
    early: NotRequired[bool]
    """xfetch: the reader hit and recomputes early (its draw said so)."""


class CacheStampedeRead(TypedDict):
    echo: CacheStampedeEcho
    key: str
    req: str
    src: str


class CacheStampedeDbState(TypedDict):
    data: dict[str, CacheStampedeEntry]
    phase: Literal['busy', 'idle']
    queue: list[CacheStampedeRead]


STATES: dict[str, dict[str, Any]] = {
    'cache-write-through': {
        'cache': CacheWriteThroughCacheState,
        'client': CacheWriteThroughClientState,
        'db': CacheWriteThroughDbState,
    },
    'cache-write-back': {
        'cache': CacheWriteBackCacheState,
        'client': CacheWriteThroughClientState,
        'db': CacheWriteBackDbState,
    },
    'cache-write-around': {
        'cache': CacheWriteAroundCacheState,
        'client': CacheWriteThroughClientState,
        'db': CacheWriteThroughDbState,
    },
    'cache-write-behind': {
        'cache': CacheWriteBehindCacheState,
        'client': CacheWriteThroughClientState,
        'db': CacheWriteBehindDbState,
    },
    'cache-stampede': {
        'cache': CacheStampedeCacheState,
        'client': CacheStampedeClientState,
        'db': CacheStampedeDbState,
    },
    'cache-aside': {'cache': CacheAsideCacheState, 'client': CacheAsideClientState, 'db': CacheWriteThroughDbState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
