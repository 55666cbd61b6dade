"""Every row of the MESI table, fired by hand, and the per-line rules behind each row.

A cache's phase is its outstanding transaction; the line state a message
meets decides what the handler does, so most rows have one test per line
state that matters (the Primer's table, line by line). Tests register the
rows they cover; a row without a test fails the suite. A Hypothesis test
then fires every input at arbitrary states: it is handled as its row says,
or refused loudly, and never crashes otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import (
    ANY_PHASE,
    Context,
    Input,
    Note,
    Persist,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
    UnexpectedInput,
)
from protocols.common.cache_clients import WORKLOAD_SALT
from protocols.common.rng import Stream, seed_from_draw
from protocols.common.workload import next_op
from protocols.mesi import SPEC
from protocols.mesi.cache import CACHE_PHASES, cache_initial
from protocols.mesi.directory import BUG_NOTE, directory_initial
from protocols.mesi.table import TABLE
from tests.protocols.coherence_support import fire
from tests.protocols.table_support import (
    RowRegistry,
    context,
    notes,
    receive,
    silent_ignores,
    table_rows,
    without_notes,
)

ROWS = RowRegistry(table_rows(TABLE), "mesi")
covers = ROWS.covers
CL, CA, DI = "client", "cache", "directory"
TID = 1_000_001
"""The first transaction id of a cache in epoch 1."""


def ctx(node: str = "cache1", **params: Any) -> Context:
    return context(SPEC, node, **params)


def line(st_: str, v: Any = None) -> dict[str, Any]:
    return {"st": st_, "v": v}


def cache(phase: str = "ready", lines: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    lines = lines or {}
    return {**cache_initial(), "phase": phase, "lines": lines, "lru": list(lines), **fields}


def req(op: str = "read", key: str = "k0", value: Any = None, client: str = "c1", n: int = 1,
        mid: str = "m42") -> dict[str, Any]:
    return {"client": client, "mid": mid, "op": op, "key": key, "value": value, "n": n}


def txn(kind: str, key: str = "k0", tid: int = TID, acks: int | None = None, data: bool = False,
        got: list[str] | None = None) -> dict[str, Any]:
    return {"kind": kind, "key": key, "tid": tid, "acks": acks, "from": got or [], "data": data}


def answer(op: str, value: Any, hit: bool, key: str = "k0", client: str = "c1", n: int = 1) -> Send:
    return Send(dest=client, type=op + "_ok", in_reply_to="m42", body={"key": key, "value": value, "n": n, "hit": hit})


def directory(lines: dict[str, Any] | None = None, memory: dict[str, Any] | None = None,
              **fields: Any) -> dict[str, Any]:
    return {**directory_initial(), "lines": lines or {}, "memory": memory or {}, **fields}


def dline(st_: str = "I", owner: str | None = None, sharers: list[str] | None = None, busy: Any = None,
          queue: list[Any] | None = None) -> dict[str, Any]:
    return {"st": st_, "owner": owner, "sharers": sharers or [], "busy": busy, "queue": queue or []}


def client_message(op: str, key: str = "k0", value: Any = None, n: int = 1, src: str = "c1") -> Any:
    body: dict[str, Any] = {"key": key, "n": n}
    if value is not None:
        body["value"] = value
    return receive(op, src, "cache1", body)


# ------------------------------------------------------------------ clients


@covers((CL, "thinking", "start"))
def test_a_client_seeds_its_stream_and_thinks_first() -> None:
    c = ctx("c1", think_ms=33)
    new, effects = fire(TABLE, c, SPEC.initial_state(c), Start(draw=0.25))
    assert new["rng"] == seed_from_draw(0.25, WORKLOAD_SALT) and new["phase"] == "thinking"
    assert effects == [SetTimer(name="think", delay_ms=33)]
    new, effects = fire(TABLE, ctx("c1", ops_per_client=0), SPEC.initial_state(c), Start(draw=0.25))
    assert (new["phase"], effects) == ("done", [])


@covers((CL, "thinking", "timer:think"))
def test_a_client_draws_the_next_operation_and_sends_it_to_its_cache() -> None:
    c = ctx("c3", caches=2, clients=3, read_ratio=0.0)
    state = {**SPEC.initial_state(c), "rng": 99, "done": 2}
    new, effects = fire(TABLE, c, state, TimerFired(name="think"))
    stream = Stream(99)
    op = next_op(stream, c.params, "c3", 3)
    assert op["op"] == "write" and op["value"] == "c3:3"
    assert new["phase"] == "waiting" and new["rng"] == stream.state and new["op"] == {**op, "n": 3}
    assert effects == [Send(dest="cache1", type="write", body={"key": op["key"], "value": "c3:3", "n": 3})]


@pytest.mark.parametrize("reply", ["read_ok", "write_ok"])
@covers((CL, "waiting", "msg:read_ok"), (CL, "waiting", "msg:write_ok"))
def test_a_client_takes_its_answer_and_thinks_again_or_stops(reply: str) -> None:
    c = ctx("c1", ops_per_client=3, think_ms=7)
    op = {"op": reply.removesuffix("_ok"), "key": "k1", "n": 2}
    state = {**SPEC.initial_state(c), "phase": "waiting", "done": 1, "op": op}
    new, effects = fire(TABLE, c, state, receive(reply, "cache1", "c1", {"key": "k1", "n": 2}))
    assert (new["phase"], new["done"], new["op"]) == ("thinking", 2, None)
    assert effects == [SetTimer(name="think", delay_ms=7)]
    last = {**state, "done": 2}
    new, effects = fire(TABLE, c, last, receive(reply, "cache1", "c1", {"key": "k1", "n": 2}))
    assert (new["phase"], new["done"], effects) == ("done", 3, [])
    stale, effects = fire(TABLE, c, state, receive(reply, "cache1", "c1", {"key": "k1", "n": 1}))
    assert stale == state and notes(effects) == [f"ignored a stray {reply} (not the answer awaited)"]


@pytest.mark.parametrize("phase", ["thinking", "done"])
@pytest.mark.parametrize("reply", ["read_ok", "write_ok"])
@covers((CL, "thinking", "msg:read_ok"), (CL, "thinking", "msg:write_ok"),
        (CL, "done", "msg:read_ok"), (CL, "done", "msg:write_ok"))
def test_a_late_answer_is_ignored_on_purpose(phase: str, reply: str) -> None:
    row = TABLE.lookup(CL, phase, "msg:" + reply)
    assert row is not None and row.ignore and row.why
    state = {**SPEC.initial_state(ctx("c1")), "phase": phase}
    assert fire(TABLE, ctx("c1"), state, receive(reply, "cache1", "c1", {"n": 1})) == (state, [])


@covers((CL, ANY_PHASE, "recover"))
def test_a_recovered_client_is_done() -> None:
    new, effects = fire(TABLE, ctx("c1"), SPEC.initial_state(ctx("c1")), Recover(durable=()))
    assert new["phase"] == "done" and len(notes(effects)) == 1


# ------------------------------------------------------------- cache: life


@covers((CA, "ready", "start"))
def test_a_cache_boots_empty_and_silent() -> None:
    row = TABLE.lookup(CA, "ready", "start")
    assert row is not None and row.ignore and row.why
    assert fire(TABLE, ctx(), cache(), Start(draw=0.5)) == (cache(), [])


@covers((CA, ANY_PHASE, "recover"))
def test_a_recovered_cache_is_empty_in_a_new_epoch() -> None:
    new, effects = fire(TABLE, ctx(), cache(), Recover(durable=({"epoch": 2},)))
    assert new == {**cache_initial(), "epoch": 3, "recovered": True}
    assert without_notes(effects) == [Persist(record={"epoch": 3})]


# ------------------------------------------------------- cache: its clients


@pytest.mark.parametrize("st_", ["S", "E", "M"])
@covers((CA, "ready", "msg:read"))
def test_a_read_hit_answers_at_once(st_: str) -> None:
    state = cache(lines={"k0": line(st_, "c2:1"), "k1": line("S", "x")})
    new, effects = fire(TABLE, ctx(), state, client_message("read"))
    assert effects == [answer("read", "c2:1", hit=True)]
    assert new["lru"] == ["k1", "k0"], "the line read is now the most recently used"


@pytest.mark.parametrize("st_", ["M", "E"])
@covers((CA, "ready", "msg:write"))
def test_a_write_to_an_owned_line_is_a_hit_and_E_becomes_M_silently(st_: str) -> None:
    new, effects = fire(TABLE, ctx(), cache(lines={"k0": line(st_, "old")}), client_message("write", value="c1:1"))
    assert new["lines"]["k0"] == line("M", "c1:1")
    assert without_notes(effects) == [answer("write", "c1:1", hit=True)]
    assert bool(notes(effects)) == (st_ == "E")


@covers((CA, "ready", "msg:write"))
def test_a_write_to_a_shared_line_asks_for_ownership_and_keeps_the_copy() -> None:
    new, effects = fire(TABLE, ctx(), cache(lines={"k0": line("S", "old")}), client_message("write", value="c1:1"))
    assert new["phase"] == "SM_AD" and new["lines"]["k0"] == line("SM_AD", "old")
    assert new["txn"] == txn("GetM") and new["cur"] == req("write", value="c1:1")
    assert effects == [Send(dest="dir", type="GetM", body={"key": "k0", "tid": TID})]


@pytest.mark.parametrize(("op", "kind", "phase"), [("read", "GetS", "IS_D"), ("write", "GetM", "IM_AD")])
@covers((CA, "ready", "msg:read"), (CA, "ready", "msg:write"))
def test_a_miss_asks_the_directory(op: str, kind: str, phase: str) -> None:
    value = "c1:1" if op == "write" else None
    new, effects = fire(TABLE, ctx(), cache(seq=4), client_message(op, value=value))
    assert new["phase"] == phase and new["lines"] == {"k0": line(phase)}
    assert new["txn"] == txn(kind, tid=1_000_005)
    assert effects == [Send(dest="dir", type=kind, body={"key": "k0", "tid": 1_000_005})]


@pytest.mark.parametrize("phase", [p for p in CACHE_PHASES if p != "ready"])
@covers((CA, ANY_PHASE, "msg:read"), (CA, ANY_PHASE, "msg:write"))
def test_a_request_during_a_transaction_waits_its_turn(phase: str) -> None:
    state = cache(phase, lines={"k1": line("M", "v")}, queue=[req(key="k2")])
    new, effects = fire(TABLE, ctx(), state, client_message("read", key="k1", src="c3"))
    assert effects == [] and new["queue"] == [req(key="k2"), req(key="k1", client="c3")]


@covers((CA, "ready", "msg:read"))
def test_a_miss_in_a_full_cache_drops_a_shared_victim_silently() -> None:
    state = cache(lines={"k1": line("S", "a"), "k2": line("M", "b")})
    new, effects = fire(TABLE, ctx(capacity=2), state, client_message("read"))
    assert "k1" not in new["lines"] and new["phase"] == "IS_D"
    assert without_notes(effects) == [Send(dest="dir", type="GetS", body={"key": "k0", "tid": TID})]


@pytest.mark.parametrize(("st_", "kind", "transient"), [("M", "PutM", "MI_A"), ("E", "PutE", "EI_A")])
@covers((CA, "ready", "msg:write"))
def test_a_miss_in_a_full_cache_gives_an_owned_victim_back_first(st_: str, kind: str, transient: str) -> None:
    state = cache(lines={"k1": line(st_, "a")})
    new, effects = fire(TABLE, ctx(capacity=1), state, client_message("write", value="c1:1"))
    assert new["phase"] == "evicting" and new["lines"] == {"k1": line(transient, "a")}
    assert new["txn"] == txn(kind, key="k1") and new["cur"] == req("write", value="c1:1")
    body = {"key": "k1", "tid": TID, **({"value": "a"} if kind == "PutM" else {})}
    assert without_notes(effects) == [Send(dest="dir", type=kind, body=body)]


# ---------------------------------------------------- cache: its answers


@pytest.mark.parametrize(("excl", "st_"), [(False, "S"), (True, "E")])
@covers((CA, "IS_D", "msg:Data"))
def test_data_completes_a_read_miss_unblocks_and_serves_the_queue(excl: bool, st_: str) -> None:
    state = cache("IS_D", lines={"k0": line("IS_D"), "k1": line("S", "b")}, txn=txn("GetS"), cur=req(),
                  queue=[req(key="k1", client="c3", mid="m9"), req(key="k2", client="c5", mid="m8")], seq=1)
    data = {"key": "k0", "tid": TID, "value": "c2:1", "acks": 0, "excl": excl}
    new, effects = fire(TABLE, ctx(), state, receive("Data", "dir", "cache1", data))
    assert new["lines"]["k0"] == line(st_, "c2:1")
    assert effects[:3] == [
        Send(dest="dir", type="Unblock", body={"key": "k0", "tid": TID}),
        answer("read", "c2:1", hit=False),
        Send(dest="c3", type="read_ok", in_reply_to="m9", body={"key": "k1", "value": "b", "n": 1, "hit": True}),
    ], "the queued hit is answered at once"
    assert effects[3:] == [Send(dest="dir", type="GetS", body={"key": "k2", "tid": TID + 1})]
    assert new["phase"] == "IS_D" and new["cur"]["key"] == "k2" and new["queue"] == []


@covers((CA, "IS_D", "msg:Data"))
def test_data_for_another_transaction_is_a_stray() -> None:
    state = cache("IS_D", lines={"k0": line("IS_D")}, txn=txn("GetS"), cur=req())
    new, effects = fire(TABLE, ctx(), state, receive("Data", "dir", "cache1", {"key": "k0", "tid": 7, "value": 1}))
    assert new == {**state, "strays": 1} and without_notes(effects) == []


@pytest.mark.parametrize(("waiting", "acked"), [("IM_AD", "IM_A"), ("SM_AD", "SM_A")])
@covers((CA, "IM_AD", "msg:Data"), (CA, "SM_AD", "msg:Data"))
def test_data_with_acks_to_wait_for_leaves_the_writer_waiting(waiting: str, acked: str) -> None:
    state = cache(waiting, lines={"k0": line(waiting, "old")}, txn=txn("GetM"), cur=req("write", value="c1:1"))
    data = {"key": "k0", "tid": TID, "value": "mem", "acks": 2, "excl": False}
    new, effects = fire(TABLE, ctx(), state, receive("Data", "dir", "cache1", data))
    assert new["phase"] == acked and new["lines"]["k0"] == line(acked, "mem")
    assert new["txn"] == txn("GetM", acks=2, data=True) and effects == []


@pytest.mark.parametrize("waiting", ["IM_AD", "SM_AD"])
@covers((CA, "IM_AD", "msg:Data"), (CA, "SM_AD", "msg:Data"))
def test_data_without_acks_performs_the_write_at_once(waiting: str) -> None:
    state = cache(waiting, lines={"k0": line(waiting)}, txn=txn("GetM"), cur=req("write", value="c1:1"))
    data = {"key": "k0", "tid": TID, "value": "prev", "acks": 0}
    new, effects = fire(TABLE, ctx(), state, receive("Data", "cache2", "cache1", data))
    assert new["phase"] == "ready" and new["lines"]["k0"] == line("M", "c1:1") and new["txn"] is None
    assert effects == [Send(dest="dir", type="Unblock", body={"key": "k0", "tid": TID}),
                       answer("write", "c1:1", hit=False)]


@pytest.mark.parametrize("waiting", ["IM_AD", "SM_AD"])
@covers((CA, "IM_AD", "msg:Inv-Ack"), (CA, "SM_AD", "msg:Inv-Ack"))
def test_an_inv_ack_may_overtake_the_data_and_still_counts(waiting: str) -> None:
    c = ctx(caches=3)
    state = cache(waiting, lines={"k0": line(waiting)}, txn=txn("GetM"), cur=req("write", value="c1:1"))
    state, effects = fire(TABLE, c, state, receive("Inv-Ack", "cache3", "cache1", {"key": "k0", "tid": TID}))
    assert state["phase"] == waiting and state["txn"]["from"] == ["cache3"] and effects == []
    state, effects = fire(TABLE, c, state, receive("Data", "dir", "cache1",
                                                   {"key": "k0", "tid": TID, "value": None, "acks": 1}))
    assert state["phase"] == "ready" and state["lines"]["k0"] == line("M", "c1:1")
    assert effects[0] == Send(dest="dir", type="Unblock", body={"key": "k0", "tid": TID})


@pytest.mark.parametrize("acked", ["IM_A", "SM_A"])
@covers((CA, "IM_A", "msg:Inv-Ack"), (CA, "SM_A", "msg:Inv-Ack"))
def test_the_last_inv_ack_performs_the_write_and_a_repeated_one_is_a_stray(acked: str) -> None:
    c = ctx(caches=3)
    state = cache(acked, lines={"k0": line(acked, "mem")}, txn=txn("GetM", acks=2, data=True, got=["cache2"]),
                  cur=req("write", value="c1:1"))
    again, effects = fire(TABLE, c, state, receive("Inv-Ack", "cache2", "cache1", {"key": "k0", "tid": TID}))
    assert again == {**state, "strays": 1}
    new, effects = fire(TABLE, c, state, receive("Inv-Ack", "cache3", "cache1", {"key": "k0", "tid": TID}))
    assert new["phase"] == "ready" and new["lines"]["k0"] == line("M", "c1:1")
    assert effects == [Send(dest="dir", type="Unblock", body={"key": "k0", "tid": TID}),
                       answer("write", "c1:1", hit=False)]


@covers((CA, "evicting", "msg:Put-Ack"))
def test_put_ack_forgets_the_victim_and_fetches_the_wanted_line() -> None:
    state = cache("evicting", lines={"k1": line("MI_A", "a")}, txn=txn("PutM", key="k1"), cur=req(), seq=1)
    new, effects = fire(TABLE, ctx(capacity=1), state, receive("Put-Ack", "dir", "cache1", {"key": "k1", "tid": TID}))
    assert new["lines"] == {"k0": line("IS_D")} and new["phase"] == "IS_D"
    assert effects == [Send(dest="dir", type="GetS", body={"key": "k0", "tid": TID + 1})]
    stale, _ = fire(TABLE, ctx(), state, receive("Put-Ack", "dir", "cache1", {"key": "k1", "tid": 3}))
    assert stale == {**state, "strays": 1}


@pytest.mark.parametrize(("phase", "type_"), [("ready", "Data"), ("IM_A", "Data"), ("IS_D", "Inv-Ack"),
                                              ("ready", "Put-Ack"), ("SM_AD", "Put-Ack")])
@covers((CA, ANY_PHASE, "msg:Data"), (CA, ANY_PHASE, "msg:Inv-Ack"), (CA, ANY_PHASE, "msg:Put-Ack"))
def test_an_answer_no_transaction_awaits_is_counted_as_a_stray(phase: str, type_: str) -> None:
    state = cache(phase)
    new, effects = fire(TABLE, ctx(), state, receive(type_, "dir", "cache1", {"key": "k0", "tid": TID}))
    assert new == {**state, "strays": 1} and len(notes(effects)) == 1 and without_notes(effects) == []


# ------------------------------------------- cache: the directory's demands

INV = {"key": "k0", "req": "cache2", "tid": 2_000_001}
ACK = Send(dest="cache2", type="Inv-Ack", body={"key": "k0", "tid": 2_000_001})


@pytest.mark.parametrize(("phase", "st_", "after", "after_phase"), [
    ("ready", "S", None, "ready"),
    ("SM_AD", "SM_AD", "IM_AD", "IM_AD"),
    ("evicting", "SI_A", "II_A", "evicting"),
    ("ready", None, None, "ready"),
    ("IS_D", "IS_D", "IS_D", "IS_D"),
    ("IM_AD", "IM_AD", "IM_AD", "IM_AD"),
])
@covers((CA, ANY_PHASE, "msg:Inv"))
def test_inv_drops_a_shared_copy_and_acknowledges_to_the_writer(phase: str, st_: str | None, after: str | None,
                                                                after_phase: str) -> None:
    state = cache(phase, lines={"k0": line(st_, "v")} if st_ else {})
    new, effects = fire(TABLE, ctx(), state, receive("Inv", "dir", "cache1", INV))
    assert new["phase"] == after_phase and effects == [ACK]
    assert new["lines"].get("k0", {}).get("st") == after


@pytest.mark.parametrize("st_", ["M", "E", "MI_A", "IM_A"])
@covers((CA, ANY_PHASE, "msg:Inv"))
def test_inv_for_an_owned_line_is_a_stray_and_keeps_the_data(st_: str) -> None:
    state = cache(lines={"k0": line(st_, "v")})
    new, effects = fire(TABLE, ctx(), state, receive("Inv", "dir", "cache1", INV))
    assert new == {**state, "strays": 1} and without_notes(effects) == []


FWD = {"key": "k0", "req": "cache2", "tid": 2_000_001}


@pytest.mark.parametrize(("st_", "dirty", "after"), [("M", True, "S"), ("E", False, "S"), ("MI_A", True, "SI_A"),
                                                     ("EI_A", False, "SI_A")])
@covers((CA, ANY_PHASE, "msg:Fwd-GetS"))
def test_fwd_gets_sends_the_data_to_the_reader_and_to_memory(st_: str, dirty: bool, after: str) -> None:
    new, effects = fire(TABLE, ctx(), cache(lines={"k0": line(st_, "v")}), receive("Fwd-GetS", "dir", "cache1", FWD))
    assert new["lines"]["k0"] == line(after, "v")
    assert effects == [
        Send(dest="cache2", type="Data", body={"key": "k0", "tid": 2_000_001, "value": "v", "acks": 0}),
        Send(dest="dir", type="Data", body={"key": "k0", "tid": 2_000_001, "value": "v", "dirty": dirty}),
    ]


@pytest.mark.parametrize(("st_", "after"), [("M", None), ("E", None), ("MI_A", "II_A"), ("EI_A", "II_A")])
@covers((CA, ANY_PHASE, "msg:Fwd-GetM"))
def test_fwd_getm_hands_the_line_to_the_writer(st_: str, after: str | None) -> None:
    new, effects = fire(TABLE, ctx(), cache(lines={"k0": line(st_, "v")}), receive("Fwd-GetM", "dir", "cache1", FWD))
    assert new["lines"].get("k0", {}).get("st") == after
    assert effects == [Send(dest="cache2", type="Data", body={"key": "k0", "tid": 2_000_001, "value": "v", "acks": 0})]


@pytest.mark.parametrize("type_", ["Fwd-GetS", "Fwd-GetM"])
@covers((CA, ANY_PHASE, "msg:Fwd-GetS"), (CA, ANY_PHASE, "msg:Fwd-GetM"))
def test_a_forward_to_a_non_owner_is_a_stray_unless_a_crash_lost_the_line(type_: str) -> None:
    state = cache(lines={"k0": line("S", "v")})
    new, effects = fire(TABLE, ctx(), state, receive(type_, "dir", "cache1", FWD))
    assert new == {**state, "strays": 1} and without_notes(effects) == []
    recovered = cache(recovered=True)
    new, effects = fire(TABLE, ctx(), recovered, receive(type_, "dir", "cache1", FWD))
    lost = Send(dest="cache2", type="Data",
                body={"key": "k0", "tid": 2_000_001, "value": None, "acks": 0, "lost": True})
    to_memory = [Send(dest="dir", type="Data", body={"key": "k0", "tid": 2_000_001, "value": None, "dirty": False,
                                                     "lost": True})]
    assert new == recovered and without_notes(effects) == [lost, *(to_memory if type_ == "Fwd-GetS" else [])]


# ----------------------------------------------------------------- directory

D = ctx("dir")


@covers((DI, "serving", "start"))
def test_the_directory_boots_with_every_line_invalid() -> None:
    row = TABLE.lookup(DI, "serving", "start")
    assert row is not None and row.ignore and row.why


@covers((DI, ANY_PHASE, "recover"))
def test_a_recovered_directory_has_its_memory_but_no_sharers() -> None:
    durable = ({"key": "k0", "value": "a"}, {"key": "k1", "value": "b"}, {"key": "k0", "value": "c"})
    new, effects = fire(TABLE, D, directory(), Recover(durable=durable))
    assert new == directory(memory={"k0": "c", "k1": "b"}) and len(notes(effects)) == 1


def data_to(dest: str, value: Any = None, acks: int = 0, excl: bool = False, tid: int = TID) -> Send:
    return Send(dest=dest, type="Data", body={"key": "k0", "tid": tid, "value": value, "acks": acks, "excl": excl})


def request(kind: str, src: str = "cache1", tid: int = TID, **body: Any) -> Any:
    return receive(kind, src, "dir", {"key": "k0", "tid": tid, **body})


def busy(kind: str, src: str = "cache1", wait: tuple[str, ...] = ("Unblock",), tid: int = TID) -> dict[str, Any]:
    return {"kind": kind, "req": src, "tid": tid, "wait": list(wait)}


@pytest.mark.parametrize(("variant", "st_", "owner", "sharers", "excl"), [
    ("mesi", "EM", "cache1", [], True), ("msi", "S", None, ["cache1"], False)])
@covers((DI, "serving", "msg:GetS"))
def test_gets_on_an_invalid_line_reads_memory(variant: str, st_: str, owner: str | None, sharers: list[str],
                                             excl: bool) -> None:
    new, effects = fire(TABLE, ctx("dir", variant=variant), directory(memory={"k0": "m"}), request("GetS"))
    assert new["lines"]["k0"] == dline(st_, owner, sharers, busy("GetS"))
    assert new["seen"] == {"cache1": TID}
    assert effects == [data_to("cache1", "m", excl=excl)]


@covers((DI, "serving", "msg:GetS"))
def test_gets_on_a_shared_line_adds_a_sharer() -> None:
    state = directory({"k0": dline("S", sharers=["cache2"])}, {"k0": "m"})
    new, effects = fire(TABLE, D, state, request("GetS"))
    assert new["lines"]["k0"] == dline("S", sharers=["cache1", "cache2"], busy=busy("GetS"))
    assert effects == [data_to("cache1", "m")]


@covers((DI, "serving", "msg:GetS"))
def test_gets_on_an_owned_line_is_forwarded_and_waits_for_memory_too() -> None:
    state = directory({"k0": dline("EM", owner="cache2")})
    new, effects = fire(TABLE, D, state, request("GetS"))
    assert new["lines"]["k0"] == dline("S", sharers=["cache1", "cache2"], busy=busy("GetS", wait=("Data", "Unblock")))
    assert effects == [Send(dest="cache2", type="Fwd-GetS", body={"key": "k0", "req": "cache1", "tid": TID})]


@covers((DI, "serving", "msg:GetS"))
def test_an_owner_asking_again_lost_its_copy_in_a_crash() -> None:
    state = directory({"k0": dline("EM", owner="cache1")}, {"k0": "m"})
    new, effects = fire(TABLE, ctx("dir", variant="msi"), state, request("GetS"))
    assert new["lines"]["k0"] == dline("S", sharers=["cache1"], busy=busy("GetS"))
    assert without_notes(effects) == [data_to("cache1", "m")] and len(notes(effects)) == 1


@covers((DI, "serving", "msg:GetM"))
def test_getm_on_an_invalid_line_grants_it_from_memory() -> None:
    new, effects = fire(TABLE, D, directory(memory={"k0": "m"}), request("GetM"))
    assert new["lines"]["k0"] == dline("EM", owner="cache1", busy=busy("GetM"))
    assert effects == [data_to("cache1", "m")]


@covers((DI, "serving", "msg:GetM"))
def test_getm_on_a_shared_line_invalidates_every_other_sharer() -> None:
    state = directory({"k0": dline("S", sharers=["cache1", "cache2", "cache3"])})
    new, effects = fire(TABLE, ctx("dir", caches=3), state, request("GetM"))
    assert new["lines"]["k0"] == dline("EM", owner="cache1", busy=busy("GetM"))
    assert effects == [
        Send(dest="cache2", type="Inv", body={"key": "k0", "req": "cache1", "tid": TID}),
        Send(dest="cache3", type="Inv", body={"key": "k0", "req": "cache1", "tid": TID}),
        data_to("cache1", None, acks=2),
    ]


@covers((DI, "serving", "msg:GetM"))
def test_the_broken_directory_forgets_the_invalidations() -> None:
    state = directory({"k0": dline("S", sharers=["cache2"])})
    new, effects = fire(TABLE, ctx("dir", directory="broken"), state, request("GetM"))
    assert new["lines"]["k0"]["owner"] == "cache1"
    assert effects == [Note(text=BUG_NOTE), data_to("cache1", None, acks=0)]


@covers((DI, "serving", "msg:GetM"))
def test_getm_on_an_owned_line_is_forwarded_to_the_owner() -> None:
    state = directory({"k0": dline("EM", owner="cache2")})
    new, effects = fire(TABLE, D, state, request("GetM"))
    assert new["lines"]["k0"] == dline("EM", owner="cache1", busy=busy("GetM"))
    assert effects == [Send(dest="cache2", type="Fwd-GetM", body={"key": "k0", "req": "cache1", "tid": TID})]


@pytest.mark.parametrize("kind", ["GetS", "GetM", "PutM", "PutE"])
@covers((DI, "serving", "msg:GetS"), (DI, "serving", "msg:GetM"), (DI, "serving", "msg:PutM"),
        (DI, "serving", "msg:PutE"))
def test_requests_wait_while_their_line_is_busy_and_duplicates_are_strays(kind: str) -> None:
    state = directory({"k0": dline("EM", owner="cache2", busy=busy("GetM", "cache2", tid=5))})
    new, effects = fire(TABLE, D, state, request(kind, value="v"))
    queued = {"kind": kind, "src": "cache1", "tid": TID, "key": "k0", "value": "v"}
    assert new["lines"]["k0"]["queue"] == [queued] and without_notes(effects) == []
    again, effects = fire(TABLE, D, new, request(kind, value="v"))
    assert again == {**new, "strays": 1}


@covers((DI, "serving", "msg:PutM"))
def test_putm_from_the_owner_writes_memory_first() -> None:
    state = directory({"k0": dline("EM", owner="cache1")}, {"k0": "old"})
    new, effects = fire(TABLE, D, state, request("PutM", value="new"))
    assert new["lines"]["k0"] == dline("I") and new["memory"] == {"k0": "new"}
    assert effects == [Persist(record={"key": "k0", "value": "new"}),
                       Send(dest="cache1", type="Put-Ack", body={"key": "k0", "tid": TID})]


@pytest.mark.parametrize("kind", ["PutM", "PutE"])
@covers((DI, "serving", "msg:PutM"), (DI, "serving", "msg:PutE"))
def test_a_stale_put_is_only_acknowledged(kind: str) -> None:
    state = directory({"k0": dline("S", sharers=["cache1"])}, {"k0": "m"})
    new, effects = fire(TABLE, D, state, request(kind, value="stale"))
    assert new["lines"]["k0"] == dline("I") and new["memory"] == {"k0": "m"}
    assert without_notes(effects) == [Send(dest="cache1", type="Put-Ack", body={"key": "k0", "tid": TID})]


@covers((DI, "serving", "msg:PutE"))
def test_pute_from_the_owner_frees_the_line_without_a_memory_write() -> None:
    state = directory({"k0": dline("EM", owner="cache1")}, {"k0": "m"})
    new, effects = fire(TABLE, D, state, request("PutE"))
    assert new["lines"]["k0"] == dline("I") and new["memory"] == {"k0": "m"}
    assert effects == [Send(dest="cache1", type="Put-Ack", body={"key": "k0", "tid": TID})]


@pytest.mark.parametrize("dirty", [True, False])
@covers((DI, "serving", "msg:Data"))
def test_the_old_owners_data_reaches_memory_if_dirty(dirty: bool) -> None:
    wait = busy("GetS", "cache2", wait=("Data", "Unblock"), tid=9)
    state = directory({"k0": dline("S", sharers=["cache1", "cache2"], busy=wait)}, {"k0": "old"})
    body = {"key": "k0", "tid": 9, "value": "new", "dirty": dirty}
    new, effects = fire(TABLE, D, state, receive("Data", "cache1", "dir", body))
    assert new["lines"]["k0"]["busy"]["wait"] == ["Unblock"]
    assert new["memory"] == {"k0": "new" if dirty else "old"}
    assert effects == ([Persist(record={"key": "k0", "value": "new"})] if dirty else [])
    stray, _ = fire(TABLE, D, new, receive("Data", "cache1", "dir", body))
    assert stray == {**new, "strays": 1}, "the second copy is a duplicate"


@covers((DI, "serving", "msg:Unblock"))
def test_unblock_ends_the_transaction_and_serves_the_next_request() -> None:
    queued = {"kind": "GetM", "src": "cache3", "tid": 3_000_001, "key": "k0", "value": None}
    state = directory({"k0": dline("S", sharers=["cache1", "cache2"], busy=busy("GetS"), queue=[queued])})
    new, effects = fire(TABLE, ctx("dir", caches=3), state, receive("Unblock", "cache1", "dir",
                                                                    {"key": "k0", "tid": TID}))
    assert new["lines"]["k0"] == dline("EM", owner="cache3", busy=busy("GetM", "cache3", tid=3_000_001))
    assert effects == [
        Send(dest="cache1", type="Inv", body={"key": "k0", "req": "cache3", "tid": 3_000_001}),
        Send(dest="cache2", type="Inv", body={"key": "k0", "req": "cache3", "tid": 3_000_001}),
        data_to("cache3", None, acks=2, tid=3_000_001),
    ]


@covers((DI, "serving", "msg:Unblock"))
def test_an_unblock_that_waits_for_memory_or_fits_nothing_does_not_end_it() -> None:
    wait = busy("GetS", wait=("Data", "Unblock"))
    state = directory({"k0": dline("S", sharers=["cache1", "cache2"], busy=wait)})
    new, effects = fire(TABLE, D, state, receive("Unblock", "cache1", "dir", {"key": "k0", "tid": TID}))
    assert new["lines"]["k0"]["busy"]["wait"] == ["Data"] and effects == []
    stray, _ = fire(TABLE, D, state, receive("Unblock", "cache2", "dir", {"key": "k0", "tid": TID}))
    assert stray == {**state, "strays": 1}


# ------------------------------------------------------------ the table itself


def test_every_row_of_the_table_has_a_test() -> None:
    assert not ROWS.missing(), f"transition rows without a test: {ROWS.missing()}"


def test_every_deliberate_ignore_says_why() -> None:
    assert not silent_ignores(TABLE)


@pytest.mark.parametrize(("node", "state", "event", "key"), [
    ("cache1", cache("ready"), TimerFired(name="think"), "timer:think"),
    ("dir", directory(), receive("Inv", "cache1", "dir"), "msg:Inv"),
    ("c1", SPEC.initial_state(ctx("c1")), receive("Data", "dir", "c1"), "msg:Data"),
])
def test_an_unlisted_input_is_a_loud_error(node: str, state: dict[str, Any], event: Input, key: str) -> None:
    assert TABLE.lookup(ctx(node).role, state["phase"], key) is None
    with pytest.raises(UnexpectedInput, match=node):
        TABLE.fire(ctx(node), state, event, 0)


# ------------------------------------ every cache state x every message (Hypothesis)

LINE_STATES = ("S", "E", "M", "IS_D", "IM_AD", "IM_A", "SM_AD", "SM_A", "MI_A", "EI_A", "SI_A", "II_A")
CACHE_MESSAGES = ("read", "write", "Data", "Inv-Ack", "Put-Ack", "Inv", "Fwd-GetS", "Fwd-GetM")


TXN_OF_PHASE = {"IS_D": ("GetS", "read"), "IM_AD": ("GetM", "write"), "SM_AD": ("GetM", "write"),
                "IM_A": ("GetM", "write"), "SM_A": ("GetM", "write")}


@st.composite
def cache_situations(draw: st.DrawFn) -> tuple[dict[str, Any], Input]:
    """A cache in any phase, its transaction consistent with it, other lines arbitrary, meeting any message."""
    lines = draw(st.dictionaries(st.sampled_from(["k1", "k2"]), st.builds(line, st.sampled_from(LINE_STATES),
                                                                          st.sampled_from([None, "v"]))))
    phase = draw(st.sampled_from(CACHE_PHASES))
    state = cache(phase, lines, recovered=draw(st.booleans()), queue=draw(st.sampled_from([[], [req(key="k1")]])))
    if phase == "evicting":
        victim = draw(st.sampled_from(["MI_A", "EI_A", "SI_A", "II_A"]))
        kind = "PutM" if victim in ("MI_A", "SI_A") else "PutE"
        state = {**state, "lines": {**lines, "k0": line(victim, "v")}, "txn": txn(kind),
                 "cur": req(draw(st.sampled_from(["read", "write"])), key="k3", value="w")}
    elif phase != "ready":
        kind, op = TXN_OF_PHASE[phase]
        data = phase in ("IM_A", "SM_A")
        acks = draw(st.integers(1, 2)) if data else None
        got = draw(st.sampled_from([[], ["cache2"]])) if acks != 1 else []
        state = {**state, "lines": {**lines, "k0": line(phase, "v" if phase.startswith("S") else None)},
                 "txn": txn(kind, acks=acks, data=data, got=got), "cur": req(op, value="w")}
    type_ = draw(st.sampled_from(CACHE_MESSAGES))
    body = {"key": draw(st.sampled_from(["k0", "k1", "k2"])), "tid": draw(st.sampled_from([TID, TID + 1])),
            "req": "cache2", "value": "x", "n": 1, "acks": draw(st.sampled_from([0, 1])), "excl": draw(st.booleans())}
    src = "c1" if type_ in ("read", "write") else draw(st.sampled_from(["dir", "cache2"]))
    return state, receive(type_, src, "cache1", body)


@settings(max_examples=250, deadline=None)
@given(cache_situations())
def test_every_cache_state_and_message_is_handled_as_its_row_says(situation: tuple[dict[str, Any], Input]) -> None:
    state, event = situation
    c = ctx(caches=2, capacity=2)
    row = TABLE.lookup("cache", state["phase"], event.key)
    assert row is not None, "every message a cache can receive has a row in every phase"
    new, effects = fire(TABLE, c, state, event)
    assert row.allows(state["phase"], new["phase"])
    assert new["strays"] in (state["strays"], state["strays"] + 1)
    for effect in effects:
        if isinstance(effect, Send):
            assert effect.dest in c.roles
