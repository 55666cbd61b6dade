"""Saga, choreographed: every table row, the rules each service and the broker follow, the scenarios, properties.

Handlers one by one (each row fired in each phase it answers, its changes and effects compared with the ones
written out in ``OUTCOMES``, each deliberate ignore changing nothing), then the
rules the lesson rests on: a step, its outgoing event's outbox row and the
consumed event id are one record, logged before the acknowledgement; the
relay marks a row only after the broker has it; a consumer with ``dedup``
applies a repeated event once; a semantic lock makes another saga wait; each
countermeasure's compensation; a restarted service rebuilds what it had.
Then every scenario's findings, exactly, over seeds; Hypothesis over seeds,
lossy and duplicating networks and crash plans of the services: with the
semantic lock and dedup no safety invariant ever breaks; and traces that
validate against the schema, byte for byte the same for the same seed.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import CancelTimer, Effect, Input, Persist, Recover, Send, SetTimer, TimerFired
from protocols.common.saga_history import NAMES as SAFETY
from protocols.sagachoreo import SPEC
from protocols.sagachoreo.events import subscribers
from protocols.sagachoreo.table import TABLE
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from tests.helpers import assert_valid_trace
from tests.protocols import run_support
from tests.protocols import table_support as support
from tests.protocols.run_support import simulate_run
from tests.protocols.table_support import context, fire_table, receive, sends

ROWS = support.RowRegistry(support.table_rows(TABLE), "saga-choreographed")

STEP = {"before": 100, "after": 110, "delta": 10, "undone": False, "email": False}
SERVICE = {"value": 110, "steps": {"g1": STEP}, "pending": None, "seen": [], "outbox": {"g1.done.s1": False},
           "row": None, "started": 1, "waited": []}
STATES: dict[str, dict[str, dict[str, Any]]] = {
    "service": {"idle": {**SERVICE, "phase": "idle", "outbox": {}},
                "publishing": {**SERVICE, "phase": "publishing", "row": "g1.done.s1"}},
    "broker": {"ready": {"phase": "ready", "published": 1,
                         "unacked": {"1": {"event": "g1.done.s1", "to": "s2", "sends": 1}}, "dead": []}},
}
NODE = {"service": "s1", "broker": "broker"}
SENDER = {"deliver": "broker", "publish_ok": "broker", "publish": "s1", "ack": "s2"}
BODY = {"deliver": {"delivery": 2, "id": "g1.failed.s2", "saga": "g1", "kind": "failed", "step": 2},
        "publish_ok": {"id": "g1.done.s1"}, "publish": {"id": "g1.done.s1"}, "ack": {"delivery": 1}}


def an_input(role: str, on: str) -> Input:
    """Return a plausible input for a row's key, from whoever sends it in a real run."""
    return support.plausible_input(on, lambda kind: receive(kind, src=SENDER[kind], dest=NODE[role], body=BODY[kind]))


CASES = support.row_cases(TABLE, STATES)
"""Every (role, phase, input) a row answers, ANY_PHASE rows in each phase they really answer."""


NOW = 100
LOGS = {
    "service": ({"type": "saga-begin", "saga": "g1", "steps": 3},
                {"type": "apply", "saga": "g1", "step": 1, "key": "booked", "before": 100, "after": 110,
                 "idem": "g1/T1", "delta": 10, "in": None, "email": False, "lock": False, "out": "g1.done.s1"}),
    "broker": ({"type": "event", "id": "g1.done.s1", "first": 1, "to": ["s2"]},
               {"type": "event", "id": "g1.done.s2", "first": 2, "to": ["s3"]}, {"type": "ack", "delivery": 1}),
}
"""What each role's log holds when it recovers: s1 began g1 and has its outbox row unpublished; the broker
has two events, the first acknowledged."""


def row_input(role: str, phase: str, on: str) -> Input:
    """Return the input a row case is fired with: a recovery reads its role's sample log."""
    return Recover(durable=LOGS[role]) if on == "recover" else an_input(role, on)


def _row_of(case: tuple[str, str, str]) -> tuple[str, str, str]:
    row = TABLE.lookup(*case)
    assert row is not None
    return row.role, row.phase, row.on


HANDLED = [case for case in CASES if not getattr(TABLE.lookup(*case), "ignore", True)]
"""The cases whose row has a handler: each has its outcome in ``OUTCOMES``."""
IGNORED = [case for case in CASES if case not in HANDLED]

