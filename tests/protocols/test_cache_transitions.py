"""Every row of the four cache policies' transition tables, fired by hand.

Rows are keyed ``(protocol, role, phase, input)``. A test registers the rows
it covers (shared rows, such as the client's, are covered once per table it
runs against); a row without a test fails the suite. Ignore rows are all
fired by one test that insists they change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Input,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
)
from protocols.cache import CACHE_ASIDE, WRITE_AROUND, WRITE_BACK, WRITE_BEHIND, WRITE_THROUGH
from protocols.cache import WRITE_POLICIES as SPECS
from protocols.spec import ProtocolSpec
from tests.protocols import table_support as support
from tests.protocols.table_support import RowRegistry, fire_table, sends, table_rows

NOW = 1_000
BY_NAME = {spec.name: spec for spec in SPECS}
ROWS = RowRegistry({(spec.name, *row) for spec in SPECS
                    for row in table_rows(spec.table, {"client"} if spec is WRITE_BEHIND else None)}, "cache policies")
"""Write-behind's cache and database rows are tested in test_cache_write_behind.py, with their own registry."""
PROXIES = (WRITE_THROUGH, WRITE_BACK, WRITE_AROUND)
"""The policies whose caches share the proxy's read path (phase ``serving``); write-behind's writer has its own."""
CLIENTS_OF_PROXIES = (*PROXIES, WRITE_BEHIND)


def covers(specs: tuple[ProtocolSpec, ...], *rows: tuple[str, str, str]) -> Callable[[Any], Any]:
    """Register the rows a test exercises in each of ``specs``; an unknown row is an error at import."""
    return ROWS.covers(*{(spec.name, *row) for spec in specs for row in rows})


def context(spec: ProtocolSpec, node: str, **params: Any) -> Context:
    return support.context(spec, node, **params)


def state(spec: ProtocolSpec, ctx: Context, **fields: Any) -> dict[str, Any]:
    return {**spec.initial_state(ctx), **fields}


def msg(type_: str, src: str, dest: str, body: dict[str, Any] | None = None, msg_id: str = "m9") -> Receive:
    return support.receive(type_, src, dest, body, msg_id)


def fire(spec: ProtocolSpec, ctx: Context, st: Any, event: Input, now: int = NOW) -> tuple[Any, list[Effect]]:
    return fire_table(spec.table, ctx, st, event, now)


def waiting_client(spec: ProtocolSpec, op: dict[str, Any], step: str = "cache", **params: Any) -> tuple[Context, Any]:
    ctx = context(spec, "c1", **params)
    return ctx, state(spec, ctx, phase="waiting", n=op["n"], op=op, step=step)


READ1 = {"n": 1, "op": "read", "key": "k0"}
WRITE1 = {"n": 1, "op": "write", "key": "k0", "value": "c1:1"}

# ------------------------------------------------------------------ clients


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@covers(SPECS, ("client", "idle", "start"))
def test_a_client_seeds_its_stream_and_thinks_before_its_first_operation(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1", think_ms=25)
    new, effects = fire(spec, ctx, state(spec, ctx), Start(draw=0.5))
    assert new["phase"] == "idle" and new["rng"] != 0
    assert effects == [SetTimer(name="think", delay_ms=25)]
    idle = context(spec, "c1", ops_per_client=0)
    new, effects = fire(spec, idle, state(spec, idle), Start(draw=0.5))
    assert new["phase"] == "done" and effects == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@covers(SPECS, ("client", "idle", "timer:think"))
def test_thinking_ends_in_the_next_operation_with_a_timeout(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c3", caches=2, clients=3, script="c3: r k1, w k1")
    new, effects = fire(spec, ctx, state(spec, ctx, rng=7), TimerFired(name="think"))
    assert new["phase"] == "waiting" and new["op"] == {"n": 1, "op": "read", "key": "k1"}
    assert effects[0] == Send(dest="cache1", type="get", body={"key": "k1", "n": 1})  # c3 -> cache ((3-1) mod 2)+1
    assert effects[1] == SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])
    new, effects = fire(spec, ctx, {**new, "phase": "idle", "op": None}, TimerFired(name="think"))
    assert new["op"] == {"n": 2, "op": "write", "key": "k1", "value": "c3:2"}
    want = (Send(dest="db", type="db_write", body={"key": "k1", "value": "c3:2", "echo": {"n": 2}})
            if spec is CACHE_ASIDE else Send(dest="cache1", type="put", body={"key": "k1", "value": "c3:2", "n": 2}))
    assert effects[0] == want


