"""The deterministic engine: replayable logs, manual control, faults, limits, refusals.

Most tests drive two-phase commit, the lab's first protocol, by hand; the
clock and node-limit tests use a tiny ``ticker`` protocol defined here whose
handlers write the ``now`` they are given into their state. Nothing sleeps:
every test steps virtual time through the engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from protocols.base import ANY_PHASE, Context, ParameterError, SetTimer, Transition, TransitionTable
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from protocols.sim.faults import MAX_FAULTS_PER_PLAN
from protocols.sim.runtime import MAX_NODES
from protocols.sim.trace import build_trace, dumps, replay
from protocols.spec import Param, ProtocolSpec
from protocols.twophase import SPEC

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------ helpers


def engine(seed: int = 1, **kwargs: Any) -> Engine:
    params = kwargs.pop("params", {})
    return Engine(SPEC, params, seed=seed, **kwargs)


def pending(eng: Engine, kind: str | None = None, node: str | None = None, type_: str | None = None,
            ) -> list[dict[str, Any]]:
    return [p for p in eng.pending_list()
            if (kind is None or p["kind"] == kind) and (node is None or p["node"] == node)
            and (type_ is None or p.get("message", {}).get("type") == type_ or p.get("timer") == type_)]


def of_kind(events: list[dict[str, Any]], kind: str, **fields: Any) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind and all(e.get(k) == v for k, v in fields.items())]


def phase(eng: Engine, node: str) -> str:
    return str(eng.nodes[node].state["phase"])


def step_until(eng: Engine, predicate: Any, limit: int = 500) -> None:
    """Step in auto mode until ``predicate(eng)`` holds (it must, within ``limit`` steps)."""
    for _ in range(limit):
        if predicate(eng):
            return
        eng.step()
    raise AssertionError("the condition never held")


def snapshot(eng: Engine) -> str:
    """Everything a refused command must leave alone."""
    return json.dumps([eng.log, eng.pending_list(), eng.commands, eng.step_no, eng.now, eng.seq,
                       {n: [rt.state, list(rt.durable), rt.up, rt.paused] for n, rt in eng.nodes.items()}],
                      sort_keys=True, default=str)


# ------------------------------------------------- a protocol made to watch the clock

TICK_MS = 100


def _tick_start(ctx: Context, state: Any, event: Any, now: int) -> Any:
    return {**state, "booted_at": now}, [SetTimer(name="tick", delay_ms=TICK_MS)]


def _tick(ctx: Context, state: Any, event: Any, now: int) -> Any:
    ticks = [*state["ticks"], now]
    effects = [SetTimer(name="tick", delay_ms=TICK_MS)] if len(ticks) < 3 else []
    return {**state, "ticks": ticks}, effects


def _tick_recover(ctx: Context, state: Any, event: Any, now: int) -> Any:
    return {**state, "recovered_with": [dict(r) for r in event.durable]}, []


TICKER = ProtocolSpec(
    name="ticker", title="Ticker", summary="Each node ticks three times.", theory="", roles=("ticker",),
    params=(Param(name="nodes", kind="int", default=1, min=1, max=100, help="How many tickers."),),
    table=TransitionTable([
        Transition(role="ticker", phase="idle", on="start", to=("idle",), handler=_tick_start),
        Transition(role="ticker", phase="idle", on="timer:tick", to=("idle",), handler=_tick),
        Transition(role="ticker", phase=ANY_PHASE, on="recover", to=("idle",), handler=_tick_recover),
    ]),
    topology=lambda params: {f"n{i}": "ticker" for i in range(1, params["nodes"] + 1)},
    initial_state=lambda ctx: {"phase": "idle", "ticks": []},
    invariants=(), scenarios=(), summarize=lambda trace: {},
)


# ------------------------------------------------------------ determinism


RICH = {"params": {"participants": 5, "loss_probability": 0.1, "duplicate_probability": 0.2,
                   "votes": "0.8", "cooperative_termination": True},
        "faults": [{"action": "crash", "node": "coordinator", "at_ms": 15},
                   {"action": "recover", "node": "coordinator", "at_ms": 600},
                   {"action": "partition", "groups": [["p1", "p2"], ["coordinator", "p3"]], "at_ms": 5},
                   {"action": "heal", "at_ms": 300}],
        "chaos": 0.05}


def test_the_same_inputs_give_the_same_bytes() -> None:
    runs = []
    for _ in range(2):
        eng = engine(seed=99, **RICH)
        eng.run()
        runs.append(dumps(build_trace(eng)))
    assert runs[0] == runs[1]
    assert len(json.loads(runs[0])["events"]) > 50


def test_a_different_seed_gives_a_different_log() -> None:
    logs = []
    for seed in (1, 2):
        eng = engine(seed=seed)
        eng.run()
        logs.append(eng.log)
    assert logs[0] != logs[1]
    assert [e["kind"] for e in logs[0]][:3] == [e["kind"] for e in logs[1]][:3]


def test_the_log_does_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "from protocols.sim.engine import Engine; from protocols.sim.trace import build_trace, dumps;"
        "from protocols.twophase import SPEC; import sys, json;"
        f"e = Engine(SPEC, {RICH['params']!r}, seed=5, faults={RICH['faults']!r}, chaos=0.05); e.run();"
        "sys.stdout.write(dumps(build_trace(e)))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, check=True, text=True,
                       env={"PYTHONHASHSEED": hash_seed, "PATH": ""}).stdout
        for hash_seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and len(next(iter(outputs))) > 1_000


def test_replaying_the_commands_gives_the_same_log() -> None:
    eng = engine(seed=4, **RICH)
    eng.apply({"cmd": "pause", "node": "p2"})
    eng.run(max_steps=20)
    eng.apply({"cmd": "resume", "node": "p2"})
    eng.run()
    again = replay(SPEC, build_trace(eng))
    assert again.log == eng.log


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_seq_is_consecutive_and_steps_and_time_never_go_back(seed: int) -> None:
    eng = engine(seed=seed, **RICH)
    eng.run()
    assert [e["seq"] for e in eng.log] == list(range(1, len(eng.log) + 1))
    steps = [e["step"] for e in eng.log]
    assert steps == sorted(steps) and steps[0] == 0
    assert set(steps) <= set(range(eng.step_no + 1)), "every step number is a recorded step"
    times = [e["time"] for e in eng.log]
    assert times == sorted(times)
    # The step that reaches quiescence changes the world (nothing is pending any more) but
    # emits no event: it is a recorded command without events.
    assert eng.step_no == len(eng.commands)
    assert max(steps) <= len(eng.commands)


def test_a_step_with_nothing_to_do_is_not_a_step() -> None:
    eng = engine()
    eng.run()
    mark = (len(eng.log), eng.step_no, len(eng.commands))
    assert eng.step() == []
    assert (len(eng.log), eng.step_no, len(eng.commands)) == mark


# ------------------------------------------------------------ manual mode


def test_pending_ids_are_stable_while_other_entries_come_and_go() -> None:
    eng = engine()
    before = {p["id"]: p for p in eng.pending_list()}
    first = pending(eng, "message", "p2")[0]["id"]
    eng.apply({"cmd": "deliver", "id": first})
    after = {p["id"]: p for p in eng.pending_list()}
    assert first not in after
    for pid, entry in before.items():
        if pid != first and pid in after:
            assert after[pid] == entry
    assert set(before) - set(after) == {first, pending_id(before, "p2", "prepare_timeout")}


def pending_id(entries: dict[str, dict[str, Any]], node: str, timer: str) -> str:
    return next(pid for pid, p in entries.items() if p["node"] == node and p.get("timer") == timer)


def test_messages_can_be_delivered_out_of_order_and_time_never_goes_back() -> None:
    eng = engine()
    prepares = pending(eng, "message", type_="prepare")
    latest, earliest = prepares[-1], prepares[0]
    assert latest["due"] > earliest["due"]
    events = eng.apply({"cmd": "deliver", "id": latest["id"]})
    assert events[0]["kind"] == "deliver" and events[0]["by"] == "command"
    assert events[0]["message"]["msg_id"] == latest["id"]
    assert eng.now == latest["due"]
    events = eng.apply({"cmd": "deliver", "id": earliest["id"]})
    assert events[0]["time"] == latest["due"], "delivered late, never back in time"
    assert eng.now == latest["due"]


def test_a_dropped_message_is_never_delivered() -> None:
    eng = engine()
    target = pending(eng, "message", "p1")[0]["id"]
    events = eng.apply({"cmd": "drop", "id": target})
    assert [(e["kind"], e["reason"], e["message"]["msg_id"]) for e in events] == [("drop", "command", target)]
    assert target not in {p["id"] for p in eng.pending_list()}
    eng.run()
    assert target not in {e["message"]["msg_id"] for e in of_kind(eng.log, "deliver")}
    assert phase(eng, "coordinator") == "aborted", "p1 never voted: the coordinator timed out"


def test_duplicating_a_message_makes_a_new_id_and_both_arrive() -> None:
    eng = engine()
    original = pending(eng, "message", "p1")[0]
    ids = {p["id"] for p in eng.pending_list()}
    [event] = eng.apply({"cmd": "duplicate", "id": original["id"]})
    copy_id = event["message"]["msg_id"]
    assert (event["kind"], event["of"], event["by"]) == ("duplicate", original["id"], "command")
    assert copy_id not in ids
    copy = next(p for p in eng.pending_list() if p["id"] == copy_id)
    assert {k: v for k, v in copy["message"].items() if k != "msg_id"} == {
        k: v for k, v in original["message"].items() if k != "msg_id"}
    assert original["id"] in {p["id"] for p in eng.pending_list()}
    eng.apply({"cmd": "deliver", "id": copy_id})
    eng.apply({"cmd": "deliver", "id": original["id"]})
    votes = [e for e in of_kind(eng.log, "send", src="p1") if e["message"]["type"] == "vote"]
    assert len(votes) == 2, "the second PREPARE gets the same vote again"


def test_a_timer_can_be_fired_early_and_time_jumps_to_it() -> None:
    eng = engine()
    [timeout] = pending(eng, "timer", "coordinator")
    events = eng.apply({"cmd": "fire", "id": timeout["id"]})
    assert (events[0]["kind"], events[0]["timer"], events[0]["by"]) == ("timer", "vote_timeout", "command")
    assert eng.now == timeout["due"]
    assert phase(eng, "coordinator") == "aborted"
    prepare = pending(eng, "message", "p1", "prepare")[0]
    assert prepare["due"] < eng.now
    eng.apply({"cmd": "deliver", "id": prepare["id"]})
    assert eng.now == timeout["due"], "a message due in the past is delivered now, not then"


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), choices=st.lists(st.tuples(st.sampled_from(["deliver", "drop", "duplicate"]),
                                                               st.integers(0, 10**6)), max_size=60))
def test_any_sequence_of_manual_choices_keeps_time_and_ids_sane(seed: int, choices: list[tuple[str, int]]) -> None:
    eng = engine(seed=seed, params={"participants": 2})
    seen: set[str] = set()
    for action, pick in choices:
        entries = eng.pending_list()
        if not entries:
            break
        entry = entries[pick % len(entries)]
        cmd = "fire" if entry["kind"] == "timer" else action
        note(f"{cmd} {entry['id']} at {eng.now}")
        before = eng.now
        eng.apply({"cmd": cmd, "id": entry["id"]})
        assert eng.now >= before
        new_ids = {p["id"] for p in eng.pending_list()} - {p["id"] for p in entries}
        assert not new_ids & seen, "an id is never reused"
        seen |= {p["id"] for p in entries}
    times = [e["time"] for e in eng.log]
    assert times == sorted(times)
    assert [e["seq"] for e in eng.log] == list(range(1, len(eng.log) + 1))


# ------------------------------------------------------------ crashes and recovery


def test_a_crashed_node_drops_what_arrives_and_loses_its_timers() -> None:
    eng = engine()
    timer = pending(eng, "timer", "p1")[0]["id"]
    events = eng.apply({"cmd": "crash", "node": "p1"})
    assert [(e["kind"], e["node"], e["by"]) for e in events] == [("crash", "p1", "command")]
    assert pending(eng, "timer", "p1") == []
    with pytest.raises(CommandError) as caught:
        eng.apply({"cmd": "fire", "id": timer})
    assert caught.value.code == "unknown_id"
    prepare = pending(eng, "message", "p1")[0]["id"]
    events = eng.apply({"cmd": "deliver", "id": prepare})
    assert [(e["kind"], e["reason"]) for e in events] == [("drop", "node down")]
    assert phase(eng, "p1") == "working", "nothing ran on the crashed node"


def test_recovery_hands_the_durable_log_to_the_recover_handler() -> None:
    eng = engine()
    step_until(eng, lambda e: phase(e, "p1") == "prepared")
    eng.apply({"cmd": "crash", "node": "p1"})
    events = eng.apply({"cmd": "recover", "node": "p1"})
    assert events[0]["kind"] == "recover" and events[0]["durable"] == [{"type": "prepared"}]
    state = of_kind(events, "state", node="p1")[0]
    assert (state["state"]["phase"], state["cause"]) == ("prepared", "recover")
    assert of_kind(events, "send", src="p1")[0]["message"]["type"] == "status_request", "in doubt, it asks"


def test_the_recover_handler_gets_exactly_the_persisted_records() -> None:
    eng = Engine(TICKER, {}, seed=0)
    eng.nodes["n1"].durable = ({"a": 1}, {"b": 2})  # As if persisted earlier.
    eng.apply({"cmd": "crash", "node": "n1"})
    eng.apply({"cmd": "recover", "node": "n1"})
    assert eng.nodes["n1"].state["recovered_with"] == [{"a": 1}, {"b": 2}]
    assert eng.nodes["n1"].state["ticks"] == [], "volatile state starts over"


def test_recovering_an_up_node_or_crashing_a_down_one_does_nothing() -> None:
    eng = engine()
    assert eng.apply({"cmd": "recover", "node": "p1"}) == []
    eng.apply({"cmd": "crash", "node": "p1"})
    assert eng.apply({"cmd": "crash", "node": "p1"}) == []


def test_a_crash_midway_through_a_handler_discards_the_rest_of_its_effects_even_after_a_quick_recovery() -> None:
    """Engine bug: after an immediate recovery the dead handler's remaining effects still run."""
    eng = engine(faults=[
        {"action": "crash", "node": "p1", "after": {"kind": "state", "node": "p1", "state.phase": "prepared"}},
        {"action": "recover", "node": "p1", "after": {"kind": "crash", "node": "p1"}},
    ])
    step_until(eng, lambda e: of_kind(e.log, "recover", node="p1"))
    [recover] = of_kind(eng.log, "recover", node="p1")
    after = [e for e in eng.log if e["seq"] > recover["seq"] and e.get("node") == "p1"]
    assert {"type": "prepared"} not in [e.get("record") for e in after], "PREPARED forced after the crash"
    assert not [e for e in of_kind(after, "send") if e["message"]["type"] == "vote"], "voted from beyond the grave"


