"""The family's shared client (protocols/common/counter_clients.py), row by row, in every counter that uses it.

The client rows are the same in the four tables (g-counter, pn-counter,
counter-sharded, counter-bft); what differs is where an operation or a read
goes, which each protocol's own test file checks in detail. A row of any of
the four tables' client blocks without a test here fails the suite.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocols.base import ANY_PHASE, CancelTimer, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.bft import SPEC as BFT
from protocols.common import counter_clients as clients
from protocols.common.rng import Stream, seed_from_draw
from protocols.crdt import G_COUNTER, PN_COUNTER
from protocols.sharded import SPEC as SHARDED
from protocols.spec import ProtocolSpec
from tests.protocols.crdt_helpers import LATE, fire, state_of
from tests.protocols.table_support import RowRegistry, context, receive, sends, table_rows

SPECS = [G_COUNTER, PN_COUNTER, SHARDED, BFT]
IDS = [s.name for s in SPECS]
C = clients.CLIENT
RESTART = Persist(record={"type": "restart", "epoch": 1})
"""What a client forces first on every recovery: a new epoch (here its first restart)."""
COVERAGE = {spec.name: RowRegistry(table_rows(spec.table, [C]), spec.name) for spec in SPECS}


def covers(*keys: tuple[str, str, str]) -> Any:
    """Register rows for every spec (the client block is the same in all four tables)."""
    marks = [COVERAGE[spec.name].covers(*keys) for spec in SPECS]

    def mark(test: Any) -> Any:
        for m in marks:
            m(test)
        return test

    return mark


def client(spec: ProtocolSpec, phase: str = "thinking", **fields: Any) -> tuple[Any, dict[str, Any]]:
    ctx = context(spec, "c1")
    return ctx, state_of(spec, ctx, phase=phase, stream=12345, draws=67890, **fields)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "thinking", "start"))
def test_start_seeds_both_streams_and_thinks_within_half_of_think_ms(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1", think_ms=40)
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Start(draw=0.25))
    think = Stream(seed_from_draw(0.25, clients.THINK_SALT))
    delay = think.between(20, 60)
    assert new["stream"] == think.state
    assert new["draws"] == seed_from_draw(0.25, clients.OPS_SALT)
    assert effects == [SetTimer(name="think", delay_ms=delay)]
    assert 20 <= delay <= 60


def test_the_think_stream_is_the_counter_familys_so_compare_runs_one_workload() -> None:
    from protocols.counters import client as counters_client

    assert clients.THINK_SALT == counters_client.STREAM_SALT
    for think_ms in (0, 1, 7, 20, 333):
        a, b = Stream(99), Stream(99)
        assert clients.think_delay(a, {"think_ms": think_ms}) == counters_client.think_time(b, think_ms)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "thinking", "timer:think"))
def test_the_next_operation_is_journalled_before_it_is_sent(spec: ProtocolSpec) -> None:
    ctx, state = client(spec, ops=1, acked_inc=1)
    new, effects = fire(spec, ctx, state, TimerFired(name="think"))
    assert (new["phase"], new["ops"]) == ("adding", 2)
    assert isinstance(effects[0], Persist)
    assert effects[0].record["type"] == "progress" and effects[0].record["pending"] is True
    assert effects[0].record["ops"] == 2
    assert sends(effects) and all(s.type == "add" and s.body["op"] == 2 for s in sends(effects))
    assert effects[-1] == SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "thinking", "timer:think"))
def test_after_the_last_operation_the_client_reads(spec: ProtocolSpec) -> None:
    ctx, state = client(spec, ops=3, acked_inc=3)
    new, effects = fire(spec, ctx, state, TimerFired(name="think"))
    assert new["phase"] == "reading"
    assert sends(effects) and all(s.type == "read" for s in sends(effects))
    assert effects[-1] == SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])
    assert not [e for e in effects if isinstance(e, Persist)], "a read is not journalled until it ends"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "adding", "msg:add_ok"))
def test_an_acknowledgement_for_another_operation_changes_nothing(spec: ProtocolSpec) -> None:
    ctx, state = client(spec, "adding", ops=2, delta=1, acked_inc=1)
    assert fire(spec, ctx, state, receive("add_ok", "r1" if spec is not SHARDED else "s1", "c1",
                                          {"op": 1, "applied": True, "tag": "c1:1", "delta": 1})) == (state, [])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "adding", "timer:retry"))
def test_an_unacknowledged_operation_is_sent_again_under_the_same_number(spec: ProtocolSpec) -> None:
    ctx, state = client(spec, "adding", ops=2, delta=1, target="s1", key="k1")
    new, effects = fire(spec, ctx, state, TimerFired(name="retry"))
    assert new == state
    assert sends(effects) and all(s.type == "add" and s.body["op"] == 2 for s in sends(effects))
    assert effects[-1] == SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "adding", "timer:retry"), (C, "reading", "timer:retry"))
def test_past_the_horizon_a_waiting_client_gives_up(spec: ProtocolSpec) -> None:
    for phase in ("adding", "reading"):
        ctx, state = client(spec, phase, ops=2, delta=1, target="s1")
        new, effects = fire(spec, ctx, state, TimerFired(name="retry"), now=LATE)
        assert new == {**state, "phase": "stopped"}
        assert not sends(effects)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, "reading", "msg:read_ok"), (C, "reading", "timer:retry"))
def test_reading_rows_exist_and_lead_to_done_or_stopped(spec: ProtocolSpec) -> None:
    # Each protocol's file checks how its read gathers; here only what the block promises.
    for on, to in (("msg:read_ok", {"reading", "done"}), ("timer:retry", {"reading", "done", "stopped"})):
        row = spec.table.lookup(C, "reading", on)
        assert row is not None and set(row.to) == to and not row.ignore


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, ANY_PHASE, "recover"))
def test_a_client_recovering_with_no_journal_thinks_afresh(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c2", think_ms=30)
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=()))
    assert new["phase"] == "thinking" and new["ops"] == 0 and new["epoch"] == 1
    assert effects == [RESTART, SetTimer(name="think", delay_ms=30)]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, ANY_PHASE, "recover"))
def test_a_client_recovering_mid_operation_resends_it_under_the_same_number(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1")
    record = {"type": "progress", "pending": True, "done": False, "ops": 2, "delta": 1, "acked_inc": 1,
              "acked_dec": 0, "read": None, "target": "s2"}
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=(record,)))
    assert (new["phase"], new["ops"], new["acked_inc"]) == ("adding", 2, 1)
    assert sends(effects) and all(s.type == "add" and s.body["op"] == 2 for s in sends(effects))
    if spec is SHARDED:
        assert [s.dest for s in sends(effects)] == ["s2"], "the same shard: no other may count it"
    assert effects[-1] == SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, ANY_PHASE, "recover"))
def test_a_client_recovering_between_operations_thinks_then_goes_on(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1", think_ms=10)
    record = {"type": "progress", "pending": False, "done": False, "ops": 2, "delta": 1, "acked_inc": 2,
              "acked_dec": 0, "read": None}
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=(record,)))
    assert (new["phase"], new["ops"], new["acked_inc"]) == ("thinking", 2, 2)
    assert effects == [RESTART, SetTimer(name="think", delay_ms=10)]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, ANY_PHASE, "recover"))
def test_a_finished_client_stays_finished_and_a_late_one_gives_up(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1")
    done = {"type": "progress", "pending": False, "done": True, "ops": 3, "delta": 1, "acked_inc": 3,
            "acked_dec": 0, "read": 7}
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=(done,)))
    assert (new["phase"], new["read"], effects) == ("done", 7, [RESTART])
    pending = {**done, "done": False, "pending": True, "read": None}
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=(pending,)), now=LATE)
    assert new["phase"] == "stopped" and not sends(effects)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers((C, ANY_PHASE, "recover"), (C, "thinking", "timer:think"), (C, "reading", "msg:read_ok"))
def test_a_restarted_client_reads_in_a_new_epoch_and_ignores_answers_from_an_earlier_one(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c1", increments_per_client=1)
    earlier = ({"type": "restart", "epoch": 1},
               {"type": "progress", "pending": False, "done": False, "ops": 1, "delta": 1, "acked_inc": 1,
                "acked_dec": 0, "read": None})
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=earlier))
    assert new["epoch"] == 2 and effects[0] == Persist(record={"type": "restart", "epoch": 2})
    reading, effects = fire(spec, ctx, new, TimerFired(name="think"))
    assert reading["phase"] == "reading"
    assert sends(effects) and all(s.type == "read" and s.body["epoch"] == 2 for s in sends(effects))
    server = "s1" if spec is SHARDED else "r1"
    answer = {"value": 0, "count": 0, "tags": []}
    for stale in ({}, {"epoch": 1}):  # Answers to reads sent in its first life, and in its second.
        again, effects = fire(spec, ctx, reading, receive("read_ok", server, "c1", {**answer, **stale}))
        assert again == reading and not sends(effects)
    fresh, _ = fire(spec, ctx, reading, receive("read_ok", server, "c1", {**answer, "epoch": 2}))
    assert fresh != reading


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_servers_echo_the_epoch_of_the_read_they_answer(spec: ProtocolSpec) -> None:
    server = "s1" if spec is SHARDED else "r1"
    ctx = context(spec, server)
    for body, echoed in (({}, None), ({"epoch": 3}, 3)):
        _, effects = fire(spec, ctx, spec.initial_state(ctx), receive("read", "c1", server, body))
        (answer,) = sends(effects)
        assert answer.type == "read_ok" and answer.body.get("epoch") == echoed


LATE_ANSWERS = [(phase, on) for phase in clients.PHASES for on in ("msg:add_ok", "msg:read_ok")
                if (phase, on) not in (("adding", "msg:add_ok"), ("reading", "msg:read_ok"))]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@covers(*[(C, phase, on) for phase, on in LATE_ANSWERS])
def test_late_answers_are_deliberately_ignored(spec: ProtocolSpec) -> None:
    for phase, on in LATE_ANSWERS:
        row = spec.table.lookup(C, phase, on)
        assert row is not None and row.ignore and row.why
        ctx, state = client(spec, phase)
        body = {"op": 1, "applied": True, "tag": "c1:1", "delta": 1, "value": 3, "count": 3, "tags": []}
        assert fire(spec, ctx, state, receive(on[4:], "r1" if spec is not SHARDED else "s1", "c1", body)) == (
            state, [])


def test_progress_records_carry_what_a_recovery_needs() -> None:
    state = {**clients.client_state(), "phase": "done", "ops": 3, "delta": -1, "acked_inc": 2, "acked_dec": 1,
             "read": 1, "target": "s3"}
    assert clients.progress(state, pending=False) == {
        "type": "progress", "pending": False, "done": True, "ops": 3, "delta": -1, "acked_inc": 2,
        "acked_dec": 1, "read": 1, "target": "s3"}


def test_an_acknowledged_decrement_counts_as_a_decrement() -> None:
    ctx, state = client(PN_COUNTER, "adding", ops=1, delta=-1)
    new, effects = clients.op_acknowledged(ctx, state)
    assert (new["acked_inc"], new["acked_dec"], new["phase"]) == (0, 1, "thinking")
    assert effects[1] == CancelTimer(name="retry")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_client_row_has_a_test(spec: ProtocolSpec) -> None:
    assert not COVERAGE[spec.name].missing(), f"client rows without a test: {COVERAGE[spec.name].missing()}"


def test_clients_are_placed_first_in_every_counter() -> None:
    for spec in SPECS:
        roles = spec.topology(spec.resolve_params({"clients": 3}))
        assert list(roles)[:3] == ["c1", "c2", "c3"]
        assert all(role != C for role in list(roles.values())[3:])


def test_a_client_sends_only_to_servers() -> None:
    for spec in SPECS:
        ctx, state = client(spec, ops=0)
        _, effects = fire(spec, ctx, state, TimerFired(name="think"))
        assert all(isinstance(s, Send) and not s.dest.startswith("c") for s in sends(effects))
