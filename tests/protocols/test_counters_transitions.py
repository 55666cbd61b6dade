"""Every row of the three counter and lock transition tables, fired by hand.

Each test builds a Context and a state, fires one input through a table with
a chosen ``now`` (the node's own clock) and asserts the new phase and the
exact effects, in order. Tests register the (protocol, role, phase, input)
rows they cover; a row without a test fails the suite. Rows shared by two
tables (the lock service, the store) are tested once per table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import (
    ANY_PHASE,
    STAY,
    CancelTimer,
    Context,
    Effect,
    Input,
    Note,
    Persist,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
)
from protocols.common.ring import stable_hash
from protocols.common.rng import Stream, seed_from_draw
from protocols.counters.client import STREAM_SALT, think_time
from protocols.counters.lease import COMMIT_DELAY_MS
from protocols.counters.lease import SPEC as LEASE
from protocols.counters.lock_client import CHECK_MARGIN_MS, EPOCH_SPAN, MAX_ACQUIRES_PER_OP
from protocols.counters.locked import SPEC as LOCKED
from protocols.counters.naive import SPEC as NAIVE
from protocols.spec import ProtocolSpec
from tests.protocols import table_support as support
from tests.protocols.table_support import (
    RowRegistry,
    assert_logged_before_sent,
    assert_refused_loudly,
    check_handled_or_refused,
    fire_table,
    receive,
    silent_ignores,
    table_rows,
    without_notes,
)

SPECS = {spec.name: spec for spec in (NAIVE, LOCKED, LEASE)}
LOCKING = (LOCKED, LEASE)
NOW = 1_000
STREAM = 987_654_321
C, L, S = "client", "lock", "store"

ROWS = RowRegistry({(spec.name, *row) for spec in SPECS.values() for row in table_rows(spec.table)},
                   "counter-naive, counter-locked or lock-lease")


def covers(specs: Iterable[ProtocolSpec], *keys: tuple[str, str, str]
           ) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the rows a test exercises in each of ``specs``; a key that is no row fails at import."""
    return ROWS.covers(*[(spec.name, *key) for spec in specs for key in keys])


# ------------------------------------------------------------- helpers


def context(spec: ProtocolSpec, node: str = "c1", **params: Any) -> Context:
    return support.context(spec, node, **params)


def client(spec: ProtocolSpec, phase: str = "thinking", **fields: Any) -> dict[str, Any]:
    return {**spec.initial_state(context(spec)), "phase": phase, "stream": STREAM, **fields}


def holder(spec: ProtocolSpec, phase: str, **fields: Any) -> dict[str, Any]:
    """A lock client in ``phase`` working on its 2nd operation under token 7, lease to NOW + 50."""
    return client(spec, phase, op=2, req=3, sent_at=NOW - 50, token=7, lease_until=NOW + 50, **fields)


def node_state(spec: ProtocolSpec, node: str, **fields: Any) -> dict[str, Any]:
    return {**spec.initial_state(context(spec, node)), **fields}


def fire(spec: ProtocolSpec, ctx: Context, state: dict[str, Any], event: Input, now: int = NOW
         ) -> tuple[dict[str, Any], list[Effect]]:
    return fire_table(spec.table, ctx, state, event, now)


def notes(effects: Sequence[Effect]) -> str:
    """Return the text of every Note among ``effects``, in order."""
    return " ".join(e.text for e in effects if isinstance(e, Note))


def ops_param(spec: ProtocolSpec) -> str:
    """Return the name of the parameter that sets how many operations a client performs."""
    return "writes_per_client" if spec is LEASE else "increments_per_client"


def think_effect(stream: int, think_ms: int = 20) -> tuple[int, SetTimer]:
    """Return the stream after a think draw, and the think timer it sets."""
    s = Stream(stream)
    delay = think_time(s, think_ms)
    return s.state, SetTimer(name="think", delay_ms=delay)


def retry_timer(ms: int = 80) -> SetTimer:
    return SetTimer(name="retry", delay_ms=ms)


# ------------------------------------------------------------- every client: start, think, recover


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
@covers(SPECS.values(), (C, "thinking", "start"))
def test_a_client_seeds_its_stream_from_the_start_draw_and_thinks(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c2", think_ms=40)
    state = spec.initial_state(ctx)
    new, effects = fire(spec, ctx, state, Start(draw=0.25))
    stream, timer = think_effect(Stream(seed_from_draw(0.25, STREAM_SALT)).state, 40)
    assert new == {**state, "phase": "thinking", "stream": stream}
    assert effects == [timer]
    assert 20 <= timer.delay_ms <= 60
    other, _ = fire(spec, ctx, state, Start(draw=0.75))
    assert other["stream"] != new["stream"], "another draw, another stream: interleavings vary by seed"


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
@covers(SPECS.values(), (C, "thinking", "start"))
def test_a_client_without_work_is_done_at_once(spec: ProtocolSpec) -> None:
    ctx = context(spec, **{ops_param(spec): 0})
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Start(draw=0.5))
    assert new["phase"] == "done"
    assert without_notes(effects) == []


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
@covers(SPECS.values(), (C, ANY_PHASE, "recover"))
def test_a_recovered_client_goes_on_after_the_last_logged_operation(spec: ProtocolSpec) -> None:
    ctx = context(spec, **{ops_param(spec): 3})
    durable = ({"type": "op", "op": 1, "stream": 11}, {"type": "op", "op": 2, "stream": 22})
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=durable))
    stream, timer = think_effect(22)
    assert (new["phase"], new["op"], new["stream"]) == ("thinking", 2, stream)
    assert without_notes(effects) == [*restart(spec), timer]
    assert "c1#2 was interrupted" in notes(effects)
    last = ({"type": "op", "op": 3, "stream": 5},)
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=last))
    assert new["phase"] == "done", "the interrupted operation was the last one"


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
@covers(SPECS.values(), (C, ANY_PHASE, "recover"))
def test_a_client_recovered_before_any_operation_seeds_from_its_name(spec: ProtocolSpec) -> None:
    ctx = context(spec, "c3", clients=3)
    new, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=()))
    stream, timer = think_effect(Stream(stable_hash("c3")).state)
    assert (new["phase"], new["op"], new["stream"]) == ("thinking", 0, stream)
    assert without_notes(effects) == [*restart(spec), timer]


