"""The JSON API beyond create: forking a session at a seq, and downloading its trace in other formats."""

from __future__ import annotations

import json

import pytest

from dashboard import controller, sessions
from dashboard.language import language
from dashboard.models import Session
from dashboard.runners import InProcessRunner
from protocols import REGISTRY
from protocols.sim.export import render

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = 5


def strip_where(events):
    return [{k: v for k, v in e.items() if k != "ran_on"} for e in events]


@pytest.fixture
def played():
    """A session four-plus steps into the vote-no-abort scenario."""
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3, scenario="vote-no-abort",
                                 owner="Ada")
    runner = InProcessRunner()
    for _ in range(STEPS):
        controller.submit(session.id, {"cmd": "step"}, runner)
    session.refresh_from_db()
    return session


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


# ------------------------------------------------------------------- fork


def test_fork_at_a_seq_copies_the_log_up_to_that_step(client, played):
    events = sessions.events_after(played, 0, 1000)
    cut = next(e["seq"] for e in events if e["step"] == 3)  # The first event of step 3: the fork keeps all of it.
    response = post_json(client, f"/api/sessions/{played.id}/fork", {"seq": cut})
    assert response.status_code == 201
    reply = response.json()
    assert set(reply) == {"id", "control_token", "url", "ws"}
    assert reply["url"] == f"http://testserver/sessions/{reply['id']}/"
    assert reply["ws"] == f"ws://testserver/ws/sessions/{reply['id']}/"
    child = Session.objects.get(id=reply["id"])
    assert child.forked_from == played.id and child.owner == "Ada"
    assert sessions.may_control(child, reply["control_token"])
    assert not sessions.may_control(played, reply["control_token"])
    kept_steps = {e["step"] for e in events if e["seq"] <= cut}
    expected = [e for e in events if e["step"] in kept_steps]
    assert strip_where(sessions.events_after(child, 0, 1000)) == strip_where(expected)
    assert {e["step"] for e in expected} == {0, 1, 2, 3}


def test_fork_at_zero_keeps_only_the_boot_and_takes_a_new_owner(client, played):
    response = post_json(client, f"/api/sessions/{played.id}/fork", {"seq": 0, "owner": "Grace"})
    assert response.status_code == 201
    child = Session.objects.get(id=response.json()["id"])
    assert child.owner == "Grace"
    assert {e["step"] for e in sessions.events_after(child, 0, 1000)} == {0}


def test_fork_at_the_last_seq_copies_everything(client, played):
    events = sessions.events_after(played, 0, 1000)
    response = post_json(client, f"/api/sessions/{played.id}/fork", {"seq": events[-1]["seq"]})
    child = Session.objects.get(id=response.json()["id"])
    assert strip_where(sessions.events_after(child, 0, 1000)) == strip_where(events)


@pytest.mark.parametrize(("body", "status", "words"), [
    ({}, 400, "'seq' is required"),
    ({"seq": "3"}, 400, "'seq' is required"),
    ({"seq": True}, 400, "'seq' is required"),
    ({"seq": -1}, 400, "'seq' is required"),
    ({"seq": 1.5}, 400, "'seq' is required"),
    ({"seq": 10_000}, 400, "past the end"),
    ({"seq": 1, "owner": 7}, 400, "'owner' must be a string"),
    ({"seq": 1, "owner": "x" * 200}, 400, "owner must be a name of at most"),
    ({"seq": 1, "token": "t"}, 400, "unknown fields ['token']"),
    ([1], 400, "JSON object"),
])
def test_fork_refuses_bad_input_saying_why(client, played, body, status, words):
    response = post_json(client, f"/api/sessions/{played.id}/fork", body)
    assert response.status_code == status
    assert words in response.json()["message"]
    assert Session.objects.count() == 1


def test_fork_refuses_what_is_not_json(client, played):
    url = f"/api/sessions/{played.id}/fork"
    assert client.post(url, {"seq": "1"}).status_code == 415
    assert client.post(url, "{nope", content_type="application/json").json()["error"] == "bad_json"
    assert client.get(url).status_code == 405


def test_fork_of_an_unknown_session_is_404(client):
    response = post_json(client, "/api/sessions/nope/fork", {"seq": 0})
    assert response.status_code == 404
    assert response.json() == {"error": "no_session", "message": "no session 'nope'"}


# ------------------------------------------------------------------- export


@pytest.mark.parametrize(("fmt", "suffix"), [("text", ".txt"), ("shiviz", ".shiviz.log"), ("mermaid", ".mmd")])
def test_export_renders_the_sessions_trace_as_an_attachment(client, played, fmt, suffix):
    response = client.get(f"/api/sessions/{played.id}/export/{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    filename = f"two-phase-commit-{played.id}-g1{suffix}"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.content.decode() == render(sessions.trace(played), fmt, REGISTRY[played.protocol])
    assert response.content.strip()


@pytest.mark.parametrize("fmt", ["text", "shiviz", "mermaid"])
def test_export_speaks_the_language_asked_for(client, played, fmt):
    response = client.get(f"/api/sessions/{played.id}/export/{fmt}?lang=zh-hans")
    assert response.status_code == 200
    text = response.content.decode()
    assert text == render(sessions.trace(played), fmt, REGISTRY[played.protocol], language("zh-hans"))
    assert text != client.get(f"/api/sessions/{played.id}/export/{fmt}?lang=en").content.decode()
    assert "已中止" in text  # vote-no-abort: a participant's phase, as the Chinese page names it


def test_export_json_is_the_same_in_every_language(client, played):
    chinese = client.get(f"/api/sessions/{played.id}/export/json?lang=zh-hans")
    assert chinese.content == client.get(f"/api/sessions/{played.id}/export/json").content  # Data, in no language.


def test_export_refuses_an_unknown_language(client, played):
    response = client.get(f"/api/sessions/{played.id}/export/text?lang=fr")
    assert response.status_code == 400
    assert response.json() == {"error": "bad_language", "message": "language 'fr' is not one of en, zh-hans"}


def test_export_json_is_the_trace(client, played):
    response = client.get(f"/api/sessions/{played.id}/export/json")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content) == json.loads(json.dumps(sessions.trace(played)))


def test_export_text_tells_the_story(client, played):
    text = client.get(f"/api/sessions/{played.id}/export/text").content.decode()
    assert "coordinator" in text and "p1" in text


def test_export_refuses_an_unknown_format_listing_the_known_ones(client, played):
    response = client.get(f"/api/sessions/{played.id}/export/pdf")
    assert response.status_code == 400
    assert response.json() == {"error": "bad_format",
                               "message": "format 'pdf' is not one of text, shiviz, mermaid, json"}


def test_export_of_an_unknown_session_is_404(client):
    response = client.get("/api/sessions/nope/export/text")
    assert response.status_code == 404
    assert response.json()["error"] == "no_session"


def test_export_is_read_only(client, played):
    assert client.post(f"/api/sessions/{played.id}/export/text").status_code == 405