def test_the_random_workload_is_the_same_for_every_policy() -> None:
    ops = []
    for spec in SPECS:
        ctx = context(spec, "c2")
        st, _ = fire(spec, ctx, state(spec, ctx), Start(draw=0.25))
        drawn = []
        for _ in range(6):
            st, _ = fire(spec, ctx, {**st, "phase": "idle"}, TimerFired(name="think"))
            drawn.append(st["op"])
        ops.append(drawn)
    assert all(o == ops[0] for o in ops) and len({o["key"] for o in ops[0]}) > 1


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@covers(SPECS, ("client", "waiting", "timer:timeout"))
def test_a_timeout_gives_the_operation_up_and_moves_on(spec: ProtocolSpec) -> None:
    ctx, st = waiting_client(spec, WRITE1)
    new, effects = fire(spec, ctx, st, TimerFired(name="timeout"))
    assert new["phase"] == "idle" and new["op"] is None
    assert new["last"] == {"n": 1, "op": "write", "key": "k0", "value": "c1:1", "ok": False, "why": "timeout",
                           "definite": False}
    assert SetTimer(name="think", delay_ms=ctx.params["think_ms"]) in effects
    ctx, st = waiting_client(spec, READ1, ops_per_client=1)
    new, _ = fire(spec, ctx, st, TimerFired(name="timeout"))
    assert new["phase"] == "done"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@covers(SPECS, ("client", "*", "recover"))
