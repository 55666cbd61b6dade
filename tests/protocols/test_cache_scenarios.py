"""Each named cache scenario ends as its description promises, on several seeds.

The done-when tests of the cache family live here: the stale-fill race and
its remedies, write-back losing dirty data where write-through on the same
seed and fault plan loses nothing, peer caches going stale without
invalidation. Detectors are also shown to fire on deliberately broken
policies: a checker that cannot fail proves nothing.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from protocols import REGISTRY
from protocols.base import Send, TransitionTable
from protocols.cache import CACHE_ASIDE, WRITE_AROUND, WRITE_BACK, WRITE_BEHIND, WRITE_THROUGH
from protocols.cache import WRITE_POLICIES as SPECS
from protocols.cache import write_back_db as wdb
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import ProtocolSpec
from tests.helpers import assert_valid_trace, run_manage, words

SEEDS = (0, 1, 7, 2024)
SUMMARY_KEYS = {"reads", "writes", "hit_ratio", "stale_reads", "max_staleness", "lost_writes", "db_reads",
                "db_writes", "messages_per_op", "write_latency_p50", "write_latency_p99", "linearizable",
                "nonlinearizable_key"}
TESTED = {
    "cache-write-through": {"plain", "cache-crash", "peer-stale-read", "peer-invalidation", "crash-after-three-writes"},
    "cache-write-back": {"plain", "cache-crash-loses-dirty", "ownership-transfer", "flush-on-eviction",
                         "crash-after-three-writes"},
    "cache-write-behind": {"plain", "cache-crash-volatile", "cache-crash-durable", "reorder-across-caches",
                           "db-down-back-pressure"},  # Their stories: tests/protocols/test_cache_write_behind.py.
    "cache-write-around": {"plain", "own-read-misses", "peer-stale-read"},
    "cache-aside": {"plain", "stale-fill-race", "stale-fill-race-remedied", "stale-fill-race-double-delete"},
}


def run(spec: ProtocolSpec, scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Run to the end; return the trace."""
    engine = Engine(spec, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated, f"{spec.name} {scenario} seed={seed} did not finish"
    return build_trace(engine)


def violations(trace: dict[str, Any], invariant: str) -> list[dict[str, Any]]:
    return [v for v in trace["violations"] if v["invariant"] == invariant]


def event(trace: dict[str, Any], seq: int) -> dict[str, Any]:
    found: dict[str, Any] = trace["events"][seq - 1]
    assert found["seq"] == seq
    return found


def test_every_scenario_is_tested_here() -> None:
    assert {s.name: {x.name for x in s.scenarios} for s in SPECS} == TESTED
    assert all(REGISTRY[name] for name in TESTED)


@pytest.mark.parametrize(("spec", "scenario"), [(s, x.name) for s in SPECS for x in s.scenarios],
                         ids=lambda v: getattr(v, "name", v))
def test_every_scenario_is_valid_deterministic_and_narrated(spec: ProtocolSpec, scenario: str) -> None:
    trace = run(spec, scenario, seed=7)
    assert_valid_trace(trace)
    assert dumps(trace) == dumps(run(spec, scenario, seed=7))
    assert set(trace["summary"]) == SUMMARY_KEYS | set(spec.figures)
    captions = [e for e in trace["events"] if e["kind"] == "caption"]
    assert captions, "a scenario narrates at least its first important moment"
    assert all(c["text"] for c in captions)


# ------------------------------------------------------------ cache-aside


@pytest.mark.parametrize("seed", SEEDS)
def test_the_stale_fill_race_leaves_a_stale_value_that_the_detector_points_at(seed: int) -> None:
    trace = run(CACHE_ASIDE, "stale-fill-race", seed=seed)
    stale = violations(trace, "stale-read")
    assert stale, "the race must happen by construction, on every seed"
    first = stale[0]
    answer = event(trace, first["cause_seq"])
    # The cause is the answer that delivered the stale value: a cache hit reaching the reader.
    assert answer["kind"] == "deliver" and answer["message"]["type"] == "get_ok"
    assert answer["message"]["body"]["hit"] is True and answer["message"]["body"]["value"] == "c1:1"
    assert answer["node"] == "c2" and first["nodes"] == ["c2", "cache1"]
    assert "ms old" in words(first) and "c2:1" in words(first)
    # The stale value was c1's fill, which landed after c2's delete of the key.
    fill = next(e for e in trace["events"] if e["kind"] == "deliver" and e["message"]["type"] == "fill"
                and e["message"]["src"] == "c1")
    delete = next(e for e in trace["events"] if e["kind"] == "deliver" and e["message"]["type"] == "delete"
                  and e["message"]["src"] == "c2")
    assert delete["seq"] < fill["seq"] < first["cause_seq"]
    summary = trace["summary"]
    assert summary["stale_reads"] == len(stale) >= 2 and summary["max_staleness"] > 0
    assert summary["linearizable"] is False and summary["nonlinearizable_key"] == "k0"
    # It lives until its TTL: every stale answer left the cache before the expiry, and later reads are fresh.
    expired = next(e for e in trace["events"] if e["kind"] == "timer" and e["timer"] == "expire")
    served = {e["message"]["msg_id"]: e["time"] for e in trace["events"] if e["kind"] == "send"}
    assert all(served[event(trace, v["cause_seq"])["message"]["msg_id"]] <= expired["time"] for v in stale)
    later = [e["message"]["body"] for e in trace["events"] if e["kind"] == "deliver" and e["node"] == "c2"
             and e["message"]["type"] in ("get_ok", "db_read_ok") and e["time"] > expired["time"] + 40]
    seen = [body["value"] for body in later if "value" in body]
    assert seen and set(seen) == {"c2:1"}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", ["stale-fill-race-remedied", "stale-fill-race-double-delete"])
def test_a_remedy_leaves_no_stale_read(seed: int, scenario: str) -> None:
    trace = run(CACHE_ASIDE, scenario, seed=seed)
    assert not violations(trace, "stale-read")
    assert trace["summary"]["stale_reads"] == 0 and trace["summary"]["linearizable"] is True
    # The race itself still happened: the stale fill was sent after the delete.
    sends = [e for e in trace["events"] if e["kind"] == "send"]
    fill = next(e for e in sends if e["message"]["type"] == "fill" and e["src"] == "c1")
    delete = next(e for e in sends if e["message"]["type"] == "delete" and e["src"] == "c2")
    assert delete["seq"] < fill["seq"]


def test_the_remedies_differ_only_in_the_remedy() -> None:
    race = CACHE_ASIDE.scenario("stale-fill-race")
    for name, remedy in (("stale-fill-race-remedied", "versioned-fill"),
                         ("stale-fill-race-double-delete", "delayed-double-delete")):
        other = CACHE_ASIDE.scenario(name)
        assert list(other.faults) == list(race.faults)
        assert {**other.params, "remedy": "none"} == dict(race.params) and other.params["remedy"] == remedy


# -------------------------------------------------- write-back vs through


@pytest.mark.parametrize("seed", SEEDS)
def test_a_write_back_crash_with_dirty_keys_loses_writes_and_write_through_none(seed: int) -> None:
    back = run(WRITE_BACK, "cache-crash-loses-dirty", seed=seed)
    lost = violations(back, "lost-write")
    assert lost and back["summary"]["lost_writes"] == len(lost)
    cause = event(back, lost[0]["cause_seq"])
    assert cause["kind"] == "crash" and cause["node"] == "cache1"
    assert "c1:1" in words(lost[0]) and "crashed" in words(lost[0])
    through = run(WRITE_THROUGH, "cache-crash", seed=seed)
    assert through["faults"] == back["faults"]
    assert {k: v for k, v in through["params"].items() if k != "invalidation"} == \
        {k: v for k, v in back["params"].items() if k not in ("flush_interval_ms", "flush_rounds")}
    assert not through["violations"]
    assert through["summary"]["lost_writes"] == 0 and through["summary"]["stale_reads"] == 0
    # Same seed, same workload: the crash interrupted both at the same operation.
    crash = [e for e in through["events"] if e["kind"] == "crash"]
    assert len(crash) == 1 and crash[0]["node"] == "cache1"


@pytest.mark.parametrize("seed", SEEDS)
def test_write_behinds_crash_on_write_through_loses_nothing_and_on_write_back_the_dirty_key(seed: int) -> None:
    through = run(WRITE_THROUGH, "crash-after-three-writes", seed=seed)
    back = run(WRITE_BACK, "crash-after-three-writes", seed=seed)
    behind = run(REGISTRY["cache-write-behind"], "cache-crash-volatile", seed=seed)
    assert through["faults"] == back["faults"] == behind["faults"]  # one crash plan for the three policies
    assert through["params"]["script"] == back["params"]["script"] == behind["params"]["script"]
    assert not through["violations"] and through["summary"]["lost_writes"] == 0
    assert through["summary"]["db_writes"] == through["summary"]["writes"] == 3  # each write, in the database
    lost = violations(back, "lost-write")
    assert lost and all(event(back, v["cause_seq"])["kind"] == "crash" for v in lost)
    # What a write costs its writer: write-through waits for the database, write-behind does not.
    assert through["summary"]["write_latency_p50"] > behind["summary"]["write_latency_p50"]


def test_the_lost_write_is_then_read_stale_from_the_database() -> None:
    trace = run(WRITE_BACK, "cache-crash-loses-dirty")
    stale = violations(trace, "stale-read")
    assert stale and event(trace, stale[0]["cause_seq"])["message"]["body"]["hit"] is False


def test_ownership_moves_by_recall_and_there_is_never_a_second_dirty_copy() -> None:
    trace = run(WRITE_BACK, "ownership-transfer")
    types = [e["message"]["type"] for e in trace["events"] if e["kind"] == "send"]
    assert types.count("grant") == 2 and "recall" in types and "recall_ok" in types
    assert trace["verdicts"]["single-dirty-copy"] == "holds"
    recalled = next(e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] == "recall_ok")
    assert recalled["message"]["body"]["value"] == "c1:1"
    assert trace["final"]["db"]["state"]["owners"]["k0"]["cache"] == "cache2"


