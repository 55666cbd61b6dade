"""Compare in the browser's API: one session per run on one seed, their figures, the page."""

from __future__ import annotations

import json

import pytest

from dashboard import controller, sessions
from dashboard.models import Session
from dashboard.runners import InProcessRunner

pytestmark = pytest.mark.django_db(transaction=True)


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_compare_creates_one_session_per_run_with_the_shared_seed_and_params(client):
    response = post_json(client, "/api/compare", {
        "runs": ["two-phase-commit", "two-phase-commit@vote-no-abort"], "params": {"participants": 2}, "seed": 11})
    assert response.status_code == 201, response.content
    body = response.json()
    ids = [s["id"] for s in body["sessions"]]
    assert body["url"] == f"http://testserver/compare/?s={ids[0]},{ids[1]}"
    assert [s["label"] for s in body["sessions"]] == ["two-phase-commit", "two-phase-commit@vote-no-abort"]
    first, second = (Session.objects.get(id=i) for i in ids)
    assert (first.seed, second.seed) == (11, 11)
    assert first.params["participants"] == second.params["participants"] == 2
    assert (first.scenario, second.scenario) == ("", "vote-no-abort")
    for s in body["sessions"]:
        assert sessions.may_control(Session.objects.get(id=s["id"]), s["control_token"])


@pytest.mark.parametrize(("body", "words"), [
    ({"runs": ["two-phase-commit"]}, "from 2 to 4"),
    ({"runs": ["two-phase-commit"] * 5}, "from 2 to 4"),
    ({"runs": "two-phase-commit"}, "'runs' must be a list"),
    ({"runs": ["two-phase-commit", "nope"]}, "unknown protocol"),
    ({"runs": ["two-phase-commit", "two-phase-commit"], "params": {"nope": 1}}, "no compared protocol has a parameter"),
    ({"runs": ["two-phase-commit", "two-phase-commit"], "seed": "x"}, "seed"),
    ({"preset": "no-such-preset"}, "no preset"),
])
def test_bad_compare_requests_get_a_400_and_create_nothing(client, body, words):
    response = post_json(client, "/api/compare", body)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert Session.objects.count() == 0


def test_summary_follows_the_session(client):
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=3)
    before = client.get(f"/api/sessions/{session.id}/summary").json()
    assert before["summary"]["outcome"] == "undecided"
    runner = InProcessRunner()
    for _ in range(40):
        controller.submit(session.id, {"cmd": "step"}, runner)
    after = client.get(f"/api/sessions/{session.id}/summary").json()
    assert after["summary"]["outcome"] == "committed"
    assert after["seq"] > before["seq"]
    assert after["verdicts"] == {name: "holds" for name in after["verdicts"]}
    assert client.get("/api/sessions/nope/summary").status_code == 404


def test_the_compare_page_frames_each_session_without_the_site_header(client):
    ids = [sessions.create("two-phase-commit", {}, seed=s)[0].id for s in (1, 2)]
    page = client.get(f"/compare/?s={ids[0]},{ids[1]}").content.decode()
    for session_id in ids:
        assert f'data-src="/sessions/{session_id}/?embed=1"' in page
    embedded = client.get(f"/sessions/{ids[0]}/?embed=1").content.decode()
    assert 'class="lab-page embed"' in embedded
    assert client.get("/compare/?s=nope,nada").status_code == 404
    assert client.get("/compare/").status_code == 200


def test_each_pane_names_what_sets_its_run_apart(client):
    """Four runs of one protocol differ in one parameter: each heading and table column names its value."""
    created = post_json(client, "/api/compare", {"preset": "stampede-remedies"}).json()
    ids = ",".join(s["id"] for s in created["sessions"])
    page = client.get(f"/compare/?s={ids}")
    panes = page.context["panes"]
    assert [p["differs"] for p in panes] == ["remedy=none", "remedy=single-flight", "remedy=xfetch", "remedy=lease"]
    assert len({p["label"] for p in panes}) == 4
    assert '<code class="compare-differs">remedy=single-flight</code>' in page.content.decode()


@pytest.mark.parametrize(("params", "named"), [
    ([{"a": 1, "b": True}, {"a": 1, "b": False}], ["b=true", "b=false"]),  # written as compare takes them
    ([{"a": 1}, {"a": 1}], ["", ""]),  # the same run twice (two seeds): nothing to name
    ([{"a": 1, "x": 2}, {"a": 2}], ["a=1", "a=2"]),  # a parameter only one protocol has is not compared
    ([{"d": 1, "c": 1, "b": 1, "a": 1}, {"d": 2, "c": 2, "b": 2, "a": 2}], ["a=1, b=1, c=1", "a=2, b=2, c=2"]),
    ([{"a": 1}], [""]),
])
def test_what_differs_names_the_parameters_every_run_has_and_not_all_alike(params, named):
    from dashboard.views import what_differs
    assert what_differs(params) == named
