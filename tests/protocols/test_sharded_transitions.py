"""Every shard row of the sharded counter's table, and its client's routing and fan-out read.

The shared client rows are tested in test_crdt_clients.py; here the
sharded client's own hooks: an increment routed by a sub-key on the ring,
a read that gathers every shard, asks the silent ones again and settles for
a partial sum that names them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import Context, Input, Note, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.common.ring import ring_owner, ring_points
from protocols.common.rng import Stream
from protocols.sharded import SPEC
from protocols.sharded import handlers as h
from tests.protocols.crdt_helpers import NOW, fire, state_of
from tests.protocols.table_support import (
    RowRegistry,
    assert_forced_before_sent,
    check_handled_or_refused,
    context,
    receive,
    sends,
    table_rows,
)

S = h.SHARD
COVERAGE = RowRegistry(table_rows(SPEC.table, [S]), "counter-sharded")
covers = COVERAGE.covers


def shard(node: str = "s1", **params: Any) -> tuple[Context, dict[str, Any]]:
    ctx = context(SPEC, node, **params)
    return ctx, state_of(SPEC, ctx)


@covers((S, "serving", "start"))
def test_a_shard_has_nothing_to_start() -> None:
    row = SPEC.table.lookup(S, "serving", "start")
    assert row is not None and row.ignore and row.why
    ctx, state = shard()
    assert fire(SPEC, ctx, state, Start(draw=0.3)) == (state, [])


@covers((S, "serving", "msg:add"))
def test_a_durable_shard_forces_its_count_before_acknowledging() -> None:
    ctx, state = shard("s2")
    new, effects = fire(SPEC, ctx, state, receive("add", "c3", "s2", {"op": 1, "delta": 1, "key": "k9"}, "m5"))
    assert (new["count"], new["seen"]) == (1, {"c3": 1})
    assert effects == [Persist(record={"type": "count", "count": 1, "seen": {"c3": 1}}),
                       Send(dest="c3", type="add_ok", body={"op": 1, "applied": True}, in_reply_to="m5")]
    assert_forced_before_sent(effects)


@covers((S, "serving", "msg:add"))
def test_a_volatile_shard_counts_without_logging_and_a_retry_counts_once() -> None:
    ctx, state = shard(durable=False)
    new, effects = fire(SPEC, ctx, state, receive("add", "c1", "s1", {"op": 1, "delta": 1}))
    assert new["count"] == 1 and not [e for e in effects if isinstance(e, Persist)]
    again, effects = fire(SPEC, ctx, new, receive("add", "c1", "s1", {"op": 1, "delta": 1}))
    assert again == new
    assert [s.body for s in sends(effects)] == [{"op": 1, "applied": False}]


@covers((S, "serving", "msg:read"))
def test_a_shard_answers_a_read_with_its_share() -> None:
    ctx, state = shard()
    state = {**state, "count": 4}
    assert fire(SPEC, ctx, state, receive("read", "c2", "s1", msg_id="m8")) == (
        state, [Send(dest="c2", type="read_ok", body={"count": 4}, in_reply_to="m8")])


@covers((S, "serving", "recover"))
def test_a_durable_shard_recovers_its_last_count() -> None:
    ctx, state = shard()
    log = ({"type": "count", "count": 1, "seen": {"c1": 1}}, {"type": "count", "count": 2, "seen": {"c1": 2}})
    new, effects = fire(SPEC, ctx, state, Recover(durable=log))
    assert (new["count"], new["seen"]) == (2, {"c1": 2})
    assert effects == [Note(text="recovered its count 2 from the log")]


@pytest.mark.parametrize(("durable", "words"), [(True, "counted nothing yet"), (False, "is gone")])
@covers((S, "serving", "recover"))
def test_a_shard_recovering_without_a_log_starts_at_zero(durable: bool, words: str) -> None:
    ctx, state = shard(durable=durable)
    new, effects = fire(SPEC, ctx, state, Recover(durable=()))
    assert new["count"] == 0
    assert len(effects) == 1 and isinstance(effects[0], Note) and words in effects[0].text


def test_every_shard_row_has_a_test() -> None:
    assert not COVERAGE.missing(), f"shard rows without a test: {COVERAGE.missing()}"


# ----------------------------------------------------------- client hooks


def reader(**fields: Any) -> tuple[Context, dict[str, Any]]:
    ctx = context(SPEC, "c1", shards=3)
    return ctx, {**SPEC.initial_state(ctx), "phase": "reading", "ops": 3, "acked_inc": 3, **fields}


def test_an_increment_is_routed_by_a_random_sub_key_to_its_owner_on_the_ring() -> None:
    ctx = context(SPEC, "c2", shards=4, vnodes=16)
    state = {**SPEC.initial_state(ctx), "draws": 31337}
    new, effects = fire(SPEC, ctx, state, TimerFired(name="think"))
    stream = Stream(31337)
    key = f"k{stream.below(h.SUBKEYS)}"
    owner = ring_owner(ring_points(["s1", "s2", "s3", "s4"], 16), key)
    assert (new["key"], new["target"], new["draws"]) == (key, owner, stream.state)
    assert sends(effects) == [Send(dest=owner, type="add", body={"op": 1, "delta": 1, "key": key})]
    assert effects[0].record["target"] == owner  # type: ignore[union-attr]


def test_sub_keys_spread_increments_over_every_shard() -> None:
    ctx = context(SPEC, "c1", shards=4)
    stream = Stream(7)
    owners = {h.owner(ctx, f"k{stream.below(h.SUBKEYS)}") for _ in range(200)}
    assert owners == {"s1", "s2", "s3", "s4"}


def test_a_read_fans_out_to_every_shard_and_waits_for_all() -> None:
    ctx, state = reader(phase="thinking")
    new, effects = fire(SPEC, ctx, state, TimerFired(name="think"))
    assert [s.dest for s in sends(effects)] == ["s1", "s2", "s3"]
    assert (new["answers"], new["attempts"], new["missing"]) == ({}, 1, ["s1", "s2", "s3"])
    new, effects = fire(SPEC, ctx, new, receive("read_ok", "s2", "c1", {"count": 4}))
    assert (new["phase"], new["answers"], new["missing"], effects) == ("reading", {"s2": 4}, ["s1", "s3"], [])
    new, _ = fire(SPEC, ctx, new, receive("read_ok", "s1", "c1", {"count": 1}))
    new, effects = fire(SPEC, ctx, new, receive("read_ok", "s3", "c1", {"count": 2}))
    assert (new["phase"], new["read"], new["missing"]) == ("done", 7, [])


def test_a_silent_shard_is_asked_again_then_the_read_settles_for_a_partial_sum() -> None:
    ctx, state = reader(answers={"s1": 2, "s3": 1}, missing=["s2"], attempts=1)
    new, effects = fire(SPEC, ctx, state, TimerFired(name="retry"))
    assert new["attempts"] == 2
    assert effects == [Send(dest="s2", type="read"), SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])]
    last = {**state, "attempts": h.READ_ATTEMPTS}
    new, effects = fire(SPEC, ctx, last, TimerFired(name="retry"))
    assert (new["phase"], new["read"], new["missing"]) == ("done", 3, ["s2"])
    assert isinstance(effects[0], Note) and "partial read: no answer from s2" in effects[0].text
    assert not sends(effects)


# ----------------------------------------- every state x every input (Hypothesis)


@st.composite
def situations(draw: st.DrawFn) -> tuple[Context, dict[str, Any], Input]:
    ctx = context(SPEC, draw(st.sampled_from(["c1", "c2", "s1", "s2", "s3"])), durable=draw(st.booleans()))
    state = dict(SPEC.initial_state(ctx))
    if ctx.role == S:
        state["count"] = draw(st.integers(0, 5))
    else:
        state.update(phase=draw(st.sampled_from(["thinking", "adding", "reading", "done", "stopped"])),
                     ops=draw(st.integers(0, 3)), delta=1, target="s1", missing=["s2"],
                     attempts=draw(st.integers(1, 3)))
    kind = draw(st.sampled_from(["start", "recover", "message", "timer"]))
    event: Input
    if kind == "start":
        event = Start(draw=draw(st.floats(0, 1, exclude_max=True)))
    elif kind == "recover":
        event = Recover(durable=())
    elif kind == "timer":
        event = TimerFired(name=draw(st.sampled_from(["think", "retry"])))
    else:
        type_ = draw(st.sampled_from(["add", "add_ok", "read", "read_ok"]))
        src = draw(st.sampled_from([n for n in ctx.roles if n != ctx.node]))
        event = receive(type_, src, ctx.node, {"op": 1, "delta": 1, "count": 2, "applied": True})
    return ctx, state, event


@settings(max_examples=200, deadline=None)
@given(situations())
def test_every_state_and_input_is_handled_as_the_table_says_or_refused_loudly(
        situation: tuple[Context, dict[str, Any], Input]) -> None:
    check_handled_or_refused(SPEC.table, *situation, NOW)