# ------------------------------------------------------------ pause and resume


def test_a_paused_node_holds_messages_and_timers_and_handles_them_late_on_resume() -> None:
    eng = engine(params={"participants": 2})
    eng.apply({"cmd": "pause", "node": "p1"})
    eng.run()
    held = pending(eng, node="p1")
    assert held and all(p.get("held") for p in held)
    assert {p["kind"] for p in held} == {"message", "timer"}
    assert not of_kind(eng.log, "deliver", dst="p1") and not of_kind(eng.log, "timer", node="p1")
    assert phase(eng, "p1") == "working"
    resumed_at = eng.now
    [event] = eng.apply({"cmd": "resume", "node": "p1"})
    assert event["kind"] == "resume"
    while eng.pending_list():
        eng.step()
    handled = of_kind(eng.log, "deliver", dst="p1") + of_kind(eng.log, "timer", node="p1")
    assert handled and all(e["time"] >= resumed_at for e in handled)
    assert phase(eng, "p1") == "aborted"


def test_resume_after_quiescence_lets_the_run_continue() -> None:
    """Engine bug: ``done`` stays true after a resume that brings back work, so ``run()`` does nothing."""
    eng = engine(params={"participants": 2})
    eng.apply({"cmd": "pause", "node": "p1"})
    eng.run()
    assert eng.done
    eng.apply({"cmd": "resume", "node": "p1"})
    assert eng.pending_list()
    assert not eng.done, "work is pending again"
    eng.run()
    assert of_kind(eng.log, "deliver", dst="p1")


