"""Every trace the engine writes matches docs/trace.schema.json, and the schema can say no."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from protocols.base import Note, Transition, TransitionTable
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import ProtocolSpec
from tests.helpers import ROOT, SCHEMA_PATH, assert_valid_trace, fast_trace_validator, trace_errors, trace_validator

SCENARIOS = [(spec, s.name) for spec in REGISTRY.values() for s in spec.scenarios]
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
EVENT_KINDS = SCHEMA["$defs"]["event"]["properties"]["kind"]["enum"]


def run(spec: ProtocolSpec, params: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """Run to the end and return the trace as it would be read back from its file."""
    engine = Engine(spec, params, **options)
    engine.run()
    return json.loads(dumps(build_trace(engine)))


@functools.cache
def _sample() -> str:
    return json.dumps(run(REGISTRY["two-phase-commit"], scenario="coordinator-crash-after-prepare", seed=3))


def a_trace() -> dict[str, Any]:
    """Return a fresh copy of a small, valid trace with messages, a crash and a caption, to break by hand."""
    return json.loads(_sample())


# ------------------------------------------------------------ what is valid


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert trace_validator().META_SCHEMA["$id"].startswith("https://json-schema.org/draft/2020-12")


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize(("spec", "scenario"), SCENARIOS, ids=[f"{s.name}:{n}" for s, n in SCENARIOS])
def test_every_scenario_of_every_protocol_writes_a_valid_trace(spec: ProtocolSpec, scenario: str, seed: int) -> None:
    trace = run(spec, scenario=scenario, seed=seed)
    assert_valid_trace(trace)
    assert trace["scenario"] == scenario and trace["events"]


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=list(REGISTRY))
def test_a_chaos_run_with_a_lossy_network_writes_a_valid_trace(spec: ProtocolSpec) -> None:
    params = {"loss_probability": 0.2, "duplicate_probability": 0.2}
    traces = [run(spec, params, seed=seed, chaos=0.3) for seed in range(12)]
    for trace in traces:
        assert_valid_trace(trace)
    kinds = {e["kind"] for t in traces for e in t["events"]}
    assert {"crash", "recover", "partition", "drop", "duplicate"} <= kinds, "chaos exercised too little"


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=list(REGISTRY))
def test_a_truncated_run_writes_a_valid_trace(spec: ProtocolSpec) -> None:
    trace = run(spec, max_events=25)
    assert trace["truncated"] is True and trace["quiescent"] is False
    assert len(trace["events"]) >= 25
    assert_valid_trace(trace)


def test_a_run_driven_by_hand_writes_a_valid_trace() -> None:
    engine = Engine(REGISTRY["two-phase-commit"], {"participants": 3}, seed=2)
    engine.apply({"cmd": "pause", "node": "p1"})
    engine.apply({"cmd": "clock", "node": "p2", "rate": 2.0, "offset_ms": 5})
    engine.apply({"cmd": "partition", "groups": [["p3"], ["coordinator", "p1", "p2"]]})
    messages = [p["id"] for p in engine.pending_list() if p["kind"] == "message"]
    engine.apply({"cmd": "duplicate", "id": messages[0]})
    engine.apply({"cmd": "drop", "id": messages[0]})
    engine.apply({"cmd": "deliver", "id": messages[1]})
    engine.apply({"cmd": "heal"})
    engine.apply({"cmd": "resume", "node": "p1"})
    engine.apply({"cmd": "crash", "node": "p2"})
    engine.apply({"cmd": "recover", "node": "p2"})
    timers = [p["id"] for p in engine.pending_list() if p["kind"] == "timer"]
    engine.apply({"cmd": "fire", "id": timers[0]})
    engine.run()
    trace = json.loads(dumps(build_trace(engine)))
    assert_valid_trace(trace)
    kinds = {e["kind"] for e in trace["events"]}
    assert {"pause", "resume", "clock", "partition", "heal", "duplicate", "drop", "crash", "recover"} <= kinds
    assert {e["by"] for e in trace["events"] if e["kind"] in ("deliver", "timer")} == {"auto", "command"}


def _echo_spec() -> ProtocolSpec:
    """Return a two-node protocol that answers a client request, so a run shows 'client' events."""

    def ping(ctx: Any, state: Any, event: Any, now: int) -> Any:
        return {**state, "phase": "pinged"}, [Note(text=f"ping {dict(event.body)}")]

    table = TransitionTable([
        Transition(role="echo", phase="idle", on="start", to=("idle",), why="nothing to do at boot"),
        Transition(role="echo", phase="idle", on="client:ping", to=("pinged",), handler=ping),
    ])
    return ProtocolSpec(
        name="echo", title="Echo", summary="", theory="", roles=("echo",), params=(), table=table,
        topology=lambda params: {"a": "echo", "b": "echo"}, initial_state=lambda ctx: {"phase": "idle"},
        invariants=(), scenarios=(), summarize=lambda trace: {},
    )


def test_a_client_request_writes_a_valid_trace() -> None:
    engine = Engine(_echo_spec(), seed=1)
    engine.apply({"cmd": "client", "node": "a", "kind": "ping", "body": {"n": 1}})
    trace = json.loads(dumps(build_trace(engine)))
    assert_valid_trace(trace)
    assert [e["kind"] for e in trace["events"] if e["step"] == 1] == ["client", "state", "note"]


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**63 - 1),
    chaos=st.floats(min_value=0.0, max_value=1.0),
    loss=st.floats(min_value=0.0, max_value=0.5),
    participants=st.integers(min_value=2, max_value=6),
)
def test_any_seed_and_fault_rate_writes_a_valid_trace(seed: int, chaos: float, loss: float, participants: int) -> None:
    params = {"participants": participants, "loss_probability": loss}
    trace = run(REGISTRY["two-phase-commit"], params, seed=seed, chaos=chaos, max_events=2_000)
    assert_valid_trace(trace)


# ------------------------------------------------------- what is refused


DELETE = object()
"""Stands for "remove this field" in BREAKAGES."""


def _nth(kind: str) -> Callable[[dict[str, Any]], int]:
    return lambda trace: next(i for i, e in enumerate(trace["events"]) if e["kind"] == kind)


def _at(*path: Any) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Return a path into a trace; callables in it are resolved against the trace (an event's index)."""
    return lambda trace: tuple(part(trace) if callable(part) else part for part in path)


BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], tuple[Any, ...]], Any]] = {
    "event without seq": (_at("events", 0, "seq"), DELETE),
    "event of an unknown kind": (_at("events", 0, "kind"), "teleport"),
    "event with an unknown field": (_at("events", 0, "colour"), "red"),
    "negative time": (_at("events", 0, "time"), -1),
    "send without its message": (_at("events", _nth("send"), "message"), DELETE),
    "message without msg_id": (_at("events", _nth("send"), "message", "msg_id"), DELETE),
    "message id of the wrong shape": (_at("events", _nth("send"), "message", "msg_id"), "x"),
    "deliver by an unknown cause": (_at("events", _nth("deliver"), "by"), "magic"),
    "crash without a node": (_at("events", _nth("crash"), "node"), DELETE),
    "state without a phase": (_at("events", _nth("state"), "state", "phase"), DELETE),
    "caption without at": (_at("events", _nth("caption"), "at"), DELETE),
    "drop for an unknown reason": (_at("events", _nth("drop"), "reason"), "bored"),
    "missing version": (_at("version"), DELETE),
    "a future version": (_at("version"), 3),
    "unknown top-level field": (_at("comment"), "hi"),
    "negative seed": (_at("seed"), -1),
    "seed as a string": (_at("seed"), "3"),
    "chaos above 1": (_at("chaos"), 1.5),
    "unknown command": (_at("commands", 0), {"cmd": "jump"}),
    "command with an extra field": (_at("commands", 0), {"cmd": "step", "node": "p1"}),
    "fault with both at_ms and after": (_at("faults", 0, "at_ms"), 5),
    "final node without state": (_at("final", "p1", "state"), DELETE),
    "verdict that is neither": (_at("verdicts", "consistency"), "maybe"),
    "violations holding a non-violation": (_at("violations"), [{"seq": 1, "time": 0, "step": 0, "kind": "heal",
                                                                "by": "command"}]),
    "a version 1 violation (words, no finding)": (_at("violations"), [
        {"seq": 1, "time": 0, "step": 0, "kind": "violation", "invariant": "consistency", "invariant_kind": "state",
         "nodes": ["p1"], "text": "p1 committed while p2 aborted"}]),
    "a finding whose datum is an object": (_at("violations"), [
        {"seq": 1, "time": 0, "step": 0, "kind": "violation", "invariant": "consistency", "invariant_kind": "state",
         "nodes": ["p1"], "finding": {"id": "commit-and-abort", "data": {"committed": {"node": "p1"}}}}]),
}


def _break(trace: dict[str, Any], breakage: str) -> None:
    where, value = BREAKAGES[breakage]
    *parents, last = where(trace)
    target: Any = trace
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value


def test_the_sample_trace_is_valid_before_it_is_broken() -> None:
    assert trace_errors(a_trace()) == []


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_a_hand_broken_trace_is_refused(breakage: str) -> None:
    trace = a_trace()
    _break(trace, breakage)
    assert trace_errors(trace), f"the schema accepted a trace with {breakage}"
    # trace_errors asks jsonschema-rs first: it must refuse what the reference (jsonschema) refuses.
    assert not trace_validator().is_valid(trace)
    fast = fast_trace_validator()
    assert fast is None or not fast.is_valid(trace), f"jsonschema-rs accepted a trace with {breakage}"
    with pytest.raises(AssertionError, match="does not match"):
        assert_valid_trace(trace)


# ------------------------------------------------- schema, engine and docs agree


def test_the_schema_knows_every_kind_the_engine_emits() -> None:
    # questions.py describes a question's choices ({"kind": "message"}), not events.
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "protocols" / "sim").glob("*.py")
                      if p.name != "questions.py")
    emitted = set(re.findall(r'_emit\(\s*"(\w+)"', sources)) | set(re.findall(r'"kind": "(\w+)"', sources))
    emitted |= {"state"}  # Emitted through _emit_state.
    assert emitted, "found no _emit calls: has the engine moved?"
    assert emitted <= set(EVENT_KINDS), f"kinds missing from the schema: {sorted(emitted - set(EVENT_KINDS))}"


def test_the_format_doc_describes_every_kind_and_field() -> None:
    doc = (ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")
    for kind in EVENT_KINDS:
        assert f"`{kind}`" in doc, f"docs/trace-format.md does not describe event kind {kind!r}"
    fields = set(SCHEMA["required"])
    for name, definition in SCHEMA["$defs"].items():
        if name.startswith("event_"):
            fields |= set(definition["properties"])
    fields |= set(SCHEMA["$defs"]["message"]["properties"]) | set(SCHEMA["$defs"]["final_node"]["properties"])
    missing = sorted(f for f in fields if f"`{f}`" not in doc)
    assert not missing, f"docs/trace-format.md does not mention fields {missing}"


def test_the_doc_points_at_the_schema() -> None:
    doc = Path(ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")
    assert "trace.schema.json" in doc
