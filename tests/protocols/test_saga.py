"""Saga, orchestrated: every table row (each handled case's changes and effects against ``OUTCOMES``, each
ignore changing nothing), the orchestrator's forward and backward runs, a service's step and
compensation under each countermeasure and with and without idempotency keys, every scenario's findings
exactly, Hypothesis over seeds and fault plans (lost and duplicated messages, crashed services): with the
semantic lock and idempotency no safety invariant ever breaks; traces valid and the same for the same seed.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Input,
    Note,
    ParameterError,
    Persist,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
)
from protocols.common.saga_history import NAMES as SAFETY
from protocols.saga import SPEC, topology
from protocols.saga import orchestrator as o
from protocols.saga.table import TABLE
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from tests.helpers import assert_valid_trace
from tests.protocols import table_support as support
from tests.protocols.run_support import simulate_run
from tests.protocols.table_support import context, fire_table, receive, sends

ROWS = support.RowRegistry(support.table_rows(TABLE), "saga-orchestrated")


def saga(status: str = "forward", step: int = 1, **more: Any) -> dict[str, Any]:
    return {"status": status, "step": step, "retries": 0, "sent_at": 0, "started": 0, "locks": [], **more}


def service_state(phase: str = "open", **more: Any) -> dict[str, Any]:
    base = {"phase": phase, "stock": 100, "holder": "g1" if phase == "pending" else None, "last": None,
            "done": {}, "written": {}, "attempts": {}}
    return {**base, **more}


STATES: dict[str, dict[str, dict[str, Any]]] = {
    "orchestrator": {
        "init": {"phase": "init", "begun": 0, "sagas": {}},
        "running": {"phase": "running", "begun": 1, "sagas": {"g1": saga()}},
        "finished": {"phase": "finished", "begun": 1, "sagas": {"g1": saga("completed", 2)}},
    },
    "service": {"open": service_state(), "pending": service_state("pending")},
}
NODE = {"orchestrator": "orch", "service": "s1"}
SENDER = {"step": "orch", "compensate": "orch", "release": "orch"}
BODY = {"step": {"saga": "g1", "step": 1, "amount": 30, "retriable": False},
        "compensate": {"saga": "g1", "step": 1, "amount": 30}, "release": {"saga": "g1"},
        "step_busy": {"saga": "g1", "step": 1, "holder": "g2"}, "step_failed": {"saga": "g1", "step": 1,
                                                                               "reason": "stock"},
        "release_ok": {"saga": "g1"}}


def an_input(role: str, on: str) -> Input:
    """Return a plausible input for a row's key."""
    return support.plausible_input(on, lambda kind: receive(kind, src=SENDER.get(kind, "s1"), dest=NODE[role],
                                                             body=BODY.get(kind, {"saga": "g1", "step": 1})))


CASES = support.row_cases(TABLE, STATES)
"""Every (role, phase, input) a row answers, ANY_PHASE rows in each phase they really answer."""


NOW = 100
LOG = ({"type": "apply", "saga": "g1", "step": 1, "key": "stock", "before": 100, "after": 70, "idem": "g1/T1"},
       {"type": "fail", "saga": "g2", "step": 1, "key": "stock", "value": 70, "reason": "refused"})
"""What a service's log holds when it recovers: g1's step applied, g2's refused."""


SAMPLES = {
    ("orchestrator", "running", "msg:compensate_ok"): {**STATES["orchestrator"]["running"],
                                                       "sagas": {"g1": saga("compensating", 1)}},
    ("orchestrator", "running", "msg:release_ok"): {**STATES["orchestrator"]["running"],
                                                    "sagas": {"g1": saga("completed", 2, locks=["s1", "s2"])}},
    ("service", "pending", "msg:step"): service_state("pending", holder="g2"),
    ("service", "pending", "msg:compensate"): service_state("pending", stock=70, last="g1",
                                                            written={"g1": {"before": 100, "after": 70}}),
}
"""States other than the phase's sample: a saga compensating, one completed and holding its locks, an
item pending for another saga, one holding g1's step to undo."""


