"""Hypothesis over whole two-phase commit runs: seeds, parameters, networks, fault plans.

Whatever the seed, the participant count, the votes, the network's loss and
duplication, the chaos rate and the fault plan (crashes, some midway through a
handler, recoveries, pauses, partitions, clock skew, dropped and duplicated
sends), the correct coordinator never violates a safety invariant and no
handler meets an input its table does not list. Every failing example prints
its run as JSON (seed, parameters, plan) so it can be replayed exactly. The
deliberately broken coordinator must be caught: a checker that cannot fail
proves nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, note, settings
from hypothesis import strategies as st

from protocols.base import ANY_PHASE, Context, Handler, Outcome, Persist, ProtocolError, State, TransitionTable
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps, replay
from protocols.spec import ProtocolSpec
from protocols.twophase import SPEC
from protocols.twophase import handlers as h
from tests import strategies as s
from tests.helpers import words
from tests.protocols.run_support import describe, simulate_run

MAX_EVENTS = 6_000
"""Enough for 16 participants, loss and duplication; a run that needs more is cut short, not failed."""

SAFETY = ("state", "transition")
RUN_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def simulate(run: dict[str, Any]) -> Engine:
    """Run to the end (or the event limit); a protocol exception fails with the run attached."""
    return simulate_run(SPEC, run, MAX_EVENTS)


def safety_violations(engine: Engine) -> list[dict[str, Any]]:
    return [e for e in engine.log if e["kind"] == "violation" and e["invariant_kind"] in SAFETY]


SAFETY_EXAMPLES = 800 if os.environ.get("PROTOLAB_EXPLORE_ALL") == "1" else 300
"""Runs the safety property draws: 300 in the normal suite, as many as the search below that must catch the
broken coordinator with the same strategy; 800 with PROTOLAB_EXPLORE_ALL=1, as tests/sim/test_foils.py does."""


@settings(RUN_SETTINGS, max_examples=SAFETY_EXAMPLES)
@given(s.two_pc_runs())
def test_the_correct_protocol_never_violates_safety(run: dict[str, Any]) -> None:
    engine = simulate(run)
    found = safety_violations(engine)
    assert not found, (
        f"safety violated: {[(v['invariant'], words(v)) for v in found]}\n"
        f"seed={run['seed']} faults={json.dumps(run['faults'])}\nrun={describe(run)}"
    )
    # Assert the positive space too: whoever decided, decided the same.
    outcomes = {rt.state["phase"] for rt in engine.nodes.values() if rt.ctx.role == "participant"}
    assert not {"committed", "aborted"} <= outcomes, f"seed={run['seed']} run={describe(run)}"


@settings(RUN_SETTINGS, max_examples=100)
@given(s.two_pc_runs(max_participants=6))
def test_replaying_the_commands_gives_the_identical_log(run: dict[str, Any]) -> None:
    engine = simulate(run)
    trace = build_trace(engine)
    again = replay(SPEC, trace)  # Raises if any event differs.
    assert again.log == engine.log, f"seed={run['seed']} run={describe(run)}"
    assert dumps({**build_trace(again), "quiescent": None}) == dumps({**trace, "quiescent": None})


MANUAL_ACTIONS = ("deliver", "drop", "duplicate", "step", "step", "crash", "recover", "pause", "resume")


@settings(RUN_SETTINGS, max_examples=150)
@given(s.two_pc_runs(max_participants=4), st.lists(st.sampled_from(MANUAL_ACTIONS), max_size=40),
       st.randoms(use_true_random=False))
def test_replaying_manual_commands_gives_the_identical_log(run: dict[str, Any], actions: list[str],
                                                           rnd: Any) -> None:
    run = {**run, "faults": [], "chaos": 0.0}  # The commands are the faults here.
    note(f"run: {describe(run)}")
    engine = Engine(SPEC, run["params"], seed=run["seed"], max_events=MAX_EVENTS)
    for action in actions:
        if engine.done:
            break
        entries = [p for p in engine.pending_list() if not p.get("held") and not p.get("paused")]
        command: dict[str, Any] = {"cmd": "step"}
        if action in ("crash", "recover", "pause", "resume"):
            command = {"cmd": action, "node": rnd.choice(sorted(engine.nodes))}
        elif action != "step" and entries:
            entry = rnd.choice(entries)
            command = {"cmd": "fire" if entry["kind"] == "timer" else action, "id": entry["id"]}
        note(f"command: {command}")
        try:
            engine.apply(command)
        except ProtocolError as exc:
            pytest.fail(f"{exc}\nseed={run['seed']} run={describe(run)}")
    assert replay(SPEC, build_trace(engine)).log == engine.log
    assert not safety_violations(engine), f"seed={run['seed']} run={describe(run)}"


def broken_run_is_caught(run: dict[str, Any]) -> bool:
    return bool(safety_violations(quiet_run(run)))


def quiet_run(run: dict[str, Any], spec: ProtocolSpec = SPEC) -> Engine:
    """Run without Hypothesis notes (for ``find``, which is not a test)."""
    engine = Engine(spec, run["params"], seed=run["seed"], faults=run["faults"], chaos=run["chaos"],
                    max_events=MAX_EVENTS)
    engine.run()
    return engine


def test_the_broken_coordinator_is_caught_for_some_run() -> None:
    found = find(s.two_pc_runs(variant="majority-commit", max_participants=5), broken_run_is_caught,
                 settings=settings(max_examples=300, database=None, deadline=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))
    caught = {v["invariant"] for v in safety_violations(quiet_run(found))}
    assert caught & {"commit-needs-all-yes", "consistency"}, caught


@pytest.mark.parametrize("seed", range(5))
def test_the_same_check_catches_the_broken_coordinator_on_plain_runs(seed: int) -> None:
    """The property's own predicate, pointed at the bug: one no among three yes votes."""
    run = {"seed": seed, "faults": [], "chaos": 0.0,
           "params": {"participants": 4, "votes": "yes,yes,yes,no", "variant": "majority-commit"}}
    assert broken_run_is_caught(run)
    run["params"]["variant"] = "correct"
    assert not broken_run_is_caught(run)