PUBLISH_RETRY = SetTimer(name="retry", delay_ms=200)
REDELIVER = SetTimer(name="redeliver", delay_ms=150)
G2 = {"before": 110, "after": 130, "delta": 20, "undone": False, "email": False}
"""g2's step T1 at s1: twice the amount (each saga books its number times ``amount``) on top of g1's."""
BEGIN_G2 = [Persist(record={"type": "saga-begin", "saga": "g2", "steps": 3}),
            Persist(record={"type": "apply", "saga": "g2", "step": 1, "key": "booked", "before": 110, "after": 130,
                            "idem": "g2/T1", "delta": 20, "in": None, "email": False, "lock": False,
                            "out": "g2.done.s1"})]
UNDONE = {"value": 100, "steps": {"g1": {**STEP, "undone": True}}, "seen": ["g1.failed.s2"]}
UNDO = [Persist(record={"type": "compensate", "saga": "g1", "step": 1, "key": "booked", "before": 110, "after": 100,
                        "mode": "restore", "delta": 10, "in": "g1.failed.s2", "email": False, "out": None}),
        Persist(record={"type": "saga-end", "saga": "g1", "outcome": "compensated", "steps": 3}),
        Send(dest="broker", type="ack", body={"delivery": 2}, in_reply_to="m42")]
"""T2 failed at s2: s1, the first step, restores its before-image, ends the saga compensated and acknowledges."""
RESUMED = [SetTimer(name="begin", delay_ms=30), Send(dest="broker", type="publish", body={"id": "g1.done.s1"}),
           PUBLISH_RETRY]
"""A restarted s1: g2 is still to begin, and its unpublished outbox row goes out again."""


def delivery(number: int, event: str, to: str) -> Send:
    saga_, kind, service = event.split(".")
    return Send(dest=to, type="deliver", body={"delivery": number, "id": event, "saga": saga_, "kind": kind,
                                               "step": int(service[1:])})


OUTCOMES: dict[tuple[str, str, str], tuple[dict[str, Any], list[Effect]]] = {
    ("service", "idle", "start"): ({}, [SetTimer(name="begin", delay_ms=0)]),
    ("service", "publishing", "msg:publish_ok"): ({"outbox": {"g1.done.s1": True}, "row": None, "phase": "idle"}, [
        Persist(record={"type": "mark", "id": "g1.done.s1"}), CancelTimer(name="retry")]),
    ("service", "publishing", "timer:retry"): ({}, [Send(dest="broker", type="publish", body={"id": "g1.done.s1"}),
                                                    PUBLISH_RETRY]),
    ("service", "idle", "recover"): ({"phase": "publishing", "outbox": {"g1.done.s1": False}, "row": "g1.done.s1"},
                                     RESUMED),
    ("service", "publishing", "recover"): ({}, RESUMED),
    ("service", "idle", "msg:deliver"): (UNDONE, UNDO),
    ("service", "publishing", "msg:deliver"): (UNDONE, UNDO),
    ("service", "idle", "timer:begin"): ({"value": 130, "steps": {"g1": STEP, "g2": G2},
                                          "outbox": {"g2.done.s1": False}, "row": "g2.done.s1", "started": 2,
                                          "phase": "publishing"}, [
        *BEGIN_G2, Send(dest="broker", type="publish", body={"id": "g2.done.s1"}), PUBLISH_RETRY]),
    ("service", "publishing", "timer:begin"): ({"value": 130, "steps": {"g1": STEP, "g2": G2},
                                               "outbox": {"g1.done.s1": False, "g2.done.s1": False}, "started": 2},
                                              BEGIN_G2),
    ("broker", "ready", "start"): ({}, []),
    ("broker", "ready", "msg:publish"): ({"published": 2, "unacked": {
        "1": {"event": "g1.done.s1", "to": "s2", "sends": 1}, "2": {"event": "g1.done.s1", "to": "s2", "sends": 1}}}, [
        Persist(record={"type": "event", "id": "g1.done.s1", "first": 2, "to": ["s2"]}),
        Send(dest="s1", type="publish_ok", body={"id": "g1.done.s1"}, in_reply_to="m42"),
        delivery(2, "g1.done.s1", "s2"), REDELIVER]),
    ("broker", "ready", "msg:ack"): ({"unacked": {}}, [Persist(record={"type": "ack", "delivery": 1}),
                                                       CancelTimer(name="redeliver")]),
    ("broker", "ready", "timer:redeliver"): ({"unacked": {"1": {"event": "g1.done.s1", "to": "s2", "sends": 2}}}, [
        delivery(1, "g1.done.s1", "s2"), REDELIVER]),
    ("broker", "ready", "recover"): ({"published": 2,
                                      "unacked": {"2": {"event": "g1.done.s2", "to": "s3", "sends": 1}}},
                                     [delivery(2, "g1.done.s2", "s3"), REDELIVER]),
}
"""Each handled (role, phase, input) from its sample state: the fields its handler changes, and its
effects in order, as the handler's docstring and the module's theory say."""


