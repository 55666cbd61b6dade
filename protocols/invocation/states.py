"""The state of every role of this package's protocols, declared once (issue 18: typed state).

Each handler returns a mapping of exactly this shape; tests/protocols/test_state_types.py validates every
``state`` event of every scenario against it, and the catalogue exports it as JSON Schema for the panels.
"""

from typing import Any, Literal, TypedDict

from protocols.common.calls import states as calls  # The provider's state and the caller's parts.


class ConsumerInflight(TypedDict):
    deadline: int | None
    n: int
    retry_at: int | None
    start: int
    to: str
    trial: bool


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


class ConsumerState(TypedDict):
    armed: calls.CallerArmed
    breakers: dict[str, calls.CallerBreaker]
    endpoints: list[str]
    inflight: dict[str, ConsumerInflight]
    issued: int
    lb: calls.CallerLb
    metrics: calls.CallerMetrics
    phase: Literal['calling', 'done', 'draining']
    policy: ConsumerPolicy
    rng: int
    window: calls.CallerWindow


STATES: dict[str, dict[str, Any]] = {
    'service-invocation': {'consumer': ConsumerState, 'provider': calls.ProviderState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
