"""The register linearizability checker (Wing & Gong with memoization), on histories known by hand.

Each history is drawn as intervals [call, ret]; a verdict is checked against
what a linearization by hand says. A brute-force checker (every permutation)
then agrees with the real one on random small histories, concurrent ones
included, so neither the pruning nor the memo can hide a wrong answer.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.cache.linearizability import (
    MAX_OPS_PER_KEY,
    RegisterOp,
    check_register,
    check_registers,
    register_ops,
)


def w(value: Any, call: float, ret: float | None) -> RegisterOp:
    return RegisterOp(kind="write", value=value, call=call, ret=ret)


def r(value: Any, call: float, ret: float | None) -> RegisterOp:
    return RegisterOp(kind="read", value=value, call=call, ret=ret)


# ---------------------------------------------------------- known answers


def test_an_empty_history_is_linearizable() -> None:
    assert check_register([]) is True


def test_sequential_write_then_read_of_it_is_linearizable() -> None:
    assert check_register([w("a", 1, 2), r("a", 3, 4)]) is True


def test_reading_the_initial_value_before_any_write() -> None:
    assert check_register([r(None, 1, 2), w("a", 3, 4)]) is True
    assert check_register([r(None, 1, 2)], initial=None) is True
    assert check_register([r("x", 1, 2)], initial="x") is True


def test_a_read_after_a_write_finished_must_not_see_the_old_value() -> None:
    # The write [1,2] is over before the read [3,4] begins: the read must see "a".
    assert check_register([w("a", 1, 2), r(None, 3, 4)]) is False


def test_a_read_concurrent_with_a_write_may_see_either_value() -> None:
    assert check_register([w("a", 1, 4), r(None, 2, 3)]) is True
    assert check_register([w("a", 1, 4), r("a", 2, 3)]) is True


def test_a_value_never_written_cannot_be_read() -> None:
    assert check_register([w("a", 1, 2), r("b", 3, 4)]) is False


def test_new_then_old_is_not_linearizable() -> None:
    # Two sequential reads during one write: once a read saw "a", a later read may not see the old value.
    history = [w("a", 1, 10), r("a", 2, 3), r(None, 4, 5)]
    assert check_register(history) is False


def test_old_then_new_during_a_write_is_linearizable() -> None:
    history = [w("a", 1, 10), r(None, 2, 3), r("a", 4, 5)]
    assert check_register(history) is True


def test_concurrent_writes_may_be_ordered_either_way_but_consistently() -> None:
    writes = [w("a", 1, 5), w("b", 2, 6)]
    assert check_register([*writes, r("a", 7, 8)]) is True
    assert check_register([*writes, r("b", 7, 8)]) is True
    # Both orders are possible, but two later sequential reads cannot see a then b then a.
    assert check_register([*writes, r("a", 7, 8), r("b", 9, 10), r("a", 11, 12)]) is False


def test_two_readers_disagreeing_on_the_order_of_concurrent_writes() -> None:
    # Reader 1 sees a then b; reader 2 sees b then a; all reads after both writes began, overlapping them.
    history = [w("a", 1, 20), w("b", 1, 20), r("a", 2, 3), r("b", 4, 5), r("b", 2, 3), r("a", 4, 5)]
    assert check_register(history) is False


def test_a_write_that_never_answered_may_take_effect_late() -> None:
    # The write of "a" timed out: a read long after may still see it, or not.
    assert check_register([w("a", 1, None), r("a", 50, 60)]) is True
    assert check_register([w("a", 1, None), r(None, 50, 60)]) is True


def test_a_write_that_never_answered_cannot_take_effect_before_it_was_invoked() -> None:
    assert check_register([r("a", 1, 2), w("a", 3, None)]) is False


def test_a_read_that_never_answered_constrains_nothing() -> None:
    assert check_register([w("a", 1, 2), r("zzz", 3, None)]) is True


def test_too_many_operations_gives_no_verdict() -> None:
    history = [w(i, 2 * i, 2 * i + 1) for i in range(MAX_OPS_PER_KEY + 1)]
    assert check_register(history) is None
    assert check_register(history[:MAX_OPS_PER_KEY]) is True


def test_a_long_sequential_history_is_checked_quickly() -> None:
    history = []
    for i in range(100):
        history += [w(i, 4 * i, 4 * i + 1), r(i, 4 * i + 2, 4 * i + 3)]
    assert check_register(history) is True
    history[-1] = r(0, 398, 399)
    assert check_register(history) is False


def test_malformed_operations_are_refused() -> None:
    with pytest.raises(ValueError):
        check_register([w("a", 5, 4)])
    with pytest.raises(ValueError):
        check_register([RegisterOp(kind="cas", value=1, call=1, ret=2)])


def test_registers_are_checked_per_key_and_the_first_bad_key_is_named() -> None:
    good = [w("a", 1, 2), r("a", 3, 4)]
    bad = [w("a", 1, 2), r(None, 3, 4)]
    assert check_registers({"k0": good, "k1": good}) == (True, None)
    assert check_registers({"k0": good, "k2": bad, "k1": bad}) == (False, "k1")
    big = [w(i, 2 * i, 2 * i + 1) for i in range(MAX_OPS_PER_KEY + 1)]
    assert check_registers({"k0": good, "k1": big}) == (None, None)
    assert check_registers({"k0": bad, "k1": big}) == (False, "k0")


def test_client_operations_become_register_histories() -> None:
    ops = [
        {"op": "write", "key": "k0", "value": "c1:1", "ok": True, "s0": 1, "s1": 5},
        {"op": "write", "key": "k0", "value": "c2:1", "ok": False, "definite": False, "s0": 2, "s1": 9},
        {"op": "write", "key": "k0", "value": "c2:2", "ok": False, "definite": True, "s0": 10, "s1": 12},
        {"op": "read", "key": "k0", "value": "c1:1", "ok": True, "s0": 6, "s1": 8},
        {"op": "read", "key": "k1", "value": None, "ok": False, "s0": 6, "s1": 8},
    ]
    histories = register_ops(ops)
    assert histories == {"k0": [w("c1:1", 1, 5), w("c2:1", 2, None), r("c1:1", 6, 8)]}


# ------------------------------------------------ against brute force


def brute_force(history: list[RegisterOp], initial: Any = None) -> bool:
    """Try every order of every subset of unanswered writes: the definition, literally."""
    required = [op for op in history if op.ret is not None]
    optional = [op for op in history if op.ret is None and op.kind == "write"]
    for k in range(len(optional) + 1):
        for chosen in itertools.combinations(optional, k):
            ops = required + list(chosen)
            for order in itertools.permutations(ops):
                if _legal(order, initial):
                    return True
    return False


def _legal(order: tuple[RegisterOp, ...], initial: Any) -> bool:
    value = initial
    for i, op in enumerate(order):
        # Real time: nothing placed later may have ended before this one began.
        if any(later.ret is not None and later.ret < op.call for later in order[i + 1:]):
            return False
        if op.kind == "read" and op.value != value:
            return False
        if op.kind == "write":
            value = op.value
    return True


@st.composite
def small_histories(draw: st.DrawFn) -> list[RegisterOp]:
    ops = []
    for _ in range(draw(st.integers(0, 5))):
        call = draw(st.integers(0, 12))
        ret = draw(st.one_of(st.none(), st.integers(call + 1, 14)))
        kind = draw(st.sampled_from(["read", "write"]))
        value = draw(st.sampled_from([None, "a", "b"])) if kind == "read" else draw(st.sampled_from(["a", "b"]))
        if kind == "read" and ret is None:
            ret = call + 1
        ops.append(RegisterOp(kind=kind, value=value, call=call, ret=ret))
    return ops


@settings(max_examples=300, deadline=None)
@given(small_histories())
def test_the_search_agrees_with_brute_force(history: list[RegisterOp]) -> None:
    assert check_register(history) == brute_force(history)


def test_a_search_over_its_state_budget_gives_no_verdict() -> None:
    concurrent = [w(i, 0, 100) for i in range(8)] + [r(7, 101, 102), r(0, 103, 104)]
    assert check_register(concurrent) is False
    assert check_register(concurrent, max_states=3) is None


def test_unanswered_writes_nobody_read_do_not_slow_the_search() -> None:
    # Forty timed-out writes, all concurrent, none observed: without pruning, 2^40 subsets to try.
    history = [w(f"lost{i}", i, None) for i in range(40)] + [w("a", 50, 51), r("a", 52, 53), r(None, 54, 55)]
    assert check_register(history) is False