def restart(spec: ProtocolSpec) -> list[Effect]:
    """Return what a client forces first on its first recovery: a lock client's new epoch, if any."""
    return [Persist(record={"type": "restart", "epoch": 1})] if spec in LOCKING else []


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, ANY_PHASE, "recover"), (C, "thinking", "timer:think"), (C, "acquiring", "msg:grant"))
def test_a_restarted_lock_client_never_takes_a_grant_meant_for_its_previous_life(spec: ProtocolSpec) -> None:
    ctx = context(spec, **{ops_param(spec): 3})
    durable = ({"type": "op", "op": 1, "stream": 11}, {"type": "restart", "epoch": 1})
    recovered, effects = fire(spec, ctx, spec.initial_state(ctx), Recover(durable=durable))
    assert effects[0] == Persist(record={"type": "restart", "epoch": 2})
    acquiring, effects = fire(spec, ctx, recovered, TimerFired(name="think"))
    (ask,) = [e for e in effects if isinstance(e, Send)]
    assert ask.type == "acquire" and ask.body["req"] == 2 * EPOCH_SPAN + 1
    # A grant for request 1, sent before the crash (or before the one before): not for this request.
    for old in (1, EPOCH_SPAN + 1):
        stale = receive("grant", L, "c1", {"req": old, "token": 1, "lease_ms": 100})
        assert fire(spec, ctx, acquiring, stale)[0] == acquiring
    fresh = receive("grant", L, "c1", {"req": ask.body["req"], "token": 2, "lease_ms": 100})
    assert fire(spec, ctx, acquiring, fresh)[0]["token"] == 2


# ------------------------------------------------------------- counter-naive client


@covers([NAIVE], (C, "thinking", "timer:think"))
def test_naive_numbers_the_increment_logs_it_then_reads() -> None:
    new, effects = fire(NAIVE, context(NAIVE), client(NAIVE, op=1), TimerFired(name="think"))
    assert (new["phase"], new["op"], new["tries"]) == ("reading", 2, 1)
    assert effects == [Persist(record={"type": "op", "op": 2, "stream": STREAM}),
                       Send(dest=S, type="read", body={"op": "c1#2"}), retry_timer()]


@covers([NAIVE], (C, "reading", "msg:read_ok"))
def test_naive_writes_back_the_value_read_plus_one_naming_its_read() -> None:
    state = client(NAIVE, "reading", op=2, tries=1)
    answer = receive("read_ok", S, "c1", {"value": 41, "op": "c1#2"}, in_reply_to="m7")
    new, effects = fire(NAIVE, context(NAIVE), state, answer)
    assert (new["phase"], new["value"], new["read"], new["tries"]) == ("writing", 41, "m7", 1)
    assert effects == [Send(dest=S, type="write", body={"value": 42, "op": "c1#2", "read": "m7"}), retry_timer()]


@covers([NAIVE], (C, "reading", "msg:read_ok"))
def test_naive_ignores_a_late_answer_to_its_previous_increments_read() -> None:
    state = client(NAIVE, "reading", op=2, tries=1)
    late = receive("read_ok", S, "c1", {"value": 40, "op": "c1#1"}, in_reply_to="m3")
    assert fire(NAIVE, context(NAIVE), state, late) == (state, [])


@covers([NAIVE], (C, "reading", "timer:retry"))
def test_naive_asks_again_for_the_value_then_gives_up() -> None:
    ctx = context(NAIVE, max_tries=3)
    new, effects = fire(NAIVE, ctx, client(NAIVE, "reading", op=1, tries=2), TimerFired(name="retry"))
    assert (new["phase"], new["tries"]) == ("reading", 3)
    assert effects == [Send(dest=S, type="read", body={"op": "c1#1"}), retry_timer()]
    new, effects = fire(NAIVE, ctx, client(NAIVE, "reading", op=1, tries=3), TimerFired(name="retry"))
    stream, timer = think_effect(STREAM)
    assert (new["phase"], new["stream"]) == ("thinking", stream)
    assert without_notes(effects) == [CancelTimer(name="retry"), timer]
    assert "gives up c1#1" in notes(effects)


@covers([NAIVE], (C, "writing", "msg:write_ok"))
def test_naive_thinks_after_its_write_is_acknowledged_and_stops_after_the_last() -> None:
    ctx = context(NAIVE)
    state = client(NAIVE, "writing", op=2, value=4, read="m3", tries=1)
    new, effects = fire(NAIVE, ctx, state, receive("write_ok", S, "c1", {"op": "c1#2"}))
    stream, timer = think_effect(STREAM)
    assert (new["phase"], new["tries"], new["stream"]) == ("thinking", 0, stream)
    assert effects == [CancelTimer(name="retry"), timer]
    new, effects = fire(NAIVE, ctx, {**state, "op": 3}, receive("write_ok", S, "c1", {"op": "c1#3"}))
    assert new["phase"] == "done"
    assert without_notes(effects) == [CancelTimer(name="retry")]


@covers([NAIVE], (C, "writing", "msg:write_ok"))
def test_naive_ignores_a_late_acknowledgement_of_an_earlier_increment() -> None:
    state = client(NAIVE, "writing", op=2, value=4, read="m3", tries=1)
    assert fire(NAIVE, context(NAIVE), state, receive("write_ok", S, "c1", {"op": "c1#1"})) == (state, [])


