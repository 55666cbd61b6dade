"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict


class ControlState(TypedDict):
    acked: dict[str, int]
    phase: Literal['pushing', 'steady']
    resends: int
    version: int


class ConsumerState(TypedDict):
    armed: int | None
    issued: int
    phase: Literal['calling', 'done', 'draining']
    rng: int
    waiting: dict[str, int]


class ConsumerSidecarArmed(TypedDict):
    attempt_timeout: NotRequired[int]
    cooldown: NotRequired[int]
    retry: NotRequired[int]


class ConsumerSidecarBreakers(TypedDict):
    closed: int
    failures: int
    half_opened: int
    ok: int
    opened: int
    reopened: int
    since: int
    state: str
    trials: int


class ConsumerSidecarHeldItem(TypedDict):
    app: str
    call: str
    mid: str


class ConsumerSidecarInflightOrigin(TypedDict):
    app: str
    mid: str


class ConsumerSidecarInflight(TypedDict):
    deadline: int | None
    n: int
    origin: ConsumerSidecarInflightOrigin
    retry_at: int | None
    start: int
    to: str
    trial: bool


class ConsumerSidecarLb(TypedDict):
    credit: NotRequired[dict[str, int]]
    next: NotRequired[int]


class ConsumerSidecarMetrics(TypedDict):
    calls: int
    failed: int
    late: int
    ok: int
    retries: int


class ConsumerSidecarPolicy(TypedDict):
    backoff_ms: NotRequired[int]
    balancer: NotRequired[str]
    breaker: NotRequired[bool]
    budget_window_ms: NotRequired[int]
    cooldown_ms: NotRequired[int]
    failure_threshold: NotRequired[int]
    half_open_trials: NotRequired[int]
    idempotency: NotRequired[bool]
    max_retries: NotRequired[int]
    retry_budget: NotRequired[float | None]
    timeout_ms: NotRequired[int]
    version: int
    weights: NotRequired[list[int]]


class ConsumerSidecarWindow(TypedDict):
    calls: list[int]
    retries: list[int]


class ConsumerSidecarState(TypedDict):
    armed: ConsumerSidecarArmed
    breakers: dict[str, ConsumerSidecarBreakers]
    endpoints: list[str]
    held: list[ConsumerSidecarHeldItem]
    inflight: dict[str, ConsumerSidecarInflight]
    lb: ConsumerSidecarLb
    metrics: ConsumerSidecarMetrics
    phase: Literal['ready', 'waiting']
    policy: ConsumerSidecarPolicy
    rng: int
    version: int
    window: ConsumerSidecarWindow


class ProviderSidecarMetrics(TypedDict):
    errors: int
    requests: int


class ProviderSidecarState(TypedDict):
    metrics: ProviderSidecarMetrics
    phase: Literal['ready', 'waiting']
    version: int


class ProviderActiveItemBody(TypedDict):
    attempt: int
    call: str
    key: NotRequired[str]
    via: str
    via_mid: str


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
    'service-mesh': {
        'consumer': ConsumerState,
        'consumer-sidecar': ConsumerSidecarState,
        'control': ControlState,
        'provider': ProviderState,
        'provider-sidecar': ProviderSidecarState,
    },
}
"""Protocol -> role -> the TypedDict of that role's state."""
