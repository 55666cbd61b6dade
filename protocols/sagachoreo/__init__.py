"""Saga, choreographed: services that react to each other's events through a broker, with no orchestrator.

Theory of operation
-------------------
Roles: services ``s1..sN`` and a ``broker``. A saga (``g1``, ``g2``, ...) is
a local transaction at each service in turn, T1 at ``s1`` to TN at ``sN``.
Nobody runs it: ``s1`` begins a saga every ``stagger_ms`` with its own step,
and each service reacts to the event of the step before its own
(``g1.done.s1`` wakes ``s2``). A step reads the service's value, adds the
saga's amount and, in the same local transaction, writes its outgoing event
into the service's own outbox; the service's relay publishes the row to the
broker afterwards and marks it once the broker has it (the transactional
outbox: the change and the event, both or neither). The broker delivers
every event to its subscribers and redelivers until each acknowledges, so
delivery is at least once, and a relay that retries or restarts publishes an
event twice. With ``dedup`` each consumer records the ids it consumed in
the transaction that consumed them and only acknowledges a repeat.

A step the business refuses (``fail_saga`` at ``fail_step``) publishes a
``failed`` event; the service before it compensates and publishes
``undone``, which makes the one before that compensate, and so on back to
``s1``: compensations in reverse, each in reaction to an event. The last
service's ``done`` tells every service that the saga completed.

Sagas are not isolated. Two sagas at once touch the same value: one may
read what another wrote and later undoes (a dirty read), and a compensation
that writes its before-image back erases what another saga added since (a
lost update). ``countermeasure`` chooses a remedy of Garcia-Molina and
Salem's and of the microservices literature: a ``semantic-lock`` (a
*_PENDING flag other sagas wait on), ``commutative`` compensations (inverse
increments), or ``reread`` (the compensation re-reads the value and
restores its before-image only if nobody changed it). An irreversible step
(``email_step``: the customer is emailed) cannot be compensated at all.

Failure model: crash-recovery of the services (each replays its own log:
value, steps, consumed ids, outbox rows and marks); the broker is durable.
The network delays, loses and duplicates; the relays and the broker send
again. Invariants: the sagas' shared history detectors
(protocols/common/saga_history.py), and two liveness claims (every saga
ends; every event is delivered).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, ParameterError, State
from protocols.sagachoreo import broker, estimate, service
from protocols.sagachoreo.invariants import INVARIANTS
from protocols.sagachoreo.scenarios import SCENARIOS
from protocols.sagachoreo.summary import FIGURES, summarize
from protocols.sagachoreo.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

MAX_SERVICES = 5
"""Six lanes with the broker's: each service adds a step, an event and its deliveries to every saga."""
MAX_SAGAS = 6
"""Sagas begun by s1; their events multiply every service's log and the broker's."""
COUNTERMEASURES = ("none", "semantic-lock", "commutative", "reread")

NUMBERS: dict[str, tuple[int, int, int, str]] = {
    # name: (default, least, most, what it sets)
    "services": (3, 2, MAX_SERVICES, "How many services take part (s1, s2, ...): one step of every saga each."),
    "sagas": (2, 1, MAX_SAGAS, "How many sagas s1 begins (g1, g2, ...)."),
    "stagger_ms": (30, 0, 60_000, "s1 begins the next saga this long after the last: short, and sagas overlap."),
    "value": (100, 0, 1_000_000, "Each service's value at the start (what the steps add to)."),
    "amount": (10, 1, 1_000, "What saga gN's step adds at every service: N times this amount."),
    "fail_saga": (0, 0, MAX_SAGAS, "The saga whose step at fail_step the business refuses (0: none)."),
    "fail_step": (2, 1, MAX_SERVICES, "The service (its number) that refuses fail_saga's step."),
    "email_step": (0, 0, MAX_SERVICES, "The service whose step also emails the customer, which no compensation "
                                       "can take back (0: none)."),
    "retry_ms": (200, 0, 60_000, "A relay publishes a row again after this long without the broker's answer "
                                 "(0: never)."),
    "redeliver_ms": (150, 0, 60_000, "The broker delivers an unacknowledged event again after this long "
                                     "(0: never)."),
    "lock_retry_ms": (50, 1, 60_000, "Semantic lock: s1 tries again this long after a begin found its value "
                                     "pending."),
    "max_deliveries": (20, 1, 100, "Deliveries of one event to one service before the broker dead-letters it."),
}

PARAMS = (
    Param(name="countermeasure", kind="choice", choices=COUNTERMEASURES, default="none",
          help="What protects concurrent sagas: 'none' (a compensation writes its before-image back), "
               "'semantic-lock' (a step leaves the value pending for its saga and other sagas wait), "
               "'commutative' (a compensation subtracts its step's amount), 'reread' (a compensation restores "
               "its before-image only if the value is still what its step wrote, else subtracts)."),
    Param(name="dedup", kind="bool", default=True,
          help="Each service records the ids of the events it consumed, in the transaction that consumed each, "
               "and only acknowledges a repeat."),
    *(Param(name=name, kind="int", default=default, min=low, max=high, help=text)
      for name, (default, low, high, text) in NUMBERS.items()),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the services s1..sN, then the broker."""
    for name, most in (("fail_step", "services"), ("email_step", "services"), ("fail_saga", "sagas")):
        if params[name] > params[most]:
            raise ParameterError(f"parameter {name}: {params[name]} is more than {most} ({params[most]})")
    return {**{f"s{k}": "service" for k in range(1, params["services"] + 1)}, "broker": "broker"}


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    return service.initial(ctx) if ctx.role == "service" else broker.initial()


SPEC = ProtocolSpec(
    name="saga-choreographed", title="Saga, choreographed", theory=__doc__ or "",
    summary="No orchestrator: each service reacts to the previous one's event through a broker and publishes its "
            "own from an outbox; a failure's event makes the earlier services compensate in reverse. Concurrent "
            "sagas see each other's uncommitted steps unless a countermeasure says otherwise.",
    roles=("service", "broker"), topology=topology, initial_state=initial_state, table=TABLE, params=PARAMS,
    invariants=INVARIANTS, scenarios=SCENARIOS, summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # Two services, two sagas, the first refused at s2 and compensated at s1. Time is abstracted: s1 may
    # begin g2 between g1's step and its compensation. The relays do not retry and the broker does not
    # redeliver (retry_ms=0, redeliver_ms=0) unless a configuration says so: the dedup foil turns the
    # broker's redelivery on (a second delivery of any event, max_deliveries=2) over one saga. Measured
    # (manage.py explore): countermeasure none, 3,652 worlds, complete, dirty read and lost update in 6
    # steps; without dedup, 2,936 worlds, complete, a compensation applied twice in 7 (and atomicity: it
    # ran after the saga's end); the semantic lock, 30,024 worlds, complete, clean (g2 logs its wait at
    # s1, or begins after g1 without one: both orders); with dedup under redelivery, 1,702, complete, clean.
    explore_params={"services": 2, "sagas": 2, "fail_saga": 1, "fail_step": 2, "stagger_ms": 0, "retry_ms": 0,
                    "redeliver_ms": 0, "max_deliveries": 2},
    crash_roles=("service",),  # The broker is durable.
    foils=(Foil(params={"countermeasure": "none"}, breaks=("saga-no-dirty-read", "saga-no-lost-update")),
           Foil(params={"dedup": False, "redeliver_ms": 150, "sagas": 1}, breaks=("saga-idempotent",))),
    clean=({"countermeasure": "semantic-lock"}, {"redeliver_ms": 150, "sagas": 1}),
)

CATALOGUE = Catalogue(chapter="Transactions", place=7, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