@covers([NAIVE], (C, "writing", "timer:retry"))
def test_naive_writes_the_same_value_again_then_gives_up() -> None:
    ctx = context(NAIVE)
    state = client(NAIVE, "writing", op=2, value=4, read="m3", tries=1)
    new, effects = fire(NAIVE, ctx, state, TimerFired(name="retry"))
    assert (new["phase"], new["tries"]) == ("writing", 2)
    assert effects == [Send(dest=S, type="write", body={"value": 5, "op": "c1#2", "read": "m3"}), retry_timer()]
    new, effects = fire(NAIVE, ctx, {**state, "tries": 5}, TimerFired(name="retry"))
    assert new["phase"] == "thinking"
    assert CancelTimer(name="retry") in effects


@pytest.mark.parametrize(("phase", "type_"), [("thinking", "read_ok"), ("writing", "read_ok"), ("done", "read_ok"),
                                              ("thinking", "write_ok"), ("reading", "write_ok"),
                                              ("done", "write_ok")])
@covers([NAIVE], (C, ANY_PHASE, "msg:read_ok"), (C, ANY_PHASE, "msg:write_ok"))
def test_naive_late_answers_change_nothing(phase: str, type_: str) -> None:
    row = NAIVE.table.lookup(C, phase, "msg:" + type_)
    assert row is not None and row.ignore and row.why
    state = client(NAIVE, phase, op=1)
    assert fire(NAIVE, context(NAIVE), state, receive(type_, S, "c1", {"value": 3, "op": "c1#1"})) == (state, [])


# ------------------------------------------------------------- lock clients: acquiring


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, "thinking", "timer:think"))
def test_a_lock_client_numbers_its_operation_logs_it_and_asks_for_the_lock(spec: ProtocolSpec) -> None:
    state = client(spec, op=1, req=4, acquires=9)
    new, effects = fire(spec, context(spec), state, TimerFired(name="think"))
    assert (new["phase"], new["op"], new["req"], new["acquires"], new["sent_at"]) == ("acquiring", 2, 5, 1, NOW)
    assert effects == [Persist(record={"type": "op", "op": 2, "stream": STREAM}),
                       Send(dest=L, type="acquire", body={"req": 5}), retry_timer()]


@covers([LOCKED], (C, "acquiring", "msg:grant"))
def test_locked_reads_under_its_token_once_granted_and_dates_the_lease_from_its_request() -> None:
    state = client(LOCKED, "acquiring", op=2, req=3, sent_at=900, tries=1)
    grant = receive("grant", L, "c1", {"req": 3, "token": 7, "lease_ms": 100})
    new, effects = fire(LOCKED, context(LOCKED), state, grant)
    assert (new["phase"], new["token"], new["lease_until"], new["tries"]) == ("reading", 7, 1_000, 1)
    assert effects == [Send(dest=S, type="read", body={"token": 7, "op": "c1#2"}), retry_timer()]


@covers([LEASE], (C, "acquiring", "msg:grant"))
def test_lease_client_works_once_granted_and_dates_the_lease_from_its_request() -> None:
    state = client(LEASE, "acquiring", op=1, req=3, sent_at=900, tries=1)
    grant = receive("grant", L, "c1", {"req": 3, "token": 7, "lease_ms": 100})
    new, effects = fire(LEASE, context(LEASE, work_ms=33), state, grant)
    assert (new["phase"], new["token"], new["lease_until"], new["tries"]) == ("holding", 7, 1_000, 0)
    assert effects == [CancelTimer(name="retry"), SetTimer(name="work", delay_ms=33)]


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, "acquiring", "msg:grant"))
def test_a_grant_answering_an_older_request_is_ignored(spec: ProtocolSpec) -> None:
    state = client(spec, "acquiring", op=1, req=3, sent_at=900, tries=1)
    grant = receive("grant", L, "c1", {"req": 2, "token": 7, "lease_ms": 100})
    assert fire(spec, context(spec), state, grant) == (state, [])


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, "acquiring", "msg:busy"))
def test_busy_means_wait_part_of_the_time_left_then_ask_again(spec: ProtocolSpec) -> None:
    state = client(spec, "acquiring", op=1, req=3, sent_at=900, tries=1)
    new, effects = fire(spec, context(spec), state, receive("busy", L, "c1", {"req": 3, "retry_ms": 60}))
    s = Stream(STREAM)
    wait = s.between(30, 60) + 1
    assert (new["phase"], new["tries"], new["stream"]) == ("acquiring", 0, s.state)
    assert effects == [SetTimer(name="retry", delay_ms=wait)]
    stale = receive("busy", L, "c1", {"req": 2, "retry_ms": 60})
    assert fire(spec, context(spec), state, stale) == (state, []), "an answer to an older request"


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, "acquiring", "timer:retry"))
def test_a_lock_client_asks_again_gives_up_after_silences_and_after_too_many_requests(spec: ProtocolSpec) -> None:
    ctx = context(spec)
    state = client(spec, "acquiring", op=1, req=3, sent_at=900, tries=1, acquires=4)
    new, effects = fire(spec, ctx, state, TimerFired(name="retry"), now=1_200)
    assert (new["phase"], new["req"], new["sent_at"], new["tries"], new["acquires"]) == ("acquiring", 4, 1_200, 2, 5)
    assert effects == [Send(dest=L, type="acquire", body={"req": 4}), retry_timer()]
    new, effects = fire(spec, ctx, {**state, "tries": 5}, TimerFired(name="retry"))
    assert new["phase"] == "thinking" and CancelTimer(name="retry") in effects
    assert not [e for e in effects if isinstance(e, Send)]
    new, effects = fire(spec, ctx, {**state, "acquires": MAX_ACQUIRES_PER_OP}, TimerFired(name="retry"))
    assert new["phase"] == "thinking"
    assert "gives up c1#1" in notes(effects)
    few = context(spec, max_acquires=4)  # The explorer's small model asks once (max_acquires=1).
    new, effects = fire(spec, few, state, TimerFired(name="retry"))
    assert new["phase"] == "thinking" and "gives up c1#1" in notes(effects)
    assert not [e for e in effects if isinstance(e, Send)]


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, ANY_PHASE, "msg:grant"))
def test_an_unwanted_grant_is_given_back_unless_it_is_the_lease_held(spec: ProtocolSpec) -> None:
    ctx = context(spec)
    thinking = client(spec, "thinking", op=1)
    assert fire(spec, ctx, thinking, receive("grant", L, "c1", {"req": 1, "token": 4, "lease_ms": 100})) == (
        thinking, [Send(dest=L, type="release", body={"token": 4})])
    phase = "reading" if spec is LOCKED else "holding"
    held = holder(spec, phase)
    assert fire(spec, ctx, held, receive("grant", L, "c1", {"req": 3, "token": 7, "lease_ms": 20})) == (held, [])


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (C, ANY_PHASE, "msg:busy"), (C, ANY_PHASE, "msg:write_ok"), (C, ANY_PHASE, "msg:error"))
def test_late_answers_to_a_lock_client_change_nothing(spec: ProtocolSpec) -> None:
    for phase, type_ in [("thinking", "busy"), ("done", "write_ok"), ("acquiring", "error"), ("thinking", "error")]:
        row = spec.table.lookup(C, phase, "msg:" + type_)
        assert row is not None and row.ignore and row.why
        state = client(spec, phase, op=1)
        assert fire(spec, context(spec), state, receive(type_, S, "c1", {"op": "c1#1", "token": 1})) == (state, [])


