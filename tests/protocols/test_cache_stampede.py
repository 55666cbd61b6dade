"""The stampede: its cache and database rows fired by hand, its scenarios' stories, the remedies' lesson.

The cache's phases are the hot key's (``empty``, ``filling``, ``fresh``,
``stale``); every row of the table (clients, caches, database) is registered
here and a row without a test fails :func:`test_every_stampede_row_has_a_test`. The
property: with single-flight, whatever the seed, the timing and a lossy,
duplicating network, one cache's clients never have two database reads of
the key in flight at once.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.base import CancelTimer, Input, Recover, Send, SetTimer, Start, TimerFired
from protocols.cache import stampede as sp
from protocols.comparisons import PRESETS
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, replay
from tests import strategies as s
from tests.helpers import assert_valid_trace, words
from tests.protocols import table_support as support
from tests.protocols.run_support import scenario_trace, simulate_run
from tests.protocols.table_support import RowRegistry, fire_table, table_rows

SPEC = sp.SPEC
NOW = 1_000
SEEDS = (0, 1, 7, 2024)
ROWS = RowRegistry(table_rows(SPEC.table), "stampede")


def context(node: str = "cache1", **params: Any) -> Any:
    return support.context(SPEC, node, **params)


def fresh(ctx: Any, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx), **fields}


def fire(ctx: Any, st_: Any, event: Input) -> tuple[Any, list[Any]]:
    return fire_table(SPEC.table, ctx, st_, event, NOW)


def get(src: str = "c1", n: int = 1, msg_id: str = "m1") -> Input:
    return support.receive("get", src, "cache1", {"key": "k0", "n": n}, msg_id)


def fill(value: str = "v1", lease: int | None = None, src: str = "c1", flight: int | None = None) -> Input:
    body: dict[str, Any] = {"key": "k0", "value": value, "ver": 1}
    if lease is not None:
        body["lease"] = lease
    if flight is not None:
        body["flight"] = flight
    return support.receive("fill", src, "cache1", body, "m9")


def sent(effects: list[Any], type_: str) -> list[Send]:
    return [e for e in effects if isinstance(e, Send) and e.type == type_]


ENTRY = {"k0": {"v": "v1", "ver": 1}}


# ------------------------------------------------------------- the cache


@ROWS.covers(("cache", "empty", "start"), ("cache", "empty", "msg:get"), ("cache", "empty", "msg:fill"),
             ("cache", "fresh", "msg:get"), ("cache", "fresh", "msg:fill"), ("cache", "fresh", "timer:ttl"))
def test_without_a_remedy_every_miss_is_answered_miss_and_a_fill_lives_for_its_ttl() -> None:
    ctx = context(remedy="none", ttl_ms=70)
    st0, effects = fire(ctx, fresh(ctx), Start(draw=0.2))
    assert effects == [] and st0["phase"] == "empty"
    for client in ("c1", "c2"):
        st1, effects = fire(ctx, st0, get(client))
        assert st1["phase"] == "empty" and sent(effects, "get_ok")[0].body == {"key": "k0", "hit": False, "n": 1}
    st2, effects = fire(ctx, st1, fill())
    assert st2["phase"] == "fresh" and st2["entries"] == ENTRY and SetTimer(name="ttl", delay_ms=70) in effects
    st3, effects = fire(ctx, st2, get("c3"))
    assert st3 == st2 and sent(effects, "get_ok")[0].body["hit"] is True
    st4, effects = fire(ctx, st2, fill("v2", src="c2"))  # A second member of the herd fills again.
    assert st4["entries"]["k0"]["v"] == "v2" and SetTimer(name="ttl", delay_ms=70) in effects
    st5, _ = fire(ctx, st4, TimerFired(name="ttl"))
    assert st5["phase"] == "empty" and st5["entries"] == {}


@ROWS.covers(("cache", "filling", "msg:get"), ("cache", "filling", "msg:fill"))
def test_single_flight_sends_one_reader_to_the_database_and_answers_the_others_from_its_fill() -> None:
    ctx = context(remedy="single-flight")
    st1, effects = fire(ctx, fresh(ctx), get("c1"))
    assert st1["phase"] == "filling" and sent(effects, "get_ok")[0].body == {"key": "k0", "hit": False, "n": 1,
                                                                             "flight": 1}
    st2, effects = fire(ctx, st1, get("c2", n=3, msg_id="m2"))
    st2, more = fire(ctx, st2, get("c3", n=2, msg_id="m3"))
    assert effects == more == [] and [w["client"] for w in st2["waiters"]] == ["c2", "c3"]
    assert fire(ctx, st2, fill(flight=0)) == (st2, []), "a duplicated fill of an earlier flight ends nothing"
    st3, effects = fire(ctx, st2, fill(flight=1))
    answers = sent(effects, "get_ok")
    assert st3["phase"] == "fresh" and st3["waiters"] == [] and [a.dest for a in answers] == ["c2", "c3"]
    assert answers[0].body == {"key": "k0", "value": "v1", "ver": 1, "hit": True, "n": 3}
    assert answers[0].in_reply_to == "m2" and SetTimer(name="ttl", delay_ms=ctx.params["ttl_ms"]) in effects
    st4, _ = fire(ctx, st3, TimerFired(name="ttl"))
    assert st4["phase"] == "empty"


@ROWS.covers(("cache", "stale", "msg:get"), ("cache", "stale", "msg:fill"), ("cache", "filling", "timer:lease"))
def test_a_lease_lets_one_reader_fetch_the_others_retry_or_read_stale_and_only_its_fill_counts() -> None:
    ctx = context(remedy="lease", lease_ms=40)
    st1, effects = fire(ctx, fresh(ctx), get("c1"))
    assert st1["phase"] == "filling" and st1["token"] == 1
    assert sent(effects, "get_ok")[0].body["lease"] == 1 and SetTimer(name="lease", delay_ms=40) in effects
    _, effects = fire(ctx, st1, get("c2", msg_id="m2"))
    assert sent(effects, "retry")[0].body == {"key": "k0", "n": 1}  # Cold: nothing stale to serve.
    assert fire(ctx, st1, fill(lease=7))[0] == st1  # Not the lease holder's fill: refused.
    st2, effects = fire(ctx, st1, fill(lease=1))
    assert st2["phase"] == "fresh" and CancelTimer(name="lease") in effects
    assert fire(ctx, {**st1, "expired": ["k0"]}, fill(lease=1))[0]["expired"] == []
    st3, _ = fire(ctx, st2, TimerFired(name="ttl"))
    assert st3["phase"] == "stale" and st3["entries"] == ENTRY  # Expired, but kept for the lease's wait,
    assert st3["expired"] == ["k0"]  # and recorded so by the cache (the cache-state panel reads it).
    assert fire(ctx, st3, fill(lease=1))[0] == st3  # No lease out: refused.
    st4, effects = fire(ctx, st3, get("c2"))
    assert st4["phase"] == "filling" and sent(effects, "get_ok")[0].body["lease"] == 2
    _, effects = fire(ctx, st4, get("c3"))
    assert sent(effects, "get_ok")[0].body == {"key": "k0", "value": "v1", "ver": 1, "hit": True, "n": 1,
                                               "stale": True}
    st5, _ = fire(ctx, st4, TimerFired(name="lease"))
    assert st5["phase"] == "stale"  # The holder never filled: the next miss gets a new lease.
    assert fire(ctx, st1, TimerFired(name="lease"))[0]["phase"] == "empty"


@ROWS.covers(("cache", "empty", "start"), ("cache", "empty", "msg:fill"), ("cache", "fresh", "msg:fill"),
             ("cache", "fresh", "msg:get"), ("cache", "empty", "msg:get"))
def test_xfetch_keeps_delta_and_expiry_with_the_value_and_hands_both_out_with_every_hit() -> None:
    ctx = context(remedy="xfetch", ttl_ms=300)
    st0, effects = fire(ctx, fresh(ctx), Start(draw=0.2))
    assert st0["phase"] == "empty" and effects == []  # Cold, unless warm.
    _, effects = fire(ctx, st0, get("c1"))
    assert sent(effects, "get_ok")[0].body == {"key": "k0", "hit": False, "n": 1}  # No coalescing: a plain miss.
    st1, effects = fire(ctx, st0, support.receive("fill", "c1", "cache1",
                                                  {"key": "k0", "value": "v1", "ver": 1, "delta": 42}, "m9"))
    assert st1["entries"] == {"k0": {"v": "v1", "ver": 1, "delta": 42, "expiry": NOW + 300}}
    assert st1["phase"] == "fresh" and SetTimer(name="ttl", delay_ms=300) in effects
    _, effects = fire(ctx, st1, get("c2"))
    assert sent(effects, "get_ok")[0].body == {"key": "k0", "value": "v1", "ver": 1, "hit": True, "n": 1,
                                               "delta": 42, "expiry": NOW + 300}
    st2, effects = fire(ctx, st1, support.receive("fill", "c3", "cache1",
                                                  {"key": "k0", "value": "v1", "ver": 1, "delta": 9}, "m8"))
    assert st2["entries"]["k0"]["delta"] == 9 and SetTimer(name="ttl", delay_ms=300) in effects  # An early fill
    # renews the expiry (the timer of that name is replaced).


def test_a_warm_cache_starts_fresh_and_an_xfetch_one_with_a_query_and_a_round_trip_as_delta() -> None:
    ctx = context(remedy="xfetch", warm=True, ttl_ms=300, query_ms=20, delay_ms_min=5, delay_ms_max=20)
    st0, effects = fire(ctx, fresh(ctx), Start(draw=0.2))
    assert st0["phase"] == "fresh" and effects == [SetTimer(name="ttl", delay_ms=300)]
    assert st0["entries"] == {"k0": {"v": "v1", "ver": 1, "delta": 45, "expiry": NOW + 300}}
    plain = context(remedy="single-flight", warm=True)
    assert fire(plain, fresh(plain), Start(draw=0.2))[0]["entries"] == ENTRY


def xfetch_hit(expiry: int, delta: int = 40) -> Input:
    return support.receive("get_ok", "cache1", "c1", {"key": "k0", "value": "v1", "ver": 1, "hit": True, "n": 1,
                                                      "delta": delta, "expiry": expiry})


@ROWS.covers(("client", "waiting", "msg:get_ok"), ("client", "waiting", "msg:db_read_ok"))
def test_an_xfetch_reader_recomputes_early_by_its_draw_and_times_its_read_for_the_fill() -> None:
    ctx = context("c1", remedy="xfetch", ops_per_client=3)
    started, _ = fire(ctx, fresh(ctx), Start(draw=0.4))
    waiting, _ = fire(ctx, started, TimerFired(name="think"))
    far, effects = fire(ctx, waiting, xfetch_hit(expiry=NOW + 10_000))  # Far from the expiry: a plain hit.
    assert far["phase"] == "idle" and far["last"]["hit"] is True and far["rng"] != waiting["rng"]
    assert sent(effects, "db_read") == []
    near, effects = fire(ctx, waiting, xfetch_hit(expiry=NOW))  # At the expiry: always (u <= 1, -ln u >= 0).
    assert near["step"] == "db" and near["rng"] != waiting["rng"]
    assert sent(effects, "db_read")[0].body == {"key": "k0", "via": "cache1",
                                                "echo": {"n": 1, "via": "cache1", "sent": NOW, "early": True}}
    lazy = context("c1", remedy="xfetch", beta=0.0)
    assert fire(lazy, waiting, xfetch_hit(expiry=NOW + 1))[0]["last"]["hit"] is True  # beta 0: never early.
    answer = support.receive("db_read_ok", "db", "c1", {"key": "k0", "value": "v1", "ver": 1,
                                                       "echo": {"n": 1, "via": "cache1", "sent": NOW - 37}})
    done, effects = fire(ctx, near, answer)
    assert sent(effects, "fill")[0].body == {"key": "k0", "value": "v1", "ver": 1, "delta": 37}
    assert done["last"]["hit"] is False  # The early reader's read is the database's value.


def test_the_xfetch_draw_follows_the_paper_rule() -> None:
    # Over the stream's draws, the share of early recomputations g before the expiry is exp(-g / (delta * beta)).
    ctx = context("c1", remedy="xfetch", beta=1.0)
    state = {**fresh(ctx), "rng": 12345}
    early = 0
    for _ in range(4_000):
        hit, state = sp.recompute_early(ctx, state, {"delta": 40, "expiry": NOW + 40}, NOW)
        early += hit
    assert abs(early / 4_000 - math.exp(-1)) < 0.03


@ROWS.covers(("cache", "*", "recover"))
def test_a_cache_comes_back_empty() -> None:
    ctx = context(remedy="single-flight")
    state, effects = fire(ctx, fresh(ctx), Recover(durable=()))
    assert state["phase"] == "empty" and effects == []


# ------------------------------------------------------------- the database


@ROWS.covers(("db", "idle", "start"), ("db", "idle", "msg:db_read"), ("db", "busy", "msg:db_read"),
             ("db", "busy", "timer:query"), ("db", "*", "recover"))
def test_the_database_runs_one_query_at_a_time_and_answers_in_order() -> None:
    ctx = context("db", query_ms=25)
    st0, effects = fire(ctx, fresh(ctx), Start(draw=0.1))
    assert effects == [] and st0["phase"] == "idle"

    def read(src: str, msg_id: str) -> Input:
        return support.receive("db_read", src, "db", {"key": "k0", "via": "cache1", "echo": {"n": 1}}, msg_id)

    st1, effects = fire(ctx, st0, read("c1", "m1"))
    assert st1["phase"] == "busy" and effects == [SetTimer(name="query", delay_ms=25)]
    st2, effects = fire(ctx, st1, read("c2", "m2"))
    assert effects == [] and [r["src"] for r in st2["queue"]] == ["c1", "c2"]
    st3, effects = fire(ctx, st2, TimerFired(name="query"))
    answer = sent(effects, "db_read_ok")[0]
    assert answer.dest == "c1" and answer.in_reply_to == "m1" and answer.body["value"] == "v1"
    assert st3["phase"] == "busy" and SetTimer(name="query", delay_ms=25) in effects
    st4, effects = fire(ctx, st3, TimerFired(name="query"))
    assert st4["phase"] == "idle" and st4["queue"] == [] and not any(isinstance(e, SetTimer) for e in effects)
    st5, _ = fire(ctx, st2, Recover(durable=()))
    assert st5["phase"] == "idle" and st5["queue"] == [] and st5["data"] == st2["data"]


def test_every_stampede_row_has_a_test() -> None:
    assert not ROWS.missing(), "rows without a test:\n  " + "\n  ".join(map(str, ROWS.missing()))


# ------------------------------------------------------------- the client


@ROWS.covers(("client", "idle", "start"), ("client", "idle", "timer:think"), ("client", "waiting", "msg:retry"),
             ("client", "waiting", "timer:retry"), ("client", "waiting", "msg:get_ok"),
             ("client", "waiting", "msg:db_read_ok"), ("client", "idle", "msg:db_read_ok"),
             ("client", "done", "msg:db_read_ok"))
def test_a_client_reads_the_database_on_a_miss_fills_even_when_late_and_retries_when_told() -> None:
    ctx = context("c1", remedy="lease", retry_ms=15, ops_per_client=1)
    started, effects = fire(ctx, fresh(ctx), Start(draw=0.4))
    assert started["phase"] == "idle" and effects == [SetTimer(name="think", delay_ms=ctx.params["think_ms"])]
    state, effects = fire(ctx, started, TimerFired(name="think"))
    assert state["step"] == "cache" and sent(effects, "get")[0].body == {"key": "k0", "n": 1}
    told = support.receive("retry", "cache1", "c1", {"key": "k0", "n": 1})
    waiting, effects = fire(ctx, state, told)
    assert waiting["step"] == "retry" and effects == [SetTimer(name="retry", delay_ms=15)]
    again, effects = fire(ctx, waiting, TimerFired(name="retry"))
    assert again["step"] == "cache" and sent(effects, "get")[0].dest == "cache1"
    leased = support.receive("get_ok", "cache1", "c1", {"key": "k0", "hit": False, "n": 1, "lease": 4})
    fetching, effects = fire(ctx, again, leased)
    assert fetching["step"] == "db" and sent(effects, "db_read")[0].body == {
        "key": "k0", "via": "cache1", "echo": {"n": 1, "via": "cache1", "lease": 4}}
    answer = support.receive("db_read_ok", "db", "c1", {"key": "k0", "value": "v1", "ver": 1,
                                                       "echo": {"n": 1, "via": "cache1", "lease": 4}})
    done, effects = fire(ctx, fetching, answer)
    assert sent(effects, "fill")[0].body == {"key": "k0", "value": "v1", "ver": 1, "lease": 4}
    assert done["last"]["hit"] is False and done["phase"] in ("idle", "done")
    assert done["phase"] == "done"
    late, effects = fire(ctx, done, answer)  # An answer to a read given up still fills the cache.
    assert late == done and len(sent(effects, "fill")) == 1
    idle = {**done, "phase": "idle"}
    assert fire(ctx, idle, answer) == (idle, effects)


@ROWS.covers(("client", "waiting", "timer:timeout"), ("client", "*", "recover"),
             ("client", "idle", "msg:get_ok"), ("client", "done", "msg:get_ok"), ("client", "idle", "msg:retry"),
             ("client", "done", "msg:retry"), ("client", "idle", "timer:retry"), ("client", "done", "timer:retry"))
def test_a_client_gives_a_read_up_ignores_late_answers_and_stays_done_after_a_crash() -> None:
    ctx = context("c1", ops_per_client=2)
    waiting, _ = fire(ctx, fresh(ctx), TimerFired(name="think"))
    idle, effects = fire(ctx, waiting, TimerFired(name="timeout"))
    assert idle["phase"] == "idle" and idle["last"]["ok"] is False and idle["last"]["why"] == "timeout"
    hit = support.receive("get_ok", "cache1", "c1", {"key": "k0", "value": "v1", "ver": 1, "hit": True, "n": 1})
    told = support.receive("retry", "cache1", "c1", {"key": "k0", "n": 1})
    for phase in ("idle", "done"):
        st_ = {**idle, "phase": phase}
        for late in (hit, told, TimerFired(name="retry")):
            assert fire(ctx, st_, late) == (st_, [])
    assert fire(ctx, waiting, TimerFired(name="retry")) == (waiting, [])  # Not waiting to retry: ignored.
    crashed, effects = fire(ctx, waiting, Recover(durable=()))
    assert crashed["phase"] == "done" and effects == []


# ------------------------------------------------------------- scenarios


def run(scenario: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Play one of this protocol's scenarios to its end: its schema-checked trace (run_support.scenario_trace)."""
    return scenario_trace(SPEC, scenario, seed, **params)


