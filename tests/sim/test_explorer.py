"""The explorer: exhaustive BFS over delivery orders, shortest counterexamples, replayable traces.

Two-phase commit is far too large to search completely, so those tests use
small --max-states budgets (the broken variant fails at depth 4). A tiny
``relay`` protocol defined here has a state space small enough to finish,
and an order in which it raises, to test completion and exception findings.
The clone and fingerprint tests pin the optimized copies to the behaviour of
the plain versions they replaced.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from protocols.base import Context, ParameterError, Send, State, Transition, TransitionTable
from protocols.sim.engine import Engine
from protocols.sim.explorer import MAX_STATES_CEILING, Report, counterexample_trace, explore
from protocols.sim.trace import dumps, replay
from protocols.spec import Finding, Invariant, NodeView, ProtocolSpec
from protocols.twophase import SPEC
from tests.helpers import assert_valid_trace, run_manage

BROKEN = {"participants": 3, "variant": "majority-commit", "votes": "yes,yes,no"}
SMALL = 3_000
"""States per 2PC search in these tests: well under a second, and past depth 6."""


def _without_timing(report: Report) -> dict[str, Any]:
    data = report.to_json()
    del data["elapsed_s"], data["states_per_s"]
    return data


# ------------------------------------------------------------ two-phase commit


def test_correct_two_phase_commit_breaks_nothing_within_the_budget() -> None:
    report = explore(SPEC, {"participants": 3}, max_states=SMALL)
    assert report.states == SMALL
    assert report.transitions >= report.states - 1
    assert report.max_depth > 4
    assert report.counterexamples == []


@pytest.mark.slow
def test_three_participant_two_phase_commit_is_searched_completely_and_is_safe() -> None:
    report = explore(SPEC, {"participants": 3})  # The protocol's small model, the default budget.
    assert report.complete, "the default search of 3-participant 2PC must finish"
    # Participants are interchangeable and nothing reads the clock: 4,534 worlds.
    assert report.states > 4_000 and report.max_depth > 12
    assert report.counterexamples == []
    assert report.params["max_resends"] == 0  # The small model was applied...
    wider = explore(SPEC, {"participants": 3, "max_resends": 1}, max_states=SMALL)
    assert wider.params["max_resends"] == 1  # ...and the user may override it.


def test_majority_commit_is_caught_with_a_shortest_counterexample() -> None:
    report = explore(SPEC, BROKEN, max_states=SMALL)
    names = {c.name: c for c in report.counterexamples}
    assert {"commit-needs-all-yes", "consistency"} & set(names)
    found = names["commit-needs-all-yes"]
    # Two PREPAREs delivered, two yes votes delivered: the broken coordinator commits.
    assert [c["cmd"] for c in found.commands] == ["deliver"] * 4
    assert found.kind == "violation"


def test_the_search_is_deterministic() -> None:
    first = explore(SPEC, BROKEN, max_states=1_000)
    again = explore(SPEC, BROKEN, max_states=1_000)
    assert _without_timing(first) == _without_timing(again)


def test_reaching_max_states_is_reported() -> None:
    report = explore(SPEC, {"participants": 3}, max_states=100)
    assert report.states == 100
    assert not report.complete
    assert report.to_json()["stopped"] == "max-states"
    assert report.expanded < report.states


def test_a_counterexample_trace_replays_to_the_same_violation() -> None:
    report = explore(SPEC, BROKEN, max_states=SMALL)
    for found in report.counterexamples:
        trace = json.loads(dumps(counterexample_trace(SPEC, report, found)))
        assert_valid_trace(trace)
        assert found.name in {v["invariant"] for v in trace["violations"]}
        assert replay(SPEC, trace).log == trace["events"]


def test_the_command_saves_counterexamples_that_simulate_replays(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("explore", "two-phase-commit", param=[f"{k}={v}" for k, v in BROKEN.items()],
                 max_states=SMALL, save_dir=str(tmp_path), json=True, stdout=out)
    report = json.loads(out.getvalue())
    assert report["counterexamples"], report
    for found in report["counterexamples"]:
        path = Path(found["file"])
        assert path.parent == tmp_path
        replayed = io.StringIO()
        call_command("simulate", replay=str(path), format="json", stdout=replayed)
        trace = json.loads(replayed.getvalue())
        assert found["name"] in {v["invariant"] for v in trace["violations"]}
        assert trace["commands"] == found["commands"]


@pytest.mark.parametrize("given, words", [
    ({"max_states": 0}, ["max-states"]),
    ({"max_states": MAX_STATES_CEILING + 1}, ["max-states"]),
    ({"max_crashes": -1}, ["max-crashes"]),
    ({"params": {"loss_probability": 0.1}}, ["loss_probability"]),
    ({"params": {"fifo": True}}, ["fifo"]),
    ({"params": {"participants": 99}}, ["participants"]),
])
def test_bad_limits_and_parameters_are_refused(given: dict[str, Any], words: list[str]) -> None:
    params = given.pop("params", {})
    with pytest.raises(ParameterError) as caught:
        explore(SPEC, params, **given)
    for word in words:
        assert word in str(caught.value)


# ----------------------------------------------------------------- relay


def _relay_spec() -> ProtocolSpec:
    """Node a tells b and c; b then tells c; c has no row for b's word before a's."""

    def a_start(ctx: Context, state: State, event: Any, now: int) -> tuple[State, list[Send]]:
        return state, [Send(dest="b", type="x"), Send(dest="c", type="y")]

    def b_told(ctx: Context, state: State, event: Any, now: int) -> tuple[State, list[Send]]:
        return {**state, "phase": "told"}, [Send(dest="c", type="z")]

    def c_to(phase: str) -> Any:
        return lambda ctx, state, event, now: ({**state, "phase": phase}, [])

    rows = [
        Transition(role="a", phase="idle", on="start", to=("idle",), handler=a_start),
        Transition(role="b", phase="idle", on="start", to=("idle",)),
        Transition(role="b", phase="idle", on="msg:x", to=("told",), handler=b_told),
        Transition(role="c", phase="idle", on="start", to=("idle",)),
        Transition(role="c", phase="idle", on="msg:y", to=("heard",), handler=c_to("heard")),
        Transition(role="c", phase="heard", on="msg:z", to=("done",), handler=c_to("done")),
    ]

    def c_never_done(views: Mapping[str, NodeView]) -> list[Finding]:
        done = views["c"].state.get("phase") == "done"
        return [Finding(nodes=("c",), id="c-done")] if done else []

    def a_moves_on(views: Mapping[str, NodeView]) -> list[Finding]:
        idle = views["a"].state.get("phase") == "idle"  # It always is: a liveness failure at every end.
        return [Finding(nodes=("a",), id="a-idle")] if idle else []

    return ProtocolSpec(
        name="relay", title="Relay", summary="", theory="", roles=("a", "b", "c"), params=(),
        table=TransitionTable(rows), topology=lambda params: {"a": "a", "b": "b", "c": "c"},
        initial_state=lambda ctx: {"phase": "idle"},
        invariants=(Invariant(name="c-never-done", kind="state", description="", check=c_never_done,
                              findings={"c-done": "c is done"}),
                    Invariant(name="a-moves-on", kind="liveness", description="", check=a_moves_on,
                              findings={"a-idle": "a is still idle"})),
        scenarios=(), summarize=lambda trace: {},
    )


def test_a_small_space_is_searched_completely() -> None:
    report = explore(_relay_spec(), max_crashes=0, max_states=1_000)
    assert report.complete
    assert report.to_json()["stopped"] == "complete"
    assert report.expanded == report.states
    # {x, y} in flight; x gives {y, z}; y gives {x}; both then {z}; then nothing (z before y raises).
    assert report.states == 5
    assert report.max_depth == 3


def test_a_protocol_exception_is_a_finding_that_replays_as_the_same_error() -> None:
    spec = _relay_spec()
    report = explore(spec, max_crashes=0)
    found = {c.name: c for c in report.counterexamples}
    assert len(found["c-never-done"].commands) == 3
    error = found["UnexpectedInput"]
    assert error.kind == "exception"
    assert error.name == "UnexpectedInput"
    assert [c["cmd"] for c in error.commands] == ["deliver", "deliver"]
    trace = counterexample_trace(spec, report, error)
    with pytest.raises(ParameterError, match="no transition"):
        replay(spec, json.loads(dumps(trace)))


def test_a_liveness_failure_at_the_end_of_every_order_replays() -> None:
    spec = _relay_spec()
    report = explore(spec, max_crashes=0)
    [stuck] = [c for c in report.counterexamples if c.name == "a-moves-on"]
    assert stuck.commands[-1] == {"cmd": "step"}
    assert len(stuck.commands) == 4
    trace = json.loads(dumps(counterexample_trace(spec, report, stuck)))
    assert_valid_trace(trace)
    assert trace["quiescent"]
    assert replay(spec, trace).log == trace["events"]


def test_a_crash_needs_a_recovery_row() -> None:
    report = explore(_relay_spec(), max_crashes=1)
    assert any("'recover'" in c.text for c in report.counterexamples if c.kind == "exception")


# ------------------------------------------------------ clone and fingerprint


def _reference_fingerprint(engine: Engine) -> str:
    """The fingerprint written plainly, as it was before it was optimized."""
    nodes = [
        (name, rt.up, rt.paused, rt.state, rt.durable,
         sorted((timer, engine.pending[pid].due) for timer, pid in rt.timers.items()), len(rt.held))
        for name, rt in engine.nodes.items()
    ]
    flights = sorted(
        (p.message.src, p.message.dest, p.message.type, json.dumps(p.message.body, sort_keys=True),
         p.message.in_reply_to or "")
        for p in engine.pending.values() if p.message is not None
    )
    faults = sorted(json.dumps(p.fault, sort_keys=True) for p in engine.pending.values() if p.fault)
    partition = sorted(engine.network.partition.items()) if engine.network.partition else None
    return json.dumps([engine.now, nodes, flights, faults, partition, len(engine._watches),
                       engine.checker.memory()], sort_keys=True, default=str)


def _worlds() -> list[Engine]:
    """Return a spread of 2PC worlds: stepped, crashed, partitioned, with planned faults."""
    worlds = []
    plan = [{"action": "crash", "node": "p2", "at_ms": 500},
            {"action": "drop", "after": {"kind": "send", "message.type": "vote"}}]
    for seed in range(6):
        engine = Engine(SPEC, {"participants": 3, "votes": "yes,0.5"}, seed=seed, faults=plan, chaos=0.2)
        if seed % 2:
            engine.apply({"cmd": "partition", "groups": [["coordinator", "p1"], ["p2", "p3"]]})
        for _ in range(12):
            worlds.append(engine.clone())
            engine.step()
    return worlds


def test_the_fingerprint_is_unchanged_by_its_optimization() -> None:
    for world in _worlds():
        assert world.fingerprint() == _reference_fingerprint(world)


def _searched_worlds(monkeypatch: pytest.MonkeyPatch) -> list[Engine]:
    """Return worlds as a search makes them: 2PC's and, for times written relative to now, cache-aside's
    (its history checks' whole memos hold the search's stamps), each of those also a few milliseconds later."""
    from protocols import REGISTRY
    from protocols.sim import explorer

    worlds: list[Engine] = []
    digest = explorer._Search._digest

    def kept(search: Any, engine: Engine, drops: int, crashes: int) -> bytes:
        worlds.append(engine.clone())
        return digest(search, engine, drops, crashes)

    monkeypatch.setattr(explorer._Search, "_digest", kept)
    explore(SPEC, {"participants": 3}, max_states=60)
    cached = len(worlds)
    explore(REGISTRY["cache-aside"], max_states=60)
    for world in worlds[cached:]:
        world.checker.memory_views = False  # The whole memos: they hold the stamps (the views leave them out).
        later = world.clone()
        later.now += 7  # The same pieces at another time: a relative text must differ.
        worlds.append(later)
    return worlds


def test_a_fingerprint_looked_up_is_the_one_written_afresh_in_every_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fingerprint remembers each world's text by the pieces and options it is written from
    # (snapshot._WORLDS): whatever the mode, and whatever was asked before, a text looked up must be
    # the text written afresh, with nothing remembered.
    from protocols.sim import snapshot

    modes = [{"timeless": timeless, "ranked": ranked, "relative": relative, "horizon": horizon, "reach": reach}
             for timeless in (False, True) for ranked in (False, True) for relative in (False, True)
             for horizon in (None, 40) for reach in (None, 30)]
    worlds = _worlds() + _searched_worlds(monkeypatch)
    participants = ("p1", "p2", "p3")
    asks = [(world, symmetric, mode) for world in worlds
            for symmetric in ((), (participants,)) if set(participants) <= set(world.nodes) or not symmetric
            for mode in modes]
    fresh = []
    for world, symmetric, mode in asks:
        snapshot._WORLDS.clear()
        fresh.append(snapshot.fingerprint(world, symmetric, **mode))
    for _ in range(2):  # Filled by the first pass, answered from it by the second.
        assert [snapshot.fingerprint(world, symmetric, **mode) for world, symmetric, mode in asks] == fresh
    distinct = {world.fingerprint() for world in worlds}
    assert len(set(fresh)) > 3 * len(distinct), "the modes compared write different texts of a world"


def test_the_memory_text_is_the_text_of_the_ranked_memory() -> None:
    # The fingerprint encodes the history checks' memory in one walk (Checker.memory_text); it must
    # write exactly what encoding Checker.memory() (sequence numbers ranked) writes.
    from protocols import REGISTRY
    from protocols.sim.snapshot import _ENCODE_LENIENT

    checked = 0
    for name in ("cache-write-through", "cache-write-back", "counter-sharded"):
        for seed in range(3):
            engine = Engine(REGISTRY[name], {}, seed=seed, chaos=0.2)
            for _ in range(40):
                memory = engine.checker.memory()
                assert engine.checker.memory_text(_ENCODE_LENIENT) == _ENCODE_LENIENT(memory)
                checked += '"seq"' in _ENCODE_LENIENT(memory)
                engine.step()
    assert checked > 100, "the worlds compared hold sequence numbers to rank"


def test_a_clone_goes_on_exactly_as_the_original_would() -> None:
    for seed in range(4):
        original = Engine(SPEC, {"participants": 4, "votes": "0.7"}, seed=seed, chaos=0.1)
        original.run(max_steps=5)
        twin = original.clone()
        grandchild = twin.clone()  # A copy of a copy shares the generator's snapshot.
        original.run()
        twin.run()
        grandchild.run()
        assert twin.log == original.log == grandchild.log
        assert twin.network.draw() == original.network.draw() == grandchild.network.draw()


def test_a_clone_is_independent_of_its_original() -> None:
    original = Engine(SPEC, {"participants": 3}, seed=1)
    before = original.fingerprint()
    twin = original.clone()
    for _ in range(6):
        twin.step()
    assert original.fingerprint() == before
    assert twin.fingerprint() != before
    assert original.step() == Engine(SPEC, {"participants": 3}, seed=1).step()


# ----------------------------------------------------------- command line


def test_explore_from_the_command_line_prints_a_json_report(tmp_path: Path) -> None:
    done = run_manage("explore", "two-phase-commit", "--json", "--max-states", "500",
                      "--save-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["states"] == 500
    assert report["stopped"] == "max-states"
    assert report["counterexamples"] == []


@pytest.mark.parametrize("args, word", [
    (("two-phase-commit", "--max-states", "0"), "max-states"),
    (("no-such-protocol",), "no-such-protocol"),
    (("two-phase-commit", "--max-drops", "many"), "max-drops"),
    ((), "--all"),
    (("two-phase-commit", "--all"), "--all"),
])
def test_explore_refuses_bad_input_in_one_line(args: tuple[str, ...], word: str) -> None:
    done = run_manage("explore", *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert word in done.stderr


def test_a_runs_parameters_are_searched_as_the_small_model_plus_what_the_run_changed() -> None:
    from protocols import get_protocol
    from protocols.sim.explorer import NETWORK_CHOSEN_BY_SEARCH, params_of_run

    spec = get_protocol("two-phase-commit")
    run = spec.resolve_params({"participants": 2, "variant": "majority-commit", "loss_probability": 0.2})
    searched = params_of_run(spec, run)
    assert searched == {"participants": 2, "variant": "majority-commit", **NETWORK_CHOSEN_BY_SEARCH}
    assert "max_resends" not in searched, "a default left in would undo the small model"
    assert explore(spec, searched, max_states=2000).params["max_resends"] == spec.explore_params["max_resends"]