@covers([LOCKED], (C, ANY_PHASE, "msg:read_ok"))
def test_locked_late_read_answers_change_nothing() -> None:
    for phase in ("thinking", "acquiring", "writing", "done"):
        state = client(LOCKED, phase, op=1)
        assert fire(LOCKED, context(LOCKED), state, receive("read_ok", S, "c1", {"value": 1})) == (state, [])


# ------------------------------------------------------------- counter-locked client


@covers([LOCKED], (C, "reading", "msg:read_ok"))
def test_locked_writes_value_plus_one_under_its_token_while_its_own_clock_says_the_lease_holds() -> None:
    state = holder(LOCKED, "reading", tries=1)
    answer = receive("read_ok", S, "c1", {"value": 9, "token": 7, "op": "c1#2"}, in_reply_to="m5")
    new, effects = fire(LOCKED, context(LOCKED), state, answer, now=NOW + 50 - CHECK_MARGIN_MS - 1)
    assert (new["phase"], new["value"], new["read"]) == ("writing", 9, "m5")
    assert effects == [Send(dest=S, type="write", body={"value": 10, "op": "c1#2", "read": "m5", "token": 7}),
                       retry_timer()]


@covers([LOCKED], (C, "reading", "msg:read_ok"))
def test_locked_starts_over_when_its_own_clock_says_the_lease_ran_out() -> None:
    state = holder(LOCKED, "reading", tries=1)
    answer = receive("read_ok", S, "c1", {"value": 9, "token": 7, "op": "c1#2"}, in_reply_to="m5")
    late = NOW + 50 - CHECK_MARGIN_MS
    new, effects = fire(LOCKED, context(LOCKED), state, answer, now=late)
    assert (new["phase"], new["token"], new["lease_until"], new["req"], new["sent_at"]) == (
        "acquiring", None, None, 4, late)
    assert without_notes(effects) == [Send(dest=L, type="release", body={"token": 7}), CancelTimer(name="retry"),
                                      Send(dest=L, type="acquire", body={"req": 4}), retry_timer()]


@covers([LOCKED], (C, "reading", "msg:read_ok"))
def test_locked_ignores_a_value_read_under_an_earlier_lease() -> None:
    state = holder(LOCKED, "reading", tries=1)
    answer = receive("read_ok", S, "c1", {"value": 9, "token": 6, "op": "c1#2"}, in_reply_to="m5")
    assert fire(LOCKED, context(LOCKED), state, answer) == (state, [])


@covers([LOCKED], (C, "reading", "msg:read_ok"))
def test_locked_ignores_a_late_answer_to_its_previous_increment_under_the_same_token() -> None:
    """Found by hypothesis: a holder granted its own token again took the old value and lost its increment."""
    state = holder(LOCKED, "reading", tries=1)
    late = receive("read_ok", S, "c1", {"value": 8, "token": 7, "op": "c1#1"}, in_reply_to="m2")
    assert fire(LOCKED, context(LOCKED), state, late) == (state, [])


@covers([LOCKED], (C, "reading", "timer:retry"))
def test_locked_reads_again_then_releases_and_gives_up() -> None:
    ctx = context(LOCKED)
    new, effects = fire(LOCKED, ctx, holder(LOCKED, "reading", tries=1), TimerFired(name="retry"))
    assert (new["phase"], new["tries"]) == ("reading", 2)
    assert effects == [Send(dest=S, type="read", body={"token": 7, "op": "c1#2"}), retry_timer()]
    new, effects = fire(LOCKED, ctx, holder(LOCKED, "reading", tries=5), TimerFired(name="retry"))
    assert (new["phase"], new["token"]) == ("thinking", None)
    assert without_notes(effects)[:2] == [Send(dest=L, type="release", body={"token": 7}), CancelTimer(name="retry")]