def test_a_recovered_client_does_not_resume_its_workload(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1")
    new, effects = fire(spec, ctx, state(spec, ctx), Recover(durable=()))
    assert new["phase"] == "done" and effects == []


@pytest.mark.parametrize("spec", CLIENTS_OF_PROXIES, ids=lambda s: s.name)
@covers(CLIENTS_OF_PROXIES, ("client", "waiting", "msg:get_ok"), ("client", "waiting", "msg:put_ok"),
        ("client", "waiting", "msg:error"))
def test_a_proxy_client_takes_its_answer(spec: ProtocolSpec) -> None:
    ctx, st = waiting_client(spec, READ1)
    new, effects = fire(spec, ctx, st, msg("get_ok", "cache1", "c1", {"key": "k0", "value": "c2:4", "hit": True,
                                                                       "n": 1}))
    assert new["phase"] == "idle" and new["last"]["value"] == "c2:4" and new["last"]["hit"] is True
    assert CancelTimer(name="timeout") in effects
    late, _ = fire(spec, ctx, st, msg("get_ok", "cache1", "c1", {"key": "k0", "value": "x", "n": 0}))
    assert late == st  # The answer to an abandoned operation changes nothing.
    ctx, st = waiting_client(spec, WRITE1)
    new, _ = fire(spec, ctx, st, msg("put_ok", "cache1", "c1", {"key": "k0", "n": 1}))
    assert new["last"]["ok"] is True and new["last"]["value"] == "c1:1"
    new, _ = fire(spec, ctx, st, msg("error", "cache1", "c1", {"key": "k0", "n": 1, "code": "busy",
                                                                "definite": True}))
    assert new["last"]["ok"] is False and new["last"]["definite"] is True and new["last"]["why"] == "busy"


@covers((CACHE_ASIDE,), ("client", "waiting", "msg:get_ok"), ("client", "waiting", "msg:db_read_ok"))
def test_an_aside_reader_loads_a_miss_from_the_database_and_fills_the_cache() -> None:
    spec = CACHE_ASIDE
    ctx, st = waiting_client(spec, READ1)
    hit, _ = fire(spec, ctx, st, msg("get_ok", "cache1", "c1", {"key": "k0", "value": "v", "hit": True, "n": 1}))
    assert hit["phase"] == "idle" and hit["last"]["hit"] is True
    miss, effects = fire(spec, ctx, st, msg("get_ok", "cache1", "c1", {"key": "k0", "hit": False, "n": 1}))
    assert miss["step"] == "db" and effects == [Send(dest="db", type="db_read", body={"key": "k0", "echo": {"n": 1}})]
    again, _ = fire(spec, ctx, miss, msg("get_ok", "cache1", "c1", {"key": "k0", "hit": False, "n": 1}))
    assert again == miss  # A duplicated miss answer belongs to a step already passed.
    done, effects = fire(spec, ctx, miss, msg("db_read_ok", "db", "c1", {"key": "k0", "value": "v", "ver": 3,
                                                                          "echo": {"n": 1}}))
    assert effects[0] == Send(dest="cache1", type="fill", body={"key": "k0", "value": "v", "ver": 3})
    assert done["last"] == {"n": 1, "op": "read", "key": "k0", "value": "v", "ok": True, "hit": False}


@covers((CACHE_ASIDE,), ("client", "waiting", "msg:db_write_ok"), ("client", "waiting", "msg:delete_ok"),
        ("client", "waiting", "timer:double_delete"))
def test_an_aside_writer_updates_the_database_then_deletes_the_key() -> None:
    spec = CACHE_ASIDE
    ctx, st = waiting_client(spec, WRITE1, step="db")
    deleting, effects = fire(spec, ctx, st, msg("db_write_ok", "db", "c1", {"key": "k0", "ver": 4, "echo": {"n": 1}}))
    assert deleting["step"] == "delete"
    assert effects == [Send(dest="cache1", type="delete", body={"key": "k0", "ver": 4, "n": 1})]
    done, _ = fire(spec, ctx, deleting, msg("delete_ok", "cache1", "c1", {"key": "k0", "n": 1}))
    assert done["phase"] == "idle" and done["last"]["ok"] is True
    ctx = context(spec, "c1", remedy="delayed-double-delete", double_delete_ms=40)
    waiting, effects = fire(spec, ctx, deleting, msg("delete_ok", "cache1", "c1", {"key": "k0", "n": 1}))
    assert waiting["step"] == "wait" and effects == [SetTimer(name="double_delete", delay_ms=40)]
    second, effects = fire(spec, ctx, waiting, TimerFired(name="double_delete"))
    assert second["step"] == "delete2"
    assert effects == [Send(dest="cache1", type="delete", body={"key": "k0", "ver": 4, "n": 1})]
    done, _ = fire(spec, ctx, second, msg("delete_ok", "cache1", "c1", {"key": "k0", "n": 1}))
    assert done["phase"] == "idle"


IGNORE_ROWS = {(spec.name, r.role, r.phase, r.on) for spec in SPECS for r in spec.table.rows if r.ignore}
"""Registered when the module is read, not as the test runs: under pytest-xdist the coverage test may run in
another worker than this one (a fresh-clone CI run failed so)."""


@ROWS.covers(*(IGNORE_ROWS & ROWS.rows))
def test_every_ignore_row_changes_nothing() -> None:
    for spec in SPECS:
        for row in spec.table.rows:
            if not row.ignore:
                continue
            phase = row.phase if row.phase != "*" else "idle"
            ctx = context(spec, {"client": "c1", "cache": "cache1", "db": "db"}[row.role])
            st = state(spec, ctx, phase=phase)
            event: Input = Start(draw=0.1) if row.on == "start" else msg(row.on[4:], "cache1", ctx.node,
                                                                          {"key": "k0", "n": 1})
            assert fire(spec, ctx, st, event) == (st, []), (spec.name, row)
            assert row.why, f"{spec.name} {row}: an ignore row must say why"


# ------------------------------------------------------------- the database

DB_SPECS = (WRITE_THROUGH, WRITE_AROUND, CACHE_ASIDE)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@covers(tuple(s for s in SPECS if s is not WRITE_BEHIND), ("db", "up", "msg:db_read"))
def test_the_database_answers_reads_with_value_and_version(spec: ProtocolSpec) -> None:
    ctx = context(spec, "db")
    st = state(spec, ctx, data={"k0": {"v": "c1:1", "ver": 2}})
    _, effects = fire(spec, ctx, st, msg("db_read", "cache1", "db", {"key": "k0", "echo": {"n": 3}}))
    assert effects == [Send(dest="cache1", type="db_read_ok", in_reply_to="m9",
                            body={"key": "k0", "value": "c1:1", "ver": 2, "echo": {"n": 3}})]
    _, effects = fire(spec, ctx, st, msg("db_read", "cache1", "db", {"key": "k9"}))
    assert sends(effects)[0].body["value"] is None and sends(effects)[0].body["ver"] == 0


@pytest.mark.parametrize("spec", DB_SPECS, ids=lambda s: s.name)
@covers(DB_SPECS, ("db", "up", "msg:db_write"), ("db", "*", "recover"))
def test_the_database_forces_a_write_before_acknowledging_it_and_replays_its_log(spec: ProtocolSpec) -> None:
    ctx = context(spec, "db")
    st = state(spec, ctx, data={"k0": {"v": "c1:1", "ver": 2}})
    new, effects = fire(spec, ctx, st, msg("db_write", "cache2", "db", {"key": "k0", "value": "c2:1",
                                                                        "echo": {"n": 1}}))
    record = {"type": "write", "key": "k0", "value": "c2:1", "ver": 3}
    assert new["data"]["k0"] == {"v": "c2:1", "ver": 3}
    assert effects == [Persist(record=record), Send(dest="cache2", type="db_write_ok", in_reply_to="m9",
                                                     body={"key": "k0", "ver": 3, "echo": {"n": 1}})]
    back, effects = fire(spec, ctx, state(spec, ctx), Recover(durable=({"type": "write", "key": "k0", "value": "a",
                                                                        "ver": 1}, record)))
    assert back["data"] == {"k0": {"v": "c2:1", "ver": 3}} and effects == []


# ---------------------------------------------------------- the proxies' reads


@pytest.mark.parametrize("spec", PROXIES, ids=lambda s: s.name)
@covers(PROXIES, ("cache", "serving", "msg:get"), ("cache", "serving", "msg:db_read_ok"),
        ("cache", "*", "recover"))
def test_a_proxy_answers_hits_and_fills_misses(spec: ProtocolSpec) -> None:
    ctx = context(spec, "cache1", capacity=2)
    st = state(spec, ctx, entries={"k0": {"v": "a", "ver": 1}, "k1": {"v": "b", "ver": 1}}, lru=["k0", "k1"])
    new, effects = fire(spec, ctx, st, msg("get", "c1", "cache1", {"key": "k0", "n": 4}))
    assert new["lru"] == ["k1", "k0"]
    assert effects == [Send(dest="c1", type="get_ok", in_reply_to="m9",
                            body={"key": "k0", "value": "a", "ver": 1, "hit": True, "n": 4})]
    _, effects = fire(spec, ctx, st, msg("get", "c1", "cache1", {"key": "k2", "n": 5}))
    assert effects == [Send(dest="db", type="db_read",
                            body={"key": "k2", "echo": {"client": "c1", "n": 5, "req": "m9"}})]
    answer = {"key": "k2", "value": "c", "ver": 3, "echo": {"client": "c1", "n": 5, "req": "m7"}}
    new, effects = fire(spec, ctx, st, msg("db_read_ok", "db", "cache1", answer))
    assert new["entries"] == {"k1": {"v": "b", "ver": 1}, "k2": {"v": "c", "ver": 3}}  # LRU k0 evicted.
    assert sends(effects)[-1] == Send(dest="c1", type="get_ok", in_reply_to="m7",
                                      body={"key": "k2", "value": "c", "ver": 3, "hit": False, "n": 5})
    stale = {**answer, "key": "k0", "ver": 0}
    new, _ = fire(spec, ctx, {**st, "seen": {"k0": 1}}, msg("db_read_ok", "db", "cache1", stale))
    assert new["entries"]["k0"] == {"v": "a", "ver": 1}  # An older fill never replaces a newer copy.
    back, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=()))
    assert back["entries"] == {} and effects == []


