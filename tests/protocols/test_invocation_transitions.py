"""Every row of the service-invocation transition table, fired by hand.

Each test builds a context and a state, fires one input through the table
at a chosen ``now`` and asserts the new state and the exact effects. Tests
register the rows they cover; a row without a test fails the suite.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Effect,
    Input,
    Note,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
)
from protocols.common.calls import breaker as br
from protocols.common.calls.consumer import CONSUMER_SALT
from protocols.common.rng import Stream, seed_from_draw
from protocols.invocation import SPEC
from protocols.invocation.table import TABLE
from tests.protocols import table_support as support
from tests.protocols.table_support import RowRegistry, fire_table, table_rows, without_notes

U, P = "consumer", "provider"
ROWS = RowRegistry(table_rows(TABLE), "service-invocation")
covers = ROWS.covers


def context(node: str = "u1", **params: Any) -> Context:
    return support.context(SPEC, node, **params)


def consumer(ctx: Context, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx), **fields}


def fire(ctx: Context, state: dict[str, Any], event: Input, now: int) -> tuple[dict[str, Any], list[Effect]]:
    return fire_table(TABLE, ctx, state, event, now)


def receive(type_: str, src: str, dest: str, body: dict[str, Any], msg_id: str = "m9") -> Receive:
    return support.receive(type_, src, dest, body, msg_id)


def in_flight(call: str = "u1-1", n: int = 1, to: str = "p1", start: int = 0, deadline: int | None = 100,
              retry_at: int | None = None, trial: bool = False) -> dict[str, Any]:
    return {call: {"n": n, "to": to, "start": start, "deadline": deadline, "retry_at": retry_at, "trial": trial}}


# ------------------------------------------------------------- consumer


@covers((U, "calling", "start"))
def test_a_consumer_starts_by_scheduling_its_first_call_within_the_first_interval() -> None:
    ctx = context(call_interval_ms=40)
    new, effects = fire(ctx, consumer(ctx), Start(draw=0.25), now=0)
    stream = Stream(seed_from_draw(0.25, CONSUMER_SALT))
    first = 1 + stream.below(40)
    assert effects == [SetTimer(name="next_call", delay_ms=first)]
    assert new["rng"] == stream.state and new["phase"] == "calling"


@covers((U, "calling", "start"))
def test_a_consumer_with_no_calls_is_done_at_once() -> None:
    ctx = context(calls_per_consumer=0)
    new, effects = fire(ctx, consumer(ctx), Start(draw=0.5), now=0)
    assert new["phase"] == "done" and effects == []


@covers((U, "calling", "timer:next_call"))
def test_a_call_sends_its_first_attempt_with_its_key_and_arms_the_deadline() -> None:
    ctx = context(calls_per_consumer=3, call_interval_ms=25, timeout_ms=80)
    new, effects = fire(ctx, consumer(ctx), TimerFired(name="next_call"), now=10)
    assert effects == [
        Send(dest="p1", type="call", body={"call": "u1-1", "attempt": 1, "key": "u1-1"}),
        SetTimer(name="attempt_timeout", delay_ms=80),
        SetTimer(name="next_call", delay_ms=25),
    ]
    assert new["issued"] == 1 and new["phase"] == "calling"
    assert new["inflight"] == in_flight(start=10, deadline=90)
    assert new["window"]["calls"] == [10] and new["metrics"]["calls"] == 1
    assert new["lb"] == {"next": 1} and new["armed"] == {"attempt_timeout": 90}


@covers((U, "calling", "timer:next_call"))
def test_the_last_call_drains_and_without_idempotency_carries_no_key() -> None:
    ctx = context(calls_per_consumer=2, idempotency=False)
    state = consumer(ctx, issued=1, inflight=in_flight(), armed={"attempt_timeout": 100})
    new, effects = fire(ctx, state, TimerFired(name="next_call"), now=30)
    assert effects == [Send(dest="p1", type="call", body={"call": "u1-2", "attempt": 1})]
    assert new["phase"] == "draining" and set(new["inflight"]) == {"u1-1", "u1-2"}


@covers((U, "calling", "timer:next_call"))
def test_with_every_breaker_open_a_call_fails_fast_and_is_logged() -> None:
    ctx = context(calls_per_consumer=1, providers=1, breaker=True)
    opened = {**br.new_breaker(), "state": "open", "since": 5, "failures": 3, "opened": 1}
    state = consumer(ctx, breakers={"p1": opened}, armed={"cooldown": 205})
    new, effects = fire(ctx, state, TimerFired(name="next_call"), now=50)
    assert effects == [Persist(record={"type": "call", "call": "u1-1", "ok": False, "attempts": 0,
                                       "latency_ms": 0, "why": "fail fast: every breaker is open"})]
    assert new["phase"] == "done" and new["metrics"]["failed"] == 1


@pytest.mark.parametrize("phase", ["calling", "draining"])
@covers((U, "calling", "msg:reply"), (U, "draining", "msg:reply"))
def test_a_reply_ends_the_call_and_logs_it(phase: str) -> None:
    ctx = context(calls_per_consumer=1, breaker=True)
    state = consumer(ctx, phase=phase, issued=1, inflight=in_flight(start=10, deadline=110),
                     armed={"attempt_timeout": 110})
    state["breakers"]["p1"]["failures"] = 2
    body = {"call": "u1-1", "attempt": 1, "key": "u1-1", "result": "p1#4", "deduped": False}
    new, effects = fire(ctx, state, receive("reply", "p1", "u1", body), now=45)
    assert effects == [CancelTimer(name="attempt_timeout"),
                       Persist(record={"type": "call", "call": "u1-1", "ok": True, "attempts": 1,
                                       "latency_ms": 35, "result": "p1#4"})]
    assert new["phase"] == "done" and new["inflight"] == {} and new["metrics"]["ok"] == 1
    assert new["breakers"]["p1"]["failures"] == 0, "a success resets the consecutive failures"


@covers((U, "calling", "msg:reply"))
def test_a_reply_to_an_abandoned_attempt_is_late_and_ignored() -> None:
    ctx = context()
    state = consumer(ctx, issued=1, inflight=in_flight(n=2, deadline=None, retry_at=60), armed={"retry": 60})
    body = {"call": "u1-1", "attempt": 1, "result": "p1#1"}
    new, effects = fire(ctx, state, receive("reply", "p1", "u1", body), now=55)
    assert effects == [] and new["inflight"] == state["inflight"] and new["metrics"]["late"] == 1


@pytest.mark.parametrize("phase", ["calling", "draining"])
@covers((U, "calling", "msg:error"), (U, "draining", "msg:error"))
def test_an_error_schedules_a_jittered_retry(phase: str) -> None:
    ctx = context(backoff_ms=20, max_retries=2)
    state = consumer(ctx, phase=phase, issued=1, inflight=in_flight(deadline=100), armed={"attempt_timeout": 100},
                     rng=99)
    body = {"call": "u1-1", "attempt": 1, "key": "u1-1", "error": "unavailable"}
    new, effects = fire(ctx, state, receive("error", "p1", "u1", body), now=40)
    delay = new["inflight"]["u1-1"]["retry_at"] - 40
    assert 10 <= delay <= 20
    assert effects == [CancelTimer(name="attempt_timeout"), SetTimer(name="retry", delay_ms=delay)]
    assert new["metrics"]["retries"] == 1 and new["window"]["retries"] == [40]
    assert new["inflight"]["u1-1"]["deadline"] is None


@covers((U, "calling", "msg:error"))
def test_an_error_with_no_retries_left_fails_the_call() -> None:
    ctx = context(max_retries=1, calls_per_consumer=5)
    state = consumer(ctx, issued=1, inflight=in_flight(n=2, start=0, deadline=100), armed={"attempt_timeout": 100})
    body = {"call": "u1-1", "attempt": 2, "error": "overloaded"}
    new, effects = fire(ctx, state, receive("error", "p1", "u1", body), now=70)
    assert effects == [CancelTimer(name="attempt_timeout"),
                       Persist(record={"type": "call", "call": "u1-1", "ok": False, "attempts": 2,
                                       "latency_ms": 70, "why": "overloaded; no retries left"})]
    assert new["phase"] == "calling"


@covers((U, "calling", "msg:error"))
def test_an_error_the_budget_cannot_pay_for_fails_the_call() -> None:
    ctx = context(retry_budget="0.2")
    state = consumer(ctx, issued=1, inflight=in_flight(), window={"calls": [0], "retries": []},
                     armed={"attempt_timeout": 100})
    new, effects = fire(ctx, state, receive("error", "p1", "u1", {"call": "u1-1", "attempt": 1, "error": "x"}), 20)
    assert Note(text="retry budget spent: u1-1 is not retried") in effects
    assert next(e for e in effects if isinstance(e, Persist)).record["why"] == "x; retry budget spent"
    assert new["metrics"]["retries"] == 0


@pytest.mark.parametrize("phase", ["calling", "draining"])
@covers((U, "calling", "timer:attempt_timeout"), (U, "draining", "timer:attempt_timeout"))
def test_a_timeout_fails_the_due_attempts_only_and_opens_a_breaker_at_its_threshold(phase: str) -> None:
    ctx = context(breaker=True, failure_threshold=2, max_retries=0, calls_per_consumer=9, cooldown_ms=300)
    state = consumer(ctx, phase=phase, issued=2,
                     inflight={**in_flight("u1-1", deadline=100), **in_flight("u1-2", to="p2", deadline=130)},
                     armed={"attempt_timeout": 100})
    state["breakers"]["p1"]["failures"] = 1
    new, effects = fire(ctx, state, TimerFired(name="attempt_timeout"), now=100)
    assert without_notes(effects) == [
        SetTimer(name="attempt_timeout", delay_ms=30),
        SetTimer(name="cooldown", delay_ms=300),
        Persist(record={"type": "call", "call": "u1-1", "ok": False, "attempts": 1, "latency_ms": 100,
                        "why": "timeout; no retries left"}),
    ]
    assert Note(text="breaker for p1: closed -> open") in effects
    assert new["breakers"]["p1"]["state"] == "open" and new["breakers"]["p1"]["since"] == 100
    assert list(new["inflight"]) == ["u1-2"]


@pytest.mark.parametrize("phase", ["calling", "draining"])
@covers((U, "calling", "timer:retry"), (U, "draining", "timer:retry"))
def test_a_due_retry_goes_through_the_balancer_with_the_same_key(phase: str) -> None:
    ctx = context(timeout_ms=70)
    state = consumer(ctx, phase=phase, issued=1, inflight=in_flight(n=1, deadline=None, retry_at=50),
                     armed={"retry": 50}, lb={"next": 1})
    new, effects = fire(ctx, state, TimerFired(name="retry"), now=50)
    assert effects == [Send(dest="p2", type="call", body={"call": "u1-1", "attempt": 2, "key": "u1-1"}),
                       SetTimer(name="attempt_timeout", delay_ms=70)]
    assert new["inflight"]["u1-1"]["n"] == 2 and new["armed"] == {"attempt_timeout": 120}


@pytest.mark.parametrize("phase", ["calling", "draining", "done"])
@covers((U, ANY_PHASE, "timer:cooldown"))
def test_the_cool_down_half_opens_the_breakers_whose_time_has_come(phase: str) -> None:
    ctx = context(breaker=True, cooldown_ms=100)
    opened = {**br.new_breaker(), "state": "open", "since": 20, "failures": 3, "opened": 1}
    later = {**opened, "since": 60}
    issued = 0 if phase == "calling" else 10
    calls = in_flight(deadline=200) if phase == "draining" else {}
    state = consumer(ctx, phase=phase, issued=issued, inflight=calls, armed={"cooldown": 120, "attempt_timeout": 200},
                     breakers={"p1": opened, "p2": later, "p3": br.new_breaker()})
    if not calls:
        del state["armed"]["attempt_timeout"]
    new, effects = fire(ctx, state, TimerFired(name="cooldown"), now=120)
    assert new["breakers"]["p1"]["state"] == "half-open" and new["breakers"]["p2"]["state"] == "open"
    assert without_notes(effects) == [SetTimer(name="cooldown", delay_ms=40)]
    assert new["phase"] == phase


@covers((U, ANY_PHASE, "recover"))
def test_a_recovered_consumer_starts_no_more_calls() -> None:
    ctx = context()
    durable = ({"type": "call", "call": "u1-1", "ok": True, "attempts": 1, "latency_ms": 30},)
    new, effects = fire(ctx, consumer(ctx), Recover(durable=durable), now=300)
    assert new["phase"] == "done"
    assert effects == [Note(text="u1 restarts after a crash with 1 calls in its log; the calls it had in flight "
                                 "are lost and it starts no more")]


@pytest.mark.parametrize("type_", ["reply", "error"])
@covers((U, "done", "msg:reply"), (U, "done", "msg:error"))
def test_a_done_consumer_ignores_late_answers(type_: str) -> None:
    ctx = context()
    state = consumer(ctx, phase="done")
    assert fire(ctx, state, receive(type_, "p2", "u1", {"call": "u1-1", "attempt": 1}), 500) == (state, [])


# ------------------------------------------------------------- provider


def provider(ctx: Context, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx), **fields}


CALL = {"call": "u1-1", "attempt": 1, "key": "u1-1"}


@covers((P, "idle", "start"))
def test_a_provider_seeds_its_stream() -> None:
    ctx = context("p1")
    new, effects = fire(ctx, provider(ctx), Start(draw=0.75), now=0)
    assert effects == [] and new["rng"] == seed_from_draw(0.75, 7)


@covers((P, ANY_PHASE, "msg:call"))
def test_a_call_starts_on_a_free_worker_then_queues_then_is_refused() -> None:
    ctx = context("p1", provider_capacity=1, queue_limit=1, service_ms=30)
    state, effects = fire(ctx, provider(ctx), receive("call", "u1", "p1", CALL, "m1"), now=10)
    assert state["phase"] == "busy" and effects == [SetTimer(name="work", delay_ms=30)]
    assert state["active"] == [{"src": "u1", "mid": "m1", "body": CALL, "done": 40}]
    state, effects = fire(ctx, state, receive("call", "u2", "p1", {"call": "u2-1", "attempt": 1}, "m2"), now=12)
    assert state["phase"] == "queueing" and effects == [] and len(state["queue"]) == 1
    state, effects = fire(ctx, state, receive("call", "u2", "p1", {"call": "u2-2", "attempt": 1}, "m3"), now=13)
    assert effects == [Send(dest="u2", type="error", body={"call": "u2-2", "attempt": 1, "error": "overloaded"},
                            in_reply_to="m3")]
    assert state["errors"] == 1 and len(state["queue"]) == 1


@covers((P, ANY_PHASE, "msg:call"))
def test_a_failing_provider_refuses_calls_until_it_heals_and_a_slow_one_works_slowly() -> None:
    ctx = context("p2", failing_provider="p2", fail_ratio=1.0, fail_until_ms=100, slow_provider="p2", slow_ms=90)
    state, effects = fire(ctx, provider(ctx), receive("call", "u1", "p2", CALL, "m4"), now=99)
    assert effects == [Send(dest="u1", type="error", body={**CALL, "error": "unavailable"}, in_reply_to="m4")]
    assert state["phase"] == "idle"
    state, effects = fire(ctx, state, receive("call", "u1", "p2", CALL, "m5"), now=100)
    assert effects == [SetTimer(name="work", delay_ms=90)], "healed at fail_until_ms; slow: 90 ms of work"


@covers((P, ANY_PHASE, "timer:work"))
def test_finished_work_is_executed_logged_and_answered_then_the_queue_moves_up() -> None:
    ctx = context("p1", provider_capacity=1, service_ms=30)
    job = {"src": "u1", "mid": "m1", "body": CALL, "done": 40}
    waiting = {"src": "u2", "mid": "m2", "body": {"call": "u2-1", "attempt": 1, "key": "u2-1"}}
    state = provider(ctx, phase="queueing", active=[job], queue=[waiting], armed=40)
    new, effects = fire(ctx, state, TimerFired(name="work"), now=40)
    assert effects == [
        Persist(record={"type": "executed", "call": "u1-1", "key": "u1-1", "result": "p1#1"}),
        Send(dest="u1", type="reply", body={**CALL, "result": "p1#1", "deduped": False}, in_reply_to="m1"),
        SetTimer(name="work", delay_ms=30),
    ]
    assert new["phase"] == "busy" and new["keys"] == {"u1-1": "p1#1"} and new["executions"] == 1
    assert new["active"] == [{**waiting, "done": 70}] and new["armed"] == 70


@covers((P, ANY_PHASE, "timer:work"))
def test_a_known_key_is_answered_from_the_stored_result_without_executing() -> None:
    ctx = context("p1")
    job = {"src": "u1", "mid": "m7", "body": {**CALL, "attempt": 2}, "done": 40}
    state = provider(ctx, phase="busy", active=[job], keys={"u1-1": "p1#1"}, executions=1, armed=40)
    new, effects = fire(ctx, state, TimerFired(name="work"), now=40)
    assert effects == [Send(dest="u1", type="reply", body={**CALL, "attempt": 2, "result": "p1#1", "deduped": True},
                            in_reply_to="m7")]
    assert new["phase"] == "idle" and new["executions"] == 1 and new["deduped"] == 1 and new["armed"] is None


@covers((P, ANY_PHASE, "timer:work"))
def test_without_a_key_every_execution_takes_effect() -> None:
    ctx = context("p1")
    body = {"call": "u1-1", "attempt": 2}
    state = provider(ctx, phase="busy", active=[{"src": "u1", "mid": "m7", "body": body, "done": 40}], executions=1)
    new, effects = fire(ctx, state, TimerFired(name="work"), now=40)
    assert effects[0] == Persist(record={"type": "executed", "call": "u1-1", "key": None, "result": "p1#2"})
    assert new["keys"] == {}


@covers((P, ANY_PHASE, "recover"))
def test_a_recovered_provider_keeps_its_keys_and_loses_its_queue() -> None:
    ctx = context("p1")
    durable = ({"type": "executed", "call": "u1-1", "key": "u1-1", "result": "p1#1"},
               {"type": "executed", "call": "u2-1", "key": None, "result": "p1#2"})
    new, effects = fire(ctx, provider(ctx), Recover(durable=durable), now=500)
    assert effects == [] and new["phase"] == "idle"
    assert new["keys"] == {"u1-1": "p1#1"} and new["executions"] == 2 and new["queue"] == []


# --------------------------------------------------------------- coverage


def test_every_row_has_a_test() -> None:
    assert not ROWS.missing(), f"rows without a test: {ROWS.missing()}"
