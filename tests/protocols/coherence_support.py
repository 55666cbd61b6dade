"""Helpers shared by the coherence family's tests (mesi and consistent-hashing)."""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Input, TransitionTable
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import ProtocolSpec
from tests.protocols.table_support import fire_table

NOW = 1_234
"""Any virtual time: no handler of the family reads it."""

SAFETY = ("state", "transition", "history")


def fire(table: TransitionTable, ctx: Context, state: dict[str, Any], event: Input) -> tuple[Any, list[Effect]]:
    """Fire one input through the table; return the new state and the effects as a list."""
    return fire_table(table, ctx, state, event, NOW)


def run(spec: ProtocolSpec, params: dict[str, Any] | None = None, **options: Any) -> Engine:
    """Run to the end; return the engine."""
    engine = Engine(spec, params or {}, **options)
    engine.run()
    return engine


def safety_violations(engine: Engine) -> list[dict[str, Any]]:
    """Return the violation events of safety invariants (state, transition, history)."""
    return [e for e in engine.log if e["kind"] == "violation" and e["invariant_kind"] in SAFETY]


def strays(engine: Engine) -> int:
    """Count the messages nodes ignored as stale or duplicated."""
    return sum(rt.state.get("strays", 0) for rt in engine.nodes.values())


def trace_text(spec: ProtocolSpec, params: dict[str, Any], seed: int, scenario: str | None = None) -> str:
    """Return a run's trace serialized canonically."""
    return dumps(build_trace(run(spec, params, seed=seed, scenario=scenario)))