# ------------------------------------------------ a crash at every point of a run


CRASH_RECOVERY_DELAYS_MS = (1, 150, None)
"""Back almost at once, after the participants have started asking, or never."""


def crash_point_failures(spec: ProtocolSpec, votes: str, seed: int) -> list[str]:
    """Crash each node right after each event of the fault-free run; return what broke."""
    params = {"participants": 3, "votes": votes}
    baseline = quiet_run({"seed": seed, "params": params, "faults": [], "chaos": 0.0}, spec)
    failures = []
    for node in baseline.nodes:
        for event in baseline.log:
            for delay in CRASH_RECOVERY_DELAYS_MS:
                plan: list[dict[str, Any]] = [{"action": "crash", "node": node, "after": {"seq": event["seq"]}}]
                if delay is not None:
                    plan.append({"action": "recover", "node": node, "after": {"kind": "crash", "node": node},
                                 "delay_ms": delay})
                run = {"seed": seed, "params": params, "faults": plan, "chaos": 0.0}
                try:
                    found = [(v["invariant"], words(v)) for v in safety_violations(quiet_run(run, spec))]
                except (ProtocolError, CommandError) as exc:
                    found = [(type(exc).__name__, str(exc))]
                if found:
                    failures.append(f"{found} after event {event['seq']} ({event['kind']}): run={describe(run)}")
    return failures


@pytest.mark.parametrize("votes", ["yes", "yes,no"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_crash_after_any_event_of_a_run_never_breaks_safety(votes: str, seed: int) -> None:
    """Crash every node at every point of a run, midway through handlers included; recover or not."""
    failures = crash_point_failures(SPEC, votes, seed)
    assert not failures, f"{len(failures)} crash points break safety, e.g.:\n" + "\n".join(failures[:5])


def _forced_last(handler: Handler) -> Handler:
    """Mutate a handler so its forced writes come after its sends (the textbook's order reversed)."""
    def mutant(ctx: Context, state: State, event: Any, now: int) -> Outcome:
        new, effects = handler(ctx, state, event, now)
        return new, [e for e in effects if not isinstance(e, Persist)] + [e for e in effects if isinstance(e, Persist)]
    return mutant


def _recovery_aborts(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    if event.durable and event.durable[-1].get("type") == "prepared":
        return {**state, "phase": "aborted"}, [Persist(record={"type": "aborted"})]
    return h.participant_recover(ctx, state, event, now)


MUTANTS = {
    "a participant votes yes before forcing PREPARED": (("participant", "working", "msg:prepare"),
                                                         _forced_last(h.participant_prepare)),
    "the coordinator sends its decision before forcing it": (("coordinator", "init", "msg:vote"),
                                                             _forced_last(h.coordinator_vote)),
    "a recovering prepared participant aborts alone": (("participant", ANY_PHASE, "recover"), _recovery_aborts),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_crash_point_sweep_catches_a_protocol_that_breaks_the_textbook(mutant: str) -> None:
    key, handler = MUTANTS[mutant]
    rows = [dataclasses.replace(row, handler=handler) if (row.role, row.phase, row.on) == key else row
            for row in SPEC.table.rows]
    broken = dataclasses.replace(SPEC, table=TransitionTable(rows))
    assert crash_point_failures(broken, "yes", seed=0), f"nobody noticed: {mutant}"
