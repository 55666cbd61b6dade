"""What the whole-run property tests share: one drawn run as data, run to the end, its failure reproducible.

A drawn run is ``{"seed", "params", "faults"}`` and, for the families that
draw one, ``"chaos"``. When a run fails, its JSON is attached to the failure
so it can be pasted into ``Engine(spec, params, seed=..., faults=..., chaos=...)``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import note

from protocols.base import ProtocolError
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from protocols.spec import ProtocolSpec


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
