"""Every role's state is declared once (protocols/<package>/states.py) and every state a run records fits it.

The schemas admit exactly the declared fields (``additionalProperties: false``), so a handler that
starts keeping a new field, or a panel that wants one, must declare it first: the declaration is the
contract between the protocols and the browser (issue 18).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from protocols import REGISTRY, states
from protocols.base import ParameterError
from protocols.sim.engine import Engine
from tests import strategies as s

MAX_EVENTS = 3_000


def validators(protocol: str) -> dict[str, Draft202012Validator]:
    return {role: Draft202012Validator(schema) for role, schema in states.schema(protocol).items()}


def misfits(engine: Engine, checks: dict[str, Draft202012Validator]) -> list[str]:
    """Return, for the first few state events that do not fit their role's declaration, what is wrong."""
    found = []
    for event in engine.log:
        if event["kind"] != "state":
            continue
        role = engine.roles[event["node"]]
        for error in checks[role].iter_errors(event["state"]):
            path = "/".join(map(str, error.absolute_path))
            found.append(f"seq {event['seq']} {event['node']} ({role}) {path or '.'}: {error.message[:200]}")
        if len(found) >= 5:
            break
    return found


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_role_of_every_protocol_is_declared(name: str) -> None:
    spec = REGISTRY[name]
    engine = Engine(spec, {}, seed=1, max_events=1)
    assert set(engine.roles.values()) <= set(states.declared()[name]), "declare each role's state"
    assert set(spec.roles) <= set(states.declared()[name])


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_state_of_every_scenario_fits_its_declaration(name: str) -> None:
    spec = REGISTRY[name]
    checks = validators(name)
    for scenario in [None, *(sc.name for sc in spec.scenarios)]:
        engine = Engine(spec, {}, seed=1, scenario=scenario, max_events=MAX_EVENTS)
        engine.run()
        assert not misfits(engine, checks), f"{name} scenario {scenario}: {misfits(engine, checks)}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_states_of_runs_with_any_declared_parameters_fit_too(name: str) -> None:
    spec = REGISTRY[name]
    checks = validators(name)

    @settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(params=s.spec_params(spec), seed=s.SEEDS)
    def run(params: dict[str, Any], seed: int) -> None:
        try:
            engine = Engine(spec, params, seed=seed, max_events=MAX_EVENTS)
        except ParameterError:
            return
        engine.run()
        assert not misfits(engine, checks), f"params={params} seed={seed}: {misfits(engine, checks)}"

    run()


def test_an_undeclared_field_or_a_wrong_type_does_not_fit() -> None:
    check = validators("lock-lease")["lock"]
    good = {"phase": "held", "last_token": 2, "leases": [{"client": "c1", "token": 2, "until": 90}]}
    assert check.is_valid(good)
    assert not check.is_valid({**good, "owner": "c1"}), "a field nobody declared"
    assert not check.is_valid({**good, "phase": "owned"}), "a phase the table does not have"
    assert not check.is_valid({**good, "last_token": "2"})
    assert not check.is_valid({k: v for k, v in good.items() if k != "leases"}), "a required field missing"


def test_schemas_are_plain_json() -> None:
    import json

    for name in REGISTRY:
        assert json.loads(json.dumps(states.schema(name))) == states.schema(name)


def declared_fields() -> set[str]:
    """Every field name a declaration holds, at any depth."""
    import typing

    names: set[str] = set()
    seen: set[int] = set()

    def walk(hint: Any) -> None:
        if typing.is_typeddict(hint):
            if id(hint) in seen:
                return
            seen.add(id(hint))
            for field, value in typing.get_type_hints(hint).items():
                names.add(field)
                walk(value)
        for arg in typing.get_args(hint):
            walk(arg)

    for roles in states.declared().values():
        for hint in roles.values():
            walk(hint)
    return names


def test_panels_read_only_declared_state_fields() -> None:
    import re
    from pathlib import Path

    strings = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`(?:\\.|[^`\\])*`")
    reads = re.compile(r"\bstate(?:\.([A-Za-z_]\w*)|\[['\"]([A-Za-z_]\w*)['\"]\])")
    fields = declared_fields()
    undeclared = []
    for path in sorted(Path("static/js/panels").glob("*.js")):
        code = strings.sub("''", path.read_text())
        for match in reads.finditer(code):
            field = match.group(1) or match.group(2)
            if field not in fields:
                undeclared.append(f"{path.name}: state.{field}")
    assert not undeclared, f"panels read state fields no protocol declares: {undeclared}"


def test_the_catalogue_carries_the_declarations_for_the_browser() -> None:
    entry = REGISTRY["lock-lease"].describe()["states"]
    assert set(entry["roles"]) == {"client", "lock", "store"}
    lock = {"$defs": entry["$defs"], **entry["roles"]["lock"]}
    check = Draft202012Validator(lock)
    assert check.is_valid({"phase": "free", "last_token": 0, "leases": []})
    assert not check.is_valid({"phase": "free", "last_token": 0, "leases": [], "owner": "c1"})