# ------------------------------------------------------------- write-through


@covers((WRITE_THROUGH,), ("cache", "serving", "msg:put"), ("cache", "serving", "msg:db_write_ok"))
def test_write_through_acknowledges_only_after_the_database() -> None:
    spec = WRITE_THROUGH
    ctx = context(spec, "cache1")
    st = state(spec, ctx)
    same, effects = fire(spec, ctx, st, msg("put", "c1", "cache1", {"key": "k0", "value": "c1:1", "n": 1}))
    echo = {"client": "c1", "n": 1, "req": "m9", "value": "c1:1"}
    assert same == st and effects == [Send(dest="db", type="db_write",
                                           body={"key": "k0", "value": "c1:1", "echo": echo})]
    new, effects = fire(spec, ctx, st, msg("db_write_ok", "db", "cache1", {"key": "k0", "ver": 5, "echo": echo}))
    assert new["entries"]["k0"] == {"v": "c1:1", "ver": 5}
    assert effects == [Send(dest="c1", type="put_ok", body={"key": "k0", "n": 1}, in_reply_to="m9")]


@covers((WRITE_THROUGH,), ("cache", "serving", "msg:db_write_ok"), ("cache", "serving", "msg:invalidate_ok"),
        ("cache", "serving", "msg:invalidate"), ("cache", "serving", "timer:inval_sweep"))
def test_broadcast_invalidation_waits_for_every_peer() -> None:
    spec = WRITE_THROUGH
    ctx = context(spec, "cache1", caches=3, invalidation="broadcast", timeout_ms=300)
    echo = {"client": "c1", "n": 1, "req": "m3", "value": "c1:1"}
    st, effects = fire(spec, ctx, state(spec, ctx), msg("db_write_ok", "db", "cache1",
                                                        {"key": "k0", "ver": 5, "echo": echo}))
    token = "cache1/m3"
    assert [(s.dest, s.type, s.body) for s in sends(effects)] == [
        (p, "invalidate", {"key": "k0", "ver": 5, "token": token}) for p in ("cache2", "cache3")]
    assert SetTimer(name="inval_sweep", delay_ms=150) in effects
    st, effects = fire(spec, ctx, st, msg("invalidate_ok", "cache2", "cache1", {"token": token}))
    assert effects == [] and st["inval"][token]["left"] == ["cache3"]
    again, effects = fire(spec, ctx, st, msg("invalidate_ok", "cache2", "cache1", {"token": token}))
    assert again == st and effects == []
    done, effects = fire(spec, ctx, st, msg("invalidate_ok", "cache3", "cache1", {"token": token}))
    assert done["inval"] == {}
    assert effects == [Send(dest="c1", type="put_ok", body={"key": "k0", "n": 1}, in_reply_to="m3"),
                       CancelTimer(name="inval_sweep")]
    # A peer that never answers: the sweep answers the write with an error (it is in the database).
    swept, effects = fire(spec, ctx, st, TimerFired(name="inval_sweep"), now=NOW + 150)
    assert swept["inval"] == {}
    assert effects == [Send(dest="c1", type="error", in_reply_to="m3", body={
        "key": "k0", "n": 1, "code": "invalidation-unconfirmed", "definite": False})]
    young, effects = fire(spec, ctx, st, TimerFired(name="inval_sweep"), now=NOW + 10)
    assert young == st and effects == [SetTimer(name="inval_sweep", delay_ms=150)]
    # The peer's side: drop an older copy, remember the version, confirm.
    peer = context(spec, "cache2", caches=3, invalidation="broadcast")
    pst = state(spec, peer, entries={"k0": {"v": "old", "ver": 4}}, lru=["k0"])
    new, effects = fire(spec, peer, pst, msg("invalidate", "cache1", "cache2", {"key": "k0", "ver": 5,
                                                                                "token": token}))
    assert new["entries"] == {} and new["seen"] == {"k0": 5}
    assert effects == [Send(dest="cache1", type="invalidate_ok", body={"token": token}, in_reply_to="m9")]


