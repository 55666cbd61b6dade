"""Transactional outbox: every table row, the rules that make each mode what it is, the scenarios, a property.

Handlers one by one: each row fired in each phase it covers, from a sample state, and its outcome (the fields
it changes, its effects in order) compared with the one written out in ``OUTCOMES``; each deliberate ignore
changes nothing. Then the rules the lesson rests on: the database commits an order and its outbox row in one
record; the relay marks a row only after the broker's ack; the idempotent consumer applies a repeated event id
once. Then every scenario's findings, exactly, over seeds; Hypothesis over seeds and crash plans of the
service, the relay and the consumer (the failure model): with ``mode=outbox`` and the idempotent consumer no
safety invariant ever breaks, nor is an event lost; and the comparison preset's lesson over seeds.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import CancelTimer, Effect, Input, Note, Persist, Recover, Send, SetTimer, TimerFired
from protocols.comparisons import PRESETS
from protocols.outbox import SPEC
from protocols.outbox.table import TABLE
from protocols.sim.engine import Engine
from tests.protocols import run_support
from tests.protocols import table_support as support
from tests.protocols.run_support import simulate_run
from tests.protocols.table_support import context, fire_table, receive, sends

ROWS = support.RowRegistry(support.table_rows(TABLE), "transactional-outbox")

PENDING = {"order": "c1.1", "client": "c1"}
STATES: dict[str, dict[str, dict[str, Any]]] = {
    "client": {phase: {"phase": phase, "sent": 1, "ok": 0, "failed": 0, "unanswered": 0}
               for phase in ("thinking", "waiting", "done")},
    "service": {"idle": {"phase": "idle", "current": None, "queue": []},
                **{phase: {"phase": phase, "current": PENDING, "queue": []}
                   for phase in ("writing", "publishing", "committing")}},
    "database": {"ready": {"phase": "ready", "orders": ["c2.1"], "refused": [], "outbox": {"c2.1": False}}},
    "relay": {phase: {"phase": phase, "row": "c1.1" if phase in ("publishing", "marking") else None, "sends": 1,
                      "woken": False} for phase in ("sleeping", "waiting", "polling", "publishing", "marking")},
    "broker": {"ready": {"phase": "ready", "published": 1, "unacked": {"1": {"order": "c1.1", "sends": 1}},
                         "dead": []}},
    "consumer": {"ready": {"phase": "ready", "applied": {}, "dedup": []}},
}
NODE = {"client": "c1", "service": "svc", "database": "db", "relay": "relay", "broker": "broker",
        "consumer": "consumer"}
SENDER = {"order": "c1", "order_ok": "svc", "order_failed": "svc", "write": "svc", "commit": "svc",
          "write_ok": "db", "write_refused": "db", "commit_ok": "db", "commit_refused": "db", "poll": "relay",
          "mark": "relay", "rows": "db", "mark_ok": "db", "wake": "db", "publish": "relay", "publish_ok": "broker",
          "ack": "consumer", "deliver": "broker"}
BODY = {"rows": {"orders": ["c1.1"]}, "ack": {"id": 1}, "deliver": {"id": 1, "order": "c1.1"}, "poll": {}}


def an_input(role: str, on: str) -> Input:
    """Return a plausible input for a row's key, from whoever sends it in a real run."""
    return support.plausible_input(on, lambda kind: receive(kind, src=SENDER[kind], dest=NODE[role],
                                                             body=BODY.get(kind, {"order": "c1.1"})))


CASES = support.row_cases(TABLE, STATES)
"""Every (role, phase, input) a row answers, ANY_PHASE rows in each phase they really answer."""

NOW = 100
MODE_OF_PHASE = {"writing": "dual-write-publish-first", "publishing": "dual-write-db-first"}
"""The service is tried in each busy phase in a mode that has it (the write is publish-first's last step,
the publish db-first's); elsewhere the default, the outbox."""
LOGS = {
    "client": ({"type": "sent", "n": 1},),
    "database": ({"type": "order", "order": "c1.1", "outbox": True}, {"type": "refused", "order": "c1.2"},
                 {"type": "order", "order": "c2.1", "outbox": True}, {"type": "mark", "order": "c1.1"}),
    "broker": ({"type": "event", "id": 1, "order": "c1.1"}, {"type": "event", "id": 2, "order": "c2.1"},
               {"type": "ack", "id": 1}),
    "consumer": ({"type": "apply", "order": "c1.1"}, {"type": "apply", "order": "c1.1"}),
}
"""What each durable role's log holds when it recovers (the service and the relay keep none)."""
INPUTS = {("database", "ready", "msg:mark"): receive("mark", "relay", "db", {"order": "c2.1"})}
"""Inputs other than :func:`an_input`'s: the database marks its one unpublished row."""