def paused_until_quiescent() -> tuple[Engine, dict[str, int]]:
    """Pause p1 (its PREPARE dropped), run to the end; return the engine and the held entries' due times."""
    eng = engine(params={"participants": 2})
    eng.apply({"cmd": "pause", "node": "p1"})
    eng.apply({"cmd": "drop", "id": pending(eng, "message", "p1", "prepare")[0]["id"]})
    eng.run()
    return eng, {p["id"]: p["due"] for p in pending(eng, node="p1")}


def handled_after_resume(eng: Engine, due: dict[str, int]) -> list[dict[str, Any]]:
    eng.apply({"cmd": "resume", "node": "p1"})
    while eng.pending_list():
        eng.step()
    handled = []
    for e in eng.log:
        pid = e.get("id") if e["kind"] == "timer" else e.get("message", {}).get("msg_id")
        if e["kind"] in ("deliver", "timer") and pid in due:
            handled.append({**e, "pid": pid})
    return handled


def test_held_entries_are_handled_in_the_order_they_came_due() -> None:
    """Engine bug: resume re-queues held entries by creation order, not by the order they came due."""
    eng, due = paused_until_quiescent()
    held = pending(eng, node="p1")
    kinds = [p.get("timer") or p["message"]["type"] for p in held]
    assert kinds[0] == "abort" and "prepare_timeout" in kinds, "an ABORT, sent later, came due before the timer"
    order = [e["pid"] for e in handled_after_resume(eng, due)]
    assert order == sorted(order, key=lambda pid: due[pid])
    assert eng.nodes["p1"].state["phase"] == "aborted"
    [learned] = [e for e in of_kind(eng.log, "state", node="p1") if e["state"]["phase"] == "aborted"]
    assert learned["cause"] == "msg:abort", "told by the coordinator before its own timer would have fired"


