"""`manage.py simulate` and `manage.py protocols`, run as a user runs them: in a subprocess."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assert_valid_trace, run_manage

BASE = ("simulate", "two-phase-commit", "--param", "participants=3", "--seed", "7")


@functools.cache
def _json_output(*args: str) -> str:
    done = run_manage(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def simulate_json(*args: str, fresh: bool = False) -> tuple[str, dict[str, Any]]:
    """Run simulate with --format json (once per argument list unless ``fresh``); return output and trace."""
    if fresh:
        _json_output.cache_clear()
    output = _json_output(*args)
    return output, json.loads(output)


def assert_refused(done: Any, *words: str) -> None:
    """Bad input: exit status 2, exactly one line on stderr naming the problem, no traceback."""
    assert done.returncode == 2, f"exit {done.returncode}; stderr:\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, f"want one line on stderr, got:\n{done.stderr}"
    assert done.stdout == ""
    for word in words:
        assert word in done.stderr, f"{word!r} not in {done.stderr!r}"


# -------------------------------------------------------------------- simulate


def test_a_seeded_run_is_valid_and_everyone_commits() -> None:
    _, trace = simulate_json(*BASE)
    assert_valid_trace(trace)
    assert (trace["protocol"], trace["seed"], trace["params"]["participants"]) == ("two-phase-commit", 7, 3)
    phases = {node: info["state"]["phase"] for node, info in trace["final"].items()}
    assert phases == {"coordinator": "committed", "p1": "committed", "p2": "committed", "p3": "committed"}
    assert trace["quiescent"] and not trace["truncated"] and not trace["violations"]
    assert set(trace["verdicts"].values()) == {"holds"}


def test_two_runs_print_identical_bytes() -> None:
    first, _ = simulate_json(*BASE, fresh=True)
    second, _ = simulate_json(*BASE, fresh=True)
    assert first == second


def test_another_seed_gives_another_run() -> None:
    first, _ = simulate_json(*BASE)
    other, _ = simulate_json("simulate", "two-phase-commit", "--param", "participants=3", "--seed", "8")
    assert first != other


@pytest.mark.parametrize(("fmt", "first_line"), [
    ("json", "{"),
    ("text", "Two-phase commit (two-phase-commit), seed 7"),
    ("shiviz", r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"),
    ("mermaid", "sequenceDiagram"),
])
def test_each_format_works(fmt: str, first_line: str) -> None:
    done = run_manage(*BASE, "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines()[0] == first_line
    assert done.stdout.endswith("\n")


def test_text_is_the_default_format() -> None:
    assert run_manage(*BASE).stdout == run_manage(*BASE, "--format", "text").stdout


@pytest.mark.parametrize("scenario", ["coordinator-crash-after-prepare", "majority-bug"])
def test_a_scenario_runs_and_is_valid(scenario: str) -> None:
    _, trace = simulate_json("simulate", "two-phase-commit", "--scenario", scenario)
    assert_valid_trace(trace)
    assert trace["scenario"] == scenario
    assert bool(trace["violations"]) == (scenario == "majority-bug")


def test_a_chaos_run_is_valid() -> None:
    _, trace = simulate_json("simulate", "two-phase-commit", "--chaos", "0.1", "--param", "participants=5")
    assert_valid_trace(trace)
    assert trace["chaos"] == 0.1 and len(trace["final"]) == 6


def test_max_events_truncates() -> None:
    _, trace = simulate_json(*BASE, "--max-events", "20")
    assert_valid_trace(trace)
    assert trace["truncated"] and len(trace["events"]) >= 20


# ---------------------------------------------------------------------- replay

REPLAYED_IDS = {
    "seeded": BASE,
    "scenario": ("simulate", "two-phase-commit", "--scenario", "coordinator-crash-after-prepare"),
    "chaos": ("simulate", "two-phase-commit", "--chaos", "0.1", "--param", "participants=5"),
}
REPLAYED = list(REPLAYED_IDS.values())


def test_replay_of_a_truncated_trace_reproduces_it_byte_for_byte(tmp_path: Path) -> None:
    saved, _ = simulate_json(*BASE, "--max-events", "40")
    path = tmp_path / "trace.json"
    path.write_text(saved, encoding="utf-8")
    replayed, _ = simulate_json("simulate", "--replay", str(path))
    assert replayed == saved


@pytest.mark.parametrize("args", REPLAYED, ids=list(REPLAYED_IDS))
def test_replay_of_a_saved_trace_reproduces_its_events(tmp_path: Path, args: tuple[str, ...]) -> None:
    saved, original = simulate_json(*args)
    path = tmp_path / "trace.json"
    path.write_text(saved, encoding="utf-8")
    _, replayed = simulate_json("simulate", "--replay", str(path))
    assert replayed["events"] == original["events"]
    assert replayed["commands"] == original["commands"]
    assert replayed["final"] == original["final"]


@pytest.mark.parametrize("args", REPLAYED, ids=list(REPLAYED_IDS))
def test_replay_of_a_saved_trace_reproduces_it_byte_for_byte(tmp_path: Path, args: tuple[str, ...]) -> None:
    saved, original = simulate_json(*args)
    path = tmp_path / "trace.json"
    path.write_text(saved, encoding="utf-8")
    replayed, trace = simulate_json("simulate", "--replay", str(path))
    # Known engine bug (reported, not fixed here): the last `step` reaches quiescence without emitting
    # an event, so Engine.apply drops it from `commands`; the replay never takes that step and says
    # "quiescent": false where the original said true.
    assert trace["quiescent"] == original["quiescent"], (
        "replay lost quiescence: the step that reached it was not recorded in 'commands'")
    assert replayed == saved


def test_replay_renders_in_any_format(tmp_path: Path) -> None:
    saved, _ = simulate_json(*BASE)
    path = tmp_path / "trace.json"
    path.write_text(saved, encoding="utf-8")
    direct = run_manage(*BASE, "--format", "mermaid")
    replayed = run_manage("simulate", "--replay", str(path), "--format", "mermaid")
    assert replayed.returncode == 0 and replayed.stdout == direct.stdout


# ------------------------------------------------------------------- bad input


def _saved(tmp_path: Path, change: Any = None, raw: str | None = None) -> str:
    """Write a trace file (optionally changed, or raw text instead) and return its path."""
    path = tmp_path / "trace.json"
    if raw is None:
        _, trace = simulate_json(*BASE, "--max-events", "60")
        if change is not None:
            change(trace)
        raw = json.dumps(trace)
    path.write_text(raw, encoding="utf-8")
    return str(path)


def _tamper_time(trace: dict[str, Any]) -> None:
    trace["events"][10]["time"] += 1


def _tamper_vote(trace: dict[str, Any]) -> None:
    send = next(e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] == "vote")
    send["message"]["body"]["vote"] = "no"


def _drop_last_event(trace: dict[str, Any]) -> None:
    trace["events"].pop()


def _params_not_an_object(trace: dict[str, Any]) -> None:
    trace["params"] = "participants=3"


BAD_RUNS = {
    "unknown protocol": (("simulate", "four-phase-commit"), ["four-phase-commit"]),
    "unknown param": (("simulate", "two-phase-commit", "--param", "colour=red"), ["colour"]),
    "param without a value": (("simulate", "two-phase-commit", "--param", "participants"), ["NAME=VALUE"]),
    "out-of-range value": (("simulate", "two-phase-commit", "--param", "participants=99"), ["participants", "range"]),
    "value of the wrong type": (("simulate", "two-phase-commit", "--param", "participants=many"), ["participants"]),
    "unknown scenario": (("simulate", "two-phase-commit", "--scenario", "meteor-strike"), ["meteor-strike"]),
    "bad format": (("simulate", "two-phase-commit", "--format", "svg"), ["--format"]),
    "non-integer seed": (("simulate", "two-phase-commit", "--seed", "seven"), ["--seed"]),
    "negative seed": (("simulate", "two-phase-commit", "--seed", "-1"), ["seed"]),
    "chaos above one": (("simulate", "two-phase-commit", "--chaos", "2"), ["chaos"]),
    "no protocol at all": (("simulate",), ["protocol"]),
    "missing replay file": (("simulate", "--replay", "/nonexistent/trace.json"), ["/nonexistent/trace.json"]),
}


@pytest.mark.parametrize("case", BAD_RUNS, ids=list(BAD_RUNS))
def test_bad_input_is_one_line_and_status_2(case: str) -> None:
    args, words = BAD_RUNS[case]
    assert_refused(run_manage(*args), *words)


BAD_FILES = {
    "not JSON": (None, "{this is not json", ["not JSON"]),
    "empty file": (None, "", ["not JSON"]),
    "JSON nested too deep to parse": (None, "[" * 100_000, []),
    "JSON but not a trace": (None, "[1, 2, 3]", ["protocol"]),
    "a trace of an unknown protocol": (None, '{"protocol": "paxos", "commands": []}', ["paxos"]),
    "no commands": (None, '{"protocol": "two-phase-commit"}', ["commands"]),
    "an event's time tampered with": (_tamper_time, None, ["does not replay", "event 11"]),
    "a vote tampered with": (_tamper_vote, None, ["does not replay"]),
    "an event missing": (_drop_last_event, None, ["does not replay"]),
    "params not an object": (_params_not_an_object, None, ["params"]),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_replay_file_is_one_line_and_status_2(tmp_path: Path, case: str) -> None:
    change, raw, words = BAD_FILES[case]
    done = run_manage("simulate", "--replay", _saved(tmp_path, change, raw))
    assert_refused(done, *words)


def test_replay_refuses_a_trace_of_another_protocol_than_named(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    assert_refused(run_manage("simulate", "echo", "--replay", path), "not echo")


# ------------------------------------------------------------------ protocols


def test_protocols_lists_two_phase_commit_with_params_scenarios_and_invariants() -> None:
    done = run_manage("protocols")
    assert done.returncode == 0 and done.stderr == ""
    text = done.stdout
    assert text.startswith("two-phase-commit: Two-phase commit")
    for word in ("parameters:", "participants = 3 (2..16)", "variant = \"correct\" (correct|majority-commit)",
                 "scenarios:", "coordinator-crash-after-prepare:", "majority-bug:",
                 "invariants:", "consistency (state):", "termination (liveness):"):
        assert word in text, word


def test_protocols_json_describes_two_phase_commit() -> None:
    done = run_manage("protocols", "--json")
    assert done.returncode == 0 and done.stderr == ""
    catalogue = json.loads(done.stdout)
    entry = next(e for e in catalogue if e["name"] == "two-phase-commit")
    params = {p["name"]: p for p in entry["params"]}
    assert params["participants"] | {"help": ""} == {"name": "participants", "kind": "int", "default": 3,
                                                     "min": 2, "max": 16, "help": ""}
    assert {"delay_ms_min", "loss_probability", "fifo"} <= set(params), "network parameters are listed too"
    scenarios = {s["name"] for s in entry["scenarios"]}
    assert {"happy-commit", "coordinator-crash-after-prepare", "majority-bug"} <= scenarios
    invariants = {i["name"]: i["kind"] for i in entry["invariants"]}
    assert invariants["consistency"] == "state" and invariants["termination"] == "liveness"
    assert entry["transitions"] and entry["roles"] == ["coordinator", "participant"]

