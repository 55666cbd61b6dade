"""The live-session path run in this process: sessions, commands, hot state, traces."""

from __future__ import annotations

import pytest
from django.conf import settings

from dashboard import controller, hotstate, sessions
from dashboard.models import SessionCommand, SessionEvent
from dashboard.runners import InProcessRunner
from protocols import get_protocol
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace

pytestmark = pytest.mark.django_db(transaction=True)


def strip_where(events):
    return [{k: v for k, v in e.items() if k != "ran_on"} for e in events]


def test_tests_use_their_own_redis_prefix():
    assert settings.PROTOLAB_PREFIX.startswith("protolab-test-")
    assert settings.REDIS_URL.endswith("/13") or "127.0.0.1" in settings.REDIS_URL


def test_a_played_session_has_the_same_trace_as_the_command_line():
    session, _ = sessions.create("two-phase-commit", {"participants": 3}, seed=7)
    controller.set_play(session.id, playing=True, speed=0.0)
    controller.kick(session.id, InProcessRunner())
    live = sessions.trace(session)
    engine = Engine(get_protocol("two-phase-commit"), {"participants": 3}, seed=7)
    engine.run()
    headless = build_trace(engine)
    assert strip_where(live["events"]) == headless["events"]
    assert live["final"] == headless["final"]
    assert live["summary"]["outcome"] == "committed"


def test_manual_commands_are_stored_once_per_step_and_rebuild_the_same_engine():
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    runner = InProcessRunner()
    controller.submit(session.id, {"cmd": "step"}, runner)
    pending = hotstate.load(session.id)["pending"]
    message = next(p for p in pending if p["kind"] == "message")
    controller.submit(session.id, {"cmd": "duplicate", "id": message["id"]}, runner)
    controller.submit(session.id, {"cmd": "crash", "node": "p1"}, runner)
    steps = list(SessionCommand.objects.filter(session=session).values_list("step", flat=True))
    assert steps == [1, 2, 3]
    seqs = list(SessionEvent.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    hotstate.forget(session.id)  # Redis lost it all: the hot state is rebuilt from the database.
    from dashboard import stepper

    stepper.forget_engine(session.id, session.generation)
    rebuilt = stepper.hot_or_rebuild(session)
    assert rebuilt["seq"] == seqs[-1]
    assert rebuilt["nodes"]["p1"]["up"] is False


def test_a_refused_command_changes_nothing():
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    before = SessionEvent.objects.filter(session=session).count()
    controller.submit(session.id, {"cmd": "deliver", "id": "m999"}, InProcessRunner())
    assert SessionEvent.objects.filter(session=session).count() == before
    assert not SessionCommand.objects.filter(session=session).exists()


def test_a_redelivered_step_is_not_applied_twice():
    from dashboard import stepper

    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    first = stepper.apply_step(session.id, session.generation, 1, {"cmd": "step"})
    again = stepper.apply_step(session.id, session.generation, 1, {"cmd": "step"})
    assert first["result"] == "applied"
    assert again["result"] == "duplicate"
    assert SessionCommand.objects.filter(session=session).count() == 1


def test_a_step_whose_write_fails_is_applied_again_from_the_database_not_from_the_cache(monkeypatch):
    """The cached engine is trusted without asking the database only when its step is stored."""
    from django.db import OperationalError

    from dashboard import eventlog, stepper

    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    assert stepper.apply_step(session.id, session.generation, 1, {"cmd": "step"})["result"] == "applied"

    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(eventlog, "append", broken)
    with pytest.raises(OperationalError):
        stepper.apply_step(session.id, session.generation, 2, {"cmd": "step"})
    monkeypatch.undo()
    # The engine did run step 2 in memory before the write failed: had it stayed cached, step 2 would now
    # look done ("duplicate") and be lost.
    assert stepper.apply_step(session.id, session.generation, 2, {"cmd": "step"})["result"] == "applied"
    for step in range(3, 8):
        stepper.apply_step(session.id, session.generation, step, {"cmd": "step"})
    engine = Engine(get_protocol("two-phase-commit"), {"participants": 2}, seed=3, record=True)
    engine.drain()
    for _ in range(7):
        engine.apply({"cmd": "step"})
    assert strip_where(sessions.trace(session)["events"]) == engine.log


def test_reset_starts_a_new_generation_and_keeps_history():
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    controller.submit(session.id, {"cmd": "step"}, InProcessRunner())
    old = SessionEvent.objects.filter(session=session).count()
    generation = sessions.reset(session)
    assert generation == 2
    assert SessionEvent.objects.filter(session=session, generation=1).count() == old
    assert SessionEvent.objects.filter(session=session, generation=2).order_by("seq").first().seq == 1


def test_fork_copies_the_log_up_to_a_seq():
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3, scenario="vote-no-abort")
    runner = InProcessRunner()
    for _ in range(4):
        controller.submit(session.id, {"cmd": "step"}, runner)
    events = sessions.events_after(session, 0, 1000)
    cut = events[-1]["seq"] - 1
    child, token = sessions.fork(session, cut)
    child_events = sessions.events_after(child, 0, 1000)
    assert token and child.forked_from == session.id
    parent_steps = {e["step"] for e in events if e["seq"] <= cut}
    assert strip_where(child_events) == strip_where([e for e in events if e["step"] in parent_steps])


