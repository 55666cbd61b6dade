"""The choreographed saga's state per role, declared once (docs/adding-a-protocol.md, section 2a).

Every handler returns a mapping of exactly one of these shapes; tests/protocols/test_state_types.py checks
each ``state`` event of every scenario against the JSON Schema derived from them.
"""

from typing import Any, Literal, TypedDict


class Step(TypedDict):
    """What a service did for one saga: its local transaction's before- and after-image."""

    before: int
    """The value the step read (its before-image, which a compensation without countermeasure restores)."""
    after: int
    """The value the step wrote."""
    delta: int
    """What the step added (a commutative compensation subtracts it)."""
    undone: bool
    """A compensation ran for this step."""
    email: bool
    """The step sent the customer an email (``email_step``): nothing can unsend it."""


class ServiceState(TypedDict):
    phase: Literal["idle", "publishing"]
    """The service's relay: nothing to publish, or a row's event on its way to the broker."""
    value: int
    """The service's own data (seats, stock: a counter every saga's step adds to)."""
    steps: dict[str, Step]
    """Saga -> the step this service ran for it."""
    pending: str | None
    """``countermeasure=semantic-lock``: the saga whose step left the value *_PENDING (others wait)."""
    seen: list[str]
    """``dedup``: ids of the events already consumed, written in the transaction that consumed each."""
    outbox: dict[str, bool]
    """Outgoing event id -> whether the relay has seen the broker accept it (the row is marked)."""
    row: str | None
    """The outbox row (its event id) the relay is publishing."""
    started: int
    """``s1`` only: sagas begun so far (``g1``, ``g2``, ...)."""
    waited: list[str]
    """``countermeasure=semantic-lock``: sagas that found the value pending here (each wait logged once)."""


class Delivery(TypedDict):
    """An event the broker delivers to one subscriber until that subscriber acknowledges it."""

    event: str
    to: str
    sends: int
    """Deliveries so far (in this life of the broker)."""


class BrokerState(TypedDict):
    phase: Literal["ready"]
    published: int
    """Deliveries created so far; each gets the next delivery number."""
    unacked: dict[str, Delivery]
    """Delivery number -> the event and its subscriber, not yet acknowledged (redelivered until it is)."""
    dead: list[str]
    """Deliveries dead-lettered after ``max_deliveries`` sends without an acknowledgement (event@service)."""


STATES: dict[str, dict[str, Any]] = {"saga-choreographed": {"service": ServiceState, "broker": BrokerState}}
"""Protocol -> role -> the TypedDict of that role's state."""
