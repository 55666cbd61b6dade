"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict


class ConsumerArmed(TypedDict):
    attempt_timeout: NotRequired[int]
    cooldown: NotRequired[int]
    retry: NotRequired[int]


class ConsumerBreakers(TypedDict):
    closed: int
    failures: int
    half_opened: int
    ok: int
    opened: int
    reopened: int
    since: int
    state: str
    trials: int


class ConsumerInflight(TypedDict):
    deadline: int | None
    n: int
    retry_at: int | None
    start: int
    to: str
    trial: bool


class ConsumerLb(TypedDict):
    credit: NotRequired[dict[str, int]]
    next: NotRequired[int]


class ConsumerMetrics(TypedDict):
    calls: int
    failed: int
    late: int
    ok: int
    retries: int


class ConsumerPolicy(TypedDict):
    backoff_ms: int
    balancer: str
    breaker: bool
    budget_window_ms: int
    cooldown_ms: int
    failure_threshold: int
    half_open_trials: int
    idempotency: bool
    max_retries: int
    retry_budget: float | None
    timeout_ms: int
    version: int
    weights: list[int]


class ConsumerWindow(TypedDict):
    calls: list[int]
    retries: list[int]


class ConsumerState(TypedDict):
    armed: ConsumerArmed
    breakers: dict[str, ConsumerBreakers]
    endpoints: list[str]
    inflight: dict[str, ConsumerInflight]
    issued: int
    lb: ConsumerLb
    metrics: ConsumerMetrics
    phase: Literal['calling', 'done', 'draining']
    policy: ConsumerPolicy
    rng: int
    window: ConsumerWindow


class ProviderActiveItemBody(TypedDict):
    attempt: int
    call: str
    key: NotRequired[str]


class ProviderActiveItem(TypedDict):
    body: ProviderActiveItemBody
    done: int
    mid: str
    src: str


class ProviderQueueItem(TypedDict):
    body: ProviderActiveItemBody
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


STATES: dict[str, dict[str, Any]] = {
    'service-invocation': {'consumer': ConsumerState, 'provider': ProviderState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