@covers([LOCKED], (C, "writing", "msg:write_ok"))
def test_locked_releases_the_lock_once_its_increment_is_acknowledged() -> None:
    state = holder(LOCKED, "writing", tries=1, value=9, read="m5")
    new, effects = fire(LOCKED, context(LOCKED), state, receive("write_ok", S, "c1", {"op": "c1#2"}))
    _, timer = think_effect(STREAM)
    assert (new["phase"], new["token"], new["lease_until"]) == ("thinking", None, None)
    assert effects == [Send(dest=L, type="release", body={"token": 7}), CancelTimer(name="retry"), timer]
    assert fire(LOCKED, context(LOCKED), state, receive("write_ok", S, "c1", {"op": "c1#1"})) == (state, [])


@covers([LOCKED], (C, "writing", "msg:error"))
def test_locked_fenced_out_takes_the_lock_again_and_redoes_the_increment() -> None:
    state = holder(LOCKED, "writing", tries=1, value=9, read="m5")
    error = receive("error", S, "c1", {"code": "stale_token", "definite": True, "op": "c1#2", "token": 7,
                                       "max_token": 8})
    new, effects = fire(LOCKED, context(LOCKED), state, error)
    assert (new["phase"], new["op"], new["token"]) == ("acquiring", 2, None)
    assert without_notes(effects) == [Send(dest=L, type="release", body={"token": 7}), CancelTimer(name="retry"),
                                      Send(dest=L, type="acquire", body={"req": 4}), retry_timer()]
    earlier = receive("error", S, "c1", {"code": "stale_token", "op": "c1#2", "token": 5, "max_token": 8})
    assert fire(LOCKED, context(LOCKED), state, earlier) == (state, [])


@covers([LOCKED], (C, "writing", "timer:retry"))
def test_locked_writes_again_under_the_same_token_then_gives_up() -> None:
    ctx = context(LOCKED)
    state = holder(LOCKED, "writing", tries=1, value=9, read="m5")
    new, effects = fire(LOCKED, ctx, state, TimerFired(name="retry"))
    assert (new["phase"], new["tries"]) == ("writing", 2)
    assert effects == [Send(dest=S, type="write", body={"value": 10, "op": "c1#2", "read": "m5", "token": 7}),
                       retry_timer()]
    new, effects = fire(LOCKED, ctx, {**state, "tries": 5}, TimerFired(name="retry"))
    assert new["phase"] == "thinking"
    assert Send(dest=L, type="release", body={"token": 7}) in effects


# ------------------------------------------------------------- lock-lease client


@covers([LEASE], (C, "holding", "timer:work"))
def test_lease_client_checks_its_lease_by_its_own_clock_then_commits_to_write() -> None:
    state = holder(LEASE, "holding")
    new, effects = fire(LEASE, context(LEASE), state, TimerFired(name="work"), now=NOW + 40)
    assert new["phase"] == "committing"
    assert without_notes(effects) == [SetTimer(name="write", delay_ms=COMMIT_DELAY_MS)]
    assert "10 ms left" in notes(effects)


@covers([LEASE], (C, "holding", "timer:work"))
def test_lease_client_whose_clock_says_expired_releases_and_asks_again() -> None:
    state = holder(LEASE, "holding")
    new, effects = fire(LEASE, context(LEASE), state, TimerFired(name="work"), now=NOW + 48)
    assert (new["phase"], new["token"], new["req"]) == ("acquiring", None, 4)
    assert without_notes(effects) == [Send(dest=L, type="release", body={"token": 7}), CancelTimer(name="retry"),
                                      Send(dest=L, type="acquire", body={"req": 4}), retry_timer()]


@covers([LEASE], (C, "committing", "timer:write"))
def test_lease_client_writes_without_looking_at_its_clock_again() -> None:
    state = holder(LEASE, "committing")
    new, effects = fire(LEASE, context(LEASE), state, TimerFired(name="write"), now=NOW + 10_000)
    assert (new["phase"], new["tries"]) == ("writing", 1)
    assert effects == [Send(dest=S, type="write", body={"op": "c1#2", "token": 7}), retry_timer()]


@covers([LEASE], (C, "writing", "msg:write_ok"))
def test_lease_client_releases_after_its_write_and_stops_after_the_last() -> None:
    state = holder(LEASE, "writing", tries=1)
    new, effects = fire(LEASE, context(LEASE), state, receive("write_ok", S, "c1", {"op": "c1#2"}))
    assert (new["phase"], new["token"]) == ("done", None)
    assert without_notes(effects) == [Send(dest=L, type="release", body={"token": 7}), CancelTimer(name="retry")]
    assert fire(LEASE, context(LEASE), state, receive("write_ok", S, "c1", {"op": "c1#1"})) == (state, [])


@covers([LEASE], (C, "writing", "msg:error"))
def test_lease_client_fenced_out_takes_the_lock_again() -> None:
    state = holder(LEASE, "writing", tries=1)
    error = receive("error", S, "c1", {"code": "stale_token", "definite": True, "op": "c1#2", "token": 7,
                                       "max_token": 9})
    new, effects = fire(LEASE, context(LEASE), state, error)
    assert (new["phase"], new["op"]) == ("acquiring", 2)
    assert Send(dest=L, type="acquire", body={"req": 4}) in effects
    assert "refused token 7" in notes(effects)


@covers([LEASE], (C, "writing", "timer:retry"))
def test_lease_client_writes_again_then_releases_and_gives_up() -> None:
    ctx = context(LEASE)
    state = holder(LEASE, "writing", tries=1)
    new, effects = fire(LEASE, ctx, state, TimerFired(name="retry"))
    assert (new["phase"], new["tries"]) == ("writing", 2)
    assert effects == [Send(dest=S, type="write", body={"op": "c1#2", "token": 7}), retry_timer()]
    new, effects = fire(LEASE, ctx, {**state, "tries": 5}, TimerFired(name="retry"))
    assert new["phase"] == "done"
    assert Send(dest=L, type="release", body={"token": 7}) in effects


# ------------------------------------------------------------- lock service


def lock_state(spec: ProtocolSpec, phase: str = "free", **fields: Any) -> dict[str, Any]:
    return node_state(spec, L, phase=phase, **fields)


