"""The orchestrated saga's state per role, declared once (docs/adding-a-protocol.md, section 2a)."""

from typing import Any, Literal, TypedDict

SagaStatus = Literal["forward", "compensating", "completed", "compensated", "stuck"]
Done = Literal["ok", "failed", "compensated", "void"]


class SagaState(TypedDict):
    status: SagaStatus
    """Running its steps (forward), undoing them (compensating), or ended (completed, compensated, stuck)."""
    step: int
    """The step whose transaction (forward) or compensation (compensating) the orchestrator awaits."""
    retries: int
    """Resends of the awaited request so far."""
    sent_at: int
    """When the awaited request was last sent (the retry timer resends it retry_ms later)."""
    started: int
    """When the saga began."""
    locks: list[str]
    """Services still to release a semantic lock this completed saga holds (countermeasure semantic-lock)."""


class OrchestratorState(TypedDict):
    phase: Literal["init", "running", "finished"]
    begun: int
    """How many sagas it has begun (g1, g2, ...)."""
    sagas: dict[str, SagaState]


class Written(TypedDict):
    before: int
    """What the item held before this saga's step (the before-image a restoring compensation writes back)."""
    after: int
    """What the step left there (a re-reading compensation checks it is still there)."""


class ServiceState(TypedDict):
    phase: Literal["open", "pending"]
    """``pending``: a saga's step here holds the semantic lock (the item is *_PENDING)."""
    stock: int
    """The service's one data item."""
    holder: str | None
    """The saga holding the semantic lock, if any."""
    last: str | None
    """The saga whose write the item holds now."""
    done: dict[str, Done]
    """The idempotency table (empty with ``idempotency=false``): request key (``g1/T2``, ``g1/C2``) -> outcome."""
    written: dict[str, Written]
    """Each saga's step here: the value before and after it."""
    attempts: dict[str, int]
    """How often each compensation has been tried here (a flaky compensation fails its first ones)."""


STATES: dict[str, dict[str, Any]] = {"saga-orchestrated": {"orchestrator": OrchestratorState,
                                                           "service": ServiceState}}
"""Protocol -> role -> the TypedDict of that role's state."""