def row_state(role: str, phase: str, on: str) -> dict[str, Any]:
    """Return the state a row case is fired in."""
    return SAMPLES.get((role, phase, on), STATES[role][phase])


def row_input(role: str, phase: str, on: str) -> Input:
    """Return the input a row case is fired with: a recovery reads the sample log."""
    return Recover(durable=LOG) if on == "recover" else an_input(role, on)


def row_context(role: str, phase: str, on: str) -> Context:
    """Return the context a row case is fired in: the defaults, three sagas when the next one is due."""
    return context(SPEC, NODE[role], **({"sagas": 3} if on == "timer:next" else {}))


def _row_of(case: tuple[str, str, str]) -> tuple[str, str, str]:
    row = TABLE.lookup(*case)
    assert row is not None
    return row.role, row.phase, row.on


HANDLED = [case for case in CASES if not getattr(TABLE.lookup(*case), "ignore", True)]
"""The cases whose row has a handler: each has its outcome in ``OUTCOMES``."""
IGNORED = [case for case in CASES if case not in HANDLED]

ARM, OVERDUE = SetTimer(name="retry", delay_ms=50), SetTimer(name="retry", delay_ms=0)
"""The retry timer armed for a request sent now, and for one already overdue (sent at 0)."""
DISARM = CancelTimer(name="retry")
END = Persist(record={"type": "saga-end", "saga": "g1", "outcome": "compensated", "steps": 2})
APPLY_G1 = Persist(record={"type": "apply", "saga": "g1", "step": 1, "key": "stock", "before": 100, "after": 70,
                           "idem": "g1/T1"})
APPLIED_G1 = {"stock": 70, "last": "g1", "done": {"g1/T1": "ok"}, "written": {"g1": {"before": 100, "after": 70}}}
"""What g1's step T1 leaves at s1: 30 taken off the stock, its before- and after-image, its key."""


def step_request(saga_: str, step: int) -> Send:
    return Send(dest=f"s{step}", type="step", body={"saga": saga_, "step": step, "amount": 30, "retriable": False})


def reply(kind: str, **body: Any) -> Send:
    """Return a service's answer to the row case's message (``m42``), about g1's step 1 unless told."""
    return Send(dest="orch", type=kind, body=body or {"saga": "g1", "step": 1}, in_reply_to="m42")


