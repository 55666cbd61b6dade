"""Hypothesis over whole service registry runs: seeds, parameters, networks, pauses, crashes, partitions.

Whatever the seed, the sizes, the discovery mode, self-preservation, the
network's delays, loss and duplication, and the fault plan (pauses of any
length, crashes, some midway through a handler, recoveries, partitions,
clock skew), no registry ever takes back an instance it evicted with an old
incarnation, no safety invariant breaks and no handler meets an input its
table does not list. Every failing example prints its run as JSON. The
deliberately broken registry (``variant=no-incarnations``) must be caught by
the same search: a property that cannot fail proves nothing.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, note, settings
from hypothesis import strategies as st

from protocols.registry import SPEC
from protocols.registry.names import topology
from protocols.sim.engine import Engine
from protocols.sim.explorer import explore
from protocols.sim.trace import build_trace, replay
from tests import strategies as s
from tests.helpers import words
from tests.protocols.run_support import describe, simulate_run

MAX_EVENTS = 8_000
"""Enough for every run drawn here; a longer one is cut short, not failed."""

SAFETY = ("state", "transition", "history")
RUN_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MESSAGES = ("register", "register_ok", "heartbeat", "unknown_instance", "replicate", "peer_unknown", "discover",
            "watch", "instances", "call", "call_ok")
DETAILS: dict[str, tuple[str, tuple[str, ...]]] = {
    "send": ("message.type", MESSAGES),
    "persist": ("record.type", ("incarnation", "boot")),
    "state": ("state.phase", ("registering", "up", "serving", "preserving", "ready")),
}
"""Finer patterns: crash a provider right after it forced a new incarnation, not merely after any event."""


@st.composite
def pauses(draw: st.DrawFn, nodes: list[str], horizon: int) -> list[dict[str, Any]]:
    """A pause of any length, often past a lease, and (usually) its end."""
    node = draw(st.sampled_from(nodes))
    at = draw(st.integers(0, horizon))
    plan = [{"action": "pause", "node": node, "at_ms": at}]
    if draw(st.integers(0, 4)):
        plan.append({"action": "resume", "node": node, "at_ms": at + draw(st.integers(1, 1_200))})
    return plan


@st.composite
def registry_runs(draw: st.DrawFn, variant: str = "correct") -> dict[str, Any]:
    """A whole service registry run as data: seed, parameters, fault plan."""
    low, high = sorted(draw(st.lists(st.integers(0, 60), min_size=2, max_size=2)))
    params = {
        "providers": draw(st.integers(1, 4)),
        "consumers": draw(st.integers(1, 3)),
        "registry_replicas": draw(st.sampled_from([1, 1, 3])),
        "discovery": draw(st.sampled_from(["pull", "watch"])),
        "self_preservation": draw(st.booleans()),
        "heartbeat_ms": draw(st.sampled_from([20, 50, 100])),
        "missed_beats": draw(st.integers(1, 4)),
        "sweep_ms": draw(st.sampled_from([10, 50, 100])),
        "refresh_ms": draw(st.sampled_from([50, 300, 1_000])),
        "call_ms": draw(st.sampled_from([20, 50])),
        "call_timeout_ms": draw(st.sampled_from([20, 100])),
        "duration_ms": draw(st.sampled_from([400, 1_000, 1_500])),
        "loss_probability": draw(s.PROBABILITIES),
        "duplicate_probability": draw(s.PROBABILITIES),
        "delay_ms_min": low,
        "delay_ms_max": high,
        "fifo": draw(st.booleans()),
        "variant": variant,
    }
    nodes = list(topology(SPEC.resolve_params(params)))
    plan: list[dict[str, Any]] = []
    for _ in range(draw(st.sampled_from([0, 1, 2, 3, 5]))):
        choice = draw(st.integers(0, 4))
        if choice == 0:
            plan += draw(s.midstep_crashes(nodes, DETAILS))
        elif choice in (1, 2):
            plan += draw(pauses(nodes, params["duration_ms"]))
        else:
            plan.append(draw(s.timed_faults(nodes)))
    return {"seed": draw(s.SEEDS), "params": params, "faults": plan}


def simulate(run: dict[str, Any]) -> Engine:
    """Run to the end (or the event limit); a protocol exception fails with the run attached."""
    return simulate_run(SPEC, run, MAX_EVENTS)


def violations(engine: Engine, name: str | None = None) -> list[dict[str, Any]]:
    return [e for e in engine.log if e["kind"] == "violation" and e["invariant_kind"] in SAFETY
            and (name is None or e["invariant"] == name)]


@settings(RUN_SETTINGS, max_examples=150)
@given(registry_runs())
def test_no_older_incarnation_ever_resurrects_an_evicted_instance(run: dict[str, Any]) -> None:
    note(f"run: {describe(run)}")
    engine = simulate(run)
    found = violations(engine)
    assert not found, f"{[(v['invariant'], words(v)) for v in found]}\nrun={describe(run)}"
    # The positive space too: each registry's entries only ever move to newer incarnations.
    for registry in (n for n, r in engine.roles.items() if r == "registry"):
        highest: dict[str, int] = {}
        for event in engine.log:
            if event["node" if "node" in event else "kind"] != registry:
                continue
            if event["kind"] == "crash":
                highest = {}
            elif event["kind"] == "state":
                for name, entry in event["state"]["instances"].items():
                    assert entry["inc"] >= highest.get(name, 0), f"{registry} went back on {name}: {describe(run)}"
                    highest[name] = entry["inc"]
    summary = build_trace(engine)["summary"]
    assert summary["calls"] == summary["successes"] + summary["failures"]
    assert summary["retries"] == summary["breaker_transitions"] == 0


def test_the_broken_registry_is_caught_by_the_same_search() -> None:
    def resurrects(run: dict[str, Any]) -> bool:
        engine = Engine(SPEC, run["params"], seed=run["seed"], faults=run["faults"], max_events=MAX_EVENTS)
        engine.run()
        return bool(violations(engine, "no-resurrection"))

    found = find(registry_runs(variant="no-incarnations"), resurrects,
                 settings=settings(max_examples=300, deadline=None, database=None,
                                   suppress_health_check=[HealthCheck.too_slow]))
    assert found["params"]["variant"] == "no-incarnations"
    engine = Engine(SPEC, found["params"], seed=found["seed"], faults=found["faults"], max_events=MAX_EVENTS)
    engine.run()
    [first, *_] = violations(engine, "no-resurrection")
    cause = engine.log[first["cause_seq"] - 1]
    assert cause["kind"] == "deliver" and cause["message"]["type"] in ("heartbeat", "register", "replicate"), (
        "the finding points at the late message that brought the instance back")
    fixed = Engine(SPEC, {**found["params"], "variant": "correct"}, seed=found["seed"], faults=found["faults"],
                   max_events=MAX_EVENTS)
    fixed.run()
    assert not violations(fixed), "the correct registry survives the very same run"


@settings(RUN_SETTINGS, max_examples=25)
@given(registry_runs())
def test_replaying_the_commands_gives_the_identical_log(run: dict[str, Any]) -> None:
    note(f"run: {describe(run)}")
    engine = simulate(run)
    assert replay(SPEC, build_trace(engine)).log == engine.log, describe(run)


def test_chaos_runs_end_quietly_and_safely() -> None:
    for seed in range(12):
        engine = Engine(SPEC, {"registry_replicas": 3 if seed % 2 else 1, "loss_probability": 0.1,
                               "duplicate_probability": 0.1}, seed=seed, chaos=0.1, max_events=MAX_EVENTS)
        engine.run()
        assert engine.quiescent and not violations(engine), f"seed={seed}"


FULL = os.environ.get("PROTOLAB_EXPLORE_ALL") == "1"
DEPTH = None if FULL else 7
"""The normal suite searches every order of the small model's first seven commands (some 5,000 worlds, a
second of CPU; the broken registry's resurrection is already among them); PROTOLAB_EXPLORE_ALL=1 searches
the whole model (some 27,000 worlds, eight times longer), as tests/sim/test_foils.py does its clean ones."""


@pytest.mark.slow
def test_the_explorer_searches_the_small_model_completely_and_finds_nothing() -> None:
    report = explore(SPEC, depth_limit=DEPTH)  # The default budget, message ids ranked.
    assert report.complete, "one provider, one consumer, a 200 ms horizon: every order is tried"
    assert report.states > 1_000 and report.counterexamples == []
    assert report.params["providers"] == 1 and report.params["duration_ms"] == 200