def test_a_failed_session_is_never_planned_again_even_when_redis_forgot_it_failed(monkeypatch):
    from dashboard import stepper

    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    runner = InProcessRunner()
    controller.submit(session.id, {"cmd": "step"}, runner)
    stepper.fail(session.id, "a test says so")
    applied = []
    real = stepper.apply_step
    monkeypatch.setattr(stepper, "apply_step", lambda *a, **k: applied.append(a) or real(*a, **k))
    controller.set_play(session.id, playing=True, speed=0.0)
    controller.submit(session.id, {"cmd": "step"}, runner)
    assert applied == []  # Planning stops at the failed mark, without a task.
    assert not hotstate.client().llen(hotstate.key(session.id, "queue"))
    hotstate.client().delete(hotstate.key(session.id, "failed"))  # Redis restarted and lost the mark.
    controller.kick(session.id, runner)
    assert len(applied) == 1  # One stale step puts the mark back; then planning stops again.
    assert stepper.apply_step(session.id, session.generation, 9, {"cmd": "step"})["result"] == "stale"
    assert SessionCommand.objects.filter(session=session).count() == 1


def test_a_step_delivered_too_often_fails_the_session_instead_of_looping():
    from dashboard.models import Session

    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    plan = controller.Plan(session_id=session.id, generation=session.generation, step=1, command={"cmd": "step"},
                           batch=1, queue=0, countdown=0.0, token="t@0")
    runner = InProcessRunner()
    results = [controller.execute(plan, runner)["result"] for _ in range(controller.MAX_DELIVERIES + 1)]
    assert results[0] == "applied" and results[1:-1] == ["duplicate"] * (controller.MAX_DELIVERIES - 1)
    assert results[-1] == "failed"
    assert Session.objects.get(id=session.id).status == "failed"
    assert hotstate.client().get(hotstate.key(session.id, "failed"))


def test_a_warm_step_of_an_older_generation_writes_nothing():
    """A reset that wins the race against a step: the step's engine is warm, the write sees the new generation."""
    from dashboard import stepper

    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    assert stepper.apply_step(session.id, 1, 1, {"cmd": "step"})["result"] == "applied"
    sessions.reset(session)
    assert stepper.apply_step(session.id, 1, 2, {"cmd": "step"})["result"] == "stale"
    assert not SessionCommand.objects.filter(session=session, generation=1, step=2).exists()
    assert SessionEvent.objects.filter(session=session, generation=1).order_by("-seq").first().step == 1