def test_held_entries_are_never_handled_before_they_are_due() -> None:
    """Engine bug: resume makes every held entry due ``now``, even one the network had not yet delivered."""
    eng, due = paused_until_quiescent()
    assert max(due.values()) > eng.now, "a held ABORT was still on the wire at the end"
    for e in handled_after_resume(eng, due):
        assert e["time"] >= due[e["pid"]], f"{e['pid']} handled at {e['time']}, before it was due at {due[e['pid']]}"


def test_a_message_to_a_paused_node_is_not_handled_while_it_is_paused() -> None:
    """Engine bug: a manual deliver to a paused node (not yet held) runs its handler."""
    eng = engine()
    eng.apply({"cmd": "pause", "node": "p1"})
    prepare = pending(eng, "message", "p1", "prepare")[0]["id"]
    try:
        eng.apply({"cmd": "deliver", "id": prepare})
    except CommandError as exc:
        assert exc.code == "held"
    assert phase(eng, "p1") == "working"
    assert not of_kind(eng.log, "deliver", dst="p1")


def test_crashing_a_paused_node_drops_what_it_held() -> None:
    eng = engine(params={"participants": 2})
    eng.apply({"cmd": "pause", "node": "p1"})
    step_until(eng, lambda e: any(p.get("held") and p["kind"] == "message" for p in pending(e, node="p1")))
    held = [p["id"] for p in pending(eng, "message", "p1")]
    events = eng.apply({"cmd": "crash", "node": "p1"})
    assert {e["message"]["msg_id"] for e in of_kind(events, "drop", reason="node down")} == set(held)
    assert pending(eng, node="p1") == []
    assert not eng.nodes["p1"].paused


