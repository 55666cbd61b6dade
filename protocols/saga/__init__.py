"""Saga, orchestrated: local transactions in order, compensations back in reverse, and no isolation between sagas.

Theory of operation
-------------------
Roles: an orchestrator ``orch`` and services ``s1..sN``, each with its own
database holding one item (``stock``). A saga (Garcia-Molina and Salem,
1987) is a sequence of local transactions T1..TN, Tk at ``sk``, each
committed there at once; the orchestrator sends them one after another
(Richardson's orchestration-based saga). When Tk fails for business
reasons (the stock is short, or the configured ``failing_step``) the
orchestrator runs the compensations C(k-1)..C1, last first: each undoes its
step semantically. Steps after the ``pivot`` are retriable: once the pivot
has committed the saga only goes forward.

Failure model: messages may be delayed, reordered, lost and duplicated;
services crash and recover from their logs; a compensation may fail for now
(``flaky_compensation``) and is retried. Every request is resent every
``retry_ms`` until answered (at most ``max_retries`` times) and carries an
idempotency key: with ``idempotency`` each service answers a repeated
request as it did the first time.

What a saga gives up is isolation. Several sagas run at once
(``sagas``, ``stagger_ms``), and between its steps a saga's writes are
visible: another saga may read and build on a value later compensated (a
**dirty read**), and a compensation writing its before-image back drops the
changes others made since (a **lost update**). A step with an irreversible
effect (``email_step``: an email) cannot be compensated at all. The
countermeasures (Garcia-Molina and Salem; Richardson, *Microservices
Patterns* ch. 4), ``countermeasure``: ``semantic-lock`` (an item a running
saga has written is *_PENDING; other sagas wait until it completes or
compensates), ``commutative`` (compensations add back instead of restoring
an image: no lost update, still dirty reads) and ``reread`` (a compensation
rereads the item and restores the image only if it is unchanged since its
step). An irreversible step belongs after the pivot.

Guaranteed with ``semantic-lock`` and ``idempotency``: every saga ends with
every step applied once or every applied step compensated, no saga reads
another's uncommitted write, no update is lost; with an email step after
the pivot, no compensated saga leaves an email behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, ParameterError, State
from protocols.saga import estimate, orchestrator, service
from protocols.saga.invariants import INVARIANTS
from protocols.saga.scenarios import SCENARIOS
from protocols.saga.summary import FIGURES, summarize
from protocols.saga.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

MAX_SERVICES = 5
"""Six lanes fit a projector, and each service is a step of every saga."""
MAX_SAGAS = 6
"""Sagas run side by side on the same services; each keeps a row in the orchestrator and the timeline."""
COUNTERMEASURES = ("none", "semantic-lock", "commutative", "reread")

_WHOLE_NUMBERS: dict[str, tuple[int, int, int, str]] = {
    # name: (default, least, most, what it means)
    "services": (2, 1, MAX_SERVICES, "How many services take part (s1, s2, ...): step Tk of every saga runs at sk."),
    "sagas": (1, 1, MAX_SAGAS, "How many sagas the orchestrator runs (g1, g2, ...)."),
    "stagger_ms": (10, 0, 60_000, "Time between the starts of two sagas (0: all at once)."),
    "amount": (30, 1, 1_000_000, "What each step takes off its service's stock (and a compensation gives back)."),
    "stock": (100, 0, 1_000_000, "Each service's opening stock; a step that finds less than the amount fails."),
    "failing_step": (0, 0, MAX_SERVICES, "A step that fails for business reasons in the failing saga "
                                         "(0: none). It must be at most the pivot."),
    "failing_saga": (1, 1, MAX_SAGAS, "The saga whose failing_step fails."),
    "pivot": (0, 0, MAX_SERVICES, "The pivot step: the last that may fail; the steps after it are retriable "
                                  "and the saga only goes forward (0: the last step)."),
    "email_step": (0, 0, MAX_SERVICES, "A step whose service sends an email as it commits: an effect no "
                                       "compensation can undo (0: none)."),
    "flaky_compensation": (0, 0, 10, "How many times each compensation fails for now before it succeeds."),
    "retry_ms": (50, 1, 60_000, "How long the orchestrator waits for an answer before sending a request again."),
    "max_retries": (5, 0, 20, "Resends of one request before the orchestrator gives up on it: it compensates a "
                              "step up to the pivot, and leaves a compensation to an operator."),
}

PARAMS = (
    *(Param(name=name, kind="int", default=default, min=least, max=most, help=text)
      for name, (default, least, most, text) in _WHOLE_NUMBERS.items()),
    Param(name="idempotency", kind="bool", default=True,
          help="Each service keeps the idempotency keys it has handled: a repeated step or compensation is "
               "answered again and not applied again. Off: every copy is applied."),
    Param(name="countermeasure", kind="choice", default="semantic-lock", choices=COUNTERMEASURES,
          help="What keeps concurrent sagas apart: none; semantic-lock (a written item is pending until its saga "
               "ends; others wait); commutative (compensations add back); reread (a compensation restores the "
               "before-image only if the item is unchanged since its step)."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the orchestrator first, then s1..sN."""
    count = int(params["services"])
    for name in ("failing_step", "pivot", "email_step"):
        if params[name] > count:
            raise ParameterError(f"parameter {name}: T{params[name]} is not among {count} steps")
    if params["failing_saga"] > params["sagas"]:
        raise ParameterError(f"parameter failing_saga: g{params['failing_saga']} is not among "
                             f"{params['sagas']} sagas")
    if params["pivot"] and params["failing_step"] > params["pivot"]:
        raise ParameterError(f"parameter failing_step: T{params['failing_step']} comes after the pivot "
                             f"T{params['pivot']}, and a step after the pivot is retriable: it cannot fail")
    return {"orch": "orchestrator", **{f"s{i}": "service" for i in range(1, count + 1)}}