HELD = {"leases": [{"client": "c2", "token": 4, "until": NOW + 30}], "last_token": 4}


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "free", "start"))
def test_the_lock_boots_free_and_waits(spec: ProtocolSpec) -> None:
    state = lock_state(spec)
    assert state == {"phase": "free", "leases": [], "last_token": 0}
    assert fire(spec, context(spec, L), state, Start(draw=0.3)) == (state, [])


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "free", "msg:acquire"))
def test_a_free_lock_forces_the_next_token_then_grants_a_lease(spec: ProtocolSpec) -> None:
    state = lock_state(spec, last_token=4)
    new, effects = fire(spec, context(spec, L, lease_ms=70), state, receive("acquire", "c1", L, {"req": 2}))
    assert new == {"phase": "held", "leases": [{"client": "c1", "token": 5, "until": NOW + 70}], "last_token": 5}
    assert effects == [Persist(record={"type": "token", "token": 5}), SetTimer(name="lease", delay_ms=70),
                       Send(dest="c1", type="grant", body={"req": 2, "token": 5, "lease_ms": 70}, in_reply_to="m42")]


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "held", "msg:acquire"))
def test_a_held_lock_tells_others_to_wait_and_regrants_its_holder_the_time_left(spec: ProtocolSpec) -> None:
    state = lock_state(spec, "held", **HELD)
    ctx = context(spec, L)
    assert fire(spec, ctx, state, receive("acquire", "c1", L, {"req": 9})) == (
        state, [Send(dest="c1", type="busy", body={"req": 9, "retry_ms": 30}, in_reply_to="m42")])
    assert fire(spec, ctx, state, receive("acquire", "c2", L, {"req": 3})) == (
        state, [Send(dest="c2", type="grant", body={"req": 3, "token": 4, "lease_ms": 30}, in_reply_to="m42")])


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "held", "msg:release"))
def test_the_holder_releases_but_an_old_token_releases_nothing(spec: ProtocolSpec) -> None:
    state = lock_state(spec, "held", **HELD)
    ctx = context(spec, L)
    new, effects = fire(spec, ctx, state, receive("release", "c2", L, {"token": 4}))
    ended = {"client": "c2", "token": 4, "how": "released"}  # Recorded for the lock's timeline panel.
    assert new == {"phase": "free", "leases": [], "last_token": 4, "ended": ended}
    assert without_notes(effects) == [CancelTimer(name="lease")]
    assert fire(spec, ctx, state, receive("release", "c1", L, {"token": 3})) == (state, [])


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "held", "timer:lease"))
def test_a_lease_expires_by_the_locks_clock(spec: ProtocolSpec) -> None:
    new, effects = fire(spec, context(spec, L), lock_state(spec, "held", **HELD), TimerFired(name="lease"))
    ended = {"client": "c2", "token": 4, "how": "expired"}
    assert new == {"phase": "free", "leases": [], "last_token": 4, "ended": ended}
    assert [e.text for e in effects if isinstance(e, Note)] == ["c2's lease (token 4) expires by the lock's clock"]


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, ANY_PHASE, "recover"))
def test_a_recovered_lock_keeps_its_last_token_and_waits_out_one_lease(spec: ProtocolSpec) -> None:
    durable = ({"type": "token", "token": 1}, {"type": "token", "token": 2})
    new, effects = fire(spec, context(spec, L, lease_ms=90), lock_state(spec), Recover(durable=durable))
    assert new == {"phase": "recovering", "leases": [], "last_token": 2, "grace_until": NOW + 90}
    assert without_notes(effects) == [SetTimer(name="grace", delay_ms=90)]


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "recovering", "msg:acquire"))
def test_a_recovering_lock_answers_busy_until_the_grace_is_over(spec: ProtocolSpec) -> None:
    state = lock_state(spec, "recovering", last_token=2, grace_until=NOW + 25)
    assert fire(spec, context(spec, L), state, receive("acquire", "c1", L, {"req": 1})) == (
        state, [Send(dest="c1", type="busy", body={"req": 1, "retry_ms": 25}, in_reply_to="m42")])


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "recovering", "timer:grace"))
def test_after_the_grace_the_lock_is_free_again(spec: ProtocolSpec) -> None:
    state = lock_state(spec, "recovering", last_token=2, grace_until=NOW)
    new, effects = fire(spec, context(spec, L), state, TimerFired(name="grace"))
    assert new == {"phase": "free", "leases": [], "last_token": 2}
    assert without_notes(effects) == []


@pytest.mark.parametrize("spec", LOCKING, ids=lambda s: s.name)
@covers(LOCKING, (L, "free", "msg:release"), (L, "recovering", "msg:release"))
def test_a_late_release_changes_nothing(spec: ProtocolSpec) -> None:
    for state in (lock_state(spec, last_token=3), lock_state(spec, "recovering", last_token=3, grace_until=NOW)):
        row = spec.table.lookup(L, state["phase"], "msg:release")
        assert row is not None and row.ignore and row.why
        assert fire(spec, context(spec, L), state, receive("release", "c1", L, {"token": 3})) == (state, [])


# ------------------------------------------------------------- store


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
@covers(SPECS.values(), (S, "serving", "start"))
def test_the_store_boots_serving_and_waits(spec: ProtocolSpec) -> None:
    state = node_state(spec, S)
    assert state["phase"] == "serving"
    assert fire(spec, context(spec, S), state, Start(draw=0.1)) == (state, [])


@covers([NAIVE], (S, "serving", "msg:read"))
def test_the_naive_store_answers_a_read_with_its_value() -> None:
    state = node_state(NAIVE, S, value=6)
    assert fire(NAIVE, context(NAIVE, S), state, receive("read", "c2", S)) == (
        state, [Send(dest="c2", type="read_ok", body={"value": 6}, in_reply_to="m42")])


