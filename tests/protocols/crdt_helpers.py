"""Helpers the replicated-counter tests share (g-counter, pn-counter, counter-sharded, counter-bft)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Input,
    Message,
    Note,
    Persist,
    Receive,
    Send,
    SetTimer,
    TransitionTable,
    UnexpectedInput,
)
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import ProtocolSpec

NOW = 500
"""A virtual time well before the default horizon (1500 ms)."""

LATE = 10_000
"""A virtual time past the default horizon."""


def context(spec: ProtocolSpec, node: str, **params: Any) -> Context:
    """Build a node's context with checked parameters and the spec's placement."""
    values = spec.resolve_params(params)
    roles = spec.topology(values)
    return Context(node=node, role=roles[node], params=values, roles=roles)


def state_of(spec: ProtocolSpec, ctx: Context, **fields: Any) -> dict[str, Any]:
    """Return the node's initial state with some fields replaced."""
    return {**spec.initial_state(ctx), **fields}


def receive(type_: str, src: str, dest: str, body: Mapping[str, Any] | None = None, msg_id: str = "m42") -> Receive:
    """Return the delivery of one message."""
    return Receive(message=Message(msg_id=msg_id, src=src, dest=dest, type=type_, body=dict(body or {})))


def fire(spec: ProtocolSpec, ctx: Context, state: Mapping[str, Any], event: Input,
         now: int = NOW) -> tuple[dict[str, Any], list[Effect]]:
    """Fire one input through the spec's table; return the new state and the effects as a list."""
    new, effects = spec.table.fire(ctx, state, event, now)
    return dict(new), list(effects)


def sends(effects: Sequence[Effect]) -> list[Send]:
    """Return the Send effects, in order."""
    return [e for e in effects if isinstance(e, Send)]


def without_notes(effects: Sequence[Effect]) -> list[Effect]:
    """Return the effects that are not notes."""
    return [e for e in effects if not isinstance(e, Note)]


def assert_forced_before_sent(effects: Sequence[Effect]) -> None:
    """Every Persist comes before the first Send (what is acknowledged is logged first)."""
    persists = [i for i, e in enumerate(effects) if isinstance(e, Persist)]
    sent = [i for i, e in enumerate(effects) if isinstance(e, Send)]
    assert persists, f"no forced write in {effects}"
    if sent:
        assert max(persists) < min(sent), f"a message leaves before the log is forced: {effects}"


class Coverage:
    """Registers the (role, phase, input) rows tests exercise; rows without a test fail the suite."""

    def __init__(self, table: TransitionTable, roles: Sequence[str]) -> None:
        self.rows = {(r.role, r.phase, r.on) for r in table.rows if r.role in roles}
        self.covered: set[tuple[str, str, str]] = set()

    def covers(self, *keys: tuple[str, str, str]) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Mark a test as exercising these rows; a key that is no row is an error at import."""
        for key in keys:
            assert key in self.rows, f"{key} is not a row of the table"

        def mark(test: Callable[..., None]) -> Callable[..., None]:
            self.covered.update(keys)
            return test

        return mark

    def missing(self) -> list[tuple[str, str, str]]:
        """Return the rows no test registered."""
        return sorted(self.rows - self.covered)


def run(spec: ProtocolSpec, params: Mapping[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """Run to the end and return the trace as read back from its file."""
    engine = Engine(spec, dict(params or {}), **options)
    engine.run()
    return json.loads(dumps(build_trace(engine)))


def violations(trace: Mapping[str, Any], invariant: str | None = None) -> list[dict[str, Any]]:
    """Return the trace's violations, of one invariant if named."""
    return [v for v in trace["violations"] if invariant is None or v["invariant"] == invariant]


def check_any_input(spec: ProtocolSpec, ctx: Context, state: Mapping[str, Any], event: Input) -> None:
    """Fire any input in any state: it is handled as the table says, or refused loudly."""
    row = spec.table.lookup(ctx.role, state["phase"], event.key)
    if row is None:
        with pytest.raises(UnexpectedInput):
            spec.table.fire(ctx, state, event, NOW)
        return
    new, effects = fire(spec, ctx, state, event)
    assert new["phase"] in row.to
    if row.ignore:
        assert (new, effects) == (dict(state), [])
    json.dumps(new)  # JSON-ready
    for effect in effects:
        assert isinstance(effect, Send | SetTimer | CancelTimer | Persist | Note)
        if isinstance(effect, Send):
            assert effect.dest in ctx.roles and effect.dest != ctx.node
