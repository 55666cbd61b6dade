"""Every row of the service-mesh transition table, fired by hand.

Apps, both kinds of sidecar, the control plane and the (shared) provider
rows: each test fires one input at a chosen ``now`` and asserts the new
state and the exact effects. A row without a test fails the suite.
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
from protocols.mesh import SPEC
from protocols.mesh.control import policy_body
from protocols.mesh.handlers import SIDECAR_SALT
from protocols.mesh.table import TABLE
from tests.protocols import table_support as support
from tests.protocols.table_support import RowRegistry, fire_table, table_rows

U, OUT, IN, CTRL, P = "consumer", "consumer-sidecar", "provider-sidecar", "control", "provider"
ROWS = RowRegistry(table_rows(TABLE), "service-mesh")
covers = ROWS.covers
SIDECARS = ["u1-sidecar", "u2-sidecar", "p1-sidecar", "p2-sidecar", "p3-sidecar"]


def context(node: str, **params: Any) -> Context:
    return support.context(SPEC, node, **params)


def initial(ctx: Context, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx), **fields}


def fire(ctx: Context, state: dict[str, Any], event: Input, now: int) -> tuple[dict[str, Any], list[Effect]]:
    return fire_table(TABLE, ctx, state, event, now)


def receive(type_: str, src: str, dest: str, body: dict[str, Any], msg_id: str = "m9") -> Receive:
    return support.receive(type_, src, dest, body, msg_id)


def ready_sidecar(ctx: Context, now: int = 0, **policy: Any) -> dict[str, Any]:
    """A consumer sidecar that has adopted policy version 1 (with overrides), nothing in flight."""
    body = policy_body(context("control", **policy), 1)
    state, _ = fire(ctx, initial(ctx), receive("policy", "control", ctx.node, body), now)
    return state


# --------------------------------------------------------------- consumer app


@covers((U, "calling", "start"))
def test_an_app_schedules_its_first_call() -> None:
    ctx = context("u1", call_interval_ms=30)
    new, effects = fire(ctx, initial(ctx), Start(draw=0.5), 0)
    stream = Stream(seed_from_draw(0.5, CONSUMER_SALT))
    assert effects == [SetTimer(name="next_call", delay_ms=1 + stream.below(30))]
    assert new["rng"] == stream.state
    ctx = context("u1", calls_per_consumer=0)
    assert fire(ctx, initial(ctx), Start(draw=0.5), 0)[0]["phase"] == "done"


@covers((U, "calling", "timer:next_call"))
def test_an_app_hands_its_call_to_its_own_sidecar_and_guards_it_with_a_deadline() -> None:
    ctx = context("u1", calls_per_consumer=2, call_interval_ms=25, app_deadline_ms=900)
    new, effects = fire(ctx, initial(ctx), TimerFired(name="next_call"), 40)
    assert effects == [Send(dest="u1-sidecar", type="call", body={"call": "u1-1"}),
                       SetTimer(name="next_call", delay_ms=25), SetTimer(name="deadline", delay_ms=900)]
    assert new["waiting"] == {"u1-1": 40} and new["phase"] == "calling"
    new, effects = fire(ctx, new, TimerFired(name="next_call"), 65)
    assert effects == [Send(dest="u1-sidecar", type="call", body={"call": "u1-2"})]
    assert new["phase"] == "draining"


@pytest.mark.parametrize("phase", ["calling", "draining"])
@covers((U, "calling", "msg:result"), (U, "draining", "msg:result"))
def test_the_sidecars_result_goes_to_the_call_log(phase: str) -> None:
    ctx = context("u1", calls_per_consumer=1)
    state = initial(ctx, phase=phase, issued=1, waiting={"u1-1": 40}, armed=40)
    body = {"call": "u1-1", "ok": True, "attempts": 2, "result": "p2#3"}
    new, effects = fire(ctx, state, receive("result", "u1-sidecar", "u1", body), 150)
    assert effects == [Persist(record={"type": "call", "call": "u1-1", "ok": True, "attempts": 2,
                                       "latency_ms": 110, "result": "p2#3"}),
                       CancelTimer(name="deadline")]
    assert new["phase"] == "done" and new["waiting"] == {}


@covers((U, "calling", "msg:result"))
def test_a_result_after_the_deadline_changes_nothing() -> None:
    ctx = context("u1")
    state = initial(ctx, issued=1)
    assert fire(ctx, state, receive("result", "u1-sidecar", "u1", {"call": "u1-1", "ok": True}), 99) == (state, [])


@pytest.mark.parametrize("phase", ["calling", "draining"])
@covers((U, "calling", "timer:deadline"), (U, "draining", "timer:deadline"))
def test_the_app_gives_up_calls_its_sidecar_never_answered(phase: str) -> None:
    ctx = context("u1", calls_per_consumer=2, app_deadline_ms=500)
    state = initial(ctx, phase=phase, issued=1 if phase == "calling" else 2, waiting={"u1-1": 0, "u1-2": 100},
                    armed=0)
    new, effects = fire(ctx, state, TimerFired(name="deadline"), 500)
    assert effects == [Persist(record={"type": "call", "call": "u1-1", "ok": False, "attempts": 0, "latency_ms": 500,
                                       "why": "no answer from the sidecar"}),
                       SetTimer(name="deadline", delay_ms=100)]
    assert new["waiting"] == {"u1-2": 100} and new["phase"] == phase


@covers((U, ANY_PHASE, "recover"))
def test_a_recovered_app_starts_no_more_calls() -> None:
    ctx = context("u2")
    new, effects = fire(ctx, initial(ctx), Recover(durable=()), 10)
    assert new["phase"] == "done"
    assert effects == [Note(text="u2 restarts after a crash and starts no more calls")]


@covers((U, "done", "msg:result"))
def test_a_done_app_ignores_a_late_result() -> None:
    ctx = context("u1")
    state = initial(ctx, phase="done")
    assert fire(ctx, state, receive("result", "u1-sidecar", "u1", {"call": "u1-1"}), 9) == (state, [])


# ---------------------------------------------------------- consumer sidecar


@covers((OUT, "waiting", "start"))
def test_a_consumer_sidecar_seeds_its_stream_and_waits_for_policy() -> None:
    ctx = context("u1-sidecar")
    new, effects = fire(ctx, initial(ctx), Start(draw=0.3), 0)
    assert effects == [] and new["rng"] == seed_from_draw(0.3, SIDECAR_SALT) and new["phase"] == "waiting"


@covers((OUT, "waiting", "msg:call"))
def test_without_a_policy_the_sidecar_holds_the_call() -> None:
    ctx = context("u1-sidecar")
    new, effects = fire(ctx, initial(ctx), receive("call", "u1", "u1-sidecar", {"call": "u1-1"}, "m3"), 5)
    assert effects == [] and new["held"] == [{"call": "u1-1", "app": "u1", "mid": "m3"}]


@covers((OUT, ANY_PHASE, "msg:policy"))
def test_the_first_policy_is_forced_to_the_log_adopted_acknowledged_and_frees_the_held_calls() -> None:
    ctx = context("u1-sidecar")
    state = initial(ctx, held=[{"call": "u1-1", "app": "u1", "mid": "m3"}])
    body = policy_body(context("control", timeout_ms=90), 1)
    new, effects = fire(ctx, state, receive("policy", "control", "u1-sidecar", body, "m1"), 12)
    assert effects == [
        Persist(record={"type": "policy", **body}),
        Send(dest="p1-sidecar", type="call", body={"call": "u1-1", "attempt": 1, "key": "u1-1"}),
        SetTimer(name="attempt_timeout", delay_ms=90),
        Send(dest="control", type="policy_ack", body={"version": 1}, in_reply_to="m1"),
    ]
    assert (new["phase"], new["version"], new["held"]) == ("ready", 1, [])
    assert new["endpoints"] == ["p1-sidecar", "p2-sidecar", "p3-sidecar"]
    assert new["inflight"]["u1-1"]["origin"] == {"app": "u1", "mid": "m3"}


@covers((OUT, ANY_PHASE, "msg:policy"))
def test_a_newer_policy_turns_breakers_on_and_an_old_one_is_only_acknowledged() -> None:
    ctx = context("u1-sidecar")
    state = ready_sidecar(ctx)
    assert state["breakers"] == {}
    v2 = policy_body(context("control", policy_change="breaker=on;cooldown_ms=77", policy_change_at_ms=5), 2)
    new, effects = fire(ctx, state, receive("policy", "control", "u1-sidecar", v2, "m8"), 500)
    assert new["version"] == 2 and new["policy"]["breaker"] and new["policy"]["cooldown_ms"] == 77
    assert set(new["breakers"]) == {"p1-sidecar", "p2-sidecar", "p3-sidecar"}
    assert effects == [Persist(record={"type": "policy", **v2}),
                       Send(dest="control", type="policy_ack", body={"version": 2}, in_reply_to="m8")]
    again, effects = fire(ctx, new, receive("policy", "control", "u1-sidecar", policy_body(context("control"), 1),
                                            "m9"), 600)
    assert again == new
    assert effects == [Send(dest="control", type="policy_ack", body={"version": 2}, in_reply_to="m9")]


@covers((OUT, "ready", "msg:call"))
def test_a_ready_sidecar_balances_the_apps_call() -> None:
    ctx = context("u1-sidecar")
    state = ready_sidecar(ctx)
    new, effects = fire(ctx, state, receive("call", "u1", "u1-sidecar", {"call": "u1-1"}, "m4"), 20)
    assert effects == [Send(dest="p1-sidecar", type="call", body={"call": "u1-1", "attempt": 1, "key": "u1-1"}),
                       SetTimer(name="attempt_timeout", delay_ms=150)]
    assert new["metrics"]["calls"] == 1


@pytest.mark.parametrize(("type_", "ok"), [("reply", True), ("error", False)])
@covers((OUT, "ready", "msg:reply"), (OUT, "ready", "msg:error"))
def test_the_sidecar_answers_its_app_or_retries(type_: str, ok: bool) -> None:
    ctx = context("u1-sidecar", max_retries=0)
    state, _ = fire(ctx, ready_sidecar(ctx, max_retries=0), receive("call", "u1", "u1-sidecar", {"call": "u1-1"},
                                                                    "m4"), 20)
    body = {"call": "u1-1", "attempt": 1, "key": "u1-1", **({"result": "p1#1"} if ok else {"error": "unavailable"})}
    new, effects = fire(ctx, state, receive(type_, "p1-sidecar", "u1-sidecar", body), 60)
    answer = {"call": "u1-1", "ok": ok, "attempts": 1,
              **({"result": "p1#1"} if ok else {"why": "unavailable; no retries left"})}
    assert effects == [CancelTimer(name="attempt_timeout"),
                       Send(dest="u1", type="result", body=answer, in_reply_to="m4")]
    assert new["inflight"] == {}


@pytest.mark.parametrize("timer", ["attempt_timeout", "retry", "cooldown"])
@covers((OUT, "ready", "timer:attempt_timeout"), (OUT, "ready", "timer:retry"), (OUT, "ready", "timer:cooldown"))
def test_the_sidecars_timers_run_the_shared_caller(timer: str) -> None:
    ctx = context("u1-sidecar", breaker=True, cooldown_ms=50)
    state = ready_sidecar(ctx, breaker=True, cooldown_ms=50)
    state, _ = fire(ctx, state, receive("call", "u1", "u1-sidecar", {"call": "u1-1"}, "m4"), 0)
    if timer == "attempt_timeout":
        new, effects = fire(ctx, state, TimerFired(name=timer), 150)
        assert new["inflight"]["u1-1"]["retry_at"] is not None and new["metrics"]["retries"] == 1
        assert [e.name for e in effects if isinstance(e, SetTimer)] == ["retry"]
    elif timer == "retry":
        due = {**state["inflight"]["u1-1"], "deadline": None, "retry_at": 30}
        waiting = {**state, "inflight": {"u1-1": due}, "armed": {"retry": 30}}
        new, effects = fire(ctx, waiting, TimerFired(name=timer), 30)
        assert effects[0] == Send(dest="p2-sidecar", type="call", body={"call": "u1-1", "attempt": 2, "key": "u1-1"})
    else:
        opened = {**br.new_breaker(), "state": "open", "since": 0, "failures": 3, "opened": 1}
        state = {**state, "breakers": {**state["breakers"], "p1-sidecar": opened}}
        new, effects = fire(ctx, state, TimerFired(name=timer), 50)
        assert new["breakers"]["p1-sidecar"]["state"] == "half-open"
        assert Note(text="breaker for p1-sidecar: open -> half-open") in effects


@covers((OUT, ANY_PHASE, "recover"))
def test_a_recovered_consumer_sidecar_reloads_its_last_policy_from_the_log() -> None:
    ctx = context("u1-sidecar")
    v1 = policy_body(context("control"), 1)
    v2 = policy_body(context("control", policy_change="balancer=random", policy_change_at_ms=9), 2)
    new, effects = fire(ctx, initial(ctx), Recover(durable=({"type": "policy", **v1}, {"type": "policy", **v2})), 70)
    assert (new["phase"], new["version"], new["policy"]["balancer"]) == ("ready", 2, "random")
    assert effects == [] and new["inflight"] == {}
    bare, effects = fire(ctx, initial(ctx), Recover(durable=()), 70)
    assert bare["phase"] == "waiting" and effects == []


@pytest.mark.parametrize("type_", ["reply", "error"])
@covers((OUT, "waiting", "msg:reply"), (OUT, "waiting", "msg:error"))
def test_a_sidecar_without_policy_ignores_answers(type_: str) -> None:
    ctx = context("u1-sidecar")
    state = initial(ctx)
    assert fire(ctx, state, receive(type_, "p1-sidecar", "u1-sidecar", {"call": "u1-1"}), 5) == (state, [])


# ---------------------------------------------------------- provider sidecar


@covers((IN, "waiting", "start"))
def test_a_provider_sidecar_starts_quietly() -> None:
    ctx = context("p1-sidecar")
    assert fire(ctx, initial(ctx), Start(draw=0.1), 0) == (initial(ctx), [])


@covers((IN, ANY_PHASE, "msg:call"))
def test_a_provider_sidecar_forwards_the_call_with_its_way_back() -> None:
    ctx = context("p2-sidecar")
    body = {"call": "u1-1", "attempt": 1, "key": "u1-1"}
    new, effects = fire(ctx, initial(ctx), receive("call", "u1-sidecar", "p2-sidecar", body, "m5"), 30)
    assert effects == [Send(dest="p2", type="call", body={**body, "via": "u1-sidecar", "via_mid": "m5"})]
    assert new["metrics"] == {"requests": 1, "errors": 0}


@pytest.mark.parametrize("type_", ["reply", "error"])
@covers((IN, ANY_PHASE, "msg:reply"), (IN, ANY_PHASE, "msg:error"))
def test_a_provider_sidecar_relays_the_answer_and_counts_errors(type_: str) -> None:
    ctx = context("p2-sidecar")
    body = {"call": "u1-1", "attempt": 1, "via": "u1-sidecar", "via_mid": "m5", "result": "p2#1"}
    new, effects = fire(ctx, initial(ctx), receive(type_, "p2", "p2-sidecar", body), 50)
    assert effects == [Send(dest="u1-sidecar", type=type_, body={"call": "u1-1", "attempt": 1, "result": "p2#1"},
                            in_reply_to="m5")]
    assert new["metrics"]["errors"] == (1 if type_ == "error" else 0)


@covers((IN, ANY_PHASE, "msg:policy"))
def test_a_provider_sidecar_adopts_the_version_and_acknowledges() -> None:
    ctx = context("p1-sidecar")
    new, effects = fire(ctx, initial(ctx), receive("policy", "control", "p1-sidecar",
                                                   policy_body(context("control"), 1), "m2"), 9)
    assert (new["phase"], new["version"]) == ("ready", 1)
    assert effects == [Persist(record={"type": "policy", "version": 1}),
                       Send(dest="control", type="policy_ack", body={"version": 1}, in_reply_to="m2")]
    again, effects = fire(ctx, new, receive("policy", "control", "p1-sidecar", policy_body(context("control"), 1),
                                            "m3"), 99)
    assert again == new and effects == [Send(dest="control", type="policy_ack", body={"version": 1},
                                             in_reply_to="m3")]


@covers((IN, ANY_PHASE, "recover"))
def test_a_recovered_provider_sidecar_keeps_its_version() -> None:
    ctx = context("p1-sidecar")
    new, _ = fire(ctx, initial(ctx), Recover(durable=({"type": "policy", "version": 1},
                                                      {"type": "policy", "version": 2})), 9)
    assert (new["phase"], new["version"]) == ("ready", 2)
    assert fire(ctx, initial(ctx), Recover(durable=()), 9)[0]["phase"] == "waiting"


# ------------------------------------------------------------ control plane


@covers((CTRL, "pushing", "start"))
def test_the_control_plane_logs_and_pushes_version_1_and_schedules_version_2() -> None:
    ctx = context("control", policy_change_at_ms=400, policy_change="breaker=on", resend_ms=70)
    new, effects = fire(ctx, initial(ctx), Start(draw=0.0), 0)
    body = policy_body(ctx, 1)
    assert effects == [Persist(record={"type": "policy", "version": 1}),
                       *[Send(dest=sc, type="policy", body=body) for sc in SIDECARS],
                       SetTimer(name="resend", delay_ms=70), SetTimer(name="policy_change", delay_ms=400)]
    assert new == {"phase": "pushing", "version": 1, "acked": {}, "resends": 0}


@covers((CTRL, ANY_PHASE, "msg:policy_ack"))
def test_the_control_plane_is_steady_once_every_sidecar_acknowledged() -> None:
    ctx = context("control")
    state = initial(ctx, acked={sc: 1 for sc in SIDECARS[1:]})
    new, effects = fire(ctx, state, receive("policy_ack", "p1-sidecar", "control", {"version": 1}), 30)
    assert new["phase"] == "pushing" and effects == []
    new, effects = fire(ctx, new, receive("policy_ack", "u1-sidecar", "control", {"version": 1}), 31)
    assert new["phase"] == "steady" and effects == [CancelTimer(name="resend")]
    late, effects = fire(ctx, new, receive("policy_ack", "u1-sidecar", "control", {"version": 1}), 32)
    assert late["phase"] == "steady" and effects == []


@covers((CTRL, "pushing", "timer:resend"))
def test_the_control_plane_resends_to_the_silent_a_bounded_number_of_times() -> None:
    ctx = context("control", policy_resends=2, resend_ms=50)
    state = initial(ctx, acked={sc: 1 for sc in SIDECARS if sc != "p3-sidecar"})
    new, effects = fire(ctx, state, TimerFired(name="resend"), 50)
    assert effects == [Send(dest="p3-sidecar", type="policy", body=policy_body(ctx, 1)),
                       SetTimer(name="resend", delay_ms=50)]
    new, effects = fire(ctx, new, TimerFired(name="resend"), 100)
    assert effects == [Send(dest="p3-sidecar", type="policy", body=policy_body(ctx, 1))], "the last re-send"
    assert new["resends"] == 2


@pytest.mark.parametrize("phase", ["pushing", "steady"])
@covers((CTRL, ANY_PHASE, "timer:policy_change"))
def test_the_policy_change_pushes_version_2_to_everyone(phase: str) -> None:
    ctx = context("control", policy_change="retry_budget=0.2;breaker=on", policy_change_at_ms=300)
    state = initial(ctx, phase=phase, acked={sc: 1 for sc in SIDECARS})
    new, effects = fire(ctx, state, TimerFired(name="policy_change"), 300)
    body = policy_body(ctx, 2)
    assert body["policy"]["retry_budget"] == 0.2 and body["policy"]["breaker"] is True
    assert effects == [Persist(record={"type": "policy", "version": 2}),
                       *[Send(dest=sc, type="policy", body=body) for sc in SIDECARS],
                       SetTimer(name="resend", delay_ms=100)]
    assert new == {"phase": "pushing", "version": 2, "acked": {}, "resends": 0}


@covers((CTRL, ANY_PHASE, "recover"))
def test_a_recovered_control_plane_pushes_its_logged_version_again() -> None:
    ctx = context("control", policy_change="breaker=on", policy_change_at_ms=300)
    new, effects = fire(ctx, initial(ctx), Recover(durable=({"type": "policy", "version": 1},)), 120)
    assert new["version"] == 1
    assert effects[-1] == SetTimer(name="policy_change", delay_ms=180), "version 2 is still to come"
    new, effects = fire(ctx, initial(ctx), Recover(durable=({"type": "policy", "version": 1},
                                                            {"type": "policy", "version": 2})), 400)
    assert new["version"] == 2 and effects[0] == Send(dest="u1-sidecar", type="policy", body=policy_body(ctx, 2))
    assert not any(isinstance(e, SetTimer) and e.name == "policy_change" for e in effects)


# ---------------------------------------------------------- provider (shared)


@covers((P, "idle", "start"), (P, ANY_PHASE, "msg:call"), (P, ANY_PHASE, "timer:work"), (P, ANY_PHASE, "recover"))
def test_the_provider_app_answers_its_sidecar_echoing_the_way_back() -> None:
    ctx = context("p1", service_ms=10)
    state, effects = fire(ctx, initial(ctx), Start(draw=0.2), 0)
    assert effects == []
    body = {"call": "u1-1", "attempt": 1, "key": "u1-1", "via": "u1-sidecar", "via_mid": "m5"}
    state, effects = fire(ctx, state, receive("call", "p1-sidecar", "p1", body, "m6"), 20)
    assert effects == [SetTimer(name="work", delay_ms=10)]
    state, effects = fire(ctx, state, TimerFired(name="work"), 30)
    assert effects[-1] == Send(dest="p1-sidecar", type="reply", body={**body, "result": "p1#1", "deduped": False},
                               in_reply_to="m6")
    recovered, _ = fire(ctx, initial(ctx), Recover(durable=({"type": "executed", "call": "u1-1", "key": "u1-1",
                                                             "result": "p1#1"},)), 90)
    assert recovered["keys"] == {"u1-1": "p1#1"}


def test_every_row_has_a_test() -> None:
    assert not ROWS.missing(), f"rows without a test: {ROWS.missing()}"