@ROWS.covers(*{_row_of(case) for case in HANDLED})
@pytest.mark.parametrize(("role", "phase", "on"), HANDLED)
def test_every_handled_row_changes_what_its_handler_says(role: str, phase: str, on: str) -> None:
    state = STATES[role][phase]
    changed = support.handled_outcome(TABLE, context(SPEC, NODE[role]), state, row_input(role, phase, on), NOW)
    assert changed == OUTCOMES[(role, phase, on)]


@ROWS.covers(*{_row_of(case) for case in IGNORED})
@pytest.mark.parametrize(("role", "phase", "on"), IGNORED)
def test_every_deliberate_ignore_changes_nothing(role: str, phase: str, on: str) -> None:
    state = STATES[role][phase]
    assert fire_table(TABLE, context(SPEC, NODE[role]), state, row_input(role, phase, on), NOW) == (state, [])


def test_every_row_is_exercised_in_some_phase() -> None:
    support.assert_every_row_exercised(TABLE, CASES, ROWS)
    assert set(OUTCOMES) == set(HANDLED)
    assert not support.silent_ignores(TABLE)


def test_an_unlisted_input_is_refused_loudly() -> None:
    support.assert_refused_loudly(TABLE, context(SPEC, "s2"), STATES["service"]["idle"],
                                  receive("publish", "s1", "s2", {"id": "g1.done.s1"}), 5)


# ------------------------------------------------------------------ the services' rules

FRESH = {"phase": "idle", "value": 100, "steps": {}, "pending": None, "seen": [], "outbox": {}, "row": None,
         "started": 0, "waited": []}


def deliver(event: str, delivery: int = 1, dest: str = "s2") -> Any:
    saga, kind, step = event.split(".")
    return receive("deliver", "broker", dest, {"delivery": delivery, "id": event, "saga": saga, "kind": kind,
                                               "step": int(step[1:])})


def records(effects: Any) -> list[dict[str, Any]]:
    return [dict(e.record) for e in effects if isinstance(e, Persist)]


def test_a_step_writes_its_change_its_event_and_the_consumed_id_in_one_record_before_the_ack() -> None:
    ctx = context(SPEC, "s2")
    state, effects = fire_table(TABLE, ctx, FRESH, deliver("g1.done.s1"), 0)
    assert (state["value"], state["seen"], state["outbox"]) == (110, ["g1.done.s1"], {"g1.done.s2": False})
    [record] = records(effects)
    assert record["type"] == "apply" and (record["before"], record["after"]) == (100, 110)
    assert (record["in"], record["out"], record["key"]) == ("g1.done.s1", "g1.done.s2", "booked")
    support.assert_forced_before_sent(effects)
    assert [(s.dest, s.type) for s in sends(effects)] == [("broker", "publish"), ("broker", "ack")]
    assert state["phase"] == "publishing" and state["row"] == "g1.done.s2"


@pytest.mark.parametrize(("dedup", "value", "applied"), [(True, 110, 1), (False, 120, 2)])
def test_a_repeated_event_is_acknowledged_and_applied_only_once_with_dedup(dedup: bool, value: int,
                                                                           applied: int) -> None:
    ctx = context(SPEC, "s2", dedup=dedup)
    state = dict(FRESH)
    steps = 0
    for delivery in (1, 2):
        state, effects = fire_table(TABLE, ctx, state, deliver("g1.done.s1", delivery), 0)
        steps += sum(r["type"] == "apply" for r in records(effects))
        assert [(s.type, dict(s.body)) for s in sends(effects) if s.type == "ack"] == [("ack", {"delivery": delivery})]
    assert state["value"] == value and steps == applied
    assert state["outbox"] == {"g1.done.s2": False}  # The row's key is the event id: one row, however often.


def test_s1_begins_each_saga_with_its_begin_record_and_plans_the_next() -> None:
    ctx = context(SPEC, "s1", sagas=2, stagger_ms=30)
    state, effects = fire_table(TABLE, ctx, {**FRESH, "started": 0}, TimerFired(name="begin"), 0)
    assert [r["type"] for r in records(effects)] == ["saga-begin", "apply"] and state["started"] == 1
    assert SetTimer(name="begin", delay_ms=30) in effects
    state, effects = fire_table(TABLE, ctx, state, TimerFired(name="begin"), 30)
    assert state["started"] == 2 and not any(isinstance(e, SetTimer) for e in effects)


