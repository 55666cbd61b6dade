"""Hypothesis over whole MESI runs, the explorer on a small model, and reproducible traces.

Whatever the workload (clients, caches, keys, read ratio, capacity, Zipf or
uniform), the variant, the seed and the network (delays from none to very
uneven, FIFO or reordering), the correct directory never breaks a coherence
invariant, no message is ever a stray, and every client finishes. The broken
directory must be caught, by Hypothesis and by the explorer: a checker that
cannot fail proves nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, note, settings
from hypothesis import strategies as st

from protocols.mesi import SPEC
from protocols.sim.explorer import counterexample_trace, explore
from protocols.sim.trace import build_trace, dumps, replay
from tests.helpers import assert_valid_trace, words
from tests.protocols.coherence_support import run, safety_violations, strays, trace_text
from tests.protocols.run_support import describe
from tests.strategies import SEEDS

RUN_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_EVENTS = 60_000
"""Far more than the largest drawn run needs (8 clients x 12 operations): a cut-short run would fail the test."""


@st.composite
def mesi_runs(draw: st.DrawFn, directory: str = "correct", max_clients: int = 8, max_ops: int = 12) -> dict[str, Any]:
    """A whole MESI run as data: seed and parameters (workload, variant, network)."""
    low, high = sorted(draw(st.lists(st.integers(0, 150), min_size=2, max_size=2)))
    params = {
        "clients": draw(st.integers(1, max_clients)),
        "caches": draw(st.integers(1, 8)),
        "keys": draw(st.integers(1, 5)),
        "read_ratio": draw(st.sampled_from([0.0, 0.3, 0.5, 0.7, 0.9, 1.0])),
        "capacity": draw(st.integers(1, 4)),
        "distribution": draw(st.sampled_from(["uniform", "zipf"])),
        "variant": draw(st.sampled_from(["mesi", "msi"])),
        "directory": directory,
        "think_ms": draw(st.sampled_from([0, 5, 20])),
        "ops_per_client": draw(st.integers(0, max_ops)),
        "delay_ms_min": low,
        "delay_ms_max": high,
        "fifo": draw(st.booleans()),
    }
    return {"seed": draw(SEEDS), "params": params}


@settings(RUN_SETTINGS, max_examples=300)
@given(mesi_runs())
def test_the_correct_directory_never_breaks_coherence(run_data: dict[str, Any]) -> None:
    note(f"run: {describe(run_data)}")
    engine = run(SPEC, run_data["params"], seed=run_data["seed"], max_events=MAX_EVENTS)
    found = [(v["invariant"], words(v)) for v in engine.log if v["kind"] == "violation"]
    assert not found, f"{found}\nrun={describe(run_data)}"
    assert engine.quiescent and not engine.truncated
    assert strays(engine) == 0, "in the protocol's own model no message is stale or duplicated"
    summary = build_trace(engine)["summary"]
    assert (summary["stale_reads"], summary["lost_writes"]) == (0, 0)
    assert summary["reads"] + summary["writes"] == run_data["params"]["clients"] * run_data["params"]["ops_per_client"]
    if run_data["params"]["variant"] == "msi":
        assert not any(e["kind"] == "state" and any(ln["st"] == "E" for ln in e["state"].get("lines", {}).values())
                       for e in engine.log), "MSI has no E"


def caught(run_data: dict[str, Any]) -> bool:
    engine = run(SPEC, run_data["params"], seed=run_data["seed"], max_events=MAX_EVENTS)
    return any(v["invariant"] == "single-writer-multiple-readers" for v in safety_violations(engine))


def test_hypothesis_finds_a_run_where_the_broken_directory_is_caught() -> None:
    found = find(mesi_runs(directory="broken"), caught,
                 settings=settings(max_examples=300, database=None, deadline=None, derandomize=True,
                                   phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert found["params"]["directory"] == "broken"
    found["params"]["directory"] = "correct"
    assert not caught(found), "the same run with the correct directory is clean"


@pytest.mark.parametrize("seed", range(25))
def test_the_broken_directory_scenario_is_caught_on_every_seed(seed: int) -> None:
    engine = run(SPEC, seed=seed, scenario="broken-directory")
    assert {v["invariant"] for v in safety_violations(engine)} >= {"single-writer-multiple-readers"}


# ------------------------------------------------------------------ explorer


def test_the_explorer_finishes_the_small_model_and_finds_nothing() -> None:
    report = explore(SPEC)
    assert report.complete and report.states > 1_000, report.to_json()
    assert report.counterexamples == []


@pytest.mark.parametrize("variant", ["mesi", "msi"])
def test_the_explorer_catches_the_broken_directory_with_a_replayable_counterexample(variant: str) -> None:
    report = explore(SPEC, {"directory": "broken", "variant": variant})
    names = {c.name for c in report.counterexamples}
    assert "single-writer-multiple-readers" in names, report.to_json()
    shortest = next(c for c in report.counterexamples if c.name == "single-writer-multiple-readers")
    trace = counterexample_trace(SPEC, report, shortest)
    assert_valid_trace(trace)
    assert replay(SPEC, trace).log == trace["events"]


# ------------------------------------------------------------------ traces


@settings(RUN_SETTINGS, max_examples=12)
@given(mesi_runs(max_clients=3, max_ops=5))
def test_traces_are_schema_valid_deterministic_and_replay(run_data: dict[str, Any]) -> None:
    params, seed = run_data["params"], run_data["seed"]
    first = trace_text(SPEC, params, seed)
    assert first == trace_text(SPEC, params, seed), "same inputs, same bytes"
    trace = json.loads(first)
    assert_valid_trace(trace)
    assert dumps(build_trace(replay(SPEC, trace))) == first


def test_a_chaotic_run_with_a_lossy_duplicating_network_stays_valid_and_counts_strays() -> None:
    params = {"loss_probability": 0.1, "duplicate_probability": 0.3, "clients": 4, "caches": 2, "keys": 2}
    engines = [run(SPEC, params, seed=seed, chaos=0.05, max_events=5_000) for seed in range(8)]
    for engine in engines:
        assert_valid_trace(build_trace(engine))
    assert sum(strays(e) for e in engines) > 0, "duplicates are recognised, not silently served twice"