@covers([LOCKED], (S, "serving", "msg:read"))
def test_the_fenced_store_raises_and_forces_its_highest_token_on_a_read() -> None:
    ctx = context(LOCKED, S)
    state = node_state(LOCKED, S, value=6, max_token=3)
    new, effects = fire(LOCKED, ctx, state, receive("read", "c2", S, {"token": 5}))
    assert new == {**state, "max_token": 5}
    assert effects == [Persist(record={"type": "fence", "max_token": 5}),
                       Send(dest="c2", type="read_ok", body={"value": 6, "token": 5}, in_reply_to="m42")]
    new, effects = fire(LOCKED, ctx, state, receive("read", "c2", S, {"token": 2}))
    assert new == state, "an older token is answered (a read harms nothing) but lowers nothing"
    assert effects == [Send(dest="c2", type="read_ok", body={"value": 6, "token": 2}, in_reply_to="m42")]


@covers([LOCKED], (S, "serving", "msg:read"))
def test_the_store_names_the_increment_a_read_was_for_in_its_answer() -> None:
    state = node_state(LOCKED, S, value=6, max_token=5)
    _, effects = fire(LOCKED, context(LOCKED, S), state, receive("read", "c2", S, {"token": 5, "op": "c2#3"}))
    assert effects == [Send(dest="c2", type="read_ok", body={"value": 6, "token": 5, "op": "c2#3"}, in_reply_to="m42")]


@covers([NAIVE], (S, "serving", "msg:write"))
def test_the_naive_store_applies_every_write_forcing_it_first() -> None:
    state = node_state(NAIVE, S, value=6)
    write = receive("write", "c1", S, {"value": 4, "op": "c1#2", "read": "m3"})
    new, effects = fire(NAIVE, context(NAIVE, S), state, write)
    assert new == {**state, "value": 4}, "even a lower value: the naive store cannot tell"
    assert effects == [Persist(record={"type": "write", "value": 4, "op": "c1#2", "by": "c1", "read": "m3"}),
                       Send(dest="c1", type="write_ok", body={"op": "c1#2"}, in_reply_to="m42")]


@covers([LOCKED], (S, "serving", "msg:write"))
def test_the_fenced_register_refuses_a_stale_token_and_applies_a_current_one() -> None:
    ctx = context(LOCKED, S)
    state = node_state(LOCKED, S, value=6, max_token=5)
    stale = receive("write", "c1", S, {"value": 7, "op": "c1#2", "read": "m3", "token": 4})
    new, effects = fire(LOCKED, ctx, state, stale)
    assert new == state
    assert without_notes(effects) == [Send(dest="c1", type="error", in_reply_to="m42", body={
        "code": "stale_token", "definite": True, "op": "c1#2", "token": 4, "max_token": 5})]
    current = receive("write", "c1", S, {"value": 7, "op": "c1#2", "read": "m3", "token": 6})
    new, effects = fire(LOCKED, ctx, state, current)
    assert new == {**state, "value": 7, "max_token": 6}
    assert effects == [Persist(record={"type": "write", "value": 7, "op": "c1#2", "by": "c1", "read": "m3",
                                       "token": 6}),
                       Send(dest="c1", type="write_ok", body={"op": "c1#2"}, in_reply_to="m42")]


@pytest.mark.parametrize("fencing", ["on", "off"])
@covers([LEASE], (S, "serving", "msg:write"))
def test_the_log_store_fences_only_with_fencing_on_and_keeps_each_operation_once(fencing: str) -> None:
    ctx = context(LEASE, S, fencing=fencing)
    state = {**LEASE.initial_state(ctx), "content": ["c2#1"], "max_token": 5}
    assert "fencing" not in state, "the store reads the parameter from its context, never a copy in its state"
    stale = receive("write", "c1", S, {"op": "c1#1", "token": 4})
    new, effects = fire(LEASE, ctx, state, stale)
    if fencing == "on":
        assert new == state
        assert [e.type for e in effects if isinstance(e, Send)] == ["error"]
    else:
        assert new == {**state, "content": ["c2#1", "c1#1"]}, "unfenced: the stale write lands"
        assert effects == [Persist(record={"type": "write", "op": "c1#1", "by": "c1", "token": 4}),
                           Send(dest="c1", type="write_ok", body={"op": "c1#1"}, in_reply_to="m42")]
    again = receive("write", "c2", S, {"op": "c2#1", "token": 6})
    new, effects = fire(LEASE, ctx, state, again)
    assert new == state and effects == [Send(dest="c2", type="write_ok", body={"op": "c2#1"}, in_reply_to="m42")]


@pytest.mark.parametrize(("spec", "params", "boot"), [
    (NAIVE, {}, {"phase": "serving", "value": 0}),
    (LOCKED, {}, {"phase": "serving", "value": 0, "max_token": 0}),
    (LEASE, {"fencing": "on"}, {"phase": "serving", "content": [], "max_token": 0}),
    (LEASE, {"fencing": "off"}, {"phase": "serving", "content": [], "max_token": 0}),
], ids=["naive", "locked", "lease-fenced", "lease-unfenced"])
def test_the_store_boots_with_its_data_and_tokens_but_no_copy_of_the_parameters(
        spec: ProtocolSpec, params: dict[str, Any], boot: dict[str, Any]) -> None:
    assert spec.initial_state(context(spec, S, **params)) == boot


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
@covers(SPECS.values(), (S, ANY_PHASE, "recover"))
def test_the_store_rebuilds_its_data_and_highest_token_from_its_log(spec: ProtocolSpec) -> None:
    durable = (
        {"type": "write", "value": 1, "op": "c1#1", "by": "c1", "read": "m1", "token": 2},
        {"type": "fence", "max_token": 5},
        {"type": "write", "value": 2, "op": "c2#1", "by": "c2", "read": "m4", "token": 4},
    )
    new, effects = fire(spec, context(spec, S), node_state(spec, S), Recover(durable=durable))
    if spec is LEASE:
        assert new["content"] == ["c1#1", "c2#1"]
    else:
        assert new["value"] == 2
    if spec is not NAIVE:
        assert new["max_token"] == 5
    assert without_notes(effects) == []
    empty, _ = fire(spec, context(spec, S), node_state(spec, S), Recover(durable=()))
    assert empty == node_state(spec, S)


