"""Every replica row of the Byzantine counter's table (one block per behaviour), and its client's quorums.

The shared client rows are tested in test_crdt_clients.py. Here: what each
behaviour does with an increment and a read, the client counting 2f + 1
acknowledgements, and the read's decision rule, first on hand-picked
tallies, then by Hypothesis against a model of honest and lying replicas:
with at most f liars the decided value always lies between the
acknowledged and the issued increments; with f + 1 it need not.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from protocols.base import Context, Input, Note, Persist, Recover, Send, SetTimer, Start, TimerFired
from protocols.bft import SPEC
from protocols.bft import handlers as h
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

R = h.REPLICA
COVERAGE = RowRegistry(table_rows(SPEC.table, [R]), "counter-bft")
covers = COVERAGE.covers
STORING = ["honest", "lie-high", "equivocate"]
SPEAKING = ["honest", "lie-high", "lie-low", "equivocate"]


def replica(behaviour: str, **fields: Any) -> tuple[Context, dict[str, Any]]:
    """r4 of four, lying as asked (or r1, honest)."""
    ctx = context(SPEC, "r1") if behaviour == "honest" else context(SPEC, "r4", liars=1, behaviour=behaviour)
    return ctx, state_of(SPEC, ctx, **fields)


def add(tag: str = "c1:1", src: str = "c1") -> Any:
    return receive("add", src, "r1", {"tag": tag, "op": int(tag.split(":")[1])}, msg_id="m11")


def test_placement_makes_the_last_liars_lie() -> None:
    ctx = context(SPEC, "r1", f=2, liars=3, behaviour="silent")
    phases = {n: SPEC.initial_state(context(SPEC, n, f=2, liars=3, behaviour="silent"))["phase"]
              for n in h.replicas(ctx)}
    assert phases == {**{f"r{i}": "honest" for i in range(1, 5)}, "r5": "silent", "r6": "silent", "r7": "silent"}


@pytest.mark.parametrize("behaviour", SPEAKING)
@covers(*[(R, b, "start") for b in SPEAKING])
def test_a_replica_has_nothing_to_start(behaviour: str) -> None:
    ctx, state = replica(behaviour)
    row = SPEC.table.lookup(R, behaviour, "start")
    assert row is not None and row.ignore and row.why
    assert fire(SPEC, ctx, state, Start(draw=0.1)) == (state, [])


@pytest.mark.parametrize("behaviour", STORING)
@covers(*[(R, b, "msg:add") for b in STORING])
def test_a_storing_replica_forces_the_tag_then_acknowledges_it_once(behaviour: str) -> None:
    ctx, state = replica(behaviour, tags=["c2:1"])
    new, effects = fire(SPEC, ctx, state, add("c1:1"))
    assert new["tags"] == ["c1:1", "c2:1"]
    assert effects == [Persist(record={"type": "tag", "tag": "c1:1"}),
                       Send(dest="c1", type="add_ok", body={"tag": "c1:1", "op": 1, "applied": True},
                            in_reply_to="m11")]
    assert_forced_before_sent(effects)
    again, effects = fire(SPEC, ctx, new, add("c1:1"))
    assert again == new and [s.body["applied"] for s in sends(effects)] == [False]


@covers((R, "lie-low", "msg:add"))
def test_a_low_liar_acknowledges_but_keeps_nothing() -> None:
    ctx, state = replica("lie-low")
    new, effects = fire(SPEC, ctx, state, add("c2:3", src="c2"))
    assert new == state
    assert effects == [Send(dest="c2", type="add_ok", body={"tag": "c2:3", "op": 3, "applied": True},
                            in_reply_to="m11")]


@covers((R, "honest", "msg:read"))
def test_an_honest_replica_reports_what_it_stores() -> None:
    ctx, state = replica("honest", tags=["c1:1", "c1:2"])
    assert fire(SPEC, ctx, state, receive("read", "c2", "r1", msg_id="m4")) == (
        state, [Send(dest="c2", type="read_ok", body={"tags": ["c1:1", "c1:2"]}, in_reply_to="m4")])


@covers((R, "lie-high", "msg:read"))
def test_a_high_liar_adds_the_operations_every_liar_invents() -> None:
    ctx, state = replica("lie-high", tags=["c1:1"])
    _, effects = fire(SPEC, ctx, state, receive("read", "c1", "r4"))
    reported = sends(effects)[0].body["tags"]
    invented = [f"c{c}:{k}" for c in (1, 2, 3) for k in (4, 5)]  # three clients, three increments each
    assert reported == sorted(["c1:1", *invented])
    assert h.forged_tags(ctx) == invented


@covers((R, "lie-low", "msg:read"))
def test_a_low_liar_reports_nothing() -> None:
    ctx, state = replica("lie-low")
    assert [s.body for s in sends(fire(SPEC, ctx, state, receive("read", "c1", "r4"))[1])] == [{"tags": []}]


@covers((R, "equivocate", "msg:read"))
def test_an_equivocator_tells_odd_clients_too_much_and_even_ones_nothing() -> None:
    ctx, state = replica("equivocate", tags=["c1:1"])
    odd = sends(fire(SPEC, ctx, state, receive("read", "c3", "r4"))[1])[0].body["tags"]
    even = sends(fire(SPEC, ctx, state, receive("read", "c2", "r4"))[1])[0].body["tags"]
    assert len(odd) > 1 and "c1:1" in odd
    assert even == []


@pytest.mark.parametrize("behaviour", SPEAKING)
@covers(*[(R, b, "recover") for b in SPEAKING])
def test_a_replica_recovers_its_tags_from_the_log(behaviour: str) -> None:
    ctx, state = replica(behaviour)
    log = ({"type": "tag", "tag": "c2:1"}, {"type": "tag", "tag": "c1:1"})
    new, effects = fire(SPEC, ctx, state, Recover(durable=log))
    assert (new["phase"], new["tags"]) == (behaviour, ["c1:1", "c2:1"])
    assert effects == [Note(text="recovered 2 tag(s) from the log")]


@covers(*[(R, "silent", on) for on in ("start", "msg:add", "msg:read", "recover")])
def test_a_silent_replica_never_answers_anything() -> None:
    ctx, state = replica("silent")
    for event in (Start(draw=0.2), add(), receive("read", "c1", "r4"), Recover(durable=())):
        row = SPEC.table.lookup(R, "silent", event.key)
        assert row is not None and row.ignore and "never answers" in row.why
        assert fire(SPEC, ctx, state, event) == (state, [])


def test_every_replica_row_has_a_test() -> None:
    assert not COVERAGE.missing(), f"replica rows without a test: {COVERAGE.missing()}"


# ----------------------------------------------------------- client hooks


def test_an_increment_goes_to_every_replica_that_has_not_acknowledged_it() -> None:
    ctx = context(SPEC, "c1")
    new, effects = fire(SPEC, ctx, {**SPEC.initial_state(ctx), "acked_inc": 0}, TimerFired(name="think"))
    assert [s.dest for s in sends(effects)] == ["r1", "r2", "r3", "r4"]
    assert all(s.body == {"op": 1, "tag": "c1:1"} for s in sends(effects))
    retry = {**new, "acks": ["r1", "r3"]}
    _, effects = fire(SPEC, ctx, retry, TimerFired(name="retry"))
    assert [s.dest for s in sends(effects)] == ["r2", "r4"]


def test_an_increment_is_done_at_2f_plus_1_distinct_acknowledgements() -> None:
    ctx = context(SPEC, "c2", f=2)  # seven replicas, quorum five
    state = {**SPEC.initial_state(ctx), "phase": "adding", "ops": 1, "delta": 1, "stream": 5}
    for n, src in enumerate(["r3", "r1", "r3", "r7", "r2"]):
        state, effects = fire(SPEC, ctx, state, receive("add_ok", src, "c2", {"op": 1, "tag": "c2:1"}))
        assert state["phase"] == "adding" and effects == [], f"after {n + 1} answers"
    state, effects = fire(SPEC, ctx, state, receive("add_ok", "r5", "c2", {"op": 1, "tag": "c2:1"}))
    assert (state["phase"], state["acked_inc"], state["acks"]) == ("thinking", 1, ["r1", "r2", "r3", "r5", "r7"])


def reading(**fields: Any) -> tuple[Context, dict[str, Any]]:
    ctx = context(SPEC, "c1")
    return ctx, {**SPEC.initial_state(ctx), "phase": "reading", "ops": 3, "acked_inc": 3, "attempts": 1, **fields}


def test_a_read_decides_once_no_reported_tag_is_in_doubt() -> None:
    ctx, state = reading()
    honest = ["c1:1", "c1:2"]
    state, _ = fire(SPEC, ctx, state, receive("read_ok", "r4", "c1", {"tags": [*honest, "c1:9"]}))
    state, _ = fire(SPEC, ctx, state, receive("read_ok", "r1", "c1", {"tags": honest}))
    state, effects = fire(SPEC, ctx, state, receive("read_ok", "r2", "c1", {"tags": honest}))
    assert state["phase"] == "reading" and effects == [], "c1:9 could still reach f + 1 with r3's answer"
    state, _ = fire(SPEC, ctx, state, receive("read_ok", "r2", "c1", {"tags": ["c1:9"]}))
    assert state["answers"] == {"r4": 3, "r1": 2, "r2": 2}, "a repeated answer is not counted twice"
    state, effects = fire(SPEC, ctx, state, receive("read_ok", "r3", "c1", {"tags": honest}))
    assert (state["phase"], state["read"]) == ("done", 2)


def test_a_read_asks_the_silent_again_then_gives_up_rather_than_guess() -> None:
    ctx, state = reading(answers={"r1": 1, "r2": 0, "r4": 2}, tally={"c1:1": 2, "c1:9": 1})
    new, effects = fire(SPEC, ctx, state, TimerFired(name="retry"))
    assert new["attempts"] == 2
    assert effects == [Send(dest="r3", type="read"), SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])]
    new, effects = fire(SPEC, ctx, {**state, "attempts": h.READ_ATTEMPTS}, TimerFired(name="retry"))
    assert new["phase"] == "stopped" and new["read"] is None
    assert isinstance(effects[0], Note) and "no quorum decision" in effects[0].text


@pytest.mark.parametrize(("tally", "answered", "value"), [
    ({}, 2, None),                                  # fewer than 2f + 1 answers
    ({}, 3, 0),                                     # nothing reported
    ({"a": 3, "b": 2}, 3, 2),                       # both vouched by f + 1
    ({"a": 3, "x": 1}, 3, None),                    # x could reach 2 with the fourth answer
    ({"a": 3, "x": 1}, 4, 1),                       # ...but everyone answered: x is dropped
    ({"a": 1}, 3, None),
    ({"a": 2, "x": 1}, 4, 1),
])
def test_the_decision_rule_with_f_1(tally: dict[str, int], answered: int, value: int | None) -> None:
    assert h.decide(tally, answered, 4, 1) == value


# ------------------------------------------- the rule against a model of liars

TAGS = [f"t{i}" for i in range(6)]


@st.composite
def worlds(draw: st.DrawFn, extra_liars: int = 0) -> dict[str, Any]:
    """Replicas' reports for one read: honest ones report what they hold, liars anything at all."""
    f = draw(st.integers(1, 3))
    n = 3 * f + 1
    liars = draw(st.integers(0, f)) + extra_liars
    liar_set = set(range(n - liars, n))
    issued = draw(st.sets(st.sampled_from(TAGS)))
    holds: list[set[str]] = [set() for _ in range(n)]
    acked = set()
    for tag in sorted(issued):
        # A tag is issued to everyone; some honest replicas may not have it yet (in flight, partitioned).
        for r in range(n):
            if r not in liar_set and draw(st.booleans()):
                holds[r].add(tag)
        honest_holders = sum(tag in holds[r] for r in range(n) if r not in liar_set)
        if honest_holders + liars >= 2 * f + 1 and draw(st.booleans()):
            acked.add(tag)  # 2f + 1 acknowledgements: honest holders plus liars who said yes
    reports = [sorted(holds[r]) if r not in liar_set
               else sorted(draw(st.sets(st.sampled_from([*TAGS, "fake1", "fake2"])))) for r in range(n)]
    order = draw(st.permutations(range(n)))
    silent = {r for r in liar_set if draw(st.booleans())}
    return {"f": f, "n": n, "acked": acked, "issued": issued, "reports": reports,
            "order": [r for r in order if r not in silent]}


