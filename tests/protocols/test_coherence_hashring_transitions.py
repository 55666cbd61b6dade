"""Every row of the consistent-hashing table, fired by hand."""

from __future__ import annotations

from typing import Any

import pytest

from protocols.base import ANY_PHASE, ClientRequest, Context, Note, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.hashring import SPEC
from protocols.hashring.drawing import drawing
from protocols.hashring.placement import owner
from protocols.hashring.table import TABLE
from tests.protocols.coherence_support import NOW, fire
from tests.protocols.table_support import (
    RowRegistry,
    context,
    notes,
    receive,
    silent_ignores,
    table_rows,
    without_notes,
)

ROWS = RowRegistry(table_rows(TABLE), "consistent-hashing")
covers = ROWS.covers
FOUR = ["cache1", "cache2", "cache3", "cache4"]


def ctx(node: str, **params: Any) -> Context:
    return context(SPEC, node, **params)


def state_of(node: str, **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(ctx(node)), **fields}


def key_owned_by(node: str, members: list[str] = FOUR, vnodes: int = 100) -> str:
    """Return the first key k0, k1... that ``node`` owns under ``members``."""
    return next(f"k{i}" for i in range(10_000) if owner(members, vnodes, "ring", f"k{i}") == node)


def key_not_owned_by(node: str, members: list[str] = FOUR) -> str:
    return next(f"k{i}" for i in range(10_000) if owner(members, 100, "ring", f"k{i}") != node)


# ------------------------------------------------------------------ clients


@covers(("client", "thinking", "start"), ("client", "thinking", "timer:think"), ("client", "waiting", "msg:read_ok"),
        ("client", "waiting", "msg:write_ok"), ("client", ANY_PHASE, "recover"))
def test_a_client_sends_every_operation_to_the_ring_and_takes_its_answer() -> None:
    c = ctx("c2", think_ms=9, ops_per_client=1)
    state, effects = fire(TABLE, c, SPEC.initial_state(c), Start(draw=0.5))
    assert effects == [SetTimer(name="think", delay_ms=9)]
    state, effects = fire(TABLE, c, state, TimerFired(name="think"))
    assert state["phase"] == "waiting" and len(effects) == 1 and effects[0].dest == "ring"
    op = state["op"]
    reply = "read_ok" if op["op"] == "read" else "write_ok"
    state, effects = fire(TABLE, c, state, receive(reply, "cache1", "c2", {"key": op["key"], "n": 1}))
    assert state["phase"] == "done" and effects == []
    other = "write_ok" if reply == "read_ok" else "read_ok"
    waiting = {**state, "phase": "waiting", "op": op}
    assert fire(TABLE, c, waiting, receive(other, "cache1", "c2", {"n": 1}))[0] == waiting
    assert fire(TABLE, c, state, Recover(durable=()))[0]["phase"] == "done"


@pytest.mark.parametrize(("phase", "reply"), [(p, r) for p in ("thinking", "done") for r in ("read_ok", "write_ok")])
@covers(("client", "thinking", "msg:read_ok"), ("client", "thinking", "msg:write_ok"),
        ("client", "done", "msg:read_ok"), ("client", "done", "msg:write_ok"))
def test_a_late_answer_is_ignored(phase: str, reply: str) -> None:
    state = state_of("c1", phase=phase)
    row = TABLE.lookup("client", phase, "msg:" + reply)
    assert row is not None and row.ignore and row.why
    assert fire(TABLE, ctx("c1"), state, receive(reply, "cache1", "c1", {"n": 3})) == (state, [])


# --------------------------------------------------------------------- ring


def test_the_ring_boots_with_its_view_and_its_drawing_but_no_copy_of_the_parameters() -> None:
    state = state_of("ring")
    assert set(state) == {"phase", "version", "members", "changes", "drawing"}
    assert (state["version"], state["members"], state["changes"]) == (1, FOUR, [])
    assert state["drawing"] == drawing(FOUR, None, 100, "ring", 4)
    assert state_of("ring")["drawing"] is not state["drawing"], "each state gets its own drawing"


@covers(("ring", "routing", "start"))
def test_the_ring_arms_the_planned_join_and_leave() -> None:
    c = ctx("ring", join_at_ms=300, leave_at_ms=500)
    assert fire(TABLE, c, state_of("ring"), Start(draw=0.1))[1] == [SetTimer(name="join", delay_ms=300),
                                                                    SetTimer(name="leave", delay_ms=500)]
    assert fire(TABLE, ctx("ring"), state_of("ring"), Start(draw=0.1))[1] == [], "0 means never"