# ------------------------------------------------------------- write-around


@covers((WRITE_AROUND,), ("cache", "serving", "msg:put"), ("cache", "serving", "msg:db_write_ok"))
def test_write_around_bypasses_the_cache_and_drops_the_writers_copy() -> None:
    spec = WRITE_AROUND
    ctx = context(spec, "cache1")
    st = state(spec, ctx, entries={"k0": {"v": "old", "ver": 1}}, lru=["k0"])
    same, effects = fire(spec, ctx, st, msg("put", "c1", "cache1", {"key": "k0", "value": "c1:1", "n": 2}))
    assert same == st
    assert effects == [Send(dest="db", type="db_write", body={"key": "k0", "value": "c1:1",
                                                              "echo": {"client": "c1", "n": 2, "req": "m9"}})]
    new, effects = fire(spec, ctx, st, msg("db_write_ok", "db", "cache1", {"key": "k0", "ver": 2, "echo": {
        "client": "c1", "n": 2, "req": "m9"}}))
    assert new["entries"] == {} and new["seen"] == {"k0": 2}
    assert effects == [Send(dest="c1", type="put_ok", body={"key": "k0", "n": 2}, in_reply_to="m9")]


# ---------------------------------------------------------------- write-back

WB = (WRITE_BACK,)


def wb_cache(node: str = "cache1", **fields: Any) -> tuple[Context, Any]:
    ctx = context(WRITE_BACK, node, caches=2)
    return ctx, state(WRITE_BACK, ctx, **fields)


@covers(WB, ("cache", "serving", "msg:put"))
def test_write_back_acknowledges_an_owned_write_at_once_and_claims_the_others() -> None:
    owned = {"k0": {"v": "a", "dirty": False, "own": True, "ep": 2, "seq": 3, "ver": 4}}
    ctx, st = wb_cache(entries=owned, lru=["k0"])
    new, effects = fire(WRITE_BACK, ctx, st, msg("put", "c1", "cache1", {"key": "k0", "value": "c1:1", "n": 1}))
    assert new["entries"]["k0"] == {**owned["k0"], "v": "c1:1", "dirty": True, "seq": 4}
    assert effects == [Send(dest="c1", type="put_ok", body={"key": "k0", "n": 1}, in_reply_to="m9"),
                       SetTimer(name="flush", delay_ms=ctx.params["flush_interval_ms"])]
    new, effects = fire(WRITE_BACK, ctx, st, msg("put", "c1", "cache1", {"key": "k1", "value": "c1:2", "n": 2}))
    assert new["claims"] == {"k1": {"q": [["c1", 2, "m9", "c1:2"]], "t": NOW}}
    assert effects == [Send(dest="db", type="claim", body={"key": "k1", "tok": "m9"})]
    more, effects = fire(WRITE_BACK, ctx, new, msg("put", "c3", "cache1", {"key": "k1", "value": "c3:1", "n": 1},
                                                   msg_id="m10"))
    assert len(more["claims"]["k1"]["q"]) == 2 and effects == []  # One claim is on its way already.


@covers(WB, ("cache", "serving", "msg:grant"))
def test_a_grant_applies_the_queued_writes_unless_it_is_stale() -> None:
    queue = {"k1": {"q": [["c1", 2, "m5", "c1:2"], ["c3", 1, "m6", "c3:1"]], "t": NOW}}
    ctx, st = wb_cache(claims=queue)
    new, effects = fire(WRITE_BACK, ctx, st, msg("grant", "db", "cache1", {"key": "k1", "ep": 3, "tok": "m5"}))
    assert new["entries"]["k1"] == {"v": "c3:1", "dirty": True, "own": True, "ep": 3, "seq": 2}
    assert new["claims"] == {}
    assert [s.dest for s in sends(effects)] == ["c1", "c3"] and new["flushing"] is True
    # Recalled before it arrived (the network reordered): claim again instead.
    recalled = {**st, "recalled": {"k1": 3}}
    new, effects = fire(WRITE_BACK, ctx, recalled, msg("grant", "db", "cache1", {"key": "k1", "ep": 3, "tok": "m5"}))
    assert new["entries"] == {} and effects == [Send(dest="db", type="claim", body={"key": "k1", "tok": "m6"})]
    # Meant for this cache before a crash: nobody waits, so the key goes straight back.
    fresh = state(WRITE_BACK, ctx)
    new, effects = fire(WRITE_BACK, ctx, fresh, msg("grant", "db", "cache1", {"key": "k1", "ep": 3, "tok": "m1"}))
    assert new == fresh
    assert effects == [Send(dest="db", type="flush", body={"key": "k1", "ep": 3, "seq": 0, "release": True})]
    stale, effects = fire(WRITE_BACK, ctx, st, msg("grant", "db", "cache1", {"key": "k1", "ep": 3, "tok": "m1"}))
    assert stale == st and effects == []