# ------------------------------------------------------------ partitions


def test_a_partition_drops_across_groups_and_heal_restores_delivery() -> None:
    eng = engine()
    eng.apply({"cmd": "partition", "groups": [["coordinator", "p1"], ["p2", "p3"]]})
    step_until(eng, lambda e: not pending(e, "message", type_="prepare"))
    assert {e["dst"] for e in of_kind(eng.log, "drop", reason="partition")} == {"p2", "p3"}
    assert of_kind(eng.log, "deliver", dst="p1"), "inside a group, messages pass"
    eng.apply({"cmd": "heal"})
    mark = eng.seq
    eng.run()
    later = [e for e in eng.log if e["seq"] > mark]
    assert of_kind(later, "deliver", src="coordinator", dst="p2")
    assert not of_kind(later, "drop", reason="partition")
    assert {phase(eng, n) for n in ("p1", "p2", "p3")} == {"aborted"}


def test_healing_a_whole_network_is_a_no_op() -> None:
    eng = engine()
    assert eng.apply({"cmd": "heal"}) == []


def test_a_node_named_in_no_group_is_cut_off_from_everyone() -> None:
    eng = engine()
    eng.apply({"cmd": "partition", "groups": [["coordinator", "p1"], ["p2"]]})
    step_until(eng, lambda e: not pending(e, "message", type_="prepare"))
    assert {e["dst"] for e in of_kind(eng.log, "drop", reason="partition")} == {"p2", "p3"}


# ------------------------------------------------------------ clocks


@pytest.mark.parametrize(("rate", "gap"), [(1.0, 100), (2.0, 50), (0.5, 200), (4.0, 25)])
def test_a_skewed_clock_makes_timers_fire_earlier_or_later(rate: float, gap: int) -> None:
    eng = Engine(TICKER, {}, seed=0)
    eng.apply({"cmd": "clock", "node": "n1", "rate": rate})
    eng.run()
    fired = [e["time"] for e in of_kind(eng.log, "timer", node="n1")]
    assert fired == [TICK_MS, TICK_MS + gap, TICK_MS + 2 * gap], "the first tick was set before the skew"
    assert eng.nodes["n1"].state["ticks"] == [int(t * rate) for t in fired], "handlers see the local time"