# ------------------------------------------------------------- the tables themselves


def test_every_row_of_every_table_has_a_test() -> None:
    assert not ROWS.missing(), f"transition rows without a test: {ROWS.missing()}"


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.name)
def test_every_deliberate_ignore_says_why(spec: ProtocolSpec) -> None:
    assert not silent_ignores(spec.table)


@pytest.mark.parametrize(("spec", "node", "phase", "event"), [
    (NAIVE, "c1", "thinking", TimerFired(name="retry")),
    (LOCKED, "c1", "reading", TimerFired(name="work")),
    (LEASE, "store", "serving", receive("read", "c1", "store")),
    (LEASE, "lock", "free", TimerFired(name="lease")),
], ids=["naive-retry-thinking", "locked-work", "lease-read", "lock-free-lease-timer"])
def test_an_unlisted_input_is_a_loud_error_naming_node_phase_and_input(spec: ProtocolSpec, node: str, phase: str,
                                                                       event: Input) -> None:
    ctx = context(spec, node)
    assert_refused_loudly(spec.table, ctx, {**spec.initial_state(ctx), "phase": phase}, event, NOW)


# ------------------------------------------------- every state x every input (Hypothesis)

MESSAGE_BODIES: dict[str, dict[str, Any]] = {
    "acquire": {"req": 1}, "grant": {"req": 3, "token": 7, "lease_ms": 100}, "busy": {"req": 3, "retry_ms": 40},
    "release": {"token": 7}, "read": {"token": 7}, "read_ok": {"value": 3, "token": 7},
    "write": {"value": 4, "op": "c1#2", "read": "m1", "token": 7}, "write_ok": {"op": "c1#2"},
    "error": {"code": "stale_token", "definite": True, "op": "c1#2", "token": 7, "max_token": 8},
}
TIMERS = ("think", "retry", "work", "write", "lease", "grace")


def phases(spec: ProtocolSpec, role: str) -> list[str]:
    return sorted({row.phase for row in spec.table.rows if row.role == role and row.phase != ANY_PHASE}
                  | {p for row in spec.table.rows if row.role == role for p in row.to if p != STAY})


def plausible(spec: ProtocolSpec, ctx: Context, phase: str, draw: st.DrawFn) -> dict[str, Any]:
    """A state a node could really be in, in ``phase``."""
    if ctx.role == L:
        fields: dict[str, Any] = {"last_token": 7}
        if phase == "held":
            fields["leases"] = [{"client": "c2", "token": 7, "until": NOW + 20}]
        if phase == "recovering":
            fields["grace_until"] = NOW + 5
        return lock_state(spec, phase, **fields)
    if ctx.role == S:
        return node_state(spec, S)
    holding = phase in ("holding", "committing", "reading", "writing")
    fields = {"op": draw(st.integers(1, 3)), "tries": draw(st.integers(0, 5))}
    if spec is not NAIVE:
        fields.update(req=3, acquires=draw(st.integers(0, MAX_ACQUIRES_PER_OP)), sent_at=NOW - 10,
                      token=7 if holding else None, lease_until=NOW + draw(st.integers(-20, 90)) if holding else None)
    if phase == "writing" and spec is not LEASE:
        fields.update(value=3, read="m1")
    return client(spec, phase, **fields)


@st.composite
def situations(draw: st.DrawFn) -> tuple[ProtocolSpec, Context, dict[str, Any], Input]:
    """Any node of any of the three protocols, in any phase, meeting any input."""
    spec = draw(st.sampled_from(list(SPECS.values())))
    roles = spec.topology(spec.resolve_params({}))
    ctx = context(spec, draw(st.sampled_from(list(roles))))
    state = plausible(spec, ctx, draw(st.sampled_from(phases(spec, ctx.role))), draw)
    kind = draw(st.sampled_from(["start", "recover", "message", "timer"]))
    event: Input
    if kind == "start":
        event = Start(draw=draw(st.floats(0, 1, exclude_max=True)))
    elif kind == "recover":
        event = Recover(durable=tuple(draw(st.lists(st.sampled_from([
            {"type": "op", "op": 1, "stream": 5}, {"type": "token", "token": 3}, {"type": "fence", "max_token": 2},
            {"type": "write", "value": 1, "op": "c2#1", "by": "c2", "read": "m1", "token": 1}]), max_size=3))))
    elif kind == "timer":
        event = TimerFired(name=draw(st.sampled_from(TIMERS)))
    else:
        type_ = draw(st.sampled_from(sorted(MESSAGE_BODIES)))
        src = draw(st.sampled_from([n for n in roles if n != ctx.node]))
        event = receive(type_, src, ctx.node, MESSAGE_BODIES[type_], in_reply_to="m1")
    return spec, ctx, state, event


@settings(max_examples=500, deadline=None)
@given(situations())
def test_every_state_and_input_is_handled_as_the_table_says_or_refused_loudly(
        situation: tuple[ProtocolSpec, Context, dict[str, Any], Input]) -> None:
    spec, ctx, state, event = situation
    handled = check_handled_or_refused(spec.table, ctx, state, event, NOW)
    if handled is None:
        return
    new, effects = handled
    if ctx.role != C:
        assert_logged_before_sent(effects)
    assert fire(spec, ctx, state, event) == (new, effects), "a handler is a pure function"
