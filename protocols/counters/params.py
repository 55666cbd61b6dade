"""Parameters the counter and lock protocols share, so one workload runs on all of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.spec import Param

MAX_CLIENTS = 8
"""Eight client lanes, a lock and a store still fit on a projector."""

MAX_OPS_PER_CLIENT = 50
"""A client's lane stays readable; a longer run teaches nothing more."""

STORE = "store"
"""The node holding the shared register (or the shared log): the same name in every protocol."""

LOCK = "lock"
"""The node of the lock service."""


def clients_param(default: int, what: str) -> Param:
    """Return the ``clients`` parameter (c1..cN) with a protocol's default."""
    return Param(name="clients", kind="int", default=default, min=1, max=MAX_CLIENTS,
                 help=f"How many clients (c1..cN) {what}.")


INCREMENTS_PARAM = Param(name="increments_per_client", kind="int", default=3, min=0, max=MAX_OPS_PER_CLIENT,
                   help="How many increments each client performs, one after the other.")
THINK_PARAM = Param(name="think_ms", kind="int", default=20, min=0, max=10_000,
              help="Mean pause of a client between two operations; each client jitters it from its own "
                   "seeded stream, so the interleavings change with the seed.")
RETRY_PARAM = Param(name="retry_ms", kind="int", default=80, min=10, max=10_000,
              help="How long a client waits for an answer before it asks again.")
TRIES_PARAM = Param(name="max_tries", kind="int", default=5, min=1, max=20,
                    help="How many times a client sends a request without hearing back before it gives the "
                         "operation up (so a node that is down for good cannot keep a run going forever).")
LEASE_PARAM = Param(name="lease_ms", kind="int", default=100, min=10, max=60_000,
              help="How long a lease lasts: the lock service's promise not to grant the lock to anyone "
                   "else for that long, and the time a holder may trust its lease by its own clock.")

ACQUIRES_PARAM = Param(name="max_acquires", kind="int", default=64, min=1, max=64,
                       help="How many times a client asks for the lock for one operation (busy answers "
                            "included) before it gives the operation up.")

COUNTER_PARAMS = (clients_param(3, "increment the shared counter"), INCREMENTS_PARAM, THINK_PARAM, RETRY_PARAM,
                  TRIES_PARAM)
"""The workload of ``counter-naive`` and ``counter-locked``: same names, same meanings."""


def store_fences(params: Mapping[str, Any]) -> bool:
    """Say whether the store refuses stale tokens: as lock-lease's ``fencing`` says, else always.

    Only lock-lease has the parameter; counter-locked always fences. The store's
    handlers and the ``stale-write-accepted`` detector both ask here, so they agree.
    """
    return bool(params.get("fencing", "on") == "on")


def client_names(count: int) -> list[str]:
    """Return the client node names c1..cN."""
    return [f"c{i}" for i in range(1, count + 1)]