OUTCOMES: dict[tuple[str, str, str], tuple[dict[str, Any], list[Effect]]] = {
    ("orchestrator", "init", "start"): ({"phase": "running", "begun": 1, "sagas": {"g1": saga(sent_at=NOW,
                                                                                             started=NOW)}}, [
        Persist(record={"type": "saga-begin", "saga": "g1", "steps": 2}), step_request("g1", 1), ARM]),
    ("orchestrator", "running", "timer:next"): ({"begun": 2, "sagas": {"g1": saga(),
                                                                       "g2": saga(sent_at=NOW, started=NOW)}}, [
        Persist(record={"type": "saga-begin", "saga": "g2", "steps": 2}), step_request("g2", 1),
        SetTimer(name="next", delay_ms=10), OVERDUE]),
    ("orchestrator", "running", "msg:step_ok"): ({"sagas": {"g1": saga(step=2, sent_at=NOW)}}, [
        step_request("g1", 2), ARM]),
    ("orchestrator", "running", "msg:step_failed"): ({"phase": "finished", "sagas": {"g1": saga(
        "compensated", sent_at=NOW)}}, [Note(text="g1: T1 failed (stock): compensate back"), END, DISARM]),
    ("orchestrator", "running", "msg:step_busy"): ({}, [Note(text="g1: T1 waits: the item is pending for g2")]),
    ("orchestrator", "running", "msg:compensate_ok"): ({"phase": "finished", "sagas": {"g1": saga(
        "compensated", sent_at=NOW)}}, [END, DISARM]),
    ("orchestrator", "running", "msg:compensate_failed"): ({}, [
        Note(text="g1: C1 failed for now: it will be retried")]),
    ("orchestrator", "running", "msg:release_ok"): ({"sagas": {"g1": saga("completed", 2, locks=["s2"])}},
                                                    [OVERDUE]),
    ("orchestrator", "running", "timer:retry"): ({"sagas": {"g1": saga(retries=1, sent_at=NOW)}}, [
        step_request("g1", 1), ARM]),
    ("service", "open", "msg:step"): ({"phase": "pending", "holder": "g1", **APPLIED_G1}, [APPLY_G1,
                                                                                           reply("step_ok")]),
    ("service", "open", "msg:compensate"): ({"done": {"g1/T1": "void", "g1/C1": "compensated"},
                                             "attempts": {"g1/C1": 1}}, [
        Persist(record={"type": "void", "saga": "g1", "step": 1, "key": "stock"}), reply("compensate_ok")]),
    ("service", "open", "msg:release"): ({}, [reply("release_ok", saga="g1")]),
    ("service", "pending", "msg:step"): ({}, [
        Persist(record={"type": "wait", "saga": "g1", "step": 1, "key": "stock", "holder": "g2"}),
        reply("step_busy", saga="g1", step=1, holder="g2")]),
    ("service", "pending", "msg:compensate"): ({"phase": "open", "stock": 100, "holder": None,
                                                "done": {"g1/C1": "compensated"}, "attempts": {"g1/C1": 1}}, [
        Persist(record={"type": "compensate", "saga": "g1", "step": 1, "key": "stock", "before": 70, "after": 100,
                        "mode": "restore", "idem": "g1/C1"}), reply("compensate_ok")]),
    ("service", "pending", "msg:release"): ({"phase": "open", "holder": None}, [
        Persist(record={"type": "release", "saga": "g1", "key": "stock"}), reply("release_ok", saga="g1")]),
    ("service", "open", "recover"): ({"phase": "pending", "holder": "g1", **APPLIED_G1,
                                      "done": {"g1/T1": "ok", "g2/T1": "failed"}}, []),
    ("service", "pending", "recover"): ({**APPLIED_G1, "done": {"g1/T1": "ok", "g2/T1": "failed"}}, []),
}
"""Each handled (role, phase, input) from its sample state: the fields its handler changes, and its
effects in order, as the handler's docstring and the module's theory say."""


@ROWS.covers(*{_row_of(case) for case in HANDLED})
@pytest.mark.parametrize(("role", "phase", "on"), HANDLED)
def test_every_handled_row_changes_what_its_handler_says(role: str, phase: str, on: str) -> None:
    state = row_state(role, phase, on)
    changed = support.handled_outcome(TABLE, row_context(role, phase, on), state, row_input(role, phase, on), NOW)
    assert changed == OUTCOMES[(role, phase, on)]


@ROWS.covers(*{_row_of(case) for case in IGNORED})
@pytest.mark.parametrize(("role", "phase", "on"), IGNORED)
def test_every_deliberate_ignore_changes_nothing(role: str, phase: str, on: str) -> None:
    state = STATES[role][phase]
    assert fire_table(TABLE, row_context(role, phase, on), state, row_input(role, phase, on), NOW) == (state, [])


def test_every_row_is_exercised_and_none_ignored_silently() -> None:
    support.assert_every_row_exercised(TABLE, CASES, ROWS)
    assert set(OUTCOMES) == set(HANDLED)
    assert not support.silent_ignores(TABLE)


def test_an_unlisted_input_is_refused_loudly() -> None:
    support.assert_refused_loudly(TABLE, context(SPEC, "orch"), STATES["orchestrator"]["init"],
                                  receive("step_ok", "s1", "orch", {"saga": "g1", "step": 1}), 5)
    support.assert_refused_loudly(TABLE, context(SPEC, "s1"), STATES["service"]["open"],
                                  receive("step_ok", "s2", "s1", {"saga": "g1", "step": 1}), 5)


# ------------------------------------------------------------------ the orchestrator


def answer(kind: str, saga_: str, step: int, src: str) -> Any:
    return receive(kind, src, "orch", {"saga": saga_, "step": step})