def invariants(trace: dict[str, Any]) -> set[str]:
    return {v["invariant"] for v in trace["violations"]}


@pytest.mark.parametrize("seed", SEEDS)
def test_without_a_remedy_the_expiry_sends_a_herd_of_reads_to_the_database(seed: int) -> None:
    trace = run("expiry-herd", seed)
    assert invariants(trace) == {"stampede"}
    ttl = min(e["seq"] for e in trace["events"] if e["kind"] == "timer" and e["timer"] == "ttl")
    assert any(v["seq"] > ttl for v in trace["violations"])  # A herd at the expiry, not only when cold.
    assert trace["summary"]["peak_db_reads"] >= 3 and trace["summary"]["stale_served"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_single_flight_makes_one_database_read_per_expiry(seed: int) -> None:
    trace = run("expiry-single-flight", seed)
    herd = run("expiry-herd", seed)
    assert invariants(trace) == set() and trace["summary"]["peak_db_reads"] == 1
    assert trace["summary"]["db_reads"] < herd["summary"]["db_reads"]


@pytest.mark.parametrize("seed", SEEDS)
def test_leases_make_one_read_and_serve_the_others_stale_or_retry(seed: int) -> None:
    trace = run("expiry-lease", seed)
    assert invariants(trace) == set() and trace["summary"]["peak_db_reads"] == 1
    assert trace["summary"]["stale_served"] > 0
    assert any(e["kind"] == "send" and e["message"]["type"] == "retry" for e in trace["events"])


@pytest.mark.parametrize("seed", SEEDS)
def test_xfetch_refreshes_before_the_expiry_and_nobody_misses(seed: int) -> None:
    trace = run("expiry-xfetch", seed)
    figures = trace["summary"]
    herd = run(seed=seed, **{**sp.SPEC.scenario("expiry-xfetch").params, "remedy": "none"})["summary"]
    # Every database read was an early one: no reader missed, every expiry was refreshed in time.
    assert figures["early_refreshes"] > 0 and figures["db_reads"] == figures["early_refreshes"]
    assert not any(e["kind"] == "send" and e["message"]["type"] == "get_ok" and not e["message"]["body"]["hit"]
                   for e in trace["events"])
    assert 1 <= figures["peak_db_reads"] < herd["peak_db_reads"] and figures["stale_served"] == 0
    assert invariants(trace) <= {"stampede"}  # Two readers may draw early together: a small herd, reported.


def test_the_comparison_shows_the_herd_only_without_a_remedy() -> None:
    preset = next(p for p in PRESETS if p["name"] == "stampede-remedies")
    remedies = [r.split("=")[-1] for r in preset["runs"]]
    assert remedies == ["none", "single-flight", "xfetch", "lease"]
    xfetch_peaks = []
    for seed in SEEDS:
        figures = {remedy: run(seed=seed, **{**preset["params"], "remedy": remedy})["summary"]
                   for remedy in remedies}
        peaks = {remedy: f["peak_db_reads"] for remedy, f in figures.items()}
        assert peaks["none"] >= 4 and peaks["single-flight"] == 1 and peaks["lease"] == 1, (seed, peaks)
        assert peaks["xfetch"] < peaks["none"] and figures["xfetch"]["early_refreshes"] > 0, (seed, peaks)
        xfetch_peaks.append(peaks["xfetch"])
    assert sorted(xfetch_peaks)[len(SEEDS) // 2] <= 2, xfetch_peaks  # Typically one early reader, or two.


# ------------------------------------------------------------- the property


@st.composite
def herd_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A drawn single-flight run: any readers, caches, timing and a lossy, duplicating network."""
    low, high = sorted(draw(st.lists(st.integers(0, 40), min_size=2, max_size=2)))
    params = {"remedy": "single-flight", "clients": draw(st.integers(1, 8)), "caches": draw(st.integers(1, 3)),
              "ops_per_client": draw(st.integers(0, 6)), "think_ms": draw(st.sampled_from([0, 5, 20])),
              "timeout_ms": draw(st.sampled_from([20, 100, 300])), "ttl_ms": draw(st.sampled_from([1, 30, 200])),
              "query_ms": draw(st.sampled_from([1, 20, 80])), "delay_ms_min": low, "delay_ms_max": high,
              "loss_probability": draw(s.PROBABILITIES), "duplicate_probability": draw(s.PROBABILITIES),
              "fifo": draw(st.booleans())}
    return {"seed": draw(s.SEEDS), "params": params, "chaos": 0.0, "faults": []}


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(herd_runs())
def test_single_flight_never_has_two_reads_of_the_key_in_flight_from_one_cache(run_: dict[str, Any]) -> None:
    engine = simulate_run(SPEC, run_, 4_000)
    assert engine.quiescent or engine.truncated
    trace = build_trace(engine)
    herd = [v for v in trace["violations"] if v["invariant"] == "stampede"]
    assert not herd, f"{[words(v) for v in herd]}\nrun={json.dumps(run_, sort_keys=True)}"
    if len(trace["events"]) <= 1_500:  # The schema check of a 4,000-event trace takes seconds: the smaller ones.
        assert_valid_trace(trace)
    assert replay(SPEC, trace).log == engine.log


def test_a_duplicated_old_answer_does_not_end_the_flight_in_hand() -> None:
    # Found by a fresh-clone CI run of the property above: a duplicated database answer filled the cache a
    # second time while another flight was out, ended it, and the TTL of 1 ms sent the next reader to the
    # database beside the first. Fills now carry their flight's number.
    params = {"caches": 3, "clients": 8, "delay_ms_max": 10, "delay_ms_min": 0, "duplicate_probability": 0.3,
              "loss_probability": 0.05, "ops_per_client": 3, "query_ms": 20, "remedy": "single-flight",
              "think_ms": 0, "timeout_ms": 300, "ttl_ms": 1, "fifo": False}
    engine = Engine(sp.SPEC, params, seed=10, max_events=4_000)
    engine.run()
    trace = build_trace(engine)
    assert [words(v) for v in trace["violations"] if v["invariant"] == "stampede"] == []


@st.composite
def xfetch_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A drawn xfetch run: any readers, caches, timing, beta, warm or cold, and a lossy, duplicating network."""
    low, high = sorted(draw(st.lists(st.integers(0, 40), min_size=2, max_size=2)))
    params = {"remedy": "xfetch", "clients": draw(st.integers(1, 8)), "caches": draw(st.integers(1, 3)),
              "ops_per_client": draw(st.integers(0, 6)), "think_ms": draw(st.sampled_from([0, 5, 20])),
              "timeout_ms": draw(st.sampled_from([20, 100, 300])), "ttl_ms": draw(st.sampled_from([1, 30, 200])),
              "query_ms": draw(st.sampled_from([1, 20, 80])), "beta": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
              "warm": draw(st.booleans()), "delay_ms_min": low, "delay_ms_max": high,
              "loss_probability": draw(s.PROBABILITIES), "duplicate_probability": draw(s.PROBABILITIES),
              "fifo": draw(st.booleans())}
    return {"seed": draw(s.SEEDS), "params": params, "chaos": 0.0, "faults": []}


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(xfetch_runs())
def test_xfetch_never_holds_a_reader_nor_serves_an_expired_value(run_: dict[str, Any]) -> None:
    # What XFetch does guarantee: no reader waits for another's fetch (a cache never holds one: it is never
    # filling and keeps no waiters), no expired value is served, and every xfetch entry carries its delta and
    # expiry. The herd it only makes unlikely is not claimed here (the explorer shows it can happen).
    engine = simulate_run(SPEC, run_, 4_000)
    assert engine.quiescent or engine.truncated
    trace = build_trace(engine)
    caches = [e["state"] for e in trace["events"] if e["kind"] == "state" and e["node"].startswith("cache")]
    assert all(c["phase"] in ("empty", "fresh") and c["waiters"] == [] for c in caches), run_
    assert all(set(c["entries"].get("k0", {"delta": 0, "expiry": 0})) >= {"delta", "expiry"} for c in caches)
    assert trace["summary"]["stale_served"] == 0
    assert {v["invariant"] for v in trace["violations"]} <= {"stampede"}
    if len(trace["events"]) <= 1_500:
        assert_valid_trace(trace)
    assert replay(SPEC, trace).log == engine.log
