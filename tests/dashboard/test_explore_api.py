"""The explorer over HTTP: a real search process per job, its report in the real Redis, counterexamples as sessions."""

from __future__ import annotations

import json
import time

import pytest

from dashboard import explore_jobs, hotstate, sessions
from dashboard.models import Session
from protocols import get_protocol
from protocols.sim.explorer import counterexample_trace, explore, params_of_run

pytestmark = pytest.mark.django_db(transaction=True)

BROKEN = {"participants": 3, "variant": "majority-commit"}
SEARCH_WAIT_S = 120


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def start(client, session_id, token, **limits):
    return post_json(client, f"/api/sessions/{session_id}/explore", {"control_token": token, **limits})


def finished(client, url):
    """Wait for a search's report, as the page does (its process needs a moment to start Django)."""
    deadline = time.monotonic() + SEARCH_WAIT_S
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] != "running":
            return body
        time.sleep(0.1)
    raise AssertionError(f"the search at {url} did not finish in {SEARCH_WAIT_S} s")


def test_a_job_whose_id_begins_with_a_dash_still_runs(client, monkeypatch):
    # One id in 64 begins with "-": its process once refused it as an unknown option, and the page waited
    # for a report that never came (a browser test timed out on a fresh clone).
    monkeypatch.setattr(explore_jobs.secrets, "token_urlsafe", lambda n: "-dashed-job-id1")
    session, token = sessions.create("two-phase-commit", BROKEN, seed=2)
    response = start(client, session.id, token, max_states=500)
    assert response.status_code == 202, response.content
    assert response.json()["job"] == "-dashed-job-id1"
    assert finished(client, response.json()["url"])["status"] == "done"


def test_a_search_finds_the_broken_coordinator_and_its_counterexample_becomes_a_session(client):
    session, token = sessions.create("two-phase-commit", BROKEN, seed=2)
    response = start(client, session.id, token, max_states=5000)
    assert response.status_code == 202, response.content
    # Pages opened now learn of the search from the session's status (the welcome frame carries it).
    assert client.get(f"/api/sessions/{session.id}").json()["explore"] == {
        "job": response.json()["job"], "url": response.json()["url"]}
    body = finished(client, response.json()["url"])
    assert body["status"] == "done", body
    report = body["report"]
    assert report["params"]["variant"] == "majority-commit" and report["params"]["participants"] == 3
    names = {c["name"] for c in report["counterexamples"]}
    assert "commit-needs-all-yes" in names
    index = next(i for i, c in enumerate(report["counterexamples"]) if c["name"] == "commit-needs-all-yes")

    opened = post_json(client, f"{response.json()['url']}/sessions", {"counterexample": index})
    assert opened.status_code == 201, opened.content
    child = Session.objects.get(id=opened.json()["id"])
    assert sessions.may_control(child, opened.json()["control_token"])
    trace = sessions.trace(child)
    assert "commit-needs-all-yes" in {v["invariant"] for v in trace["violations"]}
    # The same steps as the command line's counterexample trace, event for event.
    spec = get_protocol("two-phase-commit")
    headless = explore(spec, params_of_run(spec, session.params), seed=2, max_states=5000)
    found = next(c for c in headless.counterexamples if c.name == "commit-needs-all-yes")
    expected = counterexample_trace(spec, headless, found)["events"]
    assert [{k: v for k, v in e.items() if k != "ran_on"} for e in trace["events"]] == expected


def test_a_correct_protocol_searched_to_the_end_breaks_nothing(client):
    session, token = sessions.create("two-phase-commit", {"participants": 2}, seed=0)
    body = finished(client, start(client, session.id, token, max_states=50_000).json()["url"])
    assert body["status"] == "done", body
    report = body["report"]
    assert report["complete"] is True and report["counterexamples"] == []
    assert report["states"] > 100 and report["max_depth"] > 5


def test_only_the_controller_may_start_a_search_and_limits_are_checked(client):
    session, token = sessions.create("two-phase-commit", BROKEN, seed=2)
    assert client.get(f"/api/sessions/{session.id}").json()["explore"] is None
    assert start(client, session.id, "not-the-token").status_code == 403
    assert start(client, "no-such-session", token).status_code == 404
    for limits, words in (({"max_states": 0}, "max_states"), ({"max_states": 10**6}, "50000"),
                          ({"max_drops": 3}, "max_drops"), ({"max_crashes": "1"}, "max_crashes")):
        response = start(client, session.id, token, **limits)
        assert response.status_code == 400 and words in response.json()["message"], response.content
    assert post_json(client, f"/api/sessions/{session.id}/explore", {"control_token": token, "depth": 3}
                     ).status_code == 400
    assert client.get("/api/explore/no-such-job").status_code == 404
    assert not hotstate.client().exists(hotstate.key(session.id, "explore")), "a refused search left a lock"


def test_one_search_per_session_at_a_time():
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=0)
    job = explore_jobs.start(session, max_states=50_000)
    with pytest.raises(explore_jobs.Busy):  # Its process is still starting Django: certainly running.
        explore_jobs.start(session, max_states=10)
    deadline = time.monotonic() + SEARCH_WAIT_S
    while explore_jobs.status(job)["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert explore_jobs.status(job)["status"] == "done"
    explore_jobs.run(explore_jobs.start(session, max_states=10))  # Free again once the first has finished.


def test_a_job_whose_process_died_is_reported_failed(monkeypatch):
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=0)
    monkeypatch.setattr(explore_jobs, "_spawn", lambda job: None)  # The process never runs.
    job = explore_jobs.start(session, max_states=10)
    assert explore_jobs.status(job)["status"] == "running"
    monkeypatch.setattr(explore_jobs, "STALE_AFTER_S", -1)  # As if it had been running for ever.
    failed = explore_jobs.status(job)
    assert failed["status"] == "failed" and "without a report" in failed["error"]


def test_a_counterexample_can_only_be_opened_from_a_finished_search(client, monkeypatch):
    session, _ = sessions.create("two-phase-commit", BROKEN, seed=2)
    monkeypatch.setattr(explore_jobs, "_spawn", lambda job: None)
    job = explore_jobs.start(session, max_states=10)
    response = post_json(client, f"/api/explore/{job}/sessions", {"counterexample": 0})
    assert response.status_code == 409
    explore_jobs.run(job)  # A search too small to find anything.
    response = post_json(client, f"/api/explore/{job}/sessions", {"counterexample": 0})
    assert response.status_code == 400 and "no counterexample" in response.json()["message"]
    assert post_json(client, "/api/explore/nope/sessions", {"counterexample": 0}).status_code == 404


def test_a_search_that_cannot_start_frees_its_slot(monkeypatch):
    session, _ = sessions.create("two-phase-commit", {"participants": 2}, seed=0)

    def no_process(job):
        raise OSError("no more processes")

    monkeypatch.setattr(explore_jobs, "_spawn", no_process)
    with pytest.raises(OSError):
        explore_jobs.start(session, max_states=10)
    monkeypatch.setattr(explore_jobs, "_spawn", lambda job: None)
    job = explore_jobs.start(session, max_states=10)  # Not refused as busy.
    assert explore_jobs.status(job)["status"] == "running"