def decided(world: dict[str, Any]) -> int | None:
    """Feed the answers in order; return the first decision (None if the rule never decides)."""
    tally: dict[str, int] = {}
    for count, r in enumerate(world["order"], start=1):
        for tag in world["reports"][r]:
            tally[tag] = tally.get(tag, 0) + 1
        value = h.decide(tally, count, world["n"], world["f"])
        if value is not None:
            return value
    return None


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_with_at_most_f_liars_a_decision_is_never_wrong(world: dict[str, Any]) -> None:
    value = decided(world)
    if value is not None:
        assert len(world["acked"]) <= value <= len(world["issued"]), world


def test_with_f_plus_1_liars_the_rule_can_be_fooled() -> None:
    fooled = find(worlds(extra_liars=1), lambda w: (v := decided(w)) is not None
                  and not len(w["acked"]) <= v <= len(w["issued"]), settings=settings(max_examples=2_000,
                                                                                      deadline=None))
    assert fooled["f"] >= 1


# ----------------------------------------- every state x every input (Hypothesis)


@st.composite
def situations(draw: st.DrawFn) -> tuple[Context, dict[str, Any], Input]:
    behaviour = draw(st.sampled_from(h.BEHAVIOURS))
    ctx = context(SPEC, draw(st.sampled_from(["c1", "c2", "r1", "r3", "r4"])), liars=draw(st.integers(0, 2)),
                  behaviour=behaviour)
    state = dict(SPEC.initial_state(ctx))
    if ctx.role == "client":
        state.update(phase=draw(st.sampled_from(["thinking", "adding", "reading", "done", "stopped"])),
                     ops=draw(st.integers(0, 3)), delta=1, attempts=draw(st.integers(1, 3)))
    else:
        state["tags"] = sorted(draw(st.sets(st.sampled_from(["c1:1", "c2:1", "c1:2"]))))
    kind = draw(st.sampled_from(["start", "recover", "message", "timer"]))
    event: Input
    if kind == "start":
        event = Start(draw=draw(st.floats(0, 1, exclude_max=True)))
    elif kind == "recover":
        event = Recover(durable=({"type": "tag", "tag": "c1:1"},))
    elif kind == "timer":
        event = TimerFired(name=draw(st.sampled_from(["think", "retry"])))
    else:
        type_ = draw(st.sampled_from(["add", "add_ok", "read", "read_ok"]))
        src = draw(st.sampled_from([n for n in ctx.roles if n != ctx.node]))
        event = receive(type_, src, ctx.node, {"op": 1, "tag": "c1:1", "tags": ["c1:1"], "applied": True})
    return ctx, state, event


@settings(max_examples=200, deadline=None)
@given(situations())
def test_every_state_and_input_is_handled_as_the_table_says_or_refused_loudly(
        situation: tuple[Context, dict[str, Any], Input]) -> None:
    check_handled_or_refused(SPEC.table, *situation, NOW)