def test_start_begins_every_saga_at_once_or_one_per_stagger() -> None:
    ctx = context(SPEC, "orch", sagas=3, stagger_ms=0)
    state, effects = fire_table(TABLE, ctx, STATES["orchestrator"]["init"], Start(draw=0.5), 0)
    assert sorted(state["sagas"]) == ["g1", "g2", "g3"]
    assert [(s.dest, s.type, s.body["saga"]) for s in sends(effects)] == [("s1", "step", g) for g in
                                                                          ("g1", "g2", "g3")]
    ctx = context(SPEC, "orch", sagas=2, stagger_ms=25)
    state, effects = fire_table(TABLE, ctx, STATES["orchestrator"]["init"], Start(draw=0.5), 0)
    assert list(state["sagas"]) == ["g1"] and any(getattr(e, "name", "") == "next" for e in effects)
    state, effects = fire_table(TABLE, ctx, state, TimerFired(name="next"), 25)
    assert list(state["sagas"]) == ["g1", "g2"] and not any(getattr(e, "name", "") == "next" for e in effects)


def test_steps_go_forward_in_order_and_the_last_completes_the_saga() -> None:
    ctx = context(SPEC, "orch", services=3)
    state = STATES["orchestrator"]["running"]
    state, effects = fire_table(TABLE, ctx, state, answer("step_ok", "g1", 1, "s1"), 10)
    assert [(s.dest, s.type, s.body["step"]) for s in sends(effects)] == [("s2", "step", 2)]
    state, _ = fire_table(TABLE, ctx, state, answer("step_ok", "g1", 2, "s2"), 20)
    state, effects = fire_table(TABLE, ctx, state, answer("step_ok", "g1", 3, "s3"), 30)
    ends = [e.record for e in effects if isinstance(e, Persist)]
    assert ends == [{"type": "saga-end", "saga": "g1", "outcome": "completed", "steps": 3}]
    # With the semantic lock a completed saga releases every service, and the run ends once all acknowledge.
    assert [s.dest for s in sends(effects) if s.type == "release"] == ["s1", "s2", "s3"]
    assert state["phase"] == "running" and state["sagas"]["g1"]["locks"] == ["s1", "s2", "s3"]
    for node in ("s1", "s2", "s3"):
        state, _ = fire_table(TABLE, ctx, state, receive("release_ok", node, "orch", {"saga": "g1"}), 40)
    assert state["phase"] == "finished"


def test_a_failed_step_compensates_every_step_before_it_last_first() -> None:
    ctx = context(SPEC, "orch", services=3, countermeasure="none")
    state = {**STATES["orchestrator"]["running"], "sagas": {"g1": saga(step=3)}}
    state, effects = fire_table(TABLE, ctx, state, answer("step_failed", "g1", 3, "s3"), 10)
    assert [(s.dest, s.type, s.body["step"]) for s in sends(effects)] == [("s2", "compensate", 2)]
    state, effects = fire_table(TABLE, ctx, state, answer("compensate_ok", "g1", 2, "s2"), 20)
    assert [(s.dest, s.type, s.body["step"]) for s in sends(effects)] == [("s1", "compensate", 1)]
    state, effects = fire_table(TABLE, ctx, state, answer("compensate_ok", "g1", 1, "s1"), 30)
    assert [e.record["outcome"] for e in effects if isinstance(e, Persist)] == ["compensated"]
    assert state["phase"] == "finished" and sends(effects) == []  # Nothing to release.
    # A failed T1 has nothing to undo: the saga ends compensated at once.
    first = {**STATES["orchestrator"]["running"]}
    _, effects = fire_table(TABLE, ctx, first, answer("step_failed", "g1", 1, "s1"), 10)
    assert [e.record["type"] for e in effects if isinstance(e, Persist)] == ["saga-end"]


def test_answers_about_anything_but_the_awaited_request_change_nothing() -> None:
    ctx = context(SPEC, "orch")
    state = STATES["orchestrator"]["running"]
    for late in (answer("step_ok", "g1", 2, "s2"), answer("step_ok", "g9", 1, "s1"),
                 answer("compensate_ok", "g1", 1, "s1"), receive("release_ok", "s1", "orch", {"saga": "g1"})):
        assert fire_table(TABLE, ctx, state, late, 10)[0] == state
    _, effects = fire_table(TABLE, ctx, state, an_input("orchestrator", "msg:step_busy"), 10)
    assert sends(effects) == []


