"""Predict, then reveal: every answer the lab computes is what then happens, and asking changes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from protocols import REGISTRY, get_protocol
from protocols.sim.engine import Engine
from protocols.sim.questions import KINDS, MAX_OPTIONS, QuestionError, ask, candidates

PROTOCOLS = sorted(REGISTRY)


def world(protocol: str, seed: int, position: int, scenario: str | None = None) -> Engine:
    """A session ``position`` auto steps in (fewer if it ends first), its log not kept, as the lab keeps it."""
    engine = Engine(get_protocol(protocol), {}, seed=seed, scenario=scenario, record=False)
    engine.drain()
    for _ in range(position):
        if engine.done:
            break
        engine.step()
    return engine


def play(engine: Engine, steps: int) -> list[dict]:
    """Step the session itself (as Reveal does) and return its events."""
    events: list[dict] = []
    for _ in range(steps):
        if engine.done:
            break
        events += [dict(e) for e in engine.step()]
    return events


def check(engine: Engine, spec: dict, noting: bool = False) -> None:
    """Ask one question, then step the real engine and see the answer come true."""
    question = ask(engine, **spec)
    if noting:  # Inside a hypothesis test: a failure prints the question.
        note(f"question: {json.dumps(question.to_json(), sort_keys=True)}")
    assert 2 <= len(question.options) <= MAX_OPTIONS
    assert len({json.dumps(o, sort_keys=True) for o in question.options}) == len(question.options)
    right = question.options[question.answer]
    events = play(engine, question.steps)
    if question.kind == "next-event":
        handled = next(e for e in events if e["kind"] in ("deliver", "drop", "timer"))
        assert handled.get("id", (handled.get("message") or {}).get("msg_id")) == right["id"]
    elif question.kind == "phase-after":
        assert engine.nodes[spec["node"]].state["phase"] == right["phase"]
    elif question.kind == "invariant-after":
        broken = [e for e in events if e["kind"] == "violation" and e["invariant"] == spec["invariant"]]
        assert right == {"holds": not broken}
        if broken:
            assert question.detail["seq"] == broken[0]["seq"]
    elif question.kind == "value-after":
        value = engine.nodes[spec["node"]].state[spec["field"]]
        assert right["value"] == (value if isinstance(value, str) else json.dumps(value, sort_keys=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol=st.sampled_from(PROTOCOLS), seed=st.integers(0, 2**32), position=st.integers(0, 40),
       pick=st.integers(0, 1000))
def test_every_answer_is_what_then_happens(protocol, seed, position, pick):
    engine = world(protocol, seed, position)
    asked = candidates(engine)
    # A value question about any node's field (the teacher picks them on the page).
    fields = [(node, field) for node, rt in engine.nodes.items() for field in rt.state if field != "phase"]
    node, field = fields[pick % len(fields)]
    asked.append({"kind": "value-after", "node": node, "field": field, "steps": 1 + pick % 12})
    spec = asked[pick % len(asked)]
    try:
        check(engine, spec, noting=True)
    except QuestionError as exc:  # Only a value that stays put has nothing to choose from.
        assert spec["kind"] == "value-after" and "takes no other value" in str(exc)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_protocol_can_be_asked_every_kind_it_has_and_the_answers_come_true(protocol):
    engine = world(protocol, seed=3, position=2)
    kinds = {spec["kind"] for spec in candidates(engine)}
    assert {"phase-after", "invariant-after"} <= kinds
    for spec in candidates(engine):
        check(world(protocol, seed=3, position=2), spec)


def test_a_value_question_asks_of_a_field_and_its_answer_comes_true():
    engine = world("counter-naive", seed=1, position=3)
    question = ask(engine, "value-after", node="store", field="value", steps=12)
    assert [o["value"] for o in question.options] == ["0", "1", "2"]  # Now, on the way, a little later.
    check(engine, {"kind": "value-after", "node": "store", "field": "value", "steps": 12})
    with pytest.raises(QuestionError, match="takes no other value"):
        ask(world("counter-naive", seed=1, position=3), "value-after", node="store", field="value", steps=1)


@pytest.mark.parametrize("protocol", ["two-phase-commit", "cache-aside", "g-counter", "service-invocation"])
def test_asking_changes_nothing_in_the_session(protocol):
    """The trace of a run asked every question at every step is the trace of the same run never asked."""
    quiet = Engine(get_protocol(protocol), {}, seed=5)
    quiet.run(60)
    asked = Engine(get_protocol(protocol), {}, seed=5)
    for _ in range(60):
        if asked.done:
            break
        for spec in candidates(asked):
            ask(asked, **spec)
        asked.step()
    assert json.dumps(asked.log, sort_keys=True) == json.dumps(quiet.log, sort_keys=True)


def test_the_majority_bug_is_predicted_before_it_happens():
    engine = world("two-phase-commit", seed=1, position=0, scenario="majority-bug")
    question = ask(engine, "invariant-after", invariant="commit-needs-all-yes", steps=10)
    assert question.options[question.answer] == {"holds": False} and question.detail["seq"] > engine.seq


def test_bad_questions_are_refused_with_what_is_wrong():
    engine = world("two-phase-commit", seed=1, position=1)
    for kind, args, words in [
        ("guess", {}, "unknown question kind"), ("phase-after", {"node": "ghost", "steps": 2}, "no node"),
        ("phase-after", {"node": "p1", "steps": 0}, "steps"), ("phase-after", {"node": "p1", "steps": True}, "steps"),
        ("invariant-after", {"invariant": "nope", "steps": 2}, "no invariant"),
        ("value-after", {"node": "p1", "field": "phase", "steps": 2}, "phase-after"),
        ("phase-after", {"node": "p1"}, "phase-after"),
    ]:
        with pytest.raises(QuestionError, match=words):
            ask(engine, kind, **args)
    assert set(KINDS) == {"next-event", "phase-after", "invariant-after", "value-after"}