def test_a_clock_offset_shifts_the_time_handlers_see_but_not_when_timers_fire() -> None:
    eng = Engine(TICKER, {}, seed=0, faults=[{"action": "clock", "node": "n1", "offset_ms": -30, "at_ms": 0}])
    eng.run()
    assert [e["time"] for e in of_kind(eng.log, "timer", node="n1")] == [100, 200, 300]
    assert eng.nodes["n1"].state["ticks"] == [70, 170, 270]
    [clock] = of_kind(eng.log, "clock")
    assert (clock["node"], clock["rate"], clock["offset_ms"]) == ("n1", 1.0, -30)


def test_a_rate_changed_mid_run_keeps_the_reading_continuous() -> None:
    eng = Engine(TICKER, {}, seed=0, faults=[{"action": "clock", "node": "n1", "rate": 0.5, "at_ms": 150}])
    eng.run()
    ticks = eng.nodes["n1"].state["ticks"]
    assert ticks[0] == 100  # before the change: local = global
    assert ticks[1] == 150 + (200 - 150) // 2, "from 150 on the clock runs at half speed, without a jump"
    assert ticks == sorted(ticks), "a clock never runs backwards by a change of rate alone"
    [clock] = of_kind(eng.log, "clock")
    assert clock["offset_ms"] == 150 - int(150 * 0.5), "the event holds the offset that makes the formula true"


# ------------------------------------------------------------ fault plans


def test_a_timed_fault_fires_at_its_virtual_time() -> None:
    eng = engine(faults=[{"action": "crash", "node": "p2", "at_ms": 3}])
    eng.run()
    [crash] = of_kind(eng.log, "crash")
    assert (crash["node"], crash["time"], crash["by"]) == ("p2", 3, "plan")
    assert all(e["time"] >= 3 for e in of_kind(eng.log, "drop", dst="p2", reason="node down"))
    assert of_kind(eng.log, "drop", dst="p2", reason="node down")
    assert not [p for p in eng.pending_list() if p["kind"] == "fault"], "faults are not offered to users"


def test_an_after_fault_fires_right_after_the_matching_event_and_only_once() -> None:
    pattern = {"kind": "persist", "node": "coordinator", "record.decision": "commit"}
    eng = engine(faults=[{"action": "crash", "node": "coordinator", "after": pattern}])
    eng.run()
    [persist] = of_kind(eng.log, "persist", node="coordinator")
    assert eng.log[persist["seq"]]["kind"] == "crash", "the very next event"
    assert not [e for e in of_kind(eng.log, "send", src="coordinator") if e["message"]["type"] == "commit"]
    assert len(of_kind(eng.log, "crash")) == 1


def test_delay_ms_postpones_an_after_fault() -> None:
    eng = engine(faults=[
        {"action": "crash", "node": "p1", "at_ms": 2},
        {"action": "recover", "node": "p1", "after": {"kind": "crash", "node": "p1"}, "delay_ms": 777},
    ])
    eng.run()
    [crash], [recover] = of_kind(eng.log, "crash"), of_kind(eng.log, "recover")
    assert recover["time"] - crash["time"] == 777
    assert recover["by"] == "plan"


def test_a_fault_plan_drops_the_matched_send_only() -> None:
    eng = engine(faults=[{"action": "drop", "after": {"kind": "send", "message.type": "vote"}}])
    eng.run()
    votes = [e for e in of_kind(eng.log, "send") if e["message"]["type"] == "vote"]
    [dropped] = of_kind(eng.log, "drop", reason="fault")
    assert dropped["message"]["msg_id"] == votes[0]["message"]["msg_id"]
    delivered = {e["message"]["msg_id"] for e in of_kind(eng.log, "deliver", dst="coordinator")}
    assert votes[0]["message"]["msg_id"] not in delivered
    assert {v["message"]["msg_id"] for v in votes[1:]} <= delivered
    assert phase(eng, "coordinator") == "aborted"


