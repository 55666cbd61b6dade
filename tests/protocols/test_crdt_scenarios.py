"""The CRDT counters' scenarios, invariants and summary figures.

Scenarios run end to end for both counters and several seeds: each must
write a schema-valid trace, the same bytes for the same seed, and show what
it claims (a partition healed into the exact sum; a volatile crash that
loses acknowledged increments and is flagged; a durable one that loses
nothing). The invariants and the summary are then checked on hand-made
views and events, so that each is seen to fail when it should.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocols.crdt import G_COUNTER, PN_COUNTER
from protocols.crdt import invariants as inv
from protocols.crdt.summary import convergence_time
from protocols.sim.explorer import explore
from protocols.sim.trace import dumps
from protocols.spec import NodeView, ProtocolSpec
from tests.helpers import assert_valid_trace, words
from tests.protocols.crdt_helpers import run, violations

SPECS = pytest.mark.parametrize("spec", [G_COUNTER, PN_COUNTER], ids=["g", "pn"])
SEEDS = [0, 1, 2, 3]


def scenario(spec: ProtocolSpec, name: str, seed: int) -> dict[str, Any]:
    return run(spec, scenario=name, seed=seed)


@SPECS
@pytest.mark.parametrize("name", ["partition-and-heal", "crash-recover", "crash-recover-durable"])
def test_every_scenario_writes_a_valid_deterministic_trace_that_ends(spec: ProtocolSpec, name: str) -> None:
    trace = scenario(spec, name, 5)
    assert_valid_trace(trace)
    assert trace["quiescent"] and not trace["truncated"]
    assert dumps(trace) == dumps(scenario(spec, name, 5))
    assert [e for e in trace["events"] if e["kind"] == "caption"], "the scenario narrates itself"
    assert len(trace["events"]) < 3_000, "default runs stay small"


@SPECS
@pytest.mark.parametrize("seed", SEEDS)
def test_partition_and_heal_converges_to_the_exact_sum(spec: ProtocolSpec, seed: int) -> None:
    trace = scenario(spec, "partition-and-heal", seed)
    assert trace["violations"] == []
    summary = trace["summary"]
    acked = summary["acknowledged_increments"] - summary.get("acknowledged_decrements", 0)
    assert set(summary["final_values"].values()) == {acked}
    assert summary["acknowledged_increments"] + summary.get("acknowledged_decrements", 0) == 9
    assert summary["convergence_time"] is not None and 0 <= summary["convergence_time"] < 600
    heal = next(e for e in trace["events"] if e["kind"] == "heal")
    last_horizon_note = max(e["time"] for e in trace["events"] if e["kind"] == "note")
    assert last_horizon_note - heal["time"] >= 800, "the horizon is comfortably after the heal"
    cut = [e for e in trace["events"] if e["kind"] == "drop" and e["reason"] == "partition"]
    assert cut, "the partition really held messages back"


@SPECS
@pytest.mark.parametrize("seed", SEEDS)
def test_a_volatile_crash_loses_acknowledged_updates_and_the_detectors_say_where(spec: ProtocolSpec,
                                                                                  seed: int) -> None:
    trace = scenario(spec, "crash-recover", seed)
    lost = violations(trace, "no-lost-updates")
    assert lost, "r1 acknowledged c1's second operation and died before any gossip could carry it"
    cause = trace["events"][lost[0]["cause_seq"] - 1]
    assert cause["node"] == "r1" and ((cause["kind"] == "state" and cause["cause"] == "recover")
                                      or (cause["kind"] == "send" and cause["message"]["type"] == "add_ok"))
    assert trace["summary"]["lost_updates"] >= 1
    assert violations(trace, "converges-to-acknowledged"), "the replicas agree on less than was acknowledged"
    assert not violations(trace, "own-entry-freshest"), "a replica with amnesia is exempt, as documented"
    assert not violations(trace, "entries-never-decrease")


@SPECS
@pytest.mark.parametrize("seed", SEEDS)
def test_a_durable_crash_loses_nothing(spec: ProtocolSpec, seed: int) -> None:
    trace = scenario(spec, "crash-recover-durable", seed)
    assert trace["violations"] == []
    assert trace["summary"]["lost_updates"] == 0
    assert any(e["kind"] == "persist" and e["node"] == "r1" for e in trace["events"])


def test_gossip_falls_quiet_after_the_horizon_and_the_run_ends() -> None:
    trace = run(G_COUNTER, {"duration_ms": 400, "gossip_ms": 100}, seed=3)
    assert trace["quiescent"] and trace["violations"] == []
    late = [e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] == "gossip"
            and e["time"] >= 400]
    assert len(late) <= 3 * 2 * 2, "past the horizon, each replica tells each peer its news once or twice"
    assert {f["state"]["phase"] for f in trace["final"].values() if f["role"] == "replica"} == {"quiet"}


def test_an_increment_arriving_after_the_horizon_still_reaches_every_replica() -> None:
    # The horizon falls while the increments are still coming: the replicas must wake up and converge.
    trace = run(G_COUNTER, {"duration_ms": 100, "think_ms": 60, "gossip_ms": 50}, seed=1)
    assert trace["quiescent"] and trace["violations"] == []
    assert any(e["kind"] == "deliver" and e["message"]["type"] == "add" and e["time"] > 150
               for e in trace["events"])
    assert set(trace["summary"]["final_values"].values()) == {9}


def test_summary_has_the_familys_figures() -> None:
    trace = run(PN_COUNTER, {}, seed=2)
    summary = trace["summary"]
    for key in ("acknowledged_increments", "acknowledged_decrements", "final_values", "lost_updates",
                "stale_writes_accepted", "stale_writes_rejected", "convergence_time", "messages_per_op"):
        assert key in summary
    assert summary["convergence_time"] is None, "no heal, no recovery: not applicable"
    assert summary["stale_writes_accepted"] == 0
    assert "acknowledged_decrements" not in run(G_COUNTER, {}, seed=2)["summary"]


# --------------------------------------------------- invariants by hand


def view(role: str, state: dict[str, Any], up: bool = True) -> NodeView:
    return NodeView(role=role, up=up, paused=False, state=state, durable=())


def test_own_entry_freshest_flags_a_peer_ahead_of_the_owner_unless_the_owner_has_amnesia() -> None:
    views = {"r1": view("replica", {"phase": "serving", "p": {"r1": 1, "r2": 0}, "amnesia": False}),
             "r2": view("replica", {"phase": "serving", "p": {"r1": 3, "r2": 0}, "amnesia": False})}
    found = list(inv.own_entry_freshest(views))
    assert [f.nodes for f in found] == [("r1", "r2")]
    views["r1"] = view("replica", {"phase": "serving", "p": {"r1": 1, "r2": 0}, "amnesia": True})
    assert list(inv.own_entry_freshest(views)) == []


def test_entries_never_decrease_except_on_recovery() -> None:
    before = {"phase": "serving", "p": {"r1": 2}, "n": {"r1": 1}}
    after = {"phase": "serving", "p": {"r1": 2}, "n": {"r1": 0}}
    assert inv.entries_never_decrease("r1", before, after, "msg:gossip") is not None
    assert inv.entries_never_decrease("r1", before, after, "recover") is None
    assert inv.entries_never_decrease("r1", before, {**before, "p": {"r1": 3}}, "msg:add") is None


def _send_ack(seq: int, node: str, delta: int = 1) -> dict[str, Any]:
    message = {"msg_id": f"m{seq}", "src": node, "dest": "c1", "type": "add_ok",
               "body": {"op": seq, "delta": delta, "applied": True}}
    return {"seq": seq, "kind": "send", "node": node, "src": node, "dst": "c1", "message": message}


def _state(seq: int, node: str, p: dict[str, int], cause: str = "msg:add") -> dict[str, Any]:
    return {"seq": seq, "kind": "state", "node": node, "cause": cause, "state": {"phase": "serving", "p": p}}


def test_no_lost_updates_flags_a_restart_and_then_a_masked_increment() -> None:
    memo: dict[str, Any] = {}
    log = [
        _state(1, "r1", {"r1": 1}), _send_ack(2, "r1"),
        _state(3, "r2", {"r1": 1}, cause="msg:gossip"),
        _state(4, "r1", {"r1": 2}), _send_ack(5, "r1"),
        {"seq": 6, "kind": "crash", "node": "r1"}, {"seq": 7, "kind": "recover", "node": "r1"},
        _state(8, "r1", {"r1": 0}, cause="recover"),
        _state(9, "r1", {"r1": 1}), _send_ack(10, "r1"),
    ]
    found = [(f.cause_seq, words(f)) for event in log for f in inv.no_lost_updates(event, memo)]
    assert [seq for seq, _ in found] == [8, 10]
    assert "restarted without its log: 1 acknowledged increment" in found[0][1]
    assert "merge's maximum hides it: 2 increment(s) lost" in found[1][1]


def test_no_lost_updates_is_quiet_when_a_peer_kept_what_the_crashed_replica_counted() -> None:
    memo: dict[str, Any] = {}
    log = [_state(1, "r1", {"r1": 1}), _send_ack(2, "r1"), _state(3, "r2", {"r1": 1}, cause="msg:gossip"),
           {"seq": 4, "kind": "crash", "node": "r1"}, {"seq": 5, "kind": "recover", "node": "r1"},
           _state(6, "r1", {"r1": 0}, cause="recover")]
    assert [f for event in log for f in inv.no_lost_updates(event, memo)] == []


def test_converges_to_acknowledged_needs_agreement_and_the_right_sum() -> None:
    client = view("client", {"phase": "done", "acked_inc": 3, "acked_dec": 1})
    same = {"phase": "quiet", "p": {"r1": 2, "r2": 1}, "n": {"r1": 1, "r2": 0}}
    views = {"c1": client, "r1": view("replica", same), "r2": view("replica", same)}
    assert list(inv.converges_to_acknowledged(views)) == []
    views["r2"] = view("replica", {**same, "p": {"r1": 2, "r2": 2}})
    assert "disagree" in words(next(iter(inv.converges_to_acknowledged(views))))
    views["r2"] = views["r1"] = view("replica", {**same, "n": {"r1": 0, "r2": 0}})
    assert "add up to 2" in words(next(iter(inv.converges_to_acknowledged(views))))


def test_convergence_time_runs_from_the_last_heal_to_the_last_agreement() -> None:
    events = [
        _state(1, "r1", {"r1": 1}), _state(2, "r2", {"r2": 1}),
        {"seq": 3, "time": 100, "kind": "heal"},
        {**_state(4, "r1", {"r1": 1, "r2": 1}), "time": 130},
        {**_state(5, "r2", {"r1": 1, "r2": 1}), "time": 150},
    ]
    for e in events:
        e.setdefault("time", 0)
    assert convergence_time(events, ["r1", "r2"], lambda s: s["p"]) == 50
    assert convergence_time(events[:4], ["r1", "r2"], lambda s: s["p"]) is None, "still apart at the end"
    assert convergence_time(events[:2], ["r1", "r2"], lambda s: s["p"]) is None, "no heal: not applicable"


def test_the_explorer_finishes_the_small_model_and_finds_nothing() -> None:
    # Without its crash the small model is safe even without a log: every order of deliveries converges.
    report = explore(G_COUNTER, max_crashes=0)
    assert report.complete and report.counterexamples == []


def test_the_small_model_loses_an_update_with_its_crash_and_no_log() -> None:
    report = explore(G_COUNTER, max_states=5_000)  # The small model allows one crash; durable is off.
    assert {c.name: len(c.commands) for c in report.counterexamples}.get("no-lost-updates") == 4


def test_the_explorer_finds_the_lost_update_of_a_volatile_crash() -> None:
    # The lost update is four commands deep, inside the first 1,000 worlds; 2,000 leaves a margin. Searching
    # the whole model (some 20,000 worlds, thirteen times the time) adds nothing to this claim.
    report = explore(G_COUNTER, {"durable": False}, max_crashes=1, max_states=2_000)
    assert "no-lost-updates" in {c.name for c in report.counterexamples}