@pytest.mark.parametrize(("op", "kind"), [("read", "get"), ("write", "put")])
@covers(("ring", "routing", "msg:read"), ("ring", "routing", "msg:write"))
def test_the_ring_routes_to_the_owner_with_its_view(op: str, kind: str) -> None:
    key = key_owned_by("cache3")
    body = {"key": key, "n": 2, **({"value": "c1:2"} if op == "write" else {})}
    new, effects = fire(TABLE, ctx("ring"), state_of("ring"), receive(op, "c1", "ring", body, msg_id="m7"))
    assert new == state_of("ring")
    assert effects == [Send(dest="cache3", type=kind,
                            body={**body, "client": "c1", "mid": "m7", "view": 1, "members": FOUR})]


@covers(("ring", "routing", "client:add_node"), ("ring", "routing", "timer:join"))
def test_a_join_bumps_the_view_logs_it_counts_the_moves_and_tells_the_caches() -> None:
    c = ctx("ring", keys=1_000, join_node="cache6")
    for event in (ClientRequest(kind="add_node", body={"node": "cache6"}), TimerFired(name="join")):
        new, effects = fire(TABLE, c, SPEC.initial_state(c), event)
        after = [*FOUR, "cache6"]
        assert (new["version"], new["members"]) == (2, after)
        assert new["drawing"] == drawing(after, FOUR, 100, "ring", 1_000), "the new view's drawing, moves from FOUR"
        record = new["changes"][-1]
        assert record["op"] == "add" and record["node"] == "cache6" and record["moved"] == record["moved_ring"]
        assert 100 < record["moved_ring"] < 320 and record["moved_modulo"] > 650
        assert without_notes(effects) == [Persist(record=record)] + [
            Send(dest=n, type="view", body={"view": 2, "members": after}) for n in after]
        assert notes(effects) == [f"add cache6: {record['moved_ring']} of 1000 keys move on the ring; "
                                  f"modulo hashing would move {record['moved_modulo']}"]


@covers(("ring", "routing", "client:remove_node"), ("ring", "routing", "timer:leave"))
def test_a_leave_tells_the_leaver_too() -> None:
    for event in (ClientRequest(kind="remove_node", body={"node": "cache2"}), TimerFired(name="leave")):
        new, effects = fire(TABLE, ctx("ring", leave_node="cache2"), state_of("ring"), event)
        assert new["members"] == ["cache1", "cache3", "cache4"]
        assert new["drawing"] == drawing(new["members"], FOUR, 100, "ring", 4)
        sends = [e for e in effects if isinstance(e, Send)]
        assert [s.dest for s in sends] == FOUR, "the leaver hears it is out"


@pytest.mark.parametrize(("kind", "node", "why"), [
    ("add_node", "cache2", "already in the ring"), ("remove_node", "cache7", "not in the ring"),
    ("add_node", "db", "no such cache (cache1 to cache8)")])
@covers(("ring", "routing", "client:add_node"), ("ring", "routing", "client:remove_node"))
def test_an_impossible_change_is_refused_in_words(kind: str, node: str, why: str) -> None:
    state = state_of("ring")
    new, effects = fire(TABLE, ctx("ring"), state, ClientRequest(kind=kind, body={"node": node}))
    assert new == state and effects == [Note(text=f"{kind.removesuffix('_node')} {node} refused: {why}")]
    alone = state_of("ring", members=["cache1"])
    assert fire(TABLE, ctx("ring"), alone, ClientRequest(kind="remove_node", body={"node": "cache1"}))[0] == alone


@covers(("ring", ANY_PHASE, "recover"))
def test_a_recovered_ring_rebuilds_its_view_from_the_log() -> None:
    record = {"version": 3, "op": "remove", "node": "cache1", "before": FOUR, "after": FOUR[1:], "moved": 1,
              "moved_ring": 1, "moved_modulo": 3, "keys": 4}
    new, _ = fire(TABLE, ctx("ring"), state_of("ring"), Recover(durable=(record,)))
    assert (new["version"], new["members"], new["changes"]) == (3, FOUR[1:], [record])
    assert new["drawing"] == drawing(FOUR[1:], FOUR, 100, "ring", 4), "the last change's drawing, moves included"
    assert fire(TABLE, ctx("ring"), state_of("ring"), Recover(durable=()))[0] == state_of("ring")


@covers(("ring", ANY_PHASE, "recover"))
def test_a_recovered_ring_re_arms_the_planned_changes_its_log_does_not_hold() -> None:
    c = ctx("ring", join_at_ms=5_000, leave_at_ms=1_000, leave_node="cache2")
    _, effects = fire(TABLE, c, state_of("ring"), Recover(durable=()))
    assert without_notes(effects) == [SetTimer(name="join", delay_ms=5_000 - NOW), SetTimer(name="leave", delay_ms=0)]
    left = {"version": 2, "op": "remove", "node": "cache2", "before": FOUR, "after": ["cache1", "cache3", "cache4"],
            "moved": 1, "moved_ring": 1, "moved_modulo": 3, "keys": 4}
    _, effects = fire(TABLE, c, state_of("ring"), Recover(durable=(left,)))
    assert without_notes(effects) == [SetTimer(name="join", delay_ms=5_000 - NOW)], "the leave happened already"