def test_retry_resends_the_overdue_then_gives_up_by_the_pivot() -> None:
    ctx = context(SPEC, "orch", services=3, pivot=2, max_retries=1, retry_ms=50)
    state = {**STATES["orchestrator"]["running"], "sagas": {"g1": saga(step=2, sent_at=0)}}
    assert fire_table(TABLE, ctx, state, TimerFired(name="retry"), 20)[0] == state  # Not due yet.
    state, effects = fire_table(TABLE, ctx, state, TimerFired(name="retry"), 50)
    assert [(s.dest, s.type) for s in sends(effects)] == [("s2", "step")] and state["sagas"]["g1"]["retries"] == 1
    state, effects = fire_table(TABLE, ctx, state, TimerFired(name="retry"), 100)
    # T2 is the pivot: unanswered, it is given up and compensated itself (run or not), then T1.
    assert [(s.dest, s.type, s.body["step"]) for s in sends(effects)] == [("s2", "compensate", 2)]
    after_pivot = {**STATES["orchestrator"]["running"], "sagas": {"g1": saga(step=3, retries=1)}}
    stuck, effects = fire_table(TABLE, ctx, after_pivot, TimerFired(name="retry"), 100)
    assert stuck["sagas"]["g1"]["status"] == "stuck" and stuck["phase"] == "finished" and sends(effects) == []
    comp = {**STATES["orchestrator"]["running"], "sagas": {"g1": saga("compensating", 1, retries=1)}}
    assert fire_table(TABLE, ctx, comp, TimerFired(name="retry"), 100)[0]["sagas"]["g1"]["status"] == "stuck"


def test_a_step_after_the_pivot_is_sent_as_retriable() -> None:
    ctx = context(SPEC, "orch", services=3, pivot=2)
    assert [o._request(ctx, "g1", "step", k).body["retriable"] for k in (1, 2, 3)] == [False, False, True]


def test_parameters_that_cannot_be_are_refused() -> None:
    for bad in ({"failing_step": 3}, {"pivot": 1, "failing_step": 2}, {"failing_saga": 2},
                {"email_step": 4, "services": 3}):
        with pytest.raises(ParameterError):
            topology(SPEC.resolve_params(bad))


# ------------------------------------------------------------------ a service


def step_msg(saga_: str = "g1", step: int = 1, retriable: bool = False) -> Any:
    return receive("step", "orch", "s1", {"saga": saga_, "step": step, "amount": 30, "retriable": retriable})


def comp_msg(saga_: str = "g1", step: int = 1) -> Any:
    return receive("compensate", "orch", "s1", {"saga": saga_, "step": step, "amount": 30})


def records(effects: Any) -> list[dict[str, Any]]:
    return [dict(e.record) for e in effects if isinstance(e, Persist)]


@pytest.mark.parametrize(("idempotency", "stock"), [(True, 70), (False, 40)])
def test_a_repeated_step_is_applied_once_only_with_idempotency_keys(idempotency: bool, stock: int) -> None:
    ctx = context(SPEC, "s1", idempotency=idempotency, countermeasure="none")
    state, effects = fire_table(TABLE, ctx, STATES["service"]["open"], step_msg(), 0)
    assert records(effects)[0] == {"type": "apply", "saga": "g1", "step": 1, "key": "stock", "before": 100,
                                   "after": 70, "idem": "g1/T1"}
    state, effects = fire_table(TABLE, ctx, state, step_msg(), 5)
    assert state["stock"] == stock and [s.type for s in sends(effects)] == ["step_ok"]