def initial_state(ctx: Context) -> State:
    """Return a node's state at the start."""
    return orchestrator.initial(ctx) if ctx.role == "orchestrator" else service.initial(ctx)


SPEC = ProtocolSpec(
    name="saga-orchestrated", title="Saga, orchestrated", theory=__doc__ or "",
    summary="An orchestrator runs local transactions one after another and compensates them back on a failure; "
            "without a countermeasure concurrent sagas read each other's uncommitted writes and lose updates.",
    roles=("orchestrator", "service"), topology=topology, initial_state=initial_state,
    table=TABLE, params=PARAMS, invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events, crash_roles=("service",),
    # Two sagas at once on two services, g1 failing at T2, no resend (the explorer fires a timer at any
    # moment, so max_retries=0 still gives up on an unanswered step and compensates it). With the semantic
    # lock the search ends clean (5,647 worlds); without a countermeasure g2 builds on g1's T1 and C1 writes
    # the before-image over g2's change (dirty read and lost update, 17,921 worlds); commutative
    # compensations keep the dirty read only; an email at T1 stays after C1; without idempotency keys a
    # compensation that overtakes its step voids nothing, and the late step runs after the saga ended.
    explore_params={"services": 2, "sagas": 2, "stagger_ms": 0, "failing_step": 2, "max_retries": 0},
    foils=(Foil(params={"countermeasure": "none"}, breaks=("saga-no-dirty-read", "saga-no-lost-update")),
           Foil(params={"countermeasure": "commutative"}, breaks=("saga-no-dirty-read",)),
           Foil(params={"email_step": 1}, breaks=("saga-effects-undone",)),
           Foil(params={"idempotency": False}, breaks=("saga-atomicity",))),
    clean=({}, {"pivot": 1, "failing_step": 1, "email_step": 2}),
)

CATALOGUE = Catalogue(chapter="Transactions", place=6, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