def test_eviction_flushes_the_dirty_entry_on_its_way_out() -> None:
    trace = run(WRITE_BACK, "flush-on-eviction")
    flush = next(e for e in trace["events"] if e["kind"] == "send" and e["message"]["type"] == "flush")
    assert flush["message"]["body"] == {"key": "k0", "ep": 1, "seq": 1, "release": True, "value": "c1:1"}
    assert not any(e["kind"] == "timer" and e["timer"] == "flush" and e["time"] < flush["time"]
                   for e in trace["events"])
    assert trace["final"]["db"]["state"]["data"]["k0"]["v"] == "c1:1" and not trace["violations"]


# ------------------------------------------------------- peers going stale


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("spec", [WRITE_THROUGH, WRITE_AROUND], ids=lambda s: s.name)
def test_without_invalidation_a_peer_cache_serves_the_old_value(spec: ProtocolSpec, seed: int) -> None:
    trace = run(spec, "peer-stale-read", seed=seed)
    stale = violations(trace, "stale-read")
    assert len(stale) == 1 and stale[0]["nodes"] == ["c1", "cache1"]
    answer = event(trace, stale[0]["cause_seq"])
    assert answer["message"]["body"]["hit"] is True and answer["src"] == "cache1"


@pytest.mark.parametrize("seed", SEEDS)
def test_broadcast_invalidation_makes_the_same_run_fresh(seed: int) -> None:
    trace = run(WRITE_THROUGH, "peer-invalidation", seed=seed)
    assert not trace["violations"] and trace["summary"]["linearizable"] is True
    reads = [e for e in trace["events"] if e["kind"] == "deliver" and e["node"] == "c1"
             and e["message"]["type"] == "get_ok"]
    assert reads[-1]["message"]["body"]["value"] == "c2:1" and reads[-1]["message"]["body"]["hit"] is False