def row_context(role: str, phase: str, on: str) -> Any:
    """Return the context a row case is fired in."""
    mode = MODE_OF_PHASE.get(phase, "outbox") if role == "service" else "outbox"
    return context(SPEC, NODE[role], mode=mode)


def row_input(role: str, phase: str, on: str) -> Input:
    """Return the input a row case is fired with: a recovery reads its role's log."""
    if (role, phase, on) in INPUTS:
        return INPUTS[(role, phase, on)]
    return Recover(durable=LOGS.get(role, ())) if on == "recover" else an_input(role, on)


def _row_of(case: tuple[str, str, str]) -> tuple[str, str, str]:
    row = TABLE.lookup(*case)
    assert row is not None
    return row.role, row.phase, row.on


HANDLED = [case for case in CASES if not getattr(TABLE.lookup(*case), "ignore", True)]
"""The cases whose row has a handler: each has its outcome in ``OUTCOMES``."""
IGNORED = [case for case in CASES if case not in HANDLED]
RETRY = SetTimer(name="retry", delay_ms=200)
POLL_AGAIN = [Send(dest="db", type="poll"), RETRY]
REDELIVER = SetTimer(name="redeliver", delay_ms=200)
THINK = SetTimer(name="think", delay_ms=30)
DONE = {"phase": "idle", "current": None}
FORGOT = Note(text="restarted with no memory of the orders in hand")
REPLY = "m42"
"""The id of the message every row case delivers: the durable nodes' answers are in reply to it."""

