"""protocols.sim.compare: several runs on one workload and seed, figures side by side."""

from __future__ import annotations

import pytest

from protocols import get_protocol
from protocols.base import ParameterError
from protocols.sim.compare import Run, compare, format_value, parse_run, split_params, table

TWO_PC = get_protocol("two-phase-commit")


def test_the_same_run_twice_gives_the_same_figures() -> None:
    rows = compare([Run(spec=TWO_PC), Run(spec=TWO_PC)], {"participants": 4}, seed=3)
    assert rows[0]["summary"] == rows[1]["summary"]
    assert rows[0]["summary"]["participant_phases"].keys() == {"p1", "p2", "p3", "p4"}
    assert rows[0]["quiescent"] and rows[0]["violated"] == []


def test_a_runs_own_parameters_win_over_the_shared_ones() -> None:
    runs = [Run(spec=TWO_PC), Run(spec=TWO_PC, params={"participants": 2})]
    assert split_params(runs, {"participants": 5}) == [{"participants": 5}, {"participants": 2}]
    rows = compare(runs, {"participants": 5}, seed=1)
    assert len(rows[0]["summary"]["participant_phases"]) == 5
    assert len(rows[1]["summary"]["participant_phases"]) == 2


def test_a_shared_scenario_applies_where_it_exists() -> None:
    rows = compare([Run(spec=TWO_PC)], {}, seed=2, scenario="coordinator-crash-after-prepare")
    assert rows[0]["scenario"] == "coordinator-crash-after-prepare"


def test_a_majority_bug_shows_in_the_violated_column() -> None:
    run = parse_run("two-phase-commit@majority-bug:participants=3", get_protocol)
    rows = compare([Run(spec=TWO_PC), run], {}, seed=4)
    assert rows[0]["violated"] == []
    assert "commit-needs-all-yes" in rows[1]["violated"]
    text = table(rows)
    label = "two-phase-commit@majority-bug:participants=3"
    assert text.splitlines()[0].split() == ["figure", "two-phase-commit", label]
    assert "commit-needs-all-yes" in text and "messages_sent" in text


@pytest.mark.parametrize(("text", "words"), [
    ("no-such-protocol", "unknown protocol"),
    ("two-phase-commit@no-such-scenario", "no scenario"),
    ("two-phase-commit:nope=1", "no parameter"),
    ("two-phase-commit:participants", "is not NAME=VALUE"),
])
def test_bad_run_texts_are_refused(text: str, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        parse_run(text, get_protocol)


def test_a_parameter_no_run_knows_is_refused() -> None:
    with pytest.raises(ParameterError, match="no compared protocol has a parameter 'nope'"):
        compare([Run(spec=TWO_PC)], {"nope": 1})
    with pytest.raises(ParameterError, match="no compared protocol has a scenario"):
        compare([Run(spec=TWO_PC)], {}, scenario="nothing-like-it")
    with pytest.raises(ParameterError, match="from 1 to"):
        compare([], {})


def test_values_are_written_short() -> None:
    assert format_value(0.123456) == "0.123"
    assert format_value(None) == "—"
    assert format_value(True) == "yes"
    assert format_value({"b": 1, "a": 2}) == '{"a":2,"b":1}'
