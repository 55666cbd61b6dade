"""What every cache write policy's spec shares: roles, placement, summary and the explorer's small model.

The four policies place the same nodes and summarise a run the same way, so
``manage.py compare`` can set any two side by side; only the name, the
parameters, the table, the boot state, the checks and the scenarios differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from protocols.base import Context, State, TransitionTable
from protocols.budget import Estimator
from protocols.cache.common import ROLES, topology
from protocols.cache.summary import summarize
from protocols.spec import Foil, Invariant, Param, ProtocolSpec, Scenario

STALE_READ_SCRIPT = "c1: r k0, r k0; c2: w k0"
"""The smallest workload that can read stale data: c1 reads k0 (a copy is cached), c2 writes it,
c1 reads it again. A random workload of one operation per client never reads after a write."""


def policy_spec(*, name: str, title: str, summary: str, theory: str, params: tuple[Param, ...],
                table: TransitionTable, initial_state: Callable[[Context], State],
                invariants: tuple[Invariant, ...], scenarios: tuple[Scenario, ...],
                explore_caches: int = 2, explore_clients: int = 2, explore_script: str = "",
                explore_extra: Mapping[str, Any] | None = None, foils: tuple[Foil, ...] = (),
                clean: tuple[Mapping[str, Any], ...] = ({},), explore_crashes: int = 0,
                estimate: Estimator, summarize: Callable[[Mapping[str, Any]], dict[str, Any]] = summarize,
                figures: Mapping[str, str] | None = None) -> ProtocolSpec:
    """Return a write policy's spec with the family's roles and placement (and, unless given, its summary).

    A policy with figures of its own passes its ``summarize`` (the family's figures and its own) and their
    labels as ``figures``. ``explore_extra`` sets the policy's own parameters in the small model."""
    explore: dict[str, Any] = {"clients": explore_clients, "caches": explore_caches, "keys": 1, "ops_per_client": 1,
                               "think_ms": 0}
    if explore_script:
        explore["script"] = explore_script
    explore.update(explore_extra or {})
    return ProtocolSpec(name=name, title=title, summary=summary, theory=theory, roles=ROLES, params=params,
                        table=table, topology=topology, initial_state=initial_state, invariants=invariants,
                        scenarios=scenarios, summarize=summarize, explore_params=explore, foils=foils,
                        clean=clean, explore_crashes=explore_crashes, estimate=estimate,
                        figures=dict(figures or {}))