def test_a_refused_step_writes_a_failure_event_and_the_last_step_ends_the_saga() -> None:
    refusing = context(SPEC, "s3", fail_saga=1, fail_step=3)
    state, effects = fire_table(TABLE, refusing, FRESH, deliver("g1.done.s2", dest="s3"), 0)
    assert [r["type"] for r in records(effects)] == ["fail"] and state["outbox"] == {"g1.failed.s3": False}
    assert state["value"] == 100
    last = context(SPEC, "s3")
    state, effects = fire_table(TABLE, last, FRESH, deliver("g1.done.s2", dest="s3"), 0)
    assert [r["type"] for r in records(effects)] == ["apply", "saga-end"] and state["outbox"] == {}
    assert records(effects)[1]["outcome"] == "completed"


@pytest.mark.parametrize(("countermeasure", "value", "after", "mode"), [
    ("none", 130, 100, "restore"), ("commutative", 130, 120, "inverse"),
    ("reread", 130, 120, "inverse"), ("reread", 110, 100, "restore"), ("semantic-lock", 110, 100, "restore")])
def test_each_countermeasure_compensates_as_it_says(countermeasure: str, value: int, after: int, mode: str) -> None:
    ctx = context(SPEC, "s1", countermeasure=countermeasure)
    state = {**FRESH, "value": value, "steps": {"g1": STEP}, "pending": "g1", "started": 1}
    state, effects = fire_table(TABLE, ctx, state, deliver("g1.failed.s2", dest="s1"), 0)
    compensation, end = records(effects)
    assert (compensation["type"], compensation["before"], compensation["after"]) == ("compensate", value, after)
    assert compensation["mode"] == mode and end == {"type": "saga-end", "saga": "g1", "outcome": "compensated",
                                                    "steps": 3}
    assert state["value"] == after and state["pending"] is None and state["steps"]["g1"]["undone"]


def test_a_semantic_lock_makes_another_saga_wait_until_the_first_completes() -> None:
    ctx = context(SPEC, "s2", countermeasure="semantic-lock")
    state, effects = fire_table(TABLE, ctx, FRESH, deliver("g1.done.s1"), 0)
    assert state["pending"] == "g1" and records(effects)[0]["lock"] is True
    state = {**state, "phase": "idle", "outbox": {}, "row": None}
    waiting, effects = fire_table(TABLE, ctx, state, deliver("g2.done.s1", 2), 5)
    assert waiting == {**state, "waited": ["g2"]} and not sends(effects)  # Not acknowledged: redelivered.
    assert records(effects) == [{"type": "wait", "saga": "g2", "step": 2, "key": "booked", "holder": "g1"}]
    again, effects = fire_table(TABLE, ctx, waiting, deliver("g2.done.s1", 2), 150)
    assert again == waiting and not records(effects) and not sends(effects)  # Its wait is logged once.
    released, effects = fire_table(TABLE, ctx, waiting, deliver("g1.done.s3", 3), 9)
    assert released["pending"] is None and [r["type"] for r in records(effects)] == ["complete"]
    state, effects = fire_table(TABLE, ctx, released, deliver("g2.done.s1", 4), 12)
    assert state["pending"] == "g2" and state["value"] == 130


def test_s1_retries_a_begin_that_finds_its_value_pending() -> None:
    ctx = context(SPEC, "s1", countermeasure="semantic-lock", lock_retry_ms=40)
    state = {**FRESH, "pending": "g1", "started": 1}
    after, effects = fire_table(TABLE, ctx, state, TimerFired(name="begin"), 0)
    assert after == {**state, "waited": ["g2"]} and SetTimer(name="begin", delay_ms=40) in effects
    assert [r["type"] for r in records(effects)] == ["wait"]


def test_the_email_step_logs_an_irreversible_effect() -> None:
    ctx = context(SPEC, "s1", email_step=1)
    _, effects = fire_table(TABLE, ctx, FRESH, TimerFired(name="begin"), 0)
    assert {"type": "effect", "saga": "g1", "step": 1, "what": "email"} in records(effects)


