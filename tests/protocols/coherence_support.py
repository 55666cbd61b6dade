"""Helpers shared by the coherence family's tests (mesi and consistent-hashing)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from protocols.base import Context, Effect, Input, Message, Note, Receive, TransitionTable
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import ProtocolSpec

NOW = 1_234
"""Any virtual time: no handler of the family reads it."""

SAFETY = ("state", "transition", "history")


class RowRegistry:
    """Tests register the table rows they exercise; a row nobody tests fails the suite."""

    def __init__(self, table: TransitionTable, name: str) -> None:
        self.rows = {(row.role, row.phase, row.on) for row in table.rows}
        self.covered: set[tuple[str, str, str]] = set()
        self.name = name

    def covers(self, *keys: tuple[str, str, str]) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Mark a test as covering ``keys``; a key that is no row is an error at import."""
        for key in keys:
            assert key in self.rows, f"{key} is not a row of the {self.name} table"

        def mark(test: Callable[..., None]) -> Callable[..., None]:
            self.covered.update(keys)
            return test

        return mark

    def missing(self) -> list[tuple[str, str, str]]:
        """Return the rows no test registered."""
        return sorted(self.rows - self.covered)


def context(spec: ProtocolSpec, node: str, **params: Any) -> Context:
    """Build a node's context with checked parameters and the spec's placement."""
    values = spec.resolve_params(params)
    roles = spec.topology(values)
    return Context(node=node, role=roles[node], params=values, roles=roles)


def receive(type_: str, src: str, dest: str, body: dict[str, Any] | None = None, msg_id: str = "m42") -> Receive:
    """Return a delivery of one message."""
    return Receive(message=Message(msg_id=msg_id, src=src, dest=dest, type=type_, body=body or {}))


def fire(table: TransitionTable, ctx: Context, state: dict[str, Any], event: Input) -> tuple[Any, list[Effect]]:
    """Fire one input through the table; return the new state and the effects as a list."""
    new_state, effects = table.fire(ctx, state, event, NOW)
    return new_state, list(effects)


def without_notes(effects: Sequence[Effect]) -> list[Effect]:
    """Drop the Note effects (explanations, not behaviour)."""
    return [e for e in effects if not isinstance(e, Note)]


def notes(effects: Sequence[Effect]) -> list[str]:
    """Return the texts of the Note effects."""
    return [e.text for e in effects if isinstance(e, Note)]


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


def describe(run_data: dict[str, Any]) -> str:
    """Return a run as one line of JSON, to paste into a test."""
    return json.dumps(run_data, sort_keys=True)