@covers(WB, ("cache", "serving", "msg:claim_fail"))
def test_a_refused_claim_fails_the_queued_writes_definitely() -> None:
    queue = {"k1": {"q": [["c1", 2, "m5", "c1:2"]], "t": NOW}}
    ctx, st = wb_cache(claims=queue)
    new, effects = fire(WRITE_BACK, ctx, st, msg("claim_fail", "db", "cache1", {"key": "k1", "code": "busy",
                                                                                "tok": "m5"}))
    assert new["claims"] == {}
    assert effects == [Send(dest="c1", type="error", in_reply_to="m5",
                            body={"key": "k1", "n": 2, "code": "busy", "definite": True})]
    old, effects = fire(WRITE_BACK, ctx, st, msg("claim_fail", "db", "cache1", {"key": "k1", "tok": "m0"}))
    assert old == st and effects == []


@covers(WB, ("cache", "serving", "msg:recall"))
def test_a_recall_hands_back_the_dirty_value_and_drops_the_entry() -> None:
    owned = {"k0": {"v": "c1:1", "dirty": True, "own": True, "ep": 2, "seq": 3}}
    ctx, st = wb_cache(entries=owned, lru=["k0"])
    new, effects = fire(WRITE_BACK, ctx, st, msg("recall", "db", "cache1", {"key": "k0", "ep": 2}))
    assert new["entries"] == {} and new["recalled"] == {"k0": 2}
    assert effects == [Send(dest="db", type="recall_ok", in_reply_to="m9",
                            body={"key": "k0", "ep": 2, "seq": 3, "value": "c1:1"})]
    _, effects = fire(WRITE_BACK, ctx, state(WRITE_BACK, ctx), msg("recall", "db", "cache1", {"key": "k0", "ep": 2}))
    assert effects == [Send(dest="db", type="recall_ok", in_reply_to="m9", body={"key": "k0", "ep": 2, "seq": 0})]


@covers(WB, ("cache", "serving", "timer:flush"), ("cache", "serving", "msg:flush_ok"))
def test_the_flush_writes_dirty_entries_back_until_the_database_confirms() -> None:
    entries = {"k0": {"v": "c1:1", "dirty": True, "own": True, "ep": 2, "seq": 3},
               "k1": {"v": "x", "ver": 1}}
    ctx, st = wb_cache(entries=entries, lru=["k0", "k1"], flushing=True)
    new, effects = fire(WRITE_BACK, ctx, st, TimerFired(name="flush"))
    assert effects == [Send(dest="db", type="flush", body={"key": "k0", "value": "c1:1", "ep": 2, "seq": 3,
                                                           "release": False}),
                       SetTimer(name="flush", delay_ms=ctx.params["flush_interval_ms"])]
    assert new["idle"] == 1
    clean, effects = fire(WRITE_BACK, ctx, new, msg("flush_ok", "db", "cache1", {"key": "k0", "ep": 2, "seq": 3,
                                                                                 "ver": 7}))
    assert clean["entries"]["k0"]["dirty"] is False and clean["entries"]["k0"]["ver"] == 7 and clean["idle"] == 0
    rewritten, _ = fire(WRITE_BACK, ctx, new, msg("flush_ok", "db", "cache1", {"key": "k0", "ep": 2, "seq": 2,
                                                                               "ver": 7}))
    assert rewritten["entries"]["k0"]["dirty"] is True  # Written again since that flush.
    stop, effects = fire(WRITE_BACK, ctx, clean, TimerFired(name="flush"))
    assert stop["flushing"] is False and effects == []
    tired, effects = fire(WRITE_BACK, ctx, {**new, "idle": 4}, TimerFired(name="flush"))
    assert tired["flushing"] is False and not any(isinstance(e, SetTimer) for e in effects)
    # The explorer's small model sends one round only (flush_rounds=1): no second round is armed.
    single = context(WRITE_BACK, "cache1", caches=2, flush_rounds=1)
    once, effects = fire(WRITE_BACK, single, st, TimerFired(name="flush"))
    assert once["flushing"] is False and [e.type for e in effects if isinstance(e, Send)] == ["flush"]
    assert not any(isinstance(e, SetTimer) for e in effects)


def wb_db(**fields: Any) -> tuple[Context, Any]:
    ctx = context(WRITE_BACK, "db", caches=2)
    return ctx, state(WRITE_BACK, ctx, **fields)


