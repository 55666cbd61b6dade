"""Every replica row of the G-counter and PN-counter table, fired by hand.

The client rows are tested in test_crdt_clients.py; the CRDT client's own
hooks (one replica per client, a decrement drawn by ratio) are checked here.
A replica row without a test fails the suite; a Hypothesis test then fires
every input at every phase from arbitrary states.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import ANY_PHASE, Context, Input, Note, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.common.rng import Stream, seed_from_draw
from protocols.crdt import G_COUNTER, PN_COUNTER
from protocols.crdt import handlers as h
from protocols.spec import ProtocolSpec
from tests.protocols.crdt_helpers import LATE, NOW, fire, state_of
from tests.protocols.table_support import (
    RowRegistry,
    assert_forced_before_sent,
    check_handled_or_refused,
    context,
    receive,
    sends,
    table_rows,
)

R = h.REPLICA
COVERAGE = RowRegistry(table_rows(G_COUNTER.table, [R]), "g-counter and pn-counter")
covers = COVERAGE.covers
BOTH = pytest.mark.parametrize("spec", [G_COUNTER, PN_COUNTER], ids=["g", "pn"])


def replica(spec: ProtocolSpec, node: str = "r1", phase: str = "serving", **params: Any) -> tuple[Context, Any]:
    ctx = context(spec, node, **params)
    return ctx, state_of(spec, ctx, phase=phase, stream=4242)


def test_the_two_counters_share_one_table() -> None:
    assert G_COUNTER.table is PN_COUNTER.table


@BOTH
@covers((R, "serving", "start"))
def test_start_seeds_the_gossip_stream_and_gossips_within_one_interval(spec: ProtocolSpec) -> None:
    ctx = context(spec, "r2", gossip_ms=90)
    state = spec.initial_state(ctx)
    new, effects = fire(spec, ctx, state, Start(draw=0.5))
    stream = Stream(seed_from_draw(0.5, h.GOSSIP_SALT))
    first = stream.between(1, 90)
    assert new == {**state, "stream": stream.state}
    assert effects == [SetTimer(name="gossip", delay_ms=first)]


@BOTH
@covers((R, ANY_PHASE, "msg:add"))
def test_an_increment_raises_only_the_replicas_own_entry_and_is_acknowledged(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec, "r2")
    new, effects = fire(spec, ctx, state, receive("add", "c2", "r2", {"op": 1, "delta": 1}, msg_id="m7"))
    assert new["p"] == {"r1": 0, "r2": 1, "r3": 0}
    assert new["seen"] == {"c2": 1}
    assert effects == [Send(dest="c2", type="add_ok", body={"op": 1, "delta": 1, "applied": True},
                            in_reply_to="m7")], "nothing forced without durability"


@covers((R, ANY_PHASE, "msg:add"))
def test_a_decrement_raises_the_n_entry_and_wakes_a_quiet_replica() -> None:
    ctx, state = replica(PN_COUNTER, "r3", phase="quiet")
    new, effects = fire(PN_COUNTER, ctx, state, receive("add", "c3", "r3", {"op": 4, "delta": -1}))
    assert (new["p"]["r3"], new["n"]["r3"], new["phase"], new["dirty"]) == (0, 1, "serving", True)
    assert h.value_of(new) == -1
    assert isinstance(effects[0], SetTimer) and effects[0].name == "gossip", "late news must still spread"
    assert sends(effects)[0].type == "add_ok"


@BOTH
@covers((R, ANY_PHASE, "msg:add"))
def test_a_repeated_operation_is_acknowledged_again_but_counted_once(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec)
    state = {**state, "p": {"r1": 2, "r2": 0, "r3": 0}, "seen": {"c1": 2}}
    for op in (1, 2):
        new, effects = fire(spec, ctx, state, receive("add", "c1", "r1", {"op": op, "delta": 1}))
        assert new == state
        assert [s.body for s in sends(effects)] == [{"op": op, "delta": 1, "applied": False}]


@BOTH
@covers((R, ANY_PHASE, "msg:add"))
def test_a_durable_replica_forces_its_vectors_before_acknowledging(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec, durable=True)
    new, effects = fire(spec, ctx, state, receive("add", "c1", "r1", {"op": 1, "delta": 1}))
    assert_forced_before_sent(effects)
    record = effects[0].record  # type: ignore[union-attr]
    assert record["type"] == "vector" and record["p"] == new["p"] and record["seen"] == {"c1": 1}
    assert ("n" in record) == (spec is PN_COUNTER)


@BOTH
@covers((R, ANY_PHASE, "msg:read"))
def test_a_read_is_answered_with_the_local_value(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec)
    state = {**state, "p": {"r1": 3, "r2": 2, "r3": 0}}
    if spec is PN_COUNTER:
        state["n"] = {"r1": 1, "r2": 0, "r3": 1}
    new, effects = fire(spec, ctx, state, receive("read", "c1", "r1", msg_id="m9"))
    assert new == state
    assert effects == [Send(dest="c1", type="read_ok", body={"value": 5 if spec is G_COUNTER else 3},
                            in_reply_to="m9")]


@covers((R, "serving", "timer:gossip"))
def test_gossip_goes_to_one_peer_drawn_from_the_stream() -> None:
    ctx, state = replica(G_COUNTER, "r2", gossip_ms=100)
    state = {**state, "p": {"r1": 1, "r2": 4, "r3": 0}}
    new, effects = fire(G_COUNTER, ctx, state, TimerFired(name="gossip"))
    stream = Stream(4242)
    peer = stream.choice(["r1", "r3"])
    delay = stream.between(75, 125)
    assert effects == [Send(dest=peer, type="gossip", body={"p": {"r1": 1, "r2": 4, "r3": 0}}),
                       SetTimer(name="gossip", delay_ms=delay)]
    assert new == {**state, "stream": stream.state}


@covers((R, "serving", "timer:gossip"))
def test_gossip_to_all_peers_carries_both_vectors_of_a_pn_counter() -> None:
    ctx, state = replica(PN_COUNTER, "r1", gossip_fanout="all", replicas=4)
    _, effects = fire(PN_COUNTER, ctx, state, TimerFired(name="gossip"))
    assert [s.dest for s in sends(effects)] == ["r2", "r3", "r4"]
    assert all(set(s.body) == {"p", "n"} for s in sends(effects))


@BOTH
@covers((R, "serving", "timer:gossip"))
def test_past_the_horizon_a_replica_tells_everyone_its_news_once_then_falls_quiet(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec, replicas=3)
    new, effects = fire(spec, ctx, {**state, "dirty": True}, TimerFired(name="gossip"), now=LATE)
    assert [s.dest for s in sends(effects)] == ["r2", "r3"]
    assert (new["phase"], new["dirty"]) == ("serving", False) and isinstance(effects[-1], SetTimer)
    quiet, effects = fire(spec, ctx, new, TimerFired(name="gossip"), now=LATE + 100)
    assert quiet == {**new, "phase": "quiet"}
    assert effects == [Note(text="past the horizon with nothing new: gossip stops")]


@covers((R, "serving", "timer:gossip"))
def test_before_the_horizon_a_round_to_one_peer_leaves_the_news_to_spread_later() -> None:
    ctx, state = replica(G_COUNTER)
    new, _ = fire(G_COUNTER, ctx, {**state, "dirty": True}, TimerFired(name="gossip"))
    assert new["dirty"] is True
    everyone = context(G_COUNTER, "r1", gossip_fanout="all")
    new, _ = fire(G_COUNTER, everyone, {**state, "dirty": True}, TimerFired(name="gossip"))
    assert new["dirty"] is False


@BOTH
@covers((R, ANY_PHASE, "msg:gossip"))
def test_gossip_merges_by_pointwise_maximum_and_answers_what_the_sender_lacks(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec, "r1")
    state = {**state, "p": {"r1": 5, "r2": 1, "r3": 0}}
    body: dict[str, Any] = {"p": {"r1": 2, "r2": 3, "r3": 1}}
    if spec is PN_COUNTER:
        body["n"] = {"r1": 0, "r2": 0, "r3": 0}
    new, effects = fire(spec, ctx, state, receive("gossip", "r2", "r1", body, msg_id="m3"))
    assert new["p"] == {"r1": 5, "r2": 3, "r3": 1}
    assert len(effects) == 1 and effects[0] == Send(dest="r2", type="gossip_reply",
                                                    body=h.vectors(new), in_reply_to="m3")


@BOTH
@covers((R, ANY_PHASE, "msg:gossip"))
def test_gossip_that_teaches_nothing_and_lacks_nothing_is_answered_with_silence(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec, "r1", phase="quiet")
    new, effects = fire(spec, ctx, state, receive("gossip", "r3", "r1", h.vectors(state)))
    assert (new, effects) == (state, [])


@covers((R, ANY_PHASE, "msg:gossip"))
def test_a_durable_replica_forces_what_it_learns() -> None:
    ctx, state = replica(G_COUNTER, durable=True)
    new, effects = fire(G_COUNTER, ctx, state, receive("gossip", "r2", "r1", {"p": {"r2": 2}}))
    assert effects == [Persist(record={"type": "vector", "p": new["p"], "seen": {}})]


@BOTH
@covers((R, ANY_PHASE, "msg:gossip_reply"))
def test_a_gossip_reply_is_merged_without_answer(spec: ProtocolSpec) -> None:
    ctx, state = replica(spec, "r3")
    new, effects = fire(spec, ctx, state, receive("gossip_reply", "r1", "r3", {"p": {"r1": 2, "r3": 0}}))
    assert new["p"] == {"r1": 2, "r2": 0, "r3": 0}
    assert effects == []


@BOTH
@covers((R, ANY_PHASE, "recover"))
def test_a_replica_without_durability_restarts_empty_with_amnesia(spec: ProtocolSpec) -> None:
    ctx = context(spec, "r1")
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=()))
    assert new["phase"] == "serving" and new["amnesia"] is True
    assert new["p"] == {"r1": 0, "r2": 0, "r3": 0} and new["seen"] == {}
    assert isinstance(effects[0], Note) and "restarted with nothing" in effects[0].text
    assert isinstance(effects[1], SetTimer) and effects[1].name == "gossip"


@BOTH
@covers((R, ANY_PHASE, "recover"))
def test_a_durable_replica_recovers_its_last_forced_vectors(spec: ProtocolSpec) -> None:
    ctx = context(spec, "r2", durable=True)
    zero = {"r1": 0, "r2": 0, "r3": 0}
    records = ({"type": "vector", "p": {**zero, "r2": 1}, "n": zero, "seen": {"c2": 1}},
               {"type": "vector", "p": {**zero, "r2": 2, "r1": 4}, "n": {**zero, "r2": 1}, "seen": {"c2": 3}})
    new, _ = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=records))
    assert new["p"] == {"r1": 4, "r2": 2, "r3": 0} and new["seen"] == {"c2": 3}
    assert new["amnesia"] is False
    if spec is PN_COUNTER:
        assert new["n"] == {**zero, "r2": 1}


@BOTH
@covers((R, ANY_PHASE, "recover"))
def test_a_replica_recovering_after_the_horizon_still_gossips_to_catch_up(spec: ProtocolSpec) -> None:
    ctx = context(spec, "r1")
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=()), now=LATE)
    assert (new["phase"], new["dirty"]) == ("serving", True), "its round tells the peers what it lacks"
    assert [e.name for e in effects if isinstance(e, SetTimer)] == ["gossip"]


# ----------------------------------------------------------- client hooks


def test_each_client_talks_to_its_own_replica_round_robin() -> None:
    ctx = context(G_COUNTER, "c1", clients=5, replicas=3)
    assert [h.replica_of(ctx, f"c{i}") for i in range(1, 6)] == ["r1", "r2", "r3", "r1", "r2"]


@pytest.mark.parametrize(("ratio", "delta"), [(0.0, 1), (1.0, -1)])
def test_a_pn_client_decrements_by_ratio_and_a_g_client_never(ratio: float, delta: int) -> None:
    for spec in (PN_COUNTER, G_COUNTER):
        params = {"decrement_ratio": ratio} if spec is PN_COUNTER else {}
        ctx = context(spec, "c2", **params)
        state = {**spec.initial_state(ctx), "draws": 77}
        new, effects = fire(spec, ctx, state, TimerFired(name="think"))
        want = delta if spec is PN_COUNTER else 1
        assert new["delta"] == want
        assert sends(effects) == [Send(dest="r2", type="add", body={"op": 1, "delta": want})]


def test_a_crdt_read_is_done_with_the_first_answer() -> None:
    ctx = context(G_COUNTER, "c1")
    state = {**G_COUNTER.initial_state(ctx), "phase": "reading", "ops": 3, "acked_inc": 3}
    new, effects = fire(G_COUNTER, ctx, state, receive("read_ok", "r1", "c1", {"value": 8}))
    assert (new["phase"], new["read"]) == ("done", 8)
    new, effects = fire(G_COUNTER, ctx, state, TimerFired(name="retry"))
    assert new == state and sends(effects) == [Send(dest="r1", type="read")]


def test_every_replica_row_has_a_test() -> None:
    assert not COVERAGE.missing(), f"replica rows without a test: {COVERAGE.missing()}"


# ----------------------------------------- every state x every input (Hypothesis)

VECTORS = st.dictionaries(st.sampled_from(["r1", "r2", "r3"]), st.integers(0, 5))


@st.composite
def situations(draw: st.DrawFn) -> tuple[ProtocolSpec, Context, dict[str, Any], Input]:
    spec = draw(st.sampled_from([G_COUNTER, PN_COUNTER]))
    ctx = context(spec, draw(st.sampled_from(["c1", "c2", "r1", "r2", "r3"])), durable=draw(st.booleans()))
    state = dict(spec.initial_state(ctx))
    if ctx.role == R:
        state.update(phase=draw(st.sampled_from(["serving", "quiet"])), p=draw(VECTORS))
        if spec is PN_COUNTER:
            state["n"] = draw(VECTORS)
    else:
        state.update(phase=draw(st.sampled_from(["thinking", "adding", "reading", "done", "stopped"])),
                     ops=draw(st.integers(0, 3)), delta=1)
    kind = draw(st.sampled_from(["start", "recover", "message", "timer"]))
    event: Input
    if kind == "start":
        event = Start(draw=draw(st.floats(0, 1, exclude_max=True)))
    elif kind == "recover":
        event = Recover(durable=())
    elif kind == "timer":
        event = TimerFired(name=draw(st.sampled_from(["think", "retry", "gossip"])))
    else:
        type_ = draw(st.sampled_from(["add", "add_ok", "read", "read_ok", "gossip", "gossip_reply"]))
        src = draw(st.sampled_from([n for n in ctx.roles if n != ctx.node]))
        body = {"op": 1, "delta": 1, "value": 2, "applied": True, "p": draw(VECTORS), "n": {}}
        event = receive(type_, src, ctx.node, body)
    return spec, ctx, state, event


@settings(max_examples=300, deadline=None)
@given(situations())
def test_every_state_and_input_is_handled_as_the_table_says_or_refused_loudly(
        situation: tuple[ProtocolSpec, Context, dict[str, Any], Input]) -> None:
    spec, ctx, state, event = situation
    check_handled_or_refused(spec.table, ctx, state, event, NOW)