OUTCOMES: dict[tuple[str, str, str], tuple[dict[str, Any], list[Effect]]] = {
    ("client", "thinking", "start"): ({}, [THINK]),
    ("client", "thinking", "timer:think"): ({"phase": "waiting", "sent": 2}, [
        Persist(record={"type": "sent", "n": 2}), Send(dest="svc", type="order", body={"order": "c1.2"}),
        SetTimer(name="timeout", delay_ms=400)]),
    ("client", "waiting", "timer:timeout"): ({"phase": "thinking", "unanswered": 1}, [THINK]),
    ("client", "thinking", "recover"): ({"unanswered": 1}, [THINK]),
    ("client", "waiting", "recover"): ({"phase": "thinking", "unanswered": 1}, [THINK]),
    ("client", "done", "recover"): ({"phase": "thinking", "unanswered": 1}, [THINK]),
    ("client", "waiting", "msg:order_ok"): ({"phase": "thinking", "ok": 1}, [CancelTimer(name="timeout"), THINK]),
    ("client", "waiting", "msg:order_failed"): ({"phase": "thinking", "failed": 1},
                                                [CancelTimer(name="timeout"), THINK]),
    ("service", "idle", "start"): ({}, []),
    ("service", "idle", "msg:order"): ({"phase": "committing", "current": PENDING},
                                       [Send(dest="db", type="commit", body={"order": "c1.1"})]),
    ("service", "idle", "recover"): ({}, [FORGOT]),
    **{("service", phase, "recover"): ({"phase": "idle", "current": None}, [FORGOT])
       for phase in ("writing", "publishing", "committing")},
    **{("service", phase, "msg:order"): ({"queue": [PENDING]}, [])
       for phase in ("writing", "publishing", "committing")},
    ("service", "writing", "msg:write_ok"): (DONE, [Send(dest="c1", type="order_ok", body={"order": "c1.1"})]),
    ("service", "writing", "msg:write_refused"): (DONE, [
        Note(text="c1.1 refused, but its event is already published"),
        Send(dest="c1", type="order_failed", body={"order": "c1.1"})]),
    ("service", "publishing", "msg:publish_ok"): (DONE, [Send(dest="c1", type="order_ok", body={"order": "c1.1"})]),
    ("service", "committing", "msg:commit_ok"): (DONE, [Send(dest="c1", type="order_ok", body={"order": "c1.1"})]),
    ("service", "committing", "msg:commit_refused"): (DONE, [
        Send(dest="c1", type="order_failed", body={"order": "c1.1"})]),
    ("database", "ready", "start"): ({}, []),
    ("database", "ready", "msg:write"): ({"orders": ["c2.1", "c1.1"]}, [
        Persist(record={"type": "order", "order": "c1.1", "outbox": False}),
        Send(dest="svc", type="write_ok", body={"order": "c1.1"}, in_reply_to=REPLY)]),
    ("database", "ready", "msg:commit"): ({"orders": ["c2.1", "c1.1"], "outbox": {"c2.1": False, "c1.1": False}}, [
        Persist(record={"type": "order", "order": "c1.1", "outbox": True}),
        Send(dest="relay", type="wake", body={"order": "c1.1"}),
        Send(dest="svc", type="commit_ok", body={"order": "c1.1"}, in_reply_to=REPLY)]),
    ("database", "ready", "msg:poll"): ({}, [
        Send(dest="relay", type="rows", body={"orders": ["c2.1"]}, in_reply_to=REPLY)]),
    ("database", "ready", "msg:mark"): ({"outbox": {"c2.1": True}}, [
        Persist(record={"type": "mark", "order": "c2.1"}),
        Send(dest="relay", type="mark_ok", body={"order": "c2.1"}, in_reply_to=REPLY)]),
    ("database", "ready", "recover"): ({"orders": ["c1.1", "c2.1"], "refused": ["c1.2"],
                                        "outbox": {"c1.1": True, "c2.1": False}}, []),
    ("broker", "ready", "start"): ({}, []),
    ("broker", "ready", "msg:publish"): ({"published": 2, "unacked": {"1": {"order": "c1.1", "sends": 1},
                                                                      "2": {"order": "c1.1", "sends": 1}}}, [
        Persist(record={"type": "event", "id": 2, "order": "c1.1"}),
        Send(dest="relay", type="publish_ok", body={"order": "c1.1"}, in_reply_to=REPLY),
        Send(dest="consumer", type="deliver", body={"id": 2, "order": "c1.1"}), REDELIVER]),
    ("broker", "ready", "msg:ack"): ({"unacked": {}}, [
        Persist(record={"type": "ack", "id": 1}), CancelTimer(name="redeliver")]),
    ("broker", "ready", "timer:redeliver"): ({"unacked": {"1": {"order": "c1.1", "sends": 2}}}, [
        Send(dest="consumer", type="deliver", body={"id": 1, "order": "c1.1"}), REDELIVER]),
    ("broker", "ready", "recover"): ({"published": 2, "unacked": {"2": {"order": "c2.1", "sends": 1}}}, [
        Send(dest="consumer", type="deliver", body={"id": 2, "order": "c2.1"}), REDELIVER]),
    ("consumer", "ready", "start"): ({}, []),
    ("consumer", "ready", "msg:deliver"): ({"applied": {"c1.1": 1}}, [
        Persist(record={"type": "apply", "order": "c1.1"}),
        Send(dest="broker", type="ack", body={"id": 1}, in_reply_to=REPLY)]),
    ("consumer", "ready", "recover"): ({"applied": {"c1.1": 2}}, []),
    ("relay", "sleeping", "start"): ({}, []),
    **{("relay", phase, "recover"): ({"phase": "polling"}, POLL_AGAIN) for phase in ("sleeping", "waiting")},
    ("relay", "polling", "recover"): ({}, POLL_AGAIN),
    **{("relay", phase, "recover"): ({"phase": "polling", "row": None}, POLL_AGAIN)
       for phase in ("publishing", "marking")},
    ("relay", "sleeping", "msg:wake"): ({"phase": "waiting"}, [SetTimer(name="poll", delay_ms=50)]),
    ("relay", "waiting", "timer:poll"): ({"phase": "polling"}, POLL_AGAIN),
    ("relay", "polling", "msg:rows"): ({"phase": "publishing", "row": "c1.1"}, [
        CancelTimer(name="retry"), Send(dest="broker", type="publish", body={"order": "c1.1"}), RETRY]),
    ("relay", "publishing", "msg:publish_ok"): ({"phase": "marking"}, [
        CancelTimer(name="retry"), Send(dest="db", type="mark", body={"order": "c1.1"}), RETRY]),
    ("relay", "marking", "msg:mark_ok"): ({"phase": "polling", "row": None}, [CancelTimer(name="retry"), *POLL_AGAIN]),
    **{("relay", phase, "msg:wake"): ({"woken": True}, []) for phase in ("polling", "publishing", "marking")},
    ("relay", "polling", "timer:retry"): ({"sends": 2}, POLL_AGAIN),
    ("relay", "publishing", "timer:retry"): ({"sends": 2}, [
        Send(dest="broker", type="publish", body={"order": "c1.1"}), RETRY]),
    ("relay", "marking", "timer:retry"): ({"sends": 2}, [Send(dest="db", type="mark", body={"order": "c1.1"}), RETRY]),
}
"""Each handled (role, phase, input) from its sample state: the fields its handler changes, and its
effects in order, as the handler's docstring and the theory of operation say (the forced write before
the answer, the wake with the commit, the retry timer with each request)."""