@covers(WB, ("db", "up", "msg:claim"))
def test_the_directory_grants_free_keys_and_recalls_owned_ones() -> None:
    ctx, st = wb_db()
    new, effects = fire(WRITE_BACK, ctx, st, msg("claim", "cache1", "db", {"key": "k0", "tok": "m5"}))
    assert new["owners"] == {"k0": {"cache": "cache1", "ep": 1}}
    assert effects == [Persist(record={"type": "owner", "key": "k0", "cache": "cache1", "ep": 1}),
                       Send(dest="cache1", type="grant", body={"key": "k0", "ep": 1, "tok": "m5"})]
    held, effects = fire(WRITE_BACK, ctx, new, msg("claim", "cache2", "db", {"key": "k0", "tok": "m6"}))
    assert held["claims"] == {"k0": {"cache": "cache2", "tries": 1, "tok": "m6"}}
    assert effects == [Send(dest="cache1", type="recall", body={"key": "k0", "ep": 1}),
                       SetTimer(name="recall", delay_ms=75)]
    _, effects = fire(WRITE_BACK, ctx, held, msg("claim", "cache2", "db", {"key": "k0", "tok": "m7"}))
    assert effects == []
    _, effects = fire(WRITE_BACK, ctx, held, msg("claim", "cache3", "db", {"key": "k0", "tok": "m8"}))
    assert effects == [Send(dest="cache3", type="claim_fail", body={"key": "k0", "code": "ownership-busy",
                                                                    "tok": "m8"})]


@covers(WB, ("db", "up", "msg:recall_ok"))
def test_a_recalled_value_is_applied_and_the_key_granted_to_the_claimer() -> None:
    ctx, st = wb_db(owners={"k0": {"cache": "cache1", "ep": 1}},
                    claims={"k0": {"cache": "cache2", "tries": 1, "tok": "m6"}})
    new, effects = fire(WRITE_BACK, ctx, st, msg("recall_ok", "cache1", "db", {"key": "k0", "ep": 1, "seq": 2,
                                                                               "value": "c1:3"}))
    assert new["data"]["k0"] == {"v": "c1:3", "ver": 1} and new["applied"] == {"k0": [1, 2]}
    assert new["owners"]["k0"] == {"cache": "cache2", "ep": 2} and new["claims"] == {}
    assert effects[0] == Persist(record={"type": "write", "key": "k0", "value": "c1:3", "ver": 1, "ep": 1, "seq": 2})
    assert effects[-1] == Send(dest="cache2", type="grant", body={"key": "k0", "ep": 2, "tok": "m6"})
    late, effects = fire(WRITE_BACK, ctx, new, msg("recall_ok", "cache1", "db", {"key": "k0", "ep": 1, "seq": 2}))
    assert late == new and effects == []


@covers(WB, ("db", "up", "msg:flush"))
def test_flushes_apply_only_newer_values_and_a_release_frees_the_key() -> None:
    ctx, st = wb_db(owners={"k0": {"cache": "cache1", "ep": 2}}, applied={"k0": [2, 3]},
                    data={"k0": {"v": "c1:3", "ver": 4}})
    new, effects = fire(WRITE_BACK, ctx, st, msg("flush", "cache1", "db", {"key": "k0", "value": "c1:5", "ep": 2,
                                                                           "seq": 5, "release": False}))
    assert new["data"]["k0"] == {"v": "c1:5", "ver": 5} and new["applied"]["k0"] == [2, 5]
    assert effects[-1] == Send(dest="cache1", type="flush_ok", in_reply_to="m9",
                               body={"key": "k0", "ep": 2, "seq": 5, "ver": 5})
    old, effects = fire(WRITE_BACK, ctx, st, msg("flush", "cache1", "db", {"key": "k0", "value": "c1:2", "ep": 2,
                                                                           "seq": 2, "release": False}))
    assert old["data"] == st["data"] and not any(isinstance(e, Persist) for e in effects)
    freed, effects = fire(WRITE_BACK, ctx, st, msg("flush", "cache1", "db", {"key": "k0", "ep": 2, "seq": 3,
                                                                             "release": True}))
    assert freed["owners"]["k0"] == {"cache": None, "ep": 2}
    assert effects == [Persist(record={"type": "owner", "key": "k0", "cache": None, "ep": 2})]


@covers(WB, ("db", "up", "timer:recall"), ("db", "*", "recover"))
def test_silent_owners_are_recalled_a_few_times_then_the_claim_fails() -> None:
    ctx, st = wb_db(owners={"k0": {"cache": "cache1", "ep": 1}},
                    claims={"k0": {"cache": "cache2", "tries": 1, "tok": "m6"}})
    again, effects = fire(WRITE_BACK, ctx, st, TimerFired(name="recall"))
    assert again["claims"]["k0"]["tries"] == 2
    assert effects == [Send(dest="cache1", type="recall", body={"key": "k0", "ep": 1}),
                       SetTimer(name="recall", delay_ms=75)]
    tired = {**st, "claims": {"k0": {"cache": "cache2", "tries": 3, "tok": "m6"}}}
    done, effects = fire(WRITE_BACK, ctx, tired, TimerFired(name="recall"))
    assert done["claims"] == {}
    assert effects == [Send(dest="cache2", type="claim_fail", body={"key": "k0", "code": "owner-unreachable",
                                                                    "tok": "m6"})]
    log = ({"type": "owner", "key": "k0", "cache": "cache1", "ep": 1},
           {"type": "write", "key": "k0", "value": "c1:3", "ver": 1, "ep": 1, "seq": 2})
    back, _ = fire(WRITE_BACK, ctx, state(WRITE_BACK, ctx), Recover(durable=log))
    assert back["owners"] == {"k0": {"cache": "cache1", "ep": 1}} and back["applied"] == {"k0": [1, 2]}
    assert back["data"] == {"k0": {"v": "c1:3", "ver": 1}} and back["claims"] == {}


