"""The transactional outbox: how a service changes its database and tells the world, without losing or inventing events.

Theory of operation
-------------------
Roles: clients ``c1..cN`` send orders (``orders_per_client`` each) to a
service ``svc``. Each order must change the service's database ``db`` (its
local transaction) and publish an event to a ``broker``, which delivers it
to a ``consumer`` service that applies it to its own state. The database and
the broker cannot commit together: there is no transaction across them.

``mode`` is how the service tries anyway:

- ``dual-write-db-first``: write the database, await its ack, then publish.
  A crash of the service between the two loses the event: the database says
  the order exists, the consumer never hears of it.
- ``dual-write-publish-first``: publish, then write. A crash in between, or a
  database that refuses the order (``refuse_every``), leaves a phantom event:
  the consumer applied an order the database does not have.
- ``outbox``: one local transaction writes the order and an outbox row. A
  ``relay`` polls the outbox (woken by each commit, then every ``poll_ms``),
  publishes the oldest unpublished row, and marks it published after the
  broker's ack. Nothing is lost or invented; but a relay that crashes (or
  retries) between publishing and marking publishes the row again: the
  relay is at-least-once, and so is the broker, which redelivers every
  ``redeliver_ms`` until the consumer acknowledges.

``idempotent_consumer`` gives the consumer a dedup table of event ids,
written in the same local transaction as the effect: a second copy is
acknowledged, not applied. The outbox plus the idempotent consumer is
effectively-once.

Failure model: crash-recovery of the service, the relay and the consumer
(the service and the relay keep nothing durable; the consumer's applied
effects and dedup table are durable), with the database and the broker
durable (their logs rebuild them should they restart). The network delays
and may lose or duplicate; the relay and the broker send again.

Invariants: ``duplicate-effect`` and ``phantom-event`` are safety checks of
the history; ``lost-event`` is judged when nothing more can happen (only
then is a late event a lost one: see invariants.py); ``events-delivered``
is liveness.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, State
from protocols.outbox import clients, estimate, relay, service, stores
from protocols.outbox.invariants import INVARIANTS
from protocols.outbox.scenarios import SCENARIOS
from protocols.outbox.summary import FIGURES, summarize
from protocols.outbox.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

MODES = ("dual-write-db-first", "dual-write-publish-first", "outbox")

NUMBERS = (
    ("clients", 2, 1, 6, "How many clients send orders."),
    ("orders_per_client", 2, 0, 50, "How many orders each client sends, one at a time."),
    ("think_ms", 30, 0, 60_000, "A client's pause before each order."),
    ("client_timeout_ms", 400, 0, 60_000, "How long a client waits for the service's answer before it gives the "
                                          "order up (it does not retry); 0 waits for ever."),
    ("refuse_every", 0, 0, 50, "The database refuses each client's every n-th order (a constraint: out of "
                               "stock); 0 refuses none."),
    ("poll_ms", 50, 1, 60_000, "Outbox: once woken by a commit, the relay polls the outbox this long later."),
    ("retry_ms", 200, 0, 60_000, "Outbox: the relay sends a poll, publish or mark again after this long without "
                                 "an answer (0: never)."),
    ("max_sends", 10, 1, 100, "Outbox: sends of one request (poll, publish, mark) before the relay gives up and "
                              "sleeps until the next commit wakes it."),
    ("max_deliveries", 10, 1, 100, "Deliveries of one event before the broker dead-letters it."),
    ("redeliver_ms", 200, 1, 60_000, "The broker delivers an unacknowledged event again after this long."),
)
"""The integer parameters: name, default, least, greatest, and what each sets."""

PARAMS = (
    Param(name="mode", kind="choice", choices=MODES, default="outbox",
          help="How the service changes its database and publishes: 'dual-write-db-first' writes then publishes "
               "(a crash between loses the event); 'dual-write-publish-first' publishes then writes (a crash or a "
               "refusal between leaves a phantom event); 'outbox' commits the order and an outbox row together "
               "and a relay publishes the row (at-least-once)."),
    Param(name="idempotent_consumer", kind="bool", default=False,
          help="The consumer keeps a dedup table of event ids, in the transaction that applies each event, and "
               "applies each event once."),
    *(Param(name=name, kind="int", default=default, min=low, max=high, help=text)
      for name, default, low, high, text in NUMBERS),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients, the service and its database, the relay (outbox only), the broker, the consumer."""
    nodes = {f"c{i}": "client" for i in range(1, params["clients"] + 1)}
    nodes.update({"svc": "service", "db": "database"})
    if params["mode"] == "outbox":
        nodes["relay"] = "relay"
    return {**nodes, "broker": "broker", "consumer": "consumer"}


INITIAL = {"client": clients.initial, "service": service.initial, "database": stores.db_initial,
           "relay": relay.initial, "broker": stores.broker_initial, "consumer": stores.consumer_initial}


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    return INITIAL[ctx.role]()


SPEC = ProtocolSpec(
    name="transactional-outbox", title="Transactional outbox", theory=__doc__ or "",
    summary="A database write and an event, without a transaction across them: the dual write loses or invents "
            "events; an outbox table with a relay delivers each at least once, and an idempotent consumer once.",
    roles=("client", "service", "database", "relay", "broker", "consumer"), topology=topology,
    initial_state=initial_state, table=TABLE, params=PARAMS, invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # One order and one crash (with its recovery) of the service or the relay: the database and the broker
    # are durable and up, and the consumer's crash is left to the scenarios and the property tests (its
    # one step applies, logs and acknowledges at once, so in the small model a crash only drops deliveries
    # until the broker dead-letters the event: a liveness failure of bounded redelivery, not of the outbox,
    # which made the correct configuration "not clean"). Time is abstracted, so a retry timer may fire at
    # any moment: the small model turns off the client's timeout and the relay's resends, and the broker
    # delivers each event once (max_deliveries=1): a crash, not a retry, makes each foil. The relay's crash
    # is nine worlds in ten: restarted, it publishes the row again, and the broker's two events, their
    # deliveries and acknowledgements interleave with everything else; a second delivery of each made that
    # almost six times as many (47,356 worlds for the clean configuration, the outbox foil not complete at
    # 50,000). No symmetry applies: every role has one node (one client). Measured: database first, 94
    # worlds, lost-event at depth 7; publish first, 144, phantom-event at 5; the outbox without dedup,
    # 8,142, complete, duplicate-effect at 15 (the relay crashed between publishing and marking); the clean
    # configuration 8,142, complete (some 3 CPU seconds), clean.
    explore_params={"clients": 1, "orders_per_client": 1, "client_timeout_ms": 0, "retry_ms": 0,
                    "max_deliveries": 1},
    explore_crashes=1,
    crash_roles=("service", "relay"),  # The small model's crashes: see above.
    foils=(Foil(params={"mode": "dual-write-db-first"}, breaks=("lost-event",), max_crashes=1),
           Foil(params={"mode": "dual-write-publish-first"}, breaks=("phantom-event",), max_crashes=1),
           Foil(params={"mode": "outbox"}, breaks=("duplicate-effect",), max_crashes=1)),
    clean=({"mode": "outbox", "idempotent_consumer": True},),
)

CATALOGUE = Catalogue(chapter="Transactions", place=4, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
