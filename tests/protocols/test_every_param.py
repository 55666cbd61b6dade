"""Every protocol, any parameters its spec declares, any seed: the run ends without a protocol error.

The strategy is derived from ``spec.params`` (tests/strategies.py's ``spec_params``), so a new
protocol is fuzzed here without writing a strategy; the per-protocol property tests go deeper.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

from protocols import REGISTRY
from protocols.base import ParameterError, ProtocolError
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from tests import strategies as s

MAX_EVENTS = 1_500


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_any_declared_parameters_run_without_a_protocol_error(name: str) -> None:
    spec = REGISTRY[name]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=s.spec_params(spec), seed=s.SEEDS)
    def run(params: dict[str, Any], seed: int) -> None:
        try:
            engine = Engine(spec, params, seed=seed, max_events=MAX_EVENTS)
        except ParameterError:
            assume(False)  # A combination the spec refuses up front (a clear error) is not a bug.
            return
        try:
            engine.run()
        except (ProtocolError, CommandError) as exc:
            pytest.fail(f"{type(exc).__name__}: {exc}\nparams={json.dumps(params, sort_keys=True)} seed={seed}")
        assert engine.seq > 0

    run()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_derived_strategy_stays_inside_every_declared_bound(name: str) -> None:
    spec = REGISTRY[name]

    @settings(max_examples=20, deadline=None)
    @given(params=s.spec_params(spec))
    def check(params: dict[str, Any]) -> None:
        for param in spec.all_params():
            value = params[param.name]
            assert param.min is None or value >= param.min, (spec.name, param.name, value)
            assert param.max is None or value <= param.max, (spec.name, param.name, value)
            assert not param.choices or value in param.choices, (spec.name, param.name, value)

    check()
