"""Traces streamed from the database are the same bytes as the trace built whole.

``GET /api/sessions/<id>/trace`` (compact) and ``/export/json`` (the file
``manage.py simulate --format json`` writes) are laid out around placeholders
and filled a chunk of rows at a time (dashboard/trace_stream.py); here every
protocol's played session is served both ways, through WSGI and ASGI, with
chunks small enough that a log spans many of them.
"""

from __future__ import annotations

import asyncio

import pytest
from django.http import JsonResponse
from django.test import AsyncClient

from dashboard import controller, questions, sessions, trace_stream
from dashboard.runners import InProcessRunner
from protocols import REGISTRY
from protocols.sim.export import render

pytestmark = pytest.mark.django_db(transaction=True)

CASES = [(name, None) for name in REGISTRY] + [
    ("cache-write-back", "cache-crash-loses-dirty"),  # Violations: the second list of events.
    ("counter-naive", None),
]


def played(name: str, scenario: str | None):
    session, _ = sessions.create(name, {}, seed=3, scenario=scenario)
    controller.set_play(session.id, playing=True, speed=0)
    controller.kick(session.id, InProcessRunner())
    session.refresh_from_db()
    return session


def whole(session) -> tuple[bytes, bytes]:
    """Return the two encodings as they were served before streaming: the trace built whole."""
    data = sessions.trace(session)
    return render(data, "json").encode(), JsonResponse(data, json_dumps_params={"sort_keys": True}).content


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def chunky(monkeypatch):
    monkeypatch.setattr(trace_stream, "STREAM_FROM_EVENTS", 0)
    monkeypatch.setattr(trace_stream, "ROWS_PER_CHUNK", 7)


@pytest.mark.parametrize(("name", "scenario"), CASES, ids=lambda v: v or "-")
def test_the_streamed_trace_is_byte_for_byte_the_whole_one(client, chunky, name, scenario):
    session = played(name, scenario)
    pretty, compact = whole(session)
    exported = client.get(f"/api/sessions/{session.id}/export/json")
    served = client.get(f"/api/sessions/{session.id}/trace")
    assert exported.streaming and served.streaming
    assert exported["Content-Type"] == "application/json" and served["Content-Type"] == "application/json"
    assert body(exported) == pretty
    assert body(served) == compact


def test_violations_and_notes_come_out_the_same(client, chunky):
    session = played("cache-write-back", "cache-crash-loses-dirty")
    questions.add_note(session, 5, "here the dirty entry is lost: 失われた")
    pretty, compact = whole(session)
    assert b'"violations": []' not in pretty and "失われた".encode() in pretty
    assert body(client.get(f"/api/sessions/{session.id}/export/json")) == pretty
    assert body(client.get(f"/api/sessions/{session.id}/trace")) == compact


def test_under_asgi_the_chunks_are_an_async_iterator_and_the_same_bytes(chunky):
    session = played("cache-write-through", None)
    pretty, compact = whole(session)

    async def fetch(url: str):
        response = await AsyncClient().get(url)
        assert response.is_async
        return b"".join([part async for part in response.streaming_content])

    assert asyncio.run(fetch(f"/api/sessions/{session.id}/export/json")) == pretty
    assert asyncio.run(fetch(f"/api/sessions/{session.id}/trace")) == compact


def test_a_short_log_is_sent_in_one_piece_and_the_same(client):
    session = played("two-phase-commit", None)
    pretty, compact = whole(session)
    exported = client.get(f"/api/sessions/{session.id}/export/json")
    assert not exported.streaming and exported.content == pretty
    assert client.get(f"/api/sessions/{session.id}/trace").content == compact


def test_an_export_reads_the_log_whole_only_for_a_summary_not_yet_cached(client, chunky, monkeypatch):
    session = played("cache-aside", None)
    first = body(client.get(f"/api/sessions/{session.id}/export/json"))
    reads = []
    real = sessions.events_after
    monkeypatch.setattr(sessions, "events_after", lambda *a: reads.append(a[1:]) or real(*a))
    assert body(client.get(f"/api/sessions/{session.id}/export/json")) == first
    assert reads == [], "the summary came from the cache; the events from the chunks"
    assert client.get(f"/api/sessions/{session.id}/summary").json()["seq"] == session_seq(session)


def session_seq(session) -> int:
    return sessions.describe(session)["seq"]