def test_write_around_drops_the_writers_own_copy() -> None:
    trace = run(WRITE_AROUND, "own-read-misses")
    answers = [e["message"]["body"] for e in trace["events"] if e["kind"] == "deliver" and e["node"] == "c1"
               and e["message"]["type"] == "get_ok"]
    assert [a["hit"] for a in answers] == [False, False] and answers[-1]["value"] == "c1:2"
    assert not trace["violations"]


# ------------------------------------------------------------- plain runs


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_plain_runs_finish_with_their_figures(spec: ProtocolSpec) -> None:
    trace = run(spec, "plain", seed=3)
    summary = trace["summary"]
    assert summary["reads"] + summary["writes"] == 16  # 2 clients x 8 operations, no faults.
    assert summary["db_writes"] >= 1 and summary["messages_per_op"] > 2
    assert all(f["state"]["phase"] == "done" for n, f in trace["final"].items() if f["role"] == "client")
    assert not violations(trace, "lost-write") and not violations(trace, "ack-implies-db")


def test_one_seed_gives_every_policy_the_same_operations() -> None:
    def ops(spec: ProtocolSpec) -> list[tuple[str, Any]]:
        trace = run(spec, seed=11)
        issued = [(e["node"], e["state"]["op"]) for e in trace["events"]
                  if e["kind"] == "state" and e["node"].startswith("c") and e["state"].get("op")
                  and e["cause"] == "timer:think"]
        return sorted(issued, key=lambda item: (item[0], item[1]["n"]))  # Timing differs, the sequence not.
    first = ops(SPECS[0])
    assert len(first) == 16
    for spec in SPECS[1:]:
        assert ops(spec) == first


