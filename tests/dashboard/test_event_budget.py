"""The event budget at the edges: a session whose parameters ask for too many events is refused up front.

The API (create, compare) and the command line say why with the estimate's
arithmetic and store nothing; the estimates themselves are calibrated in
tests/protocols/test_event_budget.py.
"""

from __future__ import annotations

import json

import pytest

from dashboard.models import Session, SessionEvent
from protocols.budget import EVENT_BUDGET
from tests.helpers import run_manage

pytestmark = pytest.mark.django_db(transaction=True)

HEAVY = {"clients": 8, "keys": 10_000, "ops_per_client": 10_000}
"""Issue 19's run: 44,279 events in 10 s of play, a 47 MB trace, on its way to about 1.4 million."""


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_session_over_the_budget_is_a_400_that_explains_it_and_stores_nothing(client):
    response = post_json(client, "/api/sessions", {"protocol": "cache-write-through", "params": HEAVY})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_parameter"
    assert "80,000 operations" in body["message"] and f"budget is {EVENT_BUDGET:,} events" in body["message"]
    assert Session.objects.count() == 0 and SessionEvent.objects.count() == 0


def test_a_scenario_counts_and_the_same_parameters_made_smaller_are_accepted(client):
    small = {**HEAVY, "ops_per_client": 100}
    response = post_json(client, "/api/sessions", {"protocol": "cache-write-through", "params": small})
    assert response.status_code == 201, response.content


def test_a_compare_with_one_run_over_the_budget_creates_none_of_them(client):
    response = post_json(client, "/api/compare", {
        "runs": ["cache-write-through:ops_per_client=8", "cache-write-back"],
        "params": {"clients": 8, "ops_per_client": 10_000}})
    assert response.status_code == 400
    assert "cache-write-back with these parameters" in response.json()["message"]
    assert Session.objects.count() == 0


def test_the_command_line_refuses_it_too():
    params = [arg for name, value in HEAVY.items() for arg in ("--param", f"{name}={value}")]
    simulated = run_manage("simulate", "cache-write-through", *params, "--format", "json")
    assert simulated.returncode == 2 and "Traceback" not in simulated.stderr and simulated.stdout == ""
    assert "80,000 operations" in simulated.stderr and f"budget is {EVENT_BUDGET:,} events" in simulated.stderr
    compared = run_manage("compare", "cache-write-through", "cache-write-back", *params)
    assert compared.returncode == 2 and "Traceback" not in compared.stderr
    assert "cache-write-through with these parameters" in compared.stderr
    assert f"budget is {EVENT_BUDGET:,} events" in compared.stderr
