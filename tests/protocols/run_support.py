"""What the whole-run tests share: a scenario played out, one drawn run as data, its failure reproducible.

A drawn run is ``{"seed", "params", "faults"}`` and, for the families that
draw one, ``"chaos"``. When a run fails, its JSON is attached to the failure
so it can be pasted into ``Engine(spec, params, seed=..., faults=..., chaos=...)``.
A scenario's test plays it with :func:`played` (the engine and what broke)
or :func:`scenario_trace` (its trace, checked against the schema).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import note

from protocols.base import ProtocolError
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace
from protocols.spec import ProtocolSpec
from tests.helpers import assert_valid_trace

SCENARIO_MAX_EVENTS = 20_000
"""Events a scenario's story may take at the most in :func:`played`: every one ends far sooner."""


def describe(run: dict[str, Any]) -> str:
    """Return the run as one line of JSON, to paste into a test."""
    return json.dumps(run, sort_keys=True)


def simulate_run(spec: ProtocolSpec, run: dict[str, Any], max_events: int) -> Engine:
    """Run to the end (or the event limit); a protocol exception fails with the run attached."""
    note(f"run: {describe(run)}")
    engine = Engine(spec, run["params"], seed=run["seed"], faults=run["faults"], chaos=run.get("chaos", 0.0),
                    max_events=max_events)
    try:
        engine.run()
    except (ProtocolError, CommandError) as exc:
        pytest.fail(f"{type(exc).__name__}: {exc}\nrun={describe(run)}")
    return engine


def played(spec: ProtocolSpec, scenario: str | None, seed: int = 1, **params: Any) -> tuple[Engine, set[str]]:
    """Play a scenario to its end; return the engine and the names of the invariants it broke."""
    engine = Engine(spec, params, seed=seed, scenario=scenario, max_events=SCENARIO_MAX_EVENTS)
    engine.run()
    return engine, {e["invariant"] for e in engine.log if e["kind"] == "violation"}


def scenario_trace(spec: ProtocolSpec, scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Play a scenario (None: the defaults) until nothing is left to happen; return its trace, schema-checked."""
    engine = Engine(spec, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated
    trace = build_trace(engine)
    assert_valid_trace(trace)
    return trace