def test_a_fault_plan_duplicates_the_matched_send() -> None:
    eng = engine(faults=[{"action": "duplicate",
                          "after": {"kind": "send", "dst": "p1", "message.type": "prepare"}}])
    [dup] = of_kind(eng.log, "duplicate")
    assert (dup["of"], dup["by"], dup["dst"]) == ("m1", "plan", "p1")
    eng.run()
    prepares = [e for e in of_kind(eng.log, "deliver", dst="p1") if e["message"]["type"] == "prepare"]
    assert {e["message"]["msg_id"] for e in prepares} == {"m1", dup["message"]["msg_id"]}
    assert {phase(eng, n) for n in ("p1", "p2", "p3")} == {"committed"}


@pytest.mark.parametrize(("fault", "words"), [
    ({"action": "crash", "node": "p9", "at_ms": 1}, "node 'p9'"),
    ({"action": "crash", "node": "p1"}, "exactly one of at_ms or after"),
    ({"action": "crash", "node": "p1", "at_ms": 1, "after": {"kind": "x"}}, "exactly one of at_ms or after"),
    ({"action": "drop", "at_ms": 1}, "needs an 'after'"),
    ({"action": "explode", "at_ms": 1}, "action 'explode'"),
    ({"action": "crash", "node": "p1", "at_ms": -1}, "at_ms must be"),
    ({"action": "crash", "node": "p1", "at_ms": 1, "when": 2}, "unknown keys"),
    ({"action": "partition", "groups": [["p1"], ["p1", "p2"]], "at_ms": 1}, "in two groups"),
])
def test_a_bad_fault_plan_is_refused_up_front(fault: dict[str, Any], words: str) -> None:
    with pytest.raises(ParameterError, match="fault 1") as caught:
        engine(faults=[fault])
    assert words in str(caught.value)


# ------------------------------------------------------------ limits


def test_max_events_truncates_the_run_within_one_step() -> None:
    eng = engine(max_events=60, params={"participants": 4})
    eng.run()
    assert eng.truncated and eng.done and not eng.quiescent
    assert len(eng.log) >= 60
    last_step = eng.log[59]["step"]
    assert all(e["step"] == last_step for e in eng.log[60:]), "the step that reached the limit is the last"
    mark = snapshot(eng)
    with pytest.raises(CommandError) as caught:
        eng.step()
    assert caught.value.code == "limit"
    assert snapshot(eng) == mark
    assert build_trace(eng)["truncated"] is True


@pytest.mark.parametrize("bad", [0, -1, 10**7])
def test_max_events_must_be_within_bounds(bad: int) -> None:
    with pytest.raises(ParameterError, match="max-events"):
        engine(max_events=bad)


@pytest.mark.parametrize(("kwargs", "words"), [({"seed": -1}, "seed"), ({"seed": 2**63}, "seed"),
                                               ({"chaos": 1.5}, "chaos")])
