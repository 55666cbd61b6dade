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