@ROWS.covers(*{_row_of(case) for case in HANDLED})
@pytest.mark.parametrize(("role", "phase", "on"), HANDLED)
def test_every_handled_row_changes_what_its_handler_says(role: str, phase: str, on: str) -> None:
    state = STATES[role][phase]
    changed = support.handled_outcome(TABLE, row_context(role, phase, on), state, row_input(role, phase, on), NOW)
    assert changed == OUTCOMES[(role, phase, on)]


@ROWS.covers(*{_row_of(case) for case in IGNORED})
@pytest.mark.parametrize(("role", "phase", "on"), IGNORED)
def test_every_deliberate_ignore_changes_nothing(role: str, phase: str, on: str) -> None:
    state = STATES[role][phase]
    assert fire_table(TABLE, row_context(role, phase, on), state, row_input(role, phase, on), NOW) == (state, [])


def test_every_row_is_exercised_in_some_phase() -> None:
    support.assert_every_row_exercised(TABLE, CASES, ROWS)
    assert set(OUTCOMES) == set(HANDLED)


def test_an_unlisted_input_is_refused_loudly() -> None:
    support.assert_refused_loudly(TABLE, context(SPEC, "relay"), STATES["relay"]["sleeping"],
                          receive("deliver", "broker", "relay", {"id": 1, "order": "c1.1"}), 5)


# ------------------------------------------------------------------ the rules of each mode


@pytest.mark.parametrize(("mode", "first"), [("dual-write-db-first", ("writing", "db", "write")),
                                             ("dual-write-publish-first", ("publishing", "broker", "publish")),
                                             ("outbox", ("committing", "db", "commit"))])
def test_each_mode_starts_an_order_with_its_own_first_write(mode: str, first: tuple[str, str, str]) -> None:
    ctx = context(SPEC, "svc", mode=mode)
    state, effects = fire_table(TABLE, ctx, STATES["service"]["idle"], an_input("service", "msg:order"), 0)
    assert (state["phase"], sends(effects)[0].dest, sends(effects)[0].type) == first


def test_db_first_publishes_only_after_the_database_acks() -> None:
    ctx = context(SPEC, "svc", mode="dual-write-db-first")
    state, effects = fire_table(TABLE, ctx, STATES["service"]["writing"], an_input("service", "msg:write_ok"), 0)
    assert state["phase"] == "publishing" and [s.type for s in sends(effects)] == ["publish"]
    state, effects = fire_table(TABLE, ctx, state, receive("publish_ok", "broker", "svc", {"order": "c1.1"}), 0)
    assert state["phase"] == "idle" and [(s.dest, s.type) for s in sends(effects)] == [("c1", "order_ok")]


def test_a_busy_service_queues_and_then_serves_the_next_order() -> None:
    ctx = context(SPEC, "svc", mode="outbox")
    state, effects = fire_table(TABLE, ctx, STATES["service"]["committing"],
                                receive("order", "c2", "svc", {"order": "c2.1"}), 0)
    assert state["queue"] == [{"order": "c2.1", "client": "c2"}] and effects == []
    state, effects = fire_table(TABLE, ctx, state, receive("commit_ok", "db", "svc", {"order": "c1.1"}), 0)
    assert state["current"] == {"order": "c2.1", "client": "c2"} and state["phase"] == "committing"
    assert [(s.dest, s.type) for s in sends(effects)] == [("c1", "order_ok"), ("db", "commit")]


def test_an_answer_about_a_forgotten_order_changes_nothing() -> None:
    ctx = context(SPEC, "svc", mode="dual-write-db-first")
    state = {**STATES["service"]["writing"], "current": {"order": "c2.1", "client": "c2"}}
    assert fire_table(TABLE, ctx, state, an_input("service", "msg:write_ok"), 0) == (state, [])