# ------------------------------------------------------------------- caches


def routed(kind: str, key: str, view: int = 1, members: list[str] = FOUR, value: Any = None) -> Any:
    body = {"key": key, "n": 1, "client": "c1", "mid": "m5", "view": view, "members": members}
    if value is not None:
        body["value"] = value
    return receive(kind, "ring", "cache1", body)


def answer(kind: str, key: str, value: Any, hit: bool) -> Send:
    return Send(dest="c1", type=kind, in_reply_to="m5", body={"key": key, "value": value, "n": 1, "hit": hit})


@covers(("cache", "member", "start"), ("cache", "standby", "start"))
def test_caches_boot_in_or_out_of_the_ring() -> None:
    assert state_of("cache4")["phase"] == "member" and state_of("cache5")["phase"] == "standby"
    for phase in ("member", "standby"):
        row = TABLE.lookup("cache", phase, "start")
        assert row is not None and row.ignore and row.why


@covers(("cache", "member", "msg:get"))
def test_a_get_hit_answers_from_the_store_and_a_miss_asks_the_database() -> None:
    key = key_owned_by("cache1")
    state = state_of("cache1", store={key: "v"})
    assert fire(TABLE, ctx("cache1"), state, routed("get", key)) == (state, [answer("read_ok", key, "v", True)])
    new, effects = fire(TABLE, ctx("cache1"), state_of("cache1"), routed("get", key))
    assert new["pending"] == {"1000001": {"op": "get", "key": key, "value": None, "client": "c1", "mid": "m5", "n": 1}}
    assert effects == [Send(dest="db", type="fetch", body={"key": key, "rid": 1_000_001})]


@covers(("cache", "member", "msg:put"), ("cache", "standby", "msg:put"))
def test_a_put_writes_through_and_a_second_request_for_the_key_waits() -> None:
    key = key_owned_by("cache1")
    new, effects = fire(TABLE, ctx("cache1"), state_of("cache1"), routed("put", key, value="c1:1"))
    assert effects == [Send(dest="db", type="store", body={"key": key, "value": "c1:1", "rid": 1_000_001})]
    queued, effects = fire(TABLE, ctx("cache1"), new, routed("get", key))
    assert effects == [] and queued["queue"][0]["op"] == "get"
    standby = state_of("cache5")
    new, effects = fire(TABLE, ctx("cache5"), standby, routed("put", key, value="x"))
    assert new["phase"] == "standby" and effects[0].type == "store", "a stale route is still answered"


@covers(("cache", "member", "msg:fetched"), ("cache", "member", "msg:stored"))
def test_the_database_answer_is_kept_if_owned_answered_and_the_queue_served() -> None:
    key = key_owned_by("cache1")
    waiting = {"op": "get", "key": key, "value": None, "client": "c1", "mid": "m5", "n": 1}
    state = state_of("cache1", pending={"1000001": {**waiting, "op": "put", "value": "c1:1"}},
                     queue=[waiting, {**waiting, "key": "other"}])
    new, effects = fire(TABLE, ctx("cache1"), state, receive("stored", "db", "cache1", {"key": key, "rid": 1_000_001}))
    assert new["store"] == {key: "c1:1"} and new["pending"] == {} and new["queue"] == [{**waiting, "key": "other"}]
    assert effects == [answer("write_ok", key, "c1:1", False), answer("read_ok", key, "c1:1", True)]
    state = state_of("cache1", pending={"1000001": waiting})
    new, effects = fire(TABLE, ctx("cache1"), state,
                        receive("fetched", "db", "cache1", {"key": key, "value": "d", "rid": 1_000_001}))
    assert new["store"] == {key: "d"} and effects == [answer("read_ok", key, "d", False)]
    stray, _ = fire(TABLE, ctx("cache1"), state_of("cache1"),
                    receive("fetched", "db", "cache1", {"key": key, "value": "d", "rid": 9}))
    assert stray["strays"] == 1


@covers(("cache", "standby", "msg:fetched"), ("cache", "standby", "msg:stored"), ("cache", "standby", "msg:get"))
def test_a_standby_cache_answers_a_stale_route_without_keeping_the_key() -> None:
    key = key_owned_by("cache1")
    _, effects = fire(TABLE, ctx("cache5"), state_of("cache5"), routed("get", key))
    assert effects[0].type == "fetch"
    answers = (("fetched", {"key": key, "value": "d", "rid": 1_000_001}), ("stored", {"key": key, "rid": 1_000_001}))
    for kind, body in answers:
        pending = {"1000001": {"op": "get" if kind == "fetched" else "put", "key": key, "value": "d",
                               "client": "c1", "mid": "m5", "n": 1}}
        state = state_of("cache5", pending=pending)
        done, effects = fire(TABLE, ctx("cache5"), state, receive(kind, "db", "cache5", body))
        assert done["store"] == {} and len(notes(effects)) == 1