def test_the_command_line_runs_a_scenario() -> None:
    result = run_manage("simulate", "cache-aside", "--scenario", "stale-fill-race", "--seed", "7", "--format", "json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["summary"]["stale_reads"] > 0 and trace["verdicts"]["stale-read"] == "violated"


# --------------------------------------------- detectors catch broken code


def with_row(spec: ProtocolSpec, role: str, on: str, handler: Any) -> ProtocolSpec:
    rows = [dataclasses.replace(r, handler=handler) if (r.role, r.on) == (role, on) else r for r in spec.table.rows]
    return dataclasses.replace(spec, table=TransitionTable(rows))


def test_ack_implies_db_catches_a_cache_that_acknowledges_before_the_database() -> None:
    def eager_put(ctx: Any, state: Any, event: Any, now: int) -> Any:
        body = event.message.body
        return state, [Send(dest=event.message.src, type="put_ok", body={"key": body["key"], "n": body["n"]},
                            in_reply_to=event.message.msg_id)]

    broken = with_row(WRITE_THROUGH, "cache", "msg:put", eager_put)
    trace = run(broken, seed=1)
    found = violations(trace, "ack-implies-db")
    assert found and event(trace, found[0]["cause_seq"])["message"]["type"] == "put_ok"


def test_single_dirty_copy_catches_a_directory_that_grants_without_recalling() -> None:
    def careless_claim(ctx: Any, state: Any, event: Any, now: int) -> Any:
        return wdb._grant(state, event.message.body["key"], event.message.src, event.message.body.get("tok"))

    broken = with_row(WRITE_BACK, "db", "msg:claim", careless_claim)
    trace = run(broken, "ownership-transfer")
    assert violations(trace, "single-dirty-copy")


def test_the_invariants_are_described() -> None:
    for spec in SPECS:
        names = {i.name for i in spec.invariants}
        assert {"stale-read", "lost-write"} <= names
        assert ("single-dirty-copy" in names) == (spec is WRITE_BACK)
        assert ("ack-implies-db" in names) == (spec not in (WRITE_BACK, WRITE_BEHIND))
        assert all(i.description for i in spec.invariants)
        assert "Theory of operation" in spec.theory
