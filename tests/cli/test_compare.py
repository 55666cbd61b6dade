"""`manage.py compare`, run as a user runs it."""

from __future__ import annotations

import json

from tests.cli.test_simulate import assert_refused
from tests.helpers import run_manage


def test_compare_prints_one_column_per_run() -> None:
    done = run_manage("compare", "two-phase-commit", "two-phase-commit:participants=2", "--seed", "5")
    assert done.returncode == 0, done.stderr
    header, rule, *lines = done.stdout.splitlines()
    assert header.split() == ["figure", "two-phase-commit", "two-phase-commit:participants=2"]
    assert set(rule) <= {"-", " "}
    assert any(line.startswith("outcome") and line.split()[1:] == ["committed", "committed"] for line in lines)


def test_compare_as_json_is_deterministic() -> None:
    args = ("compare", "two-phase-commit", "--param", "participants=3", "--seed", "9", "--format", "json")
    first, second = run_manage(*args), run_manage(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)[0]["summary"]["outcome"] == "committed"


def test_compare_refuses_bad_input_in_one_line() -> None:
    assert_refused(run_manage("compare", "two-phase-commit", "--param", "nope=1"), "nope")
    assert_refused(run_manage("compare", "two-phase-commit", "--faults", "{not json"), "--faults")