def test_the_outbox_commit_is_one_record_and_wakes_the_relay() -> None:
    ctx = context(SPEC, "db", mode="outbox")
    state, effects = fire_table(TABLE, ctx, STATES["database"]["ready"], an_input("database", "msg:commit"), 0)
    persists = [e for e in effects if isinstance(e, Persist)]
    assert [p.record for p in persists] == [{"type": "order", "order": "c1.1", "outbox": True}]
    assert state["outbox"] == {"c2.1": False, "c1.1": False}
    assert [(s.dest, s.type) for s in sends(effects)] == [("relay", "wake"), ("svc", "commit_ok")]


def test_the_database_refuses_every_nth_order_and_logs_it() -> None:
    ctx = context(SPEC, "db", mode="dual-write-publish-first", refuse_every=2)
    state, effects = fire_table(TABLE, ctx, STATES["database"]["ready"],
                                receive("write", "svc", "db", {"order": "c1.2"}), 0)
    assert state["refused"] == ["c1.2"] and "c1.2" not in state["orders"]
    assert [s.type for s in sends(effects)] == ["write_refused"]


def test_the_database_rebuilds_from_its_log() -> None:
    ctx = context(SPEC, "db")
    log = ({"type": "order", "order": "c1.1", "outbox": True}, {"type": "order", "order": "c2.1", "outbox": True},
           {"type": "mark", "order": "c1.1"}, {"type": "refused", "order": "c1.2"})
    state, _ = fire_table(TABLE, ctx, STATES["database"]["ready"], Recover(durable=log), 0)
    assert state == {"phase": "ready", "orders": ["c1.1", "c2.1"], "refused": ["c1.2"],
                     "outbox": {"c1.1": True, "c2.1": False}}


def test_the_relay_marks_a_row_only_after_the_brokers_ack() -> None:
    ctx = context(SPEC, "relay")
    state, effects = fire_table(TABLE, ctx, STATES["relay"]["polling"], an_input("relay", "msg:rows"), 0)
    assert state["phase"] == "publishing" and [s.type for s in sends(effects)] == ["publish"]
    state, effects = fire_table(TABLE, ctx, state, receive("publish_ok", "broker", "relay", {"order": "c1.1"}), 0)
    assert state["phase"] == "marking" and [s.type for s in sends(effects)] == ["mark"]
    state, effects = fire_table(TABLE, ctx, state, receive("mark_ok", "db", "relay", {"order": "c1.1"}), 0)
    assert state["phase"] == "polling" and state["row"] is None


def test_an_empty_poll_sleeps_unless_woken_meanwhile() -> None:
    ctx = context(SPEC, "relay")
    empty = receive("rows", "db", "relay", {"orders": []})
    assert fire_table(TABLE, ctx, STATES["relay"]["polling"], empty, 0)[0]["phase"] == "sleeping"
    woken = {**STATES["relay"]["polling"], "woken": True}
    assert fire_table(TABLE, ctx, woken, empty, 0)[0]["phase"] == "waiting"


def test_the_relay_gives_up_after_max_sends_and_the_broker_dead_letters_after_max_deliveries() -> None:
    ctx = context(SPEC, "relay", max_sends=2)
    state, _ = fire_table(TABLE, ctx, STATES["relay"]["publishing"], TimerFired(name="retry"), 0)
    assert (state["phase"], state["sends"]) == ("publishing", 2)
    assert fire_table(TABLE, ctx, state, TimerFired(name="retry"), 0)[0]["phase"] == "sleeping"
    broker = context(SPEC, "broker", max_deliveries=1)
    state, effects = fire_table(TABLE, broker, STATES["broker"]["ready"], TimerFired(name="redeliver"), 0)
    assert state["unacked"] == {} and state["dead"] == ["c1.1"] and sends(effects) == []


