"""Helpers the replicated-counter tests share (g-counter, pn-counter, counter-sharded, counter-bft)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from protocols.base import Context, Effect, Input
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import ProtocolSpec
from tests.protocols.table_support import fire_table

NOW = 500
"""A virtual time well before the default horizon (1500 ms)."""

LATE = 10_000
"""A virtual time past the default horizon."""


def state_of(spec: ProtocolSpec, ctx: Context, **fields: Any) -> dict[str, Any]:
    """Return the node's initial state with some fields replaced."""
    return {**spec.initial_state(ctx), **fields}


def fire(spec: ProtocolSpec, ctx: Context, state: Mapping[str, Any], event: Input,
         now: int = NOW) -> tuple[dict[str, Any], list[Effect]]:
    """Fire one input through the spec's table; return the new state and the effects as a list."""
    return fire_table(spec.table, ctx, state, event, now)


def run(spec: ProtocolSpec, params: Mapping[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """Run to the end and return the trace as read back from its file."""
    engine = Engine(spec, dict(params or {}), **options)
    engine.run()
    return json.loads(dumps(build_trace(engine)))


def violations(trace: Mapping[str, Any], invariant: str | None = None) -> list[dict[str, Any]]:
    """Return the trace's violations, of one invariant if named."""
    return [v for v in trace["violations"] if invariant is None or v["invariant"] == invariant]
