"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, NotRequired, TypedDict

from protocols.common.calls import states as calls  # The provider's state and the caller's parts.


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


class ConsumerSidecarState(TypedDict):
    armed: calls.CallerArmed
    breakers: dict[str, calls.CallerBreaker]
    endpoints: list[str]
    held: list[ConsumerSidecarHeldItem]
    inflight: dict[str, ConsumerSidecarInflight]
    lb: calls.CallerLb
    metrics: calls.CallerMetrics
    phase: Literal['ready', 'waiting']
    policy: ConsumerSidecarPolicy
    rng: int
    version: int
    window: calls.CallerWindow


class ProviderSidecarMetrics(TypedDict):
    errors: int
    requests: int


class ProviderSidecarState(TypedDict):
    metrics: ProviderSidecarMetrics
    phase: Literal['ready', 'waiting']
    version: int


STATES: dict[str, dict[str, Any]] = {
    'service-mesh': {
        'consumer': ConsumerState,
        'consumer-sidecar': ConsumerSidecarState,
        'control': ControlState,
        'provider': calls.ProviderState,
        'provider-sidecar': ProviderSidecarState,
    },
}
"""Protocol -> role -> the TypedDict of that role's state."""
