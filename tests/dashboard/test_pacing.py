"""Paced play keeps to a schedule: each wait counts to the step's due time, not from the end of the last step."""

from __future__ import annotations

import json

import pytest

from dashboard import controller, hotstate

pytestmark = pytest.mark.django_db(transaction=True)


def test_waits_follow_the_schedule_so_slow_steps_do_not_add_up(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(controller.time, "time", lambda: clock[0])
    session = "pacing-test"
    hotstate.client().delete(hotstate.key(session, "pace"))
    speed = 0.1  # 100 virtual ms a wall second: a step due every 20 virtual ms is 0.2 s apart.

    def wait_for(due: int, now_v: int) -> float:
        raw = hotstate.client().get(hotstate.key(session, "pace"))
        return controller._countdown(session, {"next_due": due, "now": now_v}, speed, json.loads(raw) if raw else None)

    assert wait_for(20, 0) == pytest.approx(0.2)  # The schedule starts: due at 1000.2.
    clock[0] = 1000.25  # That step took 50 ms to run.
    assert wait_for(40, 20) == pytest.approx(0.15), "the next one is due at 1000.4, not 0.2 s after this one ended"
    clock[0] = 1000.9  # Far behind (a slow machine): run at once ...
    assert wait_for(60, 40) == 0.0
    clock[0] = 1004.0  # ... and more than MAX_PACE_S behind: a new schedule from now, no rush to catch up.
    assert wait_for(80, 60) == pytest.approx(0.2)
    speed = 0.2  # A new speed lays a new schedule.
    assert wait_for(100, 80) == pytest.approx(0.1)
    assert wait_for(100_000, 100) == controller.MAX_PACE_S, "an idle gap is compressed"


class Holding:
    """A runner that keeps the plans it is given (a worker that has not picked them up yet)."""

    def __init__(self) -> None:
        self.plans: list[controller.Plan] = []

    def dispatch(self, plan: controller.Plan) -> None:
        self.plans.append(plan)


def test_a_task_that_runs_late_runs_every_step_already_due_and_none_that_is_not(monkeypatch):
    from dashboard import sessions, stepper
    from dashboard.models import SessionCommand

    clock = [2000.0]
    monkeypatch.setattr(controller.time, "time", lambda: clock[0])
    session, _ = sessions.create("two-phase-commit", {"participants": 3}, seed=7)
    speed = 0.01  # A virtual ms is 100 wall ms.
    controller.set_play(session.id, playing=True, speed=speed)
    runner = Holding()
    controller.kick(session.id, runner)
    first = runner.plans.pop()
    assert first.pace is not None and first.countdown > 0

    headless, _ = stepper.fresh_engine(session)  # The same engine the workers build.
    dues = []  # When each auto step is due, in virtual ms.
    while not headless.done and hotstate.next_auto(headless) is not None and len(dues) < 40:
        dues.append(hotstate.next_auto(headless)[0])
        headless.apply({"cmd": "step"})
    clock[0] = first.pace["wall"] + 1.2  # The worker picked the plan up 1.2 s late.
    reached = controller.due_by(first.pace, clock[0] + controller.CATCH_UP_SLACK_S)
    expected = sum(1 for due in dues if due <= reached)
    assert 1 < expected < len(dues), "the test needs a backlog of several steps, not all of them"
    controller.execute(first, runner)
    stored = SessionCommand.objects.filter(session=session).count()
    assert stored == expected, "one task caught up with the schedule: every step due, none early"
    follow = runner.plans.pop()
    assert follow.step == expected + 1 and follow.countdown > 0, "and the next one waits for its time"

    clock[0] += follow.countdown  # On time: the steps due then, which is one unless two share a due time.
    controller.execute(follow, runner)
    on_time = sum(1 for due in dues if due == dues[expected])
    assert SessionCommand.objects.filter(session=session).count() == expected + on_time