def test_the_relay_marks_a_row_only_after_the_brokers_ack_then_publishes_the_next() -> None:
    ctx = context(SPEC, "s1")
    state = {**STATES["service"]["publishing"], "outbox": {"g1.done.s1": False, "g2.done.s1": False}}
    late, effects = fire_table(TABLE, ctx, state, receive("publish_ok", "broker", "s1", {"id": "g0.done.s1"}), 0)
    assert late == state and effects == []
    state, effects = fire_table(TABLE, ctx, state, receive("publish_ok", "broker", "s1", {"id": "g1.done.s1"}), 0)
    assert records(effects) == [{"type": "mark", "id": "g1.done.s1"}] and state["row"] == "g2.done.s1"
    assert [(s.type, dict(s.body)) for s in sends(effects)] == [("publish", {"id": "g2.done.s1"})]


def test_a_restarted_service_rebuilds_its_state_and_publishes_what_is_unmarked() -> None:
    ctx = context(SPEC, "s2", countermeasure="semantic-lock")
    state, effects = fire_table(TABLE, ctx, FRESH, deliver("g1.done.s1"), 0)
    log = tuple(records(effects))
    rebuilt, effects = fire_table(TABLE, ctx, FRESH, Recover(durable=log), 50)
    assert rebuilt == state
    assert [(s.type, dict(s.body)) for s in sends(effects)] == [("publish", {"id": "g1.done.s2"})]


# ------------------------------------------------------------------ the broker

def test_the_broker_routes_each_event_to_its_subscribers() -> None:
    assert subscribers("g1.done.s1", 3, False) == ["s2"] and subscribers("g1.done.s3", 3, False) == []
    assert subscribers("g1.done.s3", 3, True) == ["s1", "s2"]
    assert subscribers("g1.failed.s3", 3, False) == ["s2"] and subscribers("g1.undone.s1", 3, False) == []


def test_the_broker_redelivers_until_acknowledged_then_dead_letters() -> None:
    ctx = context(SPEC, "broker", max_deliveries=2)
    state, effects = fire_table(TABLE, ctx, {"phase": "ready", "published": 0, "unacked": {}, "dead": []},
                                receive("publish", "s1", "broker", {"id": "g1.done.s1"}), 0)
    assert [(s.dest, s.type) for s in sends(effects)] == [("s1", "publish_ok"), ("s2", "deliver")]
    state, effects = fire_table(TABLE, ctx, state, TimerFired(name="redeliver"), 150)
    assert [(s.dest, s.type) for s in sends(effects)] == [("s2", "deliver")]
    dead, effects = fire_table(TABLE, ctx, state, TimerFired(name="redeliver"), 300)
    assert dead["unacked"] == {} and dead["dead"] == ["g1.done.s1@s2"] and not sends(effects)
    acked, _ = fire_table(TABLE, ctx, state, receive("ack", "s2", "broker", {"delivery": 1}), 160)
    assert acked["unacked"] == {}
    log = ({"type": "event", "id": "g1.done.s1", "first": 1, "to": ["s2"]},)
    rebuilt, effects = fire_table(TABLE, ctx, state, Recover(durable=log), 400)
    assert rebuilt["unacked"] == {"1": {"event": "g1.done.s1", "to": "s2", "sends": 1}}
    assert [(s.dest, s.type) for s in sends(effects)] == [("s2", "deliver")]


# ------------------------------------------------------------------ scenarios

EXPECTED = {
    "happy-path": set(),
    "step-fails-compensations-flow-back": set(),
    "duplicate-event-deduplicated": set(),
    "duplicate-event-applied-twice": {"saga-idempotent", "saga-atomicity"},
    "concurrent-sagas-dirty-read": {"saga-no-dirty-read", "saga-no-lost-update"},
    "concurrent-sagas-semantic-lock": set(),
    "concurrent-sagas-commutative": {"saga-no-dirty-read"},
    "compensation-cannot-unsend-email": {"saga-effects-undone"},
}


def played(scenario: str | None, seed: int = 1, **params: Any) -> tuple[Engine, set[str]]:
    """Play a scenario to its end; return the engine and the names of the invariants it broke."""
    return run_support.played(SPEC, scenario, seed, **params)


def test_every_scenario_is_expected() -> None:
    assert set(EXPECTED) == {s.name for s in SPEC.scenarios}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_scenario_breaks_what_its_story_says(scenario: str, seed: int) -> None:
    engine, names = played(scenario, seed)
    assert engine.quiescent and names == EXPECTED[scenario]
    captions = [e for e in engine.log if e["kind"] == "caption"]
    assert len(captions) == len(SPEC.scenario(scenario).captions)