def test_seed_and_chaos_must_be_within_bounds(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        engine(**kwargs)


def test_a_session_has_at_most_max_nodes() -> None:
    Engine(TICKER, {"nodes": MAX_NODES}, seed=0)
    with pytest.raises(ParameterError, match=str(MAX_NODES)):
        Engine(TICKER, {"nodes": MAX_NODES + 1}, seed=0)


def test_a_fault_plan_has_a_length_limit() -> None:
    plan = [{"action": "heal", "at_ms": i} for i in range(MAX_FAULTS_PER_PLAN + 1)]
    with pytest.raises(ParameterError, match="at most"):
        engine(faults=plan)
    engine(faults=plan[:MAX_FAULTS_PER_PLAN])


# ------------------------------------------------------------ refused commands


BAD_COMMANDS = [
    ("step", "bad_command"),
    ({}, "unknown_command"),
    ({"cmd": "teleport"}, "unknown_command"),
    ({"cmd": "step", "node": "p1"}, "bad_command"),
    ({"cmd": "crash"}, "bad_command"),
    ({"cmd": "crash", "node": 1}, "bad_command"),
    ({"cmd": "deliver", "id": True}, "bad_command"),
    ({"cmd": "clock", "node": "p1", "rate": "fast"}, "bad_command"),
    ({"cmd": "clock", "node": "p1", "rate": 100.0}, "out_of_range"),
    ({"cmd": "clock", "node": "p1", "offset_ms": 10**8}, "out_of_range"),
    ({"cmd": "crash", "node": "p99"}, "unknown_node"),
    ({"cmd": "deliver", "id": "m999"}, "unknown_id"),
    ({"cmd": "deliver", "id": "t7"}, "unknown_id"),  # A timer is fired, not delivered.
    ({"cmd": "fire", "id": "m1"}, "unknown_id"),
    ({"cmd": "duplicate", "id": "t7"}, "unknown_id"),
    ({"cmd": "partition", "groups": [["p1"], ["p1"]]}, "bad_groups"),
    ({"cmd": "partition", "groups": [["p1", "p2"]]}, "bad_groups"),
    ({"cmd": "partition", "groups": [["p1"], ["nobody"]]}, "bad_groups"),
]


@pytest.mark.parametrize(("command", "code"), BAD_COMMANDS, ids=[str(c) for c, _ in BAD_COMMANDS])
def test_a_bad_command_is_refused_with_a_code_and_changes_nothing(command: Any, code: str) -> None:
    eng = engine()
    eng.step()
    assert eng.nodes["coordinator"].timers["vote_timeout"] == "t7"
    mark = snapshot(eng)
    with pytest.raises(CommandError) as caught:
        eng.apply(command)
    assert caught.value.code == code
    assert caught.value.text
    assert snapshot(eng) == mark


def test_delivering_a_held_message_is_refused_and_changes_nothing() -> None:
    eng = engine()
    eng.apply({"cmd": "pause", "node": "p1"})
    step_until(eng, lambda e: any(p.get("held") for p in pending(e, "message", "p1")))
    held = next(p for p in pending(eng, "message", "p1") if p.get("held"))
    mark = snapshot(eng)
    with pytest.raises(CommandError) as caught:
        eng.apply({"cmd": "deliver", "id": held["id"]})
    assert caught.value.code == "held"
    assert snapshot(eng) == mark
    eng.apply({"cmd": "drop", "id": held["id"]})  # Dropping it is allowed.
    assert held["id"] not in {p["id"] for p in eng.pending_list()}


def test_a_client_request_to_a_down_node_is_refused_and_changes_nothing() -> None:
    """Engine bug: the refused command stays in ``commands`` and bumps ``step_no`` (replay then fails)."""
    eng = engine()
    eng.apply({"cmd": "crash", "node": "p1"})
    mark = snapshot(eng)
    with pytest.raises(CommandError) as caught:
        eng.apply({"cmd": "client", "node": "p1", "kind": "begin"})
    assert caught.value.code == "node_down"
    assert snapshot(eng) == mark
    eng.run()
    replay(SPEC, build_trace(eng))


# ------------------------------------------------------------ replay


def test_a_step_that_only_consumes_a_no_op_fault_is_still_replayable() -> None:
    """Engine bug: a step handling a fault that emits nothing (heal with no partition) is dropped from
    ``commands`` although it consumed a pending entry, so the replay runs one step short."""
    eng = engine(seed=0, faults=[{"action": "heal", "at_ms": 0}, {"action": "recover", "node": "p1", "at_ms": 1}])
    eng.run()
    assert eng.quiescent
    again = replay(SPEC, build_trace(eng))
    assert again.log == eng.log


def test_a_replayed_trace_is_the_same_trace() -> None:
    """Engine bug: the step that finds nothing to do sets ``quiescent`` but is not recorded, so a replay
    ends not quiescent (and its liveness is never judged)."""
    eng = engine(seed=0)
    eng.run()
    trace = build_trace(eng)
    assert trace["quiescent"] is True
    assert dumps(build_trace(replay(SPEC, trace))) == dumps(trace)


def test_a_limited_pending_list_is_the_head_of_the_whole_one_and_the_counts_agree():
    from protocols import get_protocol
    from protocols.sim.engine import Engine

    engine = Engine(get_protocol("two-phase-commit"), {"participants": 16, "max_resends": 20, "resend_ms": 10},
                    seed=34, chaos=1.0)
    for _ in range(40):
        engine.step()
        whole = engine.pending_list()
        assert engine.pending_list(limit=5) == whole[:5]
        assert engine.pending_counts() == (len(whole), sum(1 for p in whole if not p.get("held")))


def test_an_engine_and_its_clones_are_freed_without_the_cycle_collector() -> None:
    # The explorer makes an engine per world; one that were a reference cycle (its fault and command actions
    # pointing back at it) would wait for a full collection: some 150 MiB a search, growing search by search.
    import gc
    import weakref

    from protocols import get_protocol

    engine = Engine(get_protocol("two-phase-commit"), {"participants": 3}, seed=1)
    twin = engine.clone()
    twin.apply({"cmd": "step"})
    refs = [weakref.ref(engine), weakref.ref(twin)]
    was = gc.isenabled()
    gc.disable()
    try:
        del engine, twin
        assert [ref() for ref in refs] == [None, None]
    finally:
        if was:
            gc.enable()
