"""The transactional outbox's state per role, declared once (docs/adding-a-protocol.md, section 2a).

Every handler returns a mapping of exactly one of these shapes; tests/protocols/test_state_types.py checks
each ``state`` event of every scenario against the JSON Schema derived from them, and the orders panel
reads only these fields.
"""

from typing import Any, Literal, TypedDict


class Pending(TypedDict):
    """An order the service has taken from a client: its id and whom to answer."""

    order: str
    client: str


class ClientState(TypedDict):
    phase: Literal['thinking', 'waiting', 'done']
    sent: int
    """Orders sent so far; the one in hand is ``<client>.<sent>``."""
    ok: int
    """Orders the service confirmed."""
    failed: int
    """Orders the service refused (the database said no)."""
    unanswered: int
    """Orders the client stopped waiting for (the service crashed with them)."""


class ServiceState(TypedDict):
    phase: Literal['idle', 'writing', 'publishing', 'committing']
    current: Pending | None
    """The order in hand: being written, published, or committed with its outbox row."""
    queue: list[Pending]
    """Orders received while busy, served in arrival order (lost with the service's memory in a crash)."""


class DatabaseState(TypedDict):
    phase: Literal['ready']
    orders: list[str]
    """Orders committed, in commit order."""
    refused: list[str]
    """Orders the database refused (``refuse_every``: a constraint said no)."""
    outbox: dict[str, bool]
    """``mode=outbox``: order -> whether its outbox row is marked published."""


class RelayState(TypedDict):
    phase: Literal['sleeping', 'waiting', 'polling', 'publishing', 'marking']
    row: str | None
    """The outbox row (its order) being published or marked."""
    sends: int
    """Sends of the request in hand; at ``max_sends`` the relay gives up and sleeps (the row stays unpublished)."""
    woken: bool
    """The database announced a new row while a poll was on its way: poll again even if it comes back empty."""


class Delivery(TypedDict):
    """An event the broker delivers until the consumer acknowledges it."""

    order: str
    sends: int
    """Deliveries so far (in this life of the broker)."""


class BrokerState(TypedDict):
    phase: Literal['ready']
    published: int
    """Events accepted so far; each gets the next delivery id."""
    unacked: dict[str, Delivery]
    """Delivery id -> the event: sent to the consumer and not yet acknowledged (redelivered until it is)."""
    dead: list[str]
    """Orders whose event was dead-lettered after ``max_deliveries`` sends without an acknowledgement."""


class ConsumerState(TypedDict):
    phase: Literal['ready']
    applied: dict[str, int]
    """Order -> how many times the consumer applied its event to its own state."""
    dedup: list[str]
    """``idempotent_consumer``: the event ids (orders) already processed, kept in the same local transaction."""


STATES: dict[str, dict[str, Any]] = {
    'transactional-outbox': {'client': ClientState, 'service': ServiceState, 'database': DatabaseState,
                             'relay': RelayState, 'broker': BrokerState, 'consumer': ConsumerState},
}
"""Protocol -> role -> the TypedDict of that role's state."""