@pytest.mark.parametrize(("idempotent", "applied"), [(False, 2), (True, 1)])
def test_a_repeated_event_is_applied_once_only_by_the_idempotent_consumer(idempotent: bool, applied: int) -> None:
    ctx = context(SPEC, "consumer", idempotent_consumer=idempotent)
    state = STATES["consumer"]["ready"]
    for delivery in (1, 2):
        state, effects = fire_table(TABLE, ctx, state, receive("deliver", "broker", "consumer",
                                                               {"id": delivery, "order": "c1.1"}), 0)
        assert [(s.type, dict(s.body)) for s in sends(effects)] == [("ack", {"id": delivery})]
    assert state["applied"] == {"c1.1": applied}
    rebuilt, _ = fire_table(TABLE, ctx, STATES["consumer"]["ready"],
                            Recover(durable=({"type": "apply", "order": "c1.1"},) * applied), 0)
    assert rebuilt["applied"] == {"c1.1": applied}
    assert rebuilt["dedup"] == (["c1.1"] if idempotent else [])  # A restarted consumer still knows the id.


# ------------------------------------------------------------------ scenarios

EXPECTED = {
    "db-first-crash-loses-event": {"lost-event"},
    "publish-first-crash-phantom": {"phantom-event"},
    "publish-first-refused-phantom": {"phantom-event"},
    "outbox-relay-crash-duplicate": {"duplicate-effect"},
    "outbox-relay-crash-idempotent": set(),
    "outbox-happy": set(),
}


def played(scenario: str, seed: int = 1) -> tuple[Engine, set[str]]:
    """Play a scenario to its end; return the engine and the names of the invariants it broke."""
    return run_support.played(SPEC, scenario, seed)


def test_every_scenario_is_expected() -> None:
    assert set(EXPECTED) == {s.name for s in SPEC.scenarios}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_scenario_breaks_what_its_story_says(scenario: str, seed: int) -> None:
    engine, names = played(scenario, seed)
    assert engine.quiescent and names == EXPECTED[scenario]


def test_the_lost_event_is_one_the_database_has() -> None:
    engine, _ = played("db-first-crash-loses-event")
    lost = next(e for e in engine.log if e["kind"] == "violation")
    assert lost["invariant_kind"] == "liveness" and lost["finding"]["id"] == "never-applied"
    assert set(lost["finding"]["data"]["orders"]) <= set(engine.nodes["db"].state["orders"])


def test_the_outbox_duplicates_but_never_loses() -> None:
    engine, _ = played("outbox-relay-crash-duplicate")
    applied = engine.nodes["consumer"].state["applied"]
    assert sorted(applied) == sorted(engine.nodes["db"].state["orders"]) and max(applied.values()) == 2


# ------------------------------------------------------------------ the property and the comparison

CRASHABLE = ("svc", "relay", "consumer")
"""The failure model: the service, the relay and the consumer crash and recover; the database and broker don't."""


@st.composite
def crash_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A seed, a workload and up to three crashes of the crashable nodes, each recovered later."""
    faults: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        node, at = draw(st.sampled_from(CRASHABLE)), draw(st.integers(0, 600))
        faults.append({"action": "crash", "node": node, "at_ms": at})
        faults.append({"action": "recover", "node": node, "at_ms": at + draw(st.integers(1, 600))})
    params = {"mode": "outbox", "idempotent_consumer": True, "clients": draw(st.integers(1, 3)),
              "orders_per_client": draw(st.integers(1, 3)), "refuse_every": draw(st.sampled_from([0, 0, 2]))}
    return {"seed": draw(st.integers(0, 2**31)), "faults": faults, "params": params}


@settings(max_examples=50, deadline=None)
@given(crash_runs())
def test_the_outbox_with_an_idempotent_consumer_never_breaks_safety(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, max_events=20_000)
    found = {e["invariant"] for e in engine.log if e["kind"] == "violation"}
    safety = {inv.name for inv in SPEC.invariants if inv.kind in ("history", "state")}
    assert not found & safety
    assert "lost-event" not in found  # Every node recovers: what the database has, the consumer gets.
    applied = engine.nodes["consumer"].state["applied"]
    assert all(times == 1 for times in applied.values())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_comparison_shows_loss_then_duplicates_then_neither(seed: int) -> None:
    from protocols import REGISTRY
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "outbox-dual-write")
    dual, outbox, idempotent = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"],
                                       seed=seed)
    assert dual["summary"]["events_lost"] >= 1 and "lost-event" in dual["violated"]
    assert outbox["summary"]["events_lost"] == 0 and outbox["summary"]["duplicate_effects"] >= 1
    assert idempotent["summary"]["events_lost"] == idempotent["summary"]["duplicate_effects"] == 0
    assert idempotent["summary"]["phantom_events"] == 0
