"""Write-behind: its cache and database rows fired by hand, its scenarios' stories, and a property over crashes.

The client rows it shares with the other proxies are tested in
test_cache_transitions.py; the writer's rows (``idle``/``flushing``) and the
database's are registered here, and a row without a test fails
:func:`test_every_write_behind_row_has_a_test`. The property: with a durable
queue, whatever the seed, the network and the crash plan, no acknowledged
write is ever lost.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.base import CancelTimer, Input, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.cache import WRITE_BACK, WRITE_BEHIND
from protocols.cache import write_behind as wb
from protocols.comparisons import PRESETS
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, replay
from tests.helpers import assert_valid_trace, words
from tests.protocols import table_support as support
from tests.protocols.run_support import simulate_run
from tests.protocols.table_support import RowRegistry, fire_table, table_rows
from tests.protocols.test_cache_properties import runs

SPEC = WRITE_BEHIND
NOW = 1_000
SEEDS = (0, 1, 7, 2024)
ROWS = RowRegistry(table_rows(SPEC.table, {"cache", "db"}), "write-behind cache and database")


def context(node: str = "cache1", **params: Any) -> Any:
    return support.context(SPEC, node, **params)


def fresh(ctx: Any, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx), **fields}


def fire(ctx: Any, st_: Any, event: Input) -> tuple[Any, list[Any]]:
    return fire_table(SPEC.table, ctx, st_, event, NOW)


def put(key: str, value: str, n: int = 1, src: str = "c1", msg_id: str = "m1") -> Input:
    return support.receive("put", src, "cache1", {"key": key, "value": value, "n": n}, msg_id)


def rec(key: str, value: str, seq: int, inc: int = 1, folded: int = 0) -> dict[str, Any]:
    return {"key": key, "value": value, "inc": inc, "seq": seq, "folded": folded}


def sent(effects: list[Any], type_: str) -> list[Send]:
    return [e for e in effects if isinstance(e, Send) and e.type == type_]


# ------------------------------------------------------------- the writer


@ROWS.covers(("cache", "idle", "msg:put"), ("cache", "idle", "start"))
def test_a_write_is_queued_and_acknowledged_at_once_and_a_full_queue_leaves_as_a_batch() -> None:
    ctx = context(batch_size=2, max_age_ms=70)
    st0, effects = fire(ctx, fresh(ctx), Start(draw=0.3))
    assert effects == [] and st0["phase"] == "idle"
    st1, effects = fire(ctx, st0, put("k0", "c1:1"))
    assert st1["queue"] == [rec("k0", "c1:1", 1)] and st1["entries"]["k0"] == {"v": "c1:1", "dirty": True}
    assert sent(effects, "put_ok")[0].body == {"key": "k0", "n": 1} and sent(effects, "batch") == []
    assert SetTimer(name="age", delay_ms=70) in effects  # The age timer follows the oldest queued write.
    st2, effects = fire(ctx, st1, put("k1", "c2:1", src="c2", msg_id="m2"))
    assert st2["phase"] == "flushing" and st2["queue"] == [] and len(st2["batch"]) == 2
    assert sent(effects, "batch")[0].body == {"writes": [rec("k0", "c1:1", 1), rec("k1", "c2:1", 2)]}
    assert CancelTimer(name="age") in effects and SetTimer(name="retry", delay_ms=ctx.params["timeout_ms"]) in effects
    assert [e for e in effects if isinstance(e, Persist)] == []  # A volatile queue logs nothing.


def test_coalescing_keeps_the_newest_value_of_a_key_and_moves_it_to_the_end() -> None:
    ctx = context(batch_size=8)
    st_ = fresh(ctx)
    for i, (key, value) in enumerate([("k0", "c1:1"), ("k1", "c1:2"), ("k0", "c1:3"), ("k0", "c1:4")]):
        st_, effects = fire(ctx, st_, put(key, value, n=i + 1, msg_id=f"m{i}"))
        assert sent(effects, "put_ok")
    assert st_["queue"] == [rec("k1", "c1:2", 2), rec("k0", "c1:4", 4, folded=2)]  # k1 before k0: ack order.


def test_past_max_queue_the_cache_answers_busy_but_a_write_that_coalesces_is_taken() -> None:
    ctx = context(batch_size=8, max_queue=2)
    st_ = fresh(ctx, queue=[rec("k0", "a", 1)], batch=[rec("k1", "b", 2)], phase="flushing", seq=2)
    refused, effects = fire(ctx, st_, put("k2", "c1:5", n=5))
    assert refused == st_
    assert effects == [Send(dest="c1", type="error", in_reply_to="m1",
                            body={"key": "k2", "n": 5, "code": "busy", "definite": True})]
    taken, effects = fire(ctx, st_, put("k0", "c1:6", n=6))
    assert taken["queue"] == [rec("k0", "c1:6", 3, folded=1)] and sent(effects, "put_ok")


def test_a_durable_queue_forces_each_write_before_it_acknowledges_it() -> None:
    ctx = context(queue="durable")
    _, effects = fire(ctx, fresh(ctx), put("k0", "c1:1"))
    kinds = [type(e).__name__ if not isinstance(e, Send) else e.type for e in effects]
    assert kinds.index("Persist") < kinds.index("put_ok")
    assert Persist(record={"type": "queued", "key": "k0", "value": "c1:1", "inc": 1, "seq": 1}) in effects


@ROWS.covers(("cache", "flushing", "msg:put"))
def test_while_a_batch_is_out_writes_queue_up_and_new_traffic_wakes_a_writer_that_gave_up() -> None:
    ctx = context(batch_size=1, max_age_ms=40)
    out = fresh(ctx, phase="flushing", batch=[rec("k0", "a", 1)], seq=1)
    st_, effects = fire(ctx, out, put("k1", "c1:2", n=2))
    assert st_["queue"] == [rec("k1", "c1:2", 2)] and sent(effects, "batch") == []
    assert SetTimer(name="age", delay_ms=40) in effects  # Entered an empty queue: its age is counted.
    stalled = {**out, "tries": wb.MAX_RETRIES}
    st_, effects = fire(ctx, stalled, put("k1", "c1:2", n=2))
    assert sent(effects, "batch")[0].body == {"writes": [rec("k0", "a", 1)]} and st_["tries"] == 1
    assert SetTimer(name="age", delay_ms=40) in effects  # The new write's age is counted all the same.
    full = context(batch_size=1, max_queue=1)
    st_, effects = fire(full, stalled, put("k1", "c1:2", n=2))  # Refused busy, and the writer wakes up.
    assert sent(effects, "error")[0].body["code"] == "busy" and sent(effects, "batch") and st_["tries"] == 1


@ROWS.covers(("cache", "idle", "timer:age"), ("cache", "flushing", "timer:age"))
def test_a_batch_leaves_by_age_or_right_after_the_one_in_flight() -> None:
    ctx = context(batch_size=4)
    st_ = fresh(ctx, queue=[rec("k0", "a", 1)], seq=1)
    new, effects = fire(ctx, st_, TimerFired(name="age"))
    assert new["phase"] == "flushing" and sent(effects, "batch")[0].body["writes"] == [rec("k0", "a", 1)]
    empty, effects = fire(ctx, fresh(ctx), TimerFired(name="age"))
    assert empty == fresh(ctx) and effects == []
    busy = fresh(ctx, phase="flushing", batch=[rec("k0", "a", 1)], queue=[rec("k1", "b", 2)], seq=2)
    overdue, effects = fire(ctx, busy, TimerFired(name="age"))
    assert overdue["overdue"] is True and effects == []
    nxt, effects = fire(ctx, overdue, support.receive("batch_ok", "db", "cache1", {"upto": [1, 1], "vers": {"k0": 1}}))
    assert nxt["phase"] == "flushing" and nxt["batch"] == [rec("k1", "b", 2)] and nxt["overdue"] is False


@ROWS.covers(("cache", "flushing", "timer:retry"))
def test_an_unconfirmed_batch_is_resent_a_few_times_then_waits() -> None:
    ctx = context()
    st_ = fresh(ctx, phase="flushing", batch=[rec("k0", "a", 1)], seq=1)
    for tries in range(1, wb.MAX_RETRIES + 1):
        st_, effects = fire(ctx, st_, TimerFired(name="retry"))
        assert st_["tries"] == tries and sent(effects, "batch")[0].body == {"writes": [rec("k0", "a", 1)]}
        assert (SetTimer(name="retry", delay_ms=ctx.params["timeout_ms"]) in effects) == (tries < wb.MAX_RETRIES)


@ROWS.covers(("cache", "flushing", "msg:batch_ok"), ("cache", "idle", "msg:batch_ok"))
def test_a_confirmed_batch_cleans_its_entries_and_a_durable_queue_logs_it_done() -> None:
    ctx = context(queue="durable")
    st_ = fresh(ctx, phase="flushing", batch=[rec("k0", "a", 1), rec("k1", "b", 2)], queue=[rec("k1", "c", 3)],
                entries={"k0": {"v": "a", "dirty": True}, "k1": {"v": "c", "dirty": True}}, lru=["k0", "k1"], seq=3)
    stale, effects = fire(ctx, st_, support.receive("batch_ok", "db", "cache1", {"upto": [1, 1], "vers": {}}))
    assert stale == st_ and effects == []  # Not this batch's confirmation.
    done, effects = fire(ctx, st_, support.receive("batch_ok", "db", "cache1",
                                                   {"upto": [1, 2], "vers": {"k0": 4, "k1": 2}}))
    assert done["phase"] == "idle" and done["batch"] == [] and done["entries"]["k0"] == {"v": "a", "ver": 4}
    assert done["entries"]["k1"] == {"v": "c", "dirty": True}  # A newer write of k1 still waits.
    assert Persist(record={"type": "done", "inc": 1, "seq": 2}) in effects and CancelTimer(name="retry") in effects
    idle, effects = fire(ctx, done, support.receive("batch_ok", "db", "cache1", {"upto": [1, 2], "vers": {}}))
    assert idle == done and effects == []


@ROWS.covers(("cache", "idle", "msg:get"), ("cache", "flushing", "msg:get"))
def test_a_read_is_answered_from_the_entry_then_the_queue_then_the_database() -> None:
    ctx = context()
    for phase in ("idle", "flushing"):
        st_ = fresh(ctx, phase=phase, entries={"k0": {"v": "a", "dirty": True}}, lru=["k0"],
                    queue=[rec("k1", "b", 2)], batch=[rec("k0", "a", 1)])
        get = support.receive("get", "c1", "cache1", {"key": "k0", "n": 3}, "m5")
        _, effects = fire(ctx, st_, get)
        assert effects[0].body == {"key": "k0", "value": "a", "ver": None, "hit": True, "n": 3}
        _, effects = fire(ctx, st_, support.receive("get", "c1", "cache1", {"key": "k1", "n": 3}, "m5"))
        assert effects[0].body["value"] == "b" and effects[0].body["hit"] is True  # Evicted, still queued.
        _, effects = fire(ctx, st_, support.receive("get", "c1", "cache1", {"key": "k2", "n": 3}, "m5"))
        assert effects[0].type == "db_read"


@ROWS.covers(("cache", "idle", "msg:db_read_ok"), ("cache", "flushing", "msg:db_read_ok"))
def test_a_miss_fills_the_cache_unless_a_newer_write_waits_here() -> None:
    ctx = context()
    answer = support.receive("db_read_ok", "db", "cache1",
                             {"key": "k0", "value": "old", "ver": 1, "echo": {"client": "c1", "n": 2, "req": "m3"}})
    filled, effects = fire(ctx, fresh(ctx), answer)
    assert filled["entries"]["k0"] == {"v": "old", "ver": 1} and effects[-1].body["value"] == "old"
    waiting = fresh(ctx, phase="flushing", batch=[rec("k0", "new", 1)])
    kept, effects = fire(ctx, waiting, answer)
    assert kept == waiting and effects[-1].type == "get_ok"


@ROWS.covers(("cache", "idle", "recover"))
def test_after_a_crash_a_volatile_queue_is_gone_and_a_durable_one_is_replayed() -> None:
    log = ({"type": "queued", "key": "k0", "value": "a", "inc": 1, "seq": 1},
           {"type": "queued", "key": "k1", "value": "b", "inc": 1, "seq": 2},
           {"type": "done", "inc": 1, "seq": 1},
           {"type": "queued", "key": "k1", "value": "c", "inc": 1, "seq": 3})
    ctx = context()
    back, effects = fire(ctx, fresh(ctx), Recover(durable=log))
    assert back["queue"] == [] and back["inc"] == 2 and effects == [Persist(record={"type": "boot", "inc": 2})]
    ctx = context(queue="durable")
    back, effects = fire(ctx, fresh(ctx), Recover(durable=(*log, {"type": "boot", "inc": 2})))
    assert back["inc"] == 3 and back["phase"] == "flushing"
    assert back["batch"] == [rec("k1", "c", 3, folded=1)]  # Not yet confirmed, coalesced again, sent at once.
    assert sent(effects, "batch")[0].body == {"writes": [rec("k1", "c", 3, folded=1)]}


# ------------------------------------------------------------- the database


@ROWS.covers(("db", "up", "start"), ("db", "up", "msg:db_read"), ("db", "up", "msg:batch"), ("db", "*", "recover"))
def test_the_database_applies_a_batch_in_order_once_and_remembers_it_across_a_crash() -> None:
    ctx = context("db")
    st_, effects = fire(ctx, fresh(ctx), Start(draw=0.1))
    assert effects == []
    batch = support.receive("batch", "cache1", "db",
                            {"writes": [rec("k1", "b", 1), rec("k0", "a", 2), rec("k1", "c", 3)]}, "m7")
    st_, effects = fire(ctx, st_, batch)
    assert st_["data"] == {"k1": {"v": "c", "ver": 2}, "k0": {"v": "a", "ver": 1}}
    assert st_["applied"] == {"cache1": [1, 3]}
    logged = [e.record for e in effects if isinstance(e, Persist)]
    assert [(r["key"], r["value"]) for r in logged] == [("k1", "b"), ("k0", "a"), ("k1", "c")]
    assert sent(effects, "batch_ok")[0].body == {"upto": [1, 3], "vers": {"k1": 2, "k0": 1}}
    again, effects = fire(ctx, st_, batch)  # A resend: nothing applied twice, confirmed again.
    assert again == st_ and sent(effects, "batch_ok")[0].body == {"upto": [1, 3], "vers": {}}
    newer = support.receive("batch", "cache1", "db", {"writes": [rec("k0", "d", 1, inc=2)]}, "m8")
    st2, _ = fire(ctx, st_, newer)
    assert st2["data"]["k0"] == {"v": "d", "ver": 2}  # A new incarnation's numbers start again.
    back, _ = fire(ctx, fresh(ctx), Recover(durable=tuple(logged)))
    assert back["applied"] == {"cache1": [1, 3]} and back["data"] == st_["data"]
    _, effects = fire(ctx, st_, support.receive("db_read", "cache2", "db", {"key": "k1", "echo": {}}, "m9"))
    assert effects[0].body["value"] == "c" and effects[0].body["ver"] == 2


def test_every_write_behind_row_has_a_test() -> None:
    assert not ROWS.missing(), "rows without a test:\n  " + "\n  ".join(map(str, ROWS.missing()))


# ------------------------------------------------------------- scenarios


def run(scenario: str | None = None, seed: int = 0, spec: Any = SPEC, **params: Any) -> dict[str, Any]:
    engine = Engine(spec, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated
    return build_trace(engine)


def broken(trace: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for v in trace["violations"]:
        found.setdefault(v["invariant"], []).append(v["finding"]["data"])
    return found


@pytest.mark.parametrize("seed", SEEDS)
def test_a_crash_loses_the_volatile_queue_and_the_lost_write_findings_name_each_write(seed: int) -> None:
    trace = run("cache-crash-volatile", seed)
    found = broken(trace)
    assert set(found) == {"lost-write", "stale-read"}
    assert sorted((f["key"], f["value"]) for f in found["lost-write"]) == [("k0", "c1:3"), ("k1", "c1:2")]
    assert trace["summary"]["lost_writes"] == 2 and trace["summary"]["db_writes"] == 0
    assert trace["summary"]["coalesced_writes"] == 1  # The third write folded into the first, then both died.
    crash = next(e["seq"] for e in trace["events"] if e["kind"] == "crash")
    assert all(v["cause_seq"] == crash for v in trace["violations"] if v["invariant"] == "lost-write")


@pytest.mark.parametrize("seed", SEEDS)
def test_the_same_crash_with_a_durable_queue_loses_nothing_and_replays(seed: int) -> None:
    trace = run("cache-crash-durable", seed)
    assert trace["violations"] == []
    summary = trace["summary"]
    assert summary["lost_writes"] == 0 and summary["coalesced_writes"] == 1
    assert summary["db_writes_per_write"] == round(2 / 3, 2)  # Three writes, two keys: coalesced.
    reads = [e["state"]["last"] for e in trace["events"] if e["kind"] == "state" and e["node"] == "c1"
             and (e["state"].get("last") or {}).get("op") == "read"]
    assert {(r["key"], r["value"]) for r in reads} == {("k0", "c1:3"), ("k1", "c1:2")}
    assert trace["final"]["db"]["state"]["data"] == {"k1": {"v": "c1:2", "ver": 1}, "k0": {"v": "c1:3", "ver": 1}}


@pytest.mark.parametrize("seed", SEEDS)
def test_two_caches_drain_out_of_order_and_a_reader_sees_the_newer_write_without_the_older(seed: int) -> None:
    trace = run("reorder-across-caches", seed)
    found = broken(trace)
    assert set(found) == {"write-order", "stale-read"}
    assert found["write-order"] == [{"client": "c3", "key": "k0", "value": "∅", "writer": "c1", "newer": "c1:1",
                                     "seen_key": "k1", "seen_value": "c2:1"}]
    assert not found.get("lost-write")
    assert trace["final"]["db"]["state"]["data"]["k0"]["v"] == "c1:1"  # It did arrive, late.


@pytest.mark.parametrize("seed", SEEDS)
def test_with_the_database_down_the_queue_fills_the_cache_answers_busy_and_then_drains(seed: int) -> None:
    trace = run("db-down-back-pressure", seed)
    assert trace["violations"] == []
    lasts = [e["state"]["last"] for e in trace["events"] if e["kind"] == "state" and e["node"] == "c1"
             and e["cause"].startswith("msg:")]
    assert [(last["key"], last["ok"], last.get("why")) for last in lasts] == [
        ("k0", True, None), ("k1", True, None), ("k2", True, None), ("k3", False, "busy"), ("k0", True, None)]
    assert max(len(e["state"]["queue"]) + len(e["state"]["batch"]) for e in trace["events"]
               if e["kind"] == "state" and e["node"] == "cache1") == 3
    assert set(trace["final"]["db"]["state"]["data"]) == {"k0", "k1", "k2"}
    assert trace["summary"]["ack_to_db_max_ms"] > 800  # Acknowledged, and not durable, for the whole outage.


def test_write_back_loses_writes_where_durable_write_behind_loses_none() -> None:
    preset = next(p for p in PRESETS if p["name"] == "write-back-vs-behind-crash")
    assert preset["runs"] == ["cache-write-back@cache-crash-loses-dirty", "cache-write-behind@cache-crash-durable"]
    for seed in SEEDS:
        back = run("cache-crash-loses-dirty", seed, spec=WRITE_BACK)
        behind = run("cache-crash-durable", seed)
        assert back["summary"]["lost_writes"] >= 1 and behind["summary"]["lost_writes"] == 0


# ------------------------------------------------------------- the property


@st.composite
def durable_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A drawn cache run, with a durable write-behind queue and batches of any size and age."""
    drawn = draw(runs(SPEC))
    params = {**drawn["params"], "queue": "durable", "batch_size": draw(st.sampled_from([1, 2, 4])),
              "max_age_ms": draw(st.sampled_from([5, 50, 200])), "max_queue": draw(st.sampled_from([2, 16]))}
    plan = draw(st.sampled_from([drawn["faults"], []]))
    return {**drawn, "params": params, "faults": plan}


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(durable_runs())
def test_a_durable_queue_never_loses_an_acknowledged_write(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, 4_000)
    assert engine.quiescent or engine.truncated
    trace = build_trace(engine)
    lost = [v for v in trace["violations"] if v["invariant"] == "lost-write"]
    assert not lost, f"{[words(v) for v in lost]}\nrun={json.dumps(run_, sort_keys=True)}"
    if run_["params"]["caches"] == 1:  # One ordered queue: nobody sees a write without those before it.
        order = [v for v in trace["violations"] if v["invariant"] == "write-order"]
        assert not order, f"{[words(v) for v in order]}\nrun={json.dumps(run_, sort_keys=True)}"
    assert_valid_trace(trace)
    assert replay(SPEC, trace).log == engine.log
