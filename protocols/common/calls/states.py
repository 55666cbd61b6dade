"""The state of the roles and parts service-invocation and service-mesh share, declared once.

The provider is the same role in both (``provider.py``); the breakers, the
balancer's memory, the armed timers, the metrics and the retry budget's
window are the caller's (``caller.py``), kept by the invocation consumer and
by the mesh's consumer sidecar alike. Each package's ``states.py`` names
these in its ``STATES``; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against them.
"""

# No ``from __future__ import annotations``: TypedDict must see NotRequired unquoted to make a key optional.

from typing import Literal, NotRequired, TypedDict


class CallerArmed(TypedDict):
    attempt_timeout: NotRequired[int]
    cooldown: NotRequired[int]
    retry: NotRequired[int]


class CallerBreaker(TypedDict):
    closed: int
    failures: int
    half_opened: int
    ok: int
    opened: int
    reopened: int
    since: int
    state: str
    trials: int


class CallerLb(TypedDict):
    credit: NotRequired[dict[str, int]]
    next: NotRequired[int]


class CallerMetrics(TypedDict):
    calls: int
    failed: int
    late: int
    ok: int
    retries: int


class CallerWindow(TypedDict):
    calls: list[int]
    retries: list[int]


class ProviderCallBody(TypedDict):
    attempt: int
    call: str
    key: NotRequired[str]
    via: NotRequired[str]
    """The provider's sidecar that relayed the call (service-mesh only)."""
    via_mid: NotRequired[str]
    """The id of the message that sidecar relayed (service-mesh only)."""


class ProviderActiveItem(TypedDict):
    body: ProviderCallBody
    done: int
    mid: str
    src: str


class ProviderQueueItem(TypedDict):
    body: ProviderCallBody
    mid: str
    src: str


class ProviderState(TypedDict):
    active: list[ProviderActiveItem]
    armed: int | None
    deduped: int
    errors: int
    executions: int
    keys: dict[str, str]
    phase: Literal['busy', 'idle', 'queueing']
    queue: list[ProviderQueueItem]
    rng: int