def test_the_semantic_lock_makes_other_sagas_wait_until_compensation_or_release() -> None:
    ctx = context(SPEC, "s1", countermeasure="semantic-lock")
    state, _ = fire_table(TABLE, ctx, STATES["service"]["open"], step_msg(), 0)
    assert (state["phase"], state["holder"]) == ("pending", "g1")
    same, effects = fire_table(TABLE, ctx, state, step_msg("g2"), 5)
    assert same["stock"] == 70 and [s.type for s in sends(effects)] == ["step_busy"]
    assert records(effects)[0]["type"] == "wait"
    undone, _ = fire_table(TABLE, ctx, state, comp_msg(), 10)
    assert (undone["phase"], undone["stock"]) == ("open", 100)
    released, effects = fire_table(TABLE, ctx, state, receive("release", "orch", "s1", {"saga": "g1"}), 10)
    assert released["phase"] == "open" and [s.type for s in sends(effects)] == ["release_ok"]
    _, effects = fire_table(TABLE, ctx, released, step_msg("g2"), 15)
    assert [s.type for s in sends(effects)] == ["step_ok"]


@pytest.mark.parametrize(("countermeasure", "after", "mode"), [("none", 100, "restore"), ("commutative", 70, "inverse"),
                                                                ("reread", 70, "inverse")])
def test_a_compensation_after_another_sagas_change_restores_or_adds_back(countermeasure: str, after: int,
                                                                          mode: str) -> None:
    ctx = context(SPEC, "s1", countermeasure=countermeasure)
    state, _ = fire_table(TABLE, ctx, STATES["service"]["open"], step_msg("g1"), 0)
    state, _ = fire_table(TABLE, ctx, state, step_msg("g2"), 5)
    state, effects = fire_table(TABLE, ctx, state, comp_msg("g1"), 10)
    assert records(effects)[0] | {"idem": None} == {"type": "compensate", "saga": "g1", "step": 1, "key": "stock",
                                                    "before": 40, "after": after, "mode": mode, "idem": None}


def test_reread_restores_the_image_when_nothing_changed() -> None:
    ctx = context(SPEC, "s1", countermeasure="reread")
    state, _ = fire_table(TABLE, ctx, STATES["service"]["open"], step_msg("g1"), 0)
    _, effects = fire_table(TABLE, ctx, state, comp_msg("g1"), 10)
    assert records(effects)[0]["mode"] == "restore" and records(effects)[0]["after"] == 100


def test_a_flaky_compensation_fails_its_first_tries_then_commits_once() -> None:
    ctx = context(SPEC, "s1", flaky_compensation=2, countermeasure="none")
    state, _ = fire_table(TABLE, ctx, STATES["service"]["open"], step_msg(), 0)
    kinds = []
    for now in (10, 20, 30, 40):
        state, effects = fire_table(TABLE, ctx, state, comp_msg(), now)
        kinds.append(sends(effects)[0].type)
    assert kinds == ["compensate_failed", "compensate_failed", "compensate_ok", "compensate_ok"]
    assert state["stock"] == 100


def test_a_compensation_before_its_step_voids_it_and_the_late_step_is_refused() -> None:
    ctx = context(SPEC, "s1")
    state, effects = fire_table(TABLE, ctx, STATES["service"]["open"], comp_msg(), 0)
    assert records(effects) == [{"type": "void", "saga": "g1", "step": 1, "key": "stock"}]
    state, effects = fire_table(TABLE, ctx, state, step_msg(), 5)
    assert state["stock"] == 100 and [s.type for s in sends(effects)] == ["step_failed"] and not records(effects)
    naive = context(SPEC, "s1", idempotency=False)
    state, _ = fire_table(TABLE, naive, STATES["service"]["open"], comp_msg(), 0)
    assert fire_table(TABLE, naive, state, step_msg(), 5)[0]["stock"] == 70  # Nothing remembered the void.


def test_business_failures_the_email_and_the_retriable_step() -> None:
    failing = context(SPEC, "s1", failing_step=1, failing_saga=1)
    state, effects = fire_table(TABLE, failing, STATES["service"]["open"], step_msg(), 0)
    assert records(effects)[0]["type"] == "fail" and state["stock"] == 100
    short = context(SPEC, "s1")
    low = {**STATES["service"]["open"], "stock": 10}
    assert sends(fire_table(TABLE, short, low, step_msg(), 0)[1])[0].type == "step_failed"
    assert fire_table(TABLE, short, low, step_msg(retriable=True), 0)[0]["stock"] == -20
    email = context(SPEC, "s1", email_step=1)
    _, effects = fire_table(TABLE, email, STATES["service"]["open"], step_msg(), 0)
    assert [r["type"] for r in records(effects)] == ["apply", "effect"]


