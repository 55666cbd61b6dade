"""Session guarantees: every row of the table fired by hand, each scenario's story, and the property.

The client, the primary and a replica are driven one input at a time; every
row is registered and a row without a test fails
:func:`test_every_row_has_a_test`. The scenarios break exactly what their
stories say, over several seeds. The property: with session tokens, whatever
the seed, the workload, the lags and a fault plan (loss, duplication,
crashes, partitions, skewed clocks), no session misses its own write or reads
back in time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from protocols.base import CancelTimer, Input, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.sessions import SPEC
from protocols.sim.trace import build_trace, replay
from tests import strategies as s
from tests.helpers import assert_valid_trace, words
from tests.protocols import table_support as support
from tests.protocols.run_support import scenario_trace, simulate_run
from tests.protocols.table_support import RowRegistry, fire_table, table_rows

NOW = 1_000
SEEDS = (0, 1, 7, 2024)
ROWS = RowRegistry(table_rows(SPEC.table), "session-guarantees")
SAFETY = {"read-your-writes", "monotonic-reads"}


def context(node: str, **params: Any) -> Any:
    return support.context(SPEC, node, **params)


def fresh(ctx: Any, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx), **fields}


def fire(ctx: Any, state: Any, event: Input, now: int = NOW) -> tuple[Any, list[Any]]:
    return fire_table(SPEC.table, ctx, state, event, now)


def msg(type_: str, src: str, dest: str, msg_id: str = "m1", **body: Any) -> Input:
    return support.receive(type_, src, dest, body, msg_id)


def sent(effects: list[Any], type_: str) -> list[Send]:
    return [e for e in effects if isinstance(e, Send) and e.type == type_]


ENTRY1 = {"pos": 1, "key": "k0", "value": "c1:1"}
ENTRY2 = {"pos": 2, "key": "k1", "value": "c2:1"}


# ------------------------------------------------------------- the primary


@ROWS.covers(("primary", "serving", "start"), ("primary", "serving", "msg:write"))
def test_the_primary_logs_a_write_acknowledges_its_position_then_ships_it() -> None:
    ctx = context("primary")
    state, effects = fire(ctx, fresh(ctx), Start(draw=0.5))
    assert (state, effects) == (fresh(ctx), [])
    state, effects = fire(ctx, state, msg("write", "c1", "primary", key="k0", value="c1:1", n=1))
    assert state["log"] == [ENTRY1] and state["sent"] == {"r1": 1, "r2": 1}
    assert isinstance(effects[0], Persist) and effects[0].record == {"type": "write", **ENTRY1}
    ack = sent(effects, "write_ok")[0]
    assert ack.dest == "c1" and ack.body["pos"] == 1 and ack.in_reply_to == "m1"
    assert [(e.dest, e.body) for e in sent(effects, "replicate")] == [
        ("r1", {"entries": [ENTRY1], "head": 1}), ("r2", {"entries": [ENTRY1], "head": 1})]
    again, effects = fire(ctx, state, msg("write", "c1", "primary", "m2", key="k0", value="c1:1", n=1))
    assert again == state and [e.type for e in effects] == ["write_ok"] and effects[0].body["pos"] == 1


@ROWS.covers(("primary", "serving", "msg:read"))
def test_the_primary_answers_a_read_at_its_head() -> None:
    ctx = context("primary")
    state = fresh(ctx, log=[ENTRY1, ENTRY2])
    _, effects = fire(ctx, state, msg("read", "c2", "primary", key="k0", n=4, redirected=True))
    assert effects[0].body == {"key": "k0", "value": "c1:1", "ver": 1, "n": 4, "pos": 2, "replica": "primary",
                               "waited_ms": 0}
    _, effects = fire(ctx, state, msg("read", "c2", "primary", key="k9", n=5))
    assert (effects[0].body["value"], effects[0].body["ver"]) == ("∅", 0)


@ROWS.covers(("primary", "serving", "msg:replicate_ok"))
def test_an_acknowledgement_moves_acked_and_a_gap_ships_again_from_what_the_replica_applied() -> None:
    ctx = context("primary")
    state = fresh(ctx, log=[ENTRY1, ENTRY2], sent={"r1": 2, "r2": 2})
    state, effects = fire(ctx, state, msg("replicate_ok", "r1", "primary", applied=1, gap=False))
    assert state["acked"]["r1"] == 1 and effects == []  # Position 2 is still on its way: not sent again.
    state, effects = fire(ctx, state, msg("replicate_ok", "r1", "primary", applied=1, gap=True))
    assert [e.body["entries"] for e in sent(effects, "replicate")] == [[ENTRY2]] and state["sent"]["r1"] == 2
    behind = fresh(ctx, log=[{"pos": i, "key": "k0", "value": f"c1:{i}"} for i in range(1, 31)])
    state, effects = fire(ctx, behind, msg("replicate_ok", "r2", "primary", applied=0, gap=True))
    assert len(effects[0].body["entries"]) == 20 and state["sent"]["r2"] == 20  # One batch at a time...
    state, effects = fire(ctx, state, msg("replicate_ok", "r2", "primary", applied=20, gap=False))
    assert [e["pos"] for e in effects[0].body["entries"]] == list(range(21, 31))  # ... the next when it lands.


@ROWS.covers(("primary", "*", "recover"))
def test_a_restarted_primary_rebuilds_its_log_and_ships_nothing_until_asked() -> None:
    ctx = context("primary")
    durable = ({"type": "write", **ENTRY1}, {"type": "write", **ENTRY2})
    state, effects = fire(ctx, fresh(ctx), Recover(durable=durable))
    assert state["log"] == [ENTRY1, ENTRY2] and state["sent"] == {"r1": 0, "r2": 0} and effects == []


# ------------------------------------------------------------- a replica


@ROWS.covers(("replica", "serving", "start"), ("replica", "serving", "msg:replicate"))
def test_a_replica_holds_an_entry_for_its_lag_and_asks_again_when_positions_are_missing() -> None:
    ctx = context("r2", lags_ms="10,150")
    state, effects = fire(ctx, fresh(ctx), Start(draw=0.5))
    assert effects == []
    state, effects = fire(ctx, state, msg("replicate", "primary", "r2", entries=[ENTRY1], head=1))
    assert state["pending"] == [{**ENTRY1, "due": NOW + 150}] and effects == [SetTimer(name="apply", delay_ms=150)]
    _, effects = fire(ctx, fresh(ctx), msg("replicate", "primary", "r2", entries=[ENTRY2], head=2))
    assert [e.body for e in sent(effects, "replicate_ok")] == [{"applied": 0, "gap": True}]
    assert not any(isinstance(e, SetTimer) for e in effects)  # Position 2 waits for position 1.
    again, effects = fire(ctx, state, msg("replicate", "primary", "r2", entries=[ENTRY1], head=1), NOW + 5)
    assert again["pending"] == state["pending"] and not sent(effects, "replicate_ok")  # A duplicate: no change.


@ROWS.covers(("replica", "serving", "msg:read"))
def test_a_replica_answers_at_once_unless_the_token_is_ahead_of_what_it_applied() -> None:
    ctx = context("r1")
    state = fresh(ctx, applied=1, data={"k0": {"v": "c1:1", "ver": 1}})
    same, effects = fire(ctx, state, msg("read", "c1", "r1", key="k0", n=2, token=1))
    assert same == state and effects[0].body == {"key": "k0", "value": "c1:1", "ver": 1, "n": 2, "pos": 1,
                                                 "replica": "r1", "token": 1, "waited_ms": 0}
    held, effects = fire(ctx, state, msg("read", "c1", "r1", "m7", key="k0", n=3, token=2))
    assert effects == [] and held["held"] == [{"client": "c1", "key": "k0", "n": 3, "req": "m7", "token": 2,
                                                "since": NOW}]


@ROWS.covers(("replica", "serving", "timer:apply"))
def test_applying_logs_each_entry_answers_the_reads_it_releases_and_acknowledges() -> None:
    ctx = context("r1")
    waiting = {"client": "c1", "key": "k0", "n": 3, "req": "m7", "token": 1, "since": NOW - 40}
    state = fresh(ctx, pending=[{**ENTRY1, "due": NOW}, {**ENTRY2, "due": NOW + 30}], held=[waiting])
    state, effects = fire(ctx, state, TimerFired(name="apply"))
    assert state["applied"] == 1 and state["held"] == [] and state["pending"] == [{**ENTRY2, "due": NOW + 30}]
    assert [e.record for e in effects if isinstance(e, Persist)] == [{"type": "apply", **ENTRY1}]
    answer = sent(effects, "read_ok")[0]
    assert answer.dest == "c1" and answer.in_reply_to == "m7" and answer.body["waited_ms"] == 40
    assert answer.body["value"] == "c1:1" and sent(effects, "replicate_ok")[0].body == {"applied": 1, "gap": False}
    assert effects[-1] == SetTimer(name="apply", delay_ms=30)
    gap = fresh(ctx, pending=[{**ENTRY2, "due": NOW}])
    assert fire(ctx, gap, TimerFired(name="apply")) == (gap, [])  # Position 1 is missing: nothing to apply.


@ROWS.covers(("replica", "*", "recover"))
def test_a_restarted_replica_keeps_what_it_applied_and_asks_for_the_rest() -> None:
    ctx = context("r1")
    state, effects = fire(ctx, fresh(ctx), Recover(durable=({"type": "apply", **ENTRY1},)))
    assert state["applied"] == 1 and state["data"] == {"k0": {"v": "c1:1", "ver": 1}} and state["held"] == []
    assert [e.body for e in sent(effects, "replicate_ok")] == [{"applied": 1, "gap": True}]


def test_every_row_has_a_test() -> None:
    assert not ROWS.missing(), "rows without a test:\n  " + "\n  ".join(map(str, ROWS.missing()))


# ------------------------------------------------------------- the client


@ROWS.covers(("client", "thinking", "start"), ("client", "thinking", "timer:think"),
             ("client", "waiting", "msg:write_ok"), ("client", "waiting", "msg:read_ok"))
def test_a_session_carries_the_furthest_position_it_wrote_or_saw_as_its_token() -> None:
    ctx = context("c1", guarantee="session-token", script="c1: w k0, r k0, r k1", read_from="round-robin")
    state, effects = fire(ctx, fresh(ctx), Start(draw=0.25))
    assert effects == [SetTimer(name="think", delay_ms=20)]
    state, effects = fire(ctx, state, TimerFired(name="think"))
    assert sent(effects, "write")[0].dest == "primary" and effects[-1] == SetTimer(name="timeout", delay_ms=300)
    state, _ = fire(ctx, state, msg("write_ok", "primary", "c1", key="k0", value="c1:1", n=1, pos=3), NOW + 10)
    assert state["written"] == 3 and state["last"]["pos"] == 3 and state["last"]["ms"] == 10
    state, effects = fire(ctx, state, TimerFired(name="think"))
    read = sent(effects, "read")[0]
    assert (read.dest, read.body["token"]) == ("r1", 3) and effects[-1] == SetTimer(name="wait", delay_ms=100)
    body = {"key": "k0", "value": "c1:1", "ver": 3, "n": 2, "pos": 5, "replica": "r1", "token": 3, "waited_ms": 8}
    state, effects = fire(ctx, state, msg("read_ok", "r1", "c1", **body))
    assert state["seen"] == 5 and state["last"]["waited_ms"] == 8 and CancelTimer(name="wait") in effects
    state, effects = fire(ctx, state, TimerFired(name="think"))
    assert (sent(effects, "read")[0].dest, sent(effects, "read")[0].body["token"]) == ("r2", 5)


def test_without_a_token_reads_carry_none_and_primary_reads_go_to_the_primary() -> None:
    ctx = context("c1", script="c1: r k0", guarantee="none")
    state = fresh(ctx, written=4, seen=6)
    _, effects = fire(ctx, state, TimerFired(name="think"))
    assert sent(effects, "read")[0].body["token"] == 0
    ctx = context("c1", script="c1: r k0", guarantee="primary-reads")
    _, effects = fire(ctx, state, TimerFired(name="think"))
    assert sent(effects, "read")[0].dest == "primary" and effects[-1] == SetTimer(name="timeout", delay_ms=300)


@ROWS.covers(("client", "waiting", "timer:wait"), ("client", "waiting", "timer:timeout"),
             ("client", "thinking", "msg:read_ok"), ("client", "done", "msg:read_ok"),
             ("client", "thinking", "msg:write_ok"), ("client", "done", "msg:write_ok"), ("client", "*", "recover"))
def test_a_client_tired_of_waiting_reads_at_the_primary_and_ignores_the_replica_late_answer() -> None:
    ctx = context("c1", guarantee="session-token", script="c1: r k0, r k0", read_from="round-robin")
    state, _ = fire(ctx, fresh(ctx, seen=2), TimerFired(name="think"))
    state, effects = fire(ctx, state, TimerFired(name="wait"))
    assert state["op"]["at"] == "primary" and sent(effects, "read")[0].body["redirected"] is True
    late = {"key": "k0", "value": "∅", "ver": 0, "n": 1, "pos": 2, "replica": "r1", "token": 2, "waited_ms": 150}
    assert fire(ctx, state, msg("read_ok", "r1", "c1", **late)) == (state, [])
    done, _ = fire(ctx, state, msg("read_ok", "primary", "c1", **{**late, "replica": "primary"}))
    assert done["phase"] == "thinking" and done["last"]["redirected"] is True
    for phase in ("thinking", "done"):
        idle = {**done, "phase": phase}
        assert fire(ctx, idle, msg("read_ok", "r1", "c1", **late)) == (idle, [])
        assert fire(ctx, idle, msg("write_ok", "primary", "c1", key="k0", value="x", n=1, pos=1)) == (idle, [])
    gave_up, _ = fire(ctx, state, TimerFired(name="timeout"))
    assert gave_up["last"]["ok"] is False and gave_up["phase"] == "thinking"
    crashed, effects = fire(ctx, state, Recover(durable=()))
    assert crashed["phase"] == "done" and effects == []


# ------------------------------------------------------------- scenarios


def run(scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    return scenario_trace(SPEC, scenario, seed, **params)


def broken(trace: dict[str, Any]) -> set[str]:
    return {v["invariant"] for v in trace["violations"]}


EXPECTED = {
    "ryw-violated": {"read-your-writes"},
    "ryw-session-token": set(),
    "monotonic-violated": {"monotonic-reads"},
    "monotonic-session-token": set(),
    "primary-reads": set(),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("story", SPEC.scenarios, ids=lambda story: story.name)
def test_each_scenario_breaks_exactly_what_its_story_says(story: Any, seed: int) -> None:
    assert story.name in EXPECTED, "a scenario without its expected findings"
    trace = run(story.name, seed)
    assert broken(trace) == EXPECTED[story.name]
    assert sum(e["kind"] == "caption" for e in trace["events"]) == len(story.captions)  # Every caption shown.


def test_a_finding_names_the_replica_its_position_the_token_and_the_write_missed() -> None:
    ryw = run("ryw-violated")["violations"][0]
    assert ryw["finding"]["data"] == {"client": "c1", "key": "k0", "value": "∅", "version": 0, "replica": "r1",
                                      "applied": 0, "written": "c1:1", "position": 1, "token": "∅"}
    back = run("monotonic-violated")["violations"][0]
    assert {k: back["finding"]["data"][k] for k in ("replica", "applied", "earlier", "seen", "missed")} == {
        "replica": "r2", "applied": 0, "earlier": "r1", "seen": 1, "missed": "c2:1"}
    assert "missed its own write c1:1 at position 1" in words(ryw)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_token_waits_or_redirects_and_primary_reads_put_every_read_on_the_primary(seed: int) -> None:
    waited = run("ryw-session-token", seed)["summary"]
    assert waited["reads_waited"] == 1 and waited["reads_redirected"] == 0 and waited["latency_p99"] >= 150
    redirected = run("monotonic-session-token", seed)["summary"]
    assert redirected["reads_redirected"] == 1 and redirected["primary_reads"] == 1
    primary = run("primary-reads", seed)["summary"]
    assert primary["primary_reads"] == 4 and primary["primary_load"] == 1.0


def test_the_same_seed_gives_the_same_bytes() -> None:
    first, second = run(seed=5, guarantee="session-token"), run(seed=5, guarantee="session-token")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# ------------------------------------------------------------- the property

TYPES = ("write", "write_ok", "read", "read_ok", "replicate", "replicate_ok")


@st.composite
def token_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A drawn session-token run: any workload, lags, timing and fault plan.

    Lags are mostly long and reads many, so that without the token most runs would show an anomaly.
    """
    replicas = draw(st.integers(1, 3))
    lags = ",".join(str(draw(st.sampled_from([0, 60, 250, 250]))) for _ in range(replicas))
    low, high = sorted(draw(st.lists(st.integers(0, 40), min_size=2, max_size=2)))
    clients = draw(st.integers(1, 4))
    params = {"guarantee": "session-token", "clients": clients, "replicas": replicas, "lags_ms": lags,
              "keys": draw(st.integers(1, 2)), "ops_per_client": draw(st.integers(2, 8)),
              "read_ratio": draw(st.sampled_from([0.3, 0.6, 0.8])), "read_from": draw(st.sampled_from(
                  ["random", "round-robin"])), "think_ms": draw(st.sampled_from([0, 10, 40])),
              "wait_ms": draw(st.sampled_from([5, 100, 400, 400])), "delay_ms_min": low, "delay_ms_max": high,
              "loss_probability": draw(s.PROBABILITIES), "duplicate_probability": draw(s.PROBABILITIES),
              "fifo": draw(st.booleans())}
    nodes = ["primary", *(f"r{i}" for i in range(1, replicas + 1)), *(f"c{i}" for i in range(1, clients + 1))]
    return {"seed": draw(s.SEEDS), "params": params, "chaos": 0.0, "faults": draw(s.fault_plans(nodes, TYPES))}


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(token_runs())
def test_session_tokens_never_let_a_client_miss_its_own_write_nor_read_backwards(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, 6_000)
    trace = build_trace(engine)
    bad = [v for v in trace["violations"] if v["invariant"] in SAFETY]
    assert not bad, f"{[words(v) for v in bad]}\nrun={json.dumps(run_, sort_keys=True)}"
    if len(trace["events"]) <= 1_500:
        assert_valid_trace(trace)
    assert replay(SPEC, trace).log == engine.log


@pytest.mark.parametrize("seed", SEEDS)
def test_the_comparison_shows_the_anomalies_only_without_a_guarantee_and_the_primary_carrying_every_read(
        seed: int) -> None:
    from protocols.comparisons import PRESETS
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "session-guarantees")
    none, token, primary = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"], seed=seed)
    assert {"read-your-writes", "monotonic-reads"} & set(none["violated"]), seed
    assert none["summary"]["ryw_violations"] + none["summary"]["monotonic_violations"] >= 2
    for clean in (token, primary):
        assert clean["violated"] == [] and clean["summary"]["ryw_violations"] == 0
    assert token["summary"]["reads_waited"] > 0 and token["summary"]["latency_p99"] > none["summary"]["latency_p99"]
    assert primary["summary"]["primary_load"] == 1.0 > token["summary"]["primary_load"]
    assert primary["summary"]["primary_reads"] == primary["summary"]["reads"] > 0
    assert none["summary"]["reads"] == token["summary"]["reads"] == primary["summary"]["reads"]  # One workload.
