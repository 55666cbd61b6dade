"""Each named MESI scenario shows what its description promises, and its figures add up."""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocols.mesi import SPEC
from protocols.sim.trace import build_trace
from tests.helpers import assert_valid_trace, run_manage
from tests.protocols.coherence_support import run, strays

SEEDS = (0, 1, 7, 2024)
FAULTY = {"owner-crash": "data-value", "broken-directory": "single-writer-multiple-readers"}
"""Scenarios that must end with a violation, and the invariant that catches it."""
CLEAN = [s.name for s in SPEC.scenarios if s.name not in FAULTY]


def trace_of(scenario: str, seed: int = 0, **params: Any) -> dict[str, Any]:
    engine = run(SPEC, params, seed=seed, scenario=scenario)
    assert engine.quiescent and not engine.truncated, f"{scenario} seed={seed} did not finish"
    return build_trace(engine)


def sends(trace: dict[str, Any], type_: str, **fields: Any) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] == type_
            and all(e.get(k) == v for k, v in fields.items())]


def test_every_scenario_is_tested_here() -> None:
    assert {s.name for s in SPEC.scenarios} == {
        "read-sharing", "write-ping-pong", "upgrade-invalidate", "eviction-writeback", "reordering",
        "owner-crash", "broken-directory"}


@pytest.mark.parametrize("scenario", [s.name for s in SPEC.scenarios])
def test_every_scenario_writes_a_valid_trace(scenario: str) -> None:
    assert_valid_trace(trace_of(scenario))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", [s.name for s in SPEC.scenarios])
def test_every_scenario_shows_every_caption(scenario: str, seed: int) -> None:
    trace = trace_of(scenario, seed)
    shown = {e["text"] for e in trace["events"] if e["kind"] == "caption"}
    assert shown == {c.text for c in SPEC.scenario(scenario).captions}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", CLEAN)
def test_clean_scenarios_keep_every_invariant(scenario: str, seed: int) -> None:
    trace = trace_of(scenario, seed)
    assert trace["violations"] == [] and set(trace["verdicts"].values()) == {"holds"}
    summary = trace["summary"]
    assert (summary["stale_reads"], summary["lost_writes"]) == (0, 0)
    assert 0.0 <= summary["hit_ratio"] <= 1.0 and summary["messages_per_op"] > 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("scenario", "invariant"), sorted(FAULTY.items()))
def test_faulty_scenarios_are_caught(scenario: str, invariant: str, seed: int) -> None:
    trace = trace_of(scenario, seed)
    assert trace["verdicts"][invariant] == "violated"
    violation = next(v for v in trace["violations"] if v["invariant"] == invariant)
    if invariant == "data-value":  # A history finding points at the stale answer.
        cause = trace["events"][violation["cause_seq"] - 1]
        assert cause["kind"] == "send" and cause["message"]["type"] == "read_ok"


def test_read_sharing_grants_e_in_mesi_and_never_in_msi() -> None:
    mesi = trace_of("read-sharing")
    msi = trace_of("read-sharing", variant="msi")
    assert [e for e in sends(mesi, "Data", src="dir") if e["message"]["body"]["excl"]]
    assert not [e for e in sends(msi, "Data", src="dir") if e["message"]["body"]["excl"]]
    assert sends(mesi, "Fwd-GetS"), "a later reader finds an owner and is forwarded to it"


def test_a_lone_writer_after_its_own_read_needs_no_message_in_mesi_only() -> None:
    params = {"clients": 1, "caches": 1, "keys": 1, "read_ratio": 0.5, "ops_per_client": 8}
    mesi, msi = trace_of("read-sharing", **params), trace_of("read-sharing", **params, variant="msi")
    assert len(sends(mesi, "GetM")) == 0 < len(sends(msi, "GetM"))
    assert mesi["summary"]["messages_per_op"] < msi["summary"]["messages_per_op"]


def test_upgrade_invalidate_counts_its_invalidations() -> None:
    trace = trace_of("upgrade-invalidate")
    assert trace["summary"]["invalidations"] == len(sends(trace, "Inv")) > 0
    assert len(sends(trace, "Inv-Ack")) == len(sends(trace, "Inv")), "every Inv is acknowledged"


def test_eviction_writes_back_and_memory_takes_it() -> None:
    trace = trace_of("eviction-writeback")
    summary = trace["summary"]
    assert sends(trace, "PutM") and sends(trace, "Put-Ack")
    assert summary["db_writes"] == sum(1 for e in trace["events"] if e["kind"] == "persist" and e["node"] == "dir") > 0
    assert summary["db_reads"] == len(sends(trace, "Data", src="dir"))


def test_the_owner_crash_loses_a_write_and_the_summary_says_so() -> None:
    summary = trace_of("owner-crash")["summary"]
    assert summary["stale_reads"] > 0 and summary["max_staleness"] > 0


def test_reordering_without_fifo_needs_no_stray_and_keeps_order_per_line() -> None:
    engine = run(SPEC, {"fifo": False}, seed=3, scenario="reordering")
    assert strays(engine) == 0 and not engine.checker.failed


def test_the_command_line_runs_mesi_with_params_and_a_scenario() -> None:
    done = run_manage("simulate", "mesi", "--scenario", "broken-directory", "--param", "caches=3",
                      "--seed", "7", "--format", "json")
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)
    assert trace["params"]["caches"] == 3 and trace["params"]["directory"] == "broken" and trace["seed"] == 7
    assert trace["quiescent"] and trace["verdicts"]["single-writer-multiple-readers"] == "violated"