def test_the_lost_update_leaves_the_value_without_the_completed_sagas_change() -> None:
    engine, _ = played("concurrent-sagas-dirty-read")
    assert engine.nodes["s1"].state["value"] == 100  # g2 completed and added 20; g1's restore erased it.
    commutative, _ = played("concurrent-sagas-commutative")
    assert commutative.nodes["s1"].state["value"] == 120


def test_reread_cures_the_lost_update_but_not_the_dirty_read() -> None:
    engine, names = played("concurrent-sagas-dirty-read", countermeasure="reread")
    assert names == {"saga-no-dirty-read"} and engine.nodes["s1"].state["value"] == 120


def test_the_email_after_the_last_step_that_may_fail_is_safe() -> None:
    _, names = played("compensation-cannot-unsend-email", email_step=3)
    assert names == set()


def test_the_summary_counts_events_compensations_and_anomalies() -> None:
    engine, _ = played("concurrent-sagas-dirty-read")
    figures = SPEC.summarize({"events": engine.log, "final": {}})
    assert figures["sagas_completed"] == figures["sagas_compensated"] == 1
    assert figures["compensations_run"] == 1 and figures["anomalies"] == 2 and figures["events_per_saga"] == 2.0
    clean, _ = played("concurrent-sagas-semantic-lock")
    locked = SPEC.summarize({"events": clean.log, "final": {}})
    assert locked["anomalies"] == 0 and locked["saga_ms_p99"] >= 0


# ------------------------------------------------------------------ properties and traces

CORRECT = {"countermeasure": "semantic-lock", "dedup": True}


@st.composite
def runs(draw: st.DrawFn) -> dict[str, Any]:
    """A seed, a workload with or without a failing saga, a lossy and duplicating network, service crashes."""
    services, sagas = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    faults: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        node, at = f"s{draw(st.integers(1, services))}", draw(st.integers(0, 400))
        faults.append({"action": "crash", "node": node, "at_ms": at})
        faults.append({"action": "recover", "node": node, "at_ms": at + draw(st.integers(1, 400))})
    params = {**CORRECT, "services": services, "sagas": sagas, "fail_saga": draw(st.integers(0, sagas)),
              "fail_step": draw(st.integers(1, services)), "stagger_ms": draw(st.sampled_from([0, 10, 30])),
              "loss_probability": draw(st.sampled_from([0.0, 0.1])),
              "duplicate_probability": draw(st.sampled_from([0.0, 0.2, 0.5])), "fifo": False}
    return {"seed": draw(st.integers(0, 2**31)), "faults": faults, "params": params}


@settings(max_examples=60, deadline=None)
@given(runs())
def test_with_a_semantic_lock_and_dedup_no_safety_invariant_ever_breaks(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, max_events=20_000)
    found = {e["invariant"] for e in engine.log if e["kind"] == "violation"}
    assert not found & set(SAFETY)
    if run_["params"]["loss_probability"] == 0.0 and engine.quiescent:
        assert not found  # Nothing lost: every saga ends and every event is delivered.


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_the_same_seed_writes_the_same_valid_trace(scenario: str) -> None:
    first, second = (Engine(SPEC, {}, seed=5, scenario=scenario) for _ in range(2))
    first.run()
    second.run()
    assert dumps(build_trace(first)) == dumps(build_trace(second))
    assert_valid_trace(build_trace(first))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_comparison_shows_the_same_anomalies_and_remedy_at_a_cost_in_messages(seed: int) -> None:
    from protocols import REGISTRY
    from protocols.comparisons import PRESETS
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "saga-orchestration-vs-choreography")
    results = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"], seed=seed)
    happy, dirty, locked = results[0:2], results[2:4], results[4:6]
    for orchestrated, choreographed in (happy, dirty, locked):
        assert orchestrated["violated"] == choreographed["violated"]  # No isolation either way, the same remedy.
        assert choreographed["summary"]["messages_sent"] > orchestrated["summary"]["messages_sent"]
    assert [r["summary"]["anomalies"] for r in dirty] == [2, 2] and dirty[0]["violated"] == [
        "saga-no-dirty-read", "saga-no-lost-update"]
    for orchestrated, choreographed in (happy, locked):
        assert orchestrated["summary"]["anomalies"] == choreographed["summary"]["anomalies"] == 0
        # The choreography's completion reaches s1 through the broker: its lock is held longer.
        assert choreographed["summary"]["blocked_ms"]["s1"] > orchestrated["summary"]["blocked_ms"]["s1"] > 0
