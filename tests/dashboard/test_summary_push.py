"""Summary figures pushed to the pages that ask for them (the compare page's frames), and what a poll costs.

The compare page no longer polls ``/api/sessions/<id>/summary``: each of its
frames says ``summaries: true`` in its hello and the consumer sends a
``summary`` frame whenever the run moved on (docs/websocket-protocol.md).
``/summary`` itself stays for other clients: at a seq already summarised it
reads the cache, with as many database queries for a long log as for a short
one (the measured step latency beside pollers is in docs/performance.md,
bench/summary.py; no timing is asserted here).
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard import consumers, controller, sessions
from dashboard.runners import InProcessRunner
from tests.dashboard.test_classroom import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(consumers, "SUMMARY_EVERY_S", 0.05)
    monkeypatch.setattr(sessions, "SUMMARY_MIN_AGE_S", 0.0)
    monkeypatch.setattr(sessions, "SUMMARY_COST_FACTOR", 0)


def test_a_page_that_asks_gets_the_figures_and_new_ones_as_the_run_moves(quick):
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)

    async def scenario() -> None:
        page = Client(session.id)
        welcome = await page.open(summaries=True)
        first = await page.until("summary")
        assert first["summary"]["seq"] == welcome["seq"] and first["summary"]["summary"]["outcome"] == "undecided"
        for _ in range(40):
            await sync_to_async(controller.submit)(session.id, {"cmd": "step"}, InProcessRunner())
        final = await sync_to_async(sessions.summary)(session)
        assert final["summary"]["outcome"] == "committed" and final["seq"] > first["summary"]["seq"]
        await page.until("summary", lambda f: f["summary"] == final)  # Pushed, as the run ends.
        await page.ws.disconnect()

    async_to_sync(scenario)()


def test_hello_refuses_a_summaries_field_that_is_not_a_boolean():
    from dashboard.wsproto import parse
    from protocols.sim.commands import CommandError

    assert parse('{"type": "hello", "summaries": true}', None)["summaries"] is True
    with pytest.raises(CommandError):
        parse('{"type": "hello", "summaries": "yes"}', None)


def played(name: str, params: dict) -> object:
    session, _ = sessions.create(name, params, seed=2)
    controller.set_play(session.id, playing=True, speed=0)
    controller.kick(session.id, InProcessRunner())
    return session


def test_a_summary_poll_at_a_summarised_seq_costs_as_many_queries_for_a_long_log_as_a_short_one(client):
    short = played("cache-write-through", {"clients": 1, "ops_per_client": 2})
    long = played("cache-write-through", {"clients": 4, "ops_per_client": 60})
    counts = {}
    for session in (short, long):
        body = client.get(f"/api/sessions/{session.id}/summary").json()  # The first computes and caches.
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/sessions/{session.id}/summary").json() == body
        counts[body["seq"]] = len(queries)
    (short_seq, short_queries), (long_seq, long_queries) = sorted(counts.items())
    assert long_seq > 20 * short_seq
    assert long_queries == short_queries <= 3