@covers(("cache", "member", "msg:view"), ("cache", "standby", "msg:view"))
def test_a_new_view_drops_the_keys_no_longer_owned_and_sets_the_phase() -> None:
    five = [*FOUR, "cache5"]
    kept = next(f"k{i}" for i in range(10_000) if owner(FOUR, 100, "ring", f"k{i}") == "cache1"
                and owner(five, 100, "ring", f"k{i}") == "cache1")
    moved = next(f"k{i}" for i in range(10_000) if owner(FOUR, 100, "ring", f"k{i}") == "cache1"
                 and owner(five, 100, "ring", f"k{i}") == "cache5")
    state = state_of("cache1", store={kept: 1, moved: 2})
    new, effects = fire(TABLE, ctx("cache1"), state, receive("view", "ring", "cache1", {"view": 2, "members": five}))
    assert new["store"] == {kept: 1} and new["view"] == 2 and notes(effects)
    assert fire(TABLE, ctx("cache1"), new, receive("view", "ring", "cache1", {"view": 2, "members": five}))[0] == new
    skipped, _ = fire(TABLE, ctx("cache1"), state, receive("view", "ring", "cache1", {"view": 3, "members": FOUR}))
    assert skipped["store"] == {}, "after a skipped view nothing can be trusted"
    view = receive("view", "ring", "cache5", {"view": 2, "members": five})
    joined, _ = fire(TABLE, ctx("cache5"), state_of("cache5"), view)
    assert joined["phase"] == "member"
    left, _ = fire(TABLE, ctx("cache1"), state, receive("view", "ring", "cache1", {"view": 2, "members": FOUR[1:]}))
    assert (left["phase"], left["store"]) == ("standby", {})


@covers(("cache", "member", "msg:get"))
def test_a_request_with_a_newer_view_applies_it_first() -> None:
    five = [*FOUR, "cache5"]
    moved = next(f"k{i}" for i in range(10_000) if owner(FOUR, 100, "ring", f"k{i}") == "cache1"
                 and owner(five, 100, "ring", f"k{i}") == "cache5")
    key = key_owned_by("cache1", five)
    new, effects = fire(TABLE, ctx("cache1"), state_of("cache1", store={moved: 1, key: 2}),
                        routed("get", key, view=2, members=five))
    assert new["view"] == 2 and new["store"] == {key: 2}
    assert without_notes(effects) == [answer("read_ok", key, 2, True)]


@covers(("cache", ANY_PHASE, "recover"))
def test_a_recovered_cache_knows_no_view_and_starts_a_new_epoch() -> None:
    new, effects = fire(TABLE, ctx("cache2"), state_of("cache2", store={"k1": 1}), Recover(durable=()))
    assert (new["phase"], new["view"], new["store"], new["epoch"]) == ("standby", 0, {}, 2)
    assert without_notes(effects) == [Persist(record={"epoch": 2})]


# ----------------------------------------------------------------- database


@covers(("db", "serving", "start"), ("db", "serving", "msg:fetch"), ("db", "serving", "msg:store"),
        ("db", ANY_PHASE, "recover"))
def test_the_database_reads_writes_durably_and_recovers() -> None:
    db = ctx("db")
    assert TABLE.lookup("db", "serving", "start").ignore  # type: ignore[union-attr]
    store = receive("store", "cache1", "db", {"key": "k1", "value": "v", "rid": 4}, msg_id="m3")
    state, effects = fire(TABLE, db, state_of("db"), store)
    assert state["data"] == {"k1": "v"}
    assert effects == [Persist(record={"key": "k1", "value": "v"}),
                       Send(dest="cache1", type="stored", in_reply_to="m3", body={"key": "k1", "rid": 4})]
    _, effects = fire(TABLE, db, state, receive("fetch", "cache2", "db", {"key": "k1", "rid": 5}, msg_id="m4"))
    assert effects == [Send(dest="cache2", type="fetched", in_reply_to="m4",
                            body={"key": "k1", "value": "v", "rid": 5})]
    back, _ = fire(TABLE, db, state_of("db"), Recover(durable=({"key": "k1", "value": "v"},)))
    assert back["data"] == {"k1": "v"}


def test_every_row_of_the_table_has_a_test() -> None:
    assert not ROWS.missing(), f"transition rows without a test: {ROWS.missing()}"


def test_every_deliberate_ignore_says_why() -> None:
    assert not silent_ignores(TABLE)