def test_a_restarted_service_rebuilds_its_item_lock_and_keys_from_its_log() -> None:
    ctx = context(SPEC, "s1")
    log = ({"type": "apply", "saga": "g1", "step": 1, "key": "stock", "before": 100, "after": 70},
           {"type": "wait", "saga": "g2", "step": 1, "key": "stock", "holder": "g1"},
           {"type": "release", "saga": "g1", "key": "stock"},
           {"type": "apply", "saga": "g2", "step": 1, "key": "stock", "before": 70, "after": 40},
           {"type": "compensate", "saga": "g2", "step": 1, "key": "stock", "before": 40, "after": 70},
           {"type": "void", "saga": "g3", "step": 1, "key": "stock"},
           {"type": "fail", "saga": "g4", "step": 1, "key": "stock", "value": 70, "reason": "refused"})
    state, _ = fire_table(TABLE, ctx, STATES["service"]["pending"], Recover(durable=log), 0)
    assert (state["phase"], state["stock"], state["holder"], state["last"]) == ("open", 70, None, "g2")
    assert state["done"] == {"g1/T1": "ok", "g2/T1": "ok", "g2/C1": "compensated", "g3/T1": "void",
                             "g3/C1": "compensated", "g4/T1": "failed"}


# ------------------------------------------------------------------ scenarios

EXPECTED = {
    "happy-path": set(), "step-fails-compensate": set(), "compensation-retried": set(), "duplicate-step": set(),
    "duplicate-step-no-idempotency": {"saga-idempotent", "saga-atomicity"},
    "dirty-read": {"saga-no-dirty-read", "saga-no-lost-update"},
    "dirty-read-semantic-lock": set(),
    "lost-update-commutative": {"saga-no-dirty-read"},
    "lost-update-reread": {"saga-no-dirty-read"},
    "email-cannot-be-unsent": {"saga-effects-undone"},
    "email-after-pivot": set(),
    "service-down": set(),
}


def run(scenario: str | None = None, seed: int = 1, faults: Any = (), **params: Any) -> Engine:
    engine = Engine(SPEC, params, seed=seed, scenario=scenario, faults=list(faults), max_events=20_000)
    engine.run()
    return engine


def broken(engine: Engine) -> set[str]:
    return {str(e["invariant"]) for e in engine.log if e["kind"] == "violation"}


def test_every_scenario_is_expected() -> None:
    assert set(EXPECTED) == {s.name for s in SPEC.scenarios}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("story", sorted(EXPECTED))
def test_each_scenario_breaks_exactly_what_its_story_says(story: str, seed: int) -> None:
    engine = run(story, seed=seed)
    assert broken(engine) == EXPECTED[story]
    captions = {e["text"] for e in engine.log if e["kind"] == "caption"}
    scenario = next(s for s in SPEC.scenarios if s.name == story)
    assert captions == {c.text for c in scenario.captions}  # Every caption's moment happens.


def test_the_dirty_read_scenario_names_who_read_what() -> None:
    engine = run("dirty-read")
    findings = {e["invariant"]: e["finding"] for e in engine.log if e["kind"] == "violation"}
    assert findings["saga-no-dirty-read"]["data"] == {"reader": "g2", "item": "s1.stock", "value": 70,
                                                       "writer": "g1", "step": "T1"}
    assert findings["saga-no-lost-update"]["data"]["lost"] == ["g2"]
    assert engine.nodes["s1"].state["stock"] == 100  # g2's 30 is gone: it should be 70.


def test_the_compensation_retried_scenario_tries_three_times() -> None:
    engine = run("compensation-retried")
    failed = [e for e in engine.log if e["kind"] == "persist" and e["record"]["type"] == "compensate-failed"]
    assert len(failed) == 2 and engine.nodes["s1"].state["stock"] == 100


