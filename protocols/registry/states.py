"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict


class RegistryInstances(TypedDict):
    expires: int
    inc: int
    renew: int
    weight: int
    resync: NotRequired[bool]
    overdue: NotRequired[bool]
    """Set by a sweep that found the lease run out and kept the entry (self-preservation); a renewal clears it.
    The registry's own verdict, which the catalogue panel shows as DOWN (it compares no clock itself)."""


class RegistryState(TypedDict):
    boot: int
    evicted: dict[str, int]
    evictions: int
    instances: dict[str, RegistryInstances]
    lease_ms: int
    phase: Literal['preserving', 'serving', 'stopped']
    version: int
    watchers: list[str]


class ProviderState(TypedDict):
    inc: int
    phase: Literal['registering', 'stopped', 'up']
    served: int


class ConsumerCache(TypedDict):
    inc: int
    weight: int


class ConsumerCall(TypedDict):
    at: int
    inc: int
    n: int
    to: str


class ConsumerLastCall(TypedDict):
    at: int
    error: NotRequired[str]
    ms: int
    n: int
    ok: bool
    to: str | None


class ConsumerState(TypedDict):
    cache: dict[str, ConsumerCache]
    cache_at: int | None
    call: ConsumerCall | None
    calls: int
    failed: int
    home: str
    last_call: ConsumerLastCall | None
    n: int
    ok: int
    phase: Literal['discovering', 'ready', 'stopped']
    req: int
    rng: int
    seen: list[int]


STATES: dict[str, dict[str, Any]] = {
    'service-registry': {'consumer': ConsumerState, 'provider': ProviderState, 'registry': RegistryState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
