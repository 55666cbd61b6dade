"""Bad input from strangers gets a clear 4xx and changes nothing (issue: hardening for a room of strangers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.models import Session
from dashboard.wsproto import parse
from protocols import get_protocol
from protocols.base import ParameterError
from protocols.sim.commands import CommandError

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def post(client, url, text):
    return client.post(url, text, content_type="application/json")


def test_a_deeply_nested_body_is_a_400_not_a_500(client):
    response = post(client, "/api/sessions", "[" * 30_000)
    assert response.status_code == 400 and response.json()["error"] == "bad_json"


@pytest.mark.parametrize("value", ['"NaN"', "NaN", '"inf"', "-Infinity", '"-inf"'])
def test_not_a_number_and_infinities_are_refused_as_parameters(client, value):
    body = f'{{"protocol": "two-phase-commit", "params": {{"loss_probability": {value}}}}}'
    response = post(client, "/api/sessions", body)
    assert response.status_code == 400, response.content
    assert not Session.objects.exists()


def test_a_float_parameter_refuses_nan_wherever_it_comes_from():
    spec = get_protocol("two-phase-commit")
    for raw in ("nan", float("nan"), "inf", float("-inf")):
        with pytest.raises(ParameterError, match="loss_probability"):
            spec.resolve_params({"loss_probability": raw})
    assert spec.resolve_params({"loss_probability": "0.25"})["loss_probability"] == 0.25


def test_the_command_line_refuses_nan():
    result = subprocess.run([sys.executable, "manage.py", "simulate", "two-phase-commit", "--param",
                             "loss_probability=nan"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "loss_probability" in result.stderr


def test_websocket_frames_refuse_nan_and_deep_nesting():
    for text in ('{"type": "speed", "value": NaN}', '{"type": "speed", "value": Infinity}', "[" * 5000):
        with pytest.raises(CommandError) as caught:
            parse(text, None)
        assert caught.value.code == "bad_json"
    assert parse(json.dumps({"type": "speed", "value": 0.5}), None)["value"] == 0.5