# ------------------------------------------------------------------ properties and traces


@st.composite
def fault_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A seed, a saga workload, lost and duplicated messages, and crashes of services each recovered later."""
    services = draw(st.integers(1, 3))
    faults: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        node, at = f"s{draw(st.integers(1, services))}", draw(st.integers(0, 300))
        faults += [{"action": "crash", "node": node, "at_ms": at},
                   {"action": "recover", "node": node, "at_ms": at + draw(st.integers(1, 200))}]
    pivot = draw(st.integers(0, services))
    params = {"services": services, "sagas": draw(st.integers(1, 3)), "stagger_ms": draw(st.integers(0, 40)),
              "failing_step": draw(st.integers(0, pivot or services)), "pivot": pivot,
              "email_step": draw(st.integers(pivot + 1, services)) if 0 < pivot < services else 0,
              "flaky_compensation": draw(st.integers(0, 2)), "stock": draw(st.sampled_from([100, 50])),
              "loss_probability": draw(st.sampled_from([0.0, 0.1, 0.2])),
              "duplicate_probability": draw(st.sampled_from([0.0, 0.1, 0.2])),
              "max_retries": 20}
    return {"seed": draw(st.integers(0, 2**31)), "faults": faults, "params": params}


@settings(max_examples=60, deadline=None)
@given(fault_runs())
def test_with_the_semantic_lock_and_idempotency_no_safety_invariant_ever_breaks(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, max_events=20_000)
    assert not broken(engine) & set(SAFETY)


@settings(max_examples=40, deadline=None)
@given(fault_runs(), st.sampled_from(["commutative", "reread"]))
def test_compensations_that_add_back_or_reread_never_lose_an_update(run_: dict[str, Any], remedy: str) -> None:
    run_ = {**run_, "params": {**run_["params"], "countermeasure": remedy, "sagas": 3, "stagger_ms": 5}}
    engine = simulate_run(SPEC, run_, max_events=20_000)
    assert "saga-no-lost-update" not in broken(engine)


@pytest.mark.parametrize("scenario", ["dirty-read", "compensation-retried"])
def test_the_same_seed_writes_the_same_valid_trace(scenario: str) -> None:
    first, second = run(scenario, seed=7), run(scenario, seed=7)
    assert dumps(build_trace(first)) == dumps(build_trace(second))
    assert_valid_trace(build_trace(first))


# ------------------------------------------------------------------ the comparison with 2PC


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_comparison_with_2pc_shows_latency_isolation_and_availability(seed: int) -> None:
    from protocols import REGISTRY
    from protocols.comparisons import PRESETS
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "saga-vs-2pc")
    rows = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"], seed=seed)
    tpc, saga_, dirty, locked, tpc_down, saga_down = (row["summary"] for row in rows)
    # Latency: the saga's steps run one after another, 2PC's participants prepare and commit side by side.
    assert tpc["outcome"] == "committed" and saga_["sagas_completed"] == 1
    assert saga_["saga_latency_ms"] > max(tpc["decided_at_ms"].values())
    # Isolation: only the saga without a countermeasure shows anomalies; the semantic lock pays in waiting.
    assert rows[0]["violated"] == rows[1]["violated"] == rows[3]["violated"] == []
    assert dirty["anomalies"] >= 2 and set(rows[2]["violated"]) == {"saga-no-dirty-read", "saga-no-lost-update"}
    assert locked["anomalies"] == 0 and locked["blocked_ms"]["s1"] > 0 and dirty["blocked_ms"]["s1"] == 0
    # Availability with one service down: 2PC aborts with its prepared participants blocked until it does;
    # the saga waits the outage out without holding anything, and completes.
    assert tpc_down["outcome"] == "aborted" and tpc_down["blocked_ms"]["p1"] > 0 and tpc_down["blocked_ms"]["p3"] > 0
    assert saga_down["sagas_completed"] == 1 and set(saga_down["blocked_ms"].values()) == {0}
    assert rows[5]["violated"] == []