# --------------------------------------------------------------- cache-aside

CA = (CACHE_ASIDE,)


def ca_cache(**params: Any) -> tuple[Context, Any]:
    ctx = context(CACHE_ASIDE, "cache1", **params)
    return ctx, state(CACHE_ASIDE, ctx)


@covers(CA, ("cache", "serving", "msg:get"))
def test_the_aside_cache_answers_live_entries_and_misses_expired_ones() -> None:
    ctx, st = ca_cache()
    st = {**st, "entries": {"k0": {"v": "a", "ver": 1, "exp": NOW + 5}}, "lru": ["k0"]}
    _, effects = fire(CACHE_ASIDE, ctx, st, msg("get", "c1", "cache1", {"key": "k0", "n": 2}))
    assert effects == [Send(dest="c1", type="get_ok", in_reply_to="m9",
                            body={"key": "k0", "value": "a", "ver": 1, "hit": True, "n": 2})]
    gone, effects = fire(CACHE_ASIDE, ctx, st, msg("get", "c1", "cache1", {"key": "k0", "n": 2}), now=NOW + 5)
    assert gone["entries"] == {}
    assert effects == [Send(dest="c1", type="get_ok", in_reply_to="m9", body={"key": "k0", "hit": False, "n": 2})]


@covers(CA, ("cache", "serving", "msg:fill"), ("cache", "serving", "msg:delete"))
def test_fills_live_for_their_ttl_and_versioned_fills_refuse_the_stale() -> None:
    ctx, st = ca_cache(ttl_ms=200)
    filled, effects = fire(CACHE_ASIDE, ctx, st, msg("fill", "c1", "cache1", {"key": "k0", "value": "a", "ver": 1}))
    assert filled["entries"]["k0"] == {"v": "a", "ver": 1, "exp": NOW + 200} and filled["next_exp"] == NOW + 200
    assert effects == [SetTimer(name="expire", delay_ms=200)]
    deleted, effects = fire(CACHE_ASIDE, ctx, filled, msg("delete", "c2", "cache1", {"key": "k0", "ver": 2, "n": 1}))
    assert deleted["entries"] == {} and deleted["seen"] == {}
    assert effects == [Send(dest="c2", type="delete_ok", body={"key": "k0", "n": 1}, in_reply_to="m9")]
    stale = msg("fill", "c1", "cache1", {"key": "k0", "value": "a", "ver": 1})
    naive, _ = fire(CACHE_ASIDE, ctx, deleted, stale)
    assert naive["entries"]["k0"]["v"] == "a"  # Without a remedy the stale fill lands.
    ctx, st = ca_cache(remedy="versioned-fill")
    deleted, _ = fire(CACHE_ASIDE, ctx, st, msg("delete", "c2", "cache1", {"key": "k0", "ver": 2, "n": 1}))
    assert deleted["seen"] == {"k0": 2}
    refused, effects = fire(CACHE_ASIDE, ctx, deleted, stale)
    assert refused == deleted and effects == []
    fresh, _ = fire(CACHE_ASIDE, ctx, deleted, msg("fill", "c1", "cache1", {"key": "k0", "value": "b", "ver": 2}))
    assert fresh["entries"]["k0"]["v"] == "b"


@covers(CA, ("cache", "serving", "timer:expire"), ("cache", "*", "recover"))
def test_the_expiry_timer_removes_what_is_due_and_wakes_for_the_next() -> None:
    ctx, st = ca_cache()
    st = {**st, "entries": {"k0": {"v": "a", "ver": 1, "exp": NOW}, "k1": {"v": "b", "ver": 1, "exp": NOW + 30}},
          "lru": ["k0", "k1"], "next_exp": NOW}
    new, effects = fire(CACHE_ASIDE, ctx, st, TimerFired(name="expire"))
    assert list(new["entries"]) == ["k1"] and new["lru"] == ["k1"] and new["next_exp"] == NOW + 30
    assert effects == [SetTimer(name="expire", delay_ms=30)]
    empty, effects = fire(CACHE_ASIDE, ctx, new, TimerFired(name="expire"), now=NOW + 30)
    assert empty["entries"] == {} and empty["next_exp"] is None and effects == []
    back, effects = fire(CACHE_ASIDE, ctx, state(CACHE_ASIDE, ctx), Recover(durable=()))
    assert back["entries"] == {} and effects == []


# ------------------------------------------------------------- completeness


def test_every_row_of_every_table_has_a_test() -> None:
    assert not ROWS.missing(), "rows without a test:\n  " + "\n  ".join(map(str, ROWS.missing()))


def test_inputs_outside_the_table_are_refused_loudly() -> None:
    from protocols.base import UnexpectedInput

    for spec in SPECS:
        ctx = context(spec, "cache1")
        with pytest.raises(UnexpectedInput):
            spec.table.fire(ctx, state(spec, ctx), msg("bogus", "c1", "cache1"), NOW)
