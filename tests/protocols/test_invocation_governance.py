"""The shared governance pieces, each a pure function: breaker, backoff, retry budget, balancers.

These are what service-invocation's consumers and service-mesh's sidecars
are built from, so they are pinned down here on their own: every edge of the
breaker's state machine, the backoff's bounds, the budget's window, and each
balancer's choices. Hypothesis drives the breaker with arbitrary outcome
sequences and checks the checker's own judge agrees with every move.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from protocols.common.calls import breaker as br
from protocols.common.calls.balancers import check_weights, parse_weights, pick
from protocols.common.calls.retry import (
    Budget,
    RetryPolicy,
    backoff_delay,
    check_budget,
    new_window,
    note_call,
    parse_budget,
    prune,
    try_retry,
    within,
)
from protocols.common.rng import Stream
from tests.helpers import ROOT

POLICY = br.BreakerPolicy(failure_threshold=3, cooldown_ms=100, half_open_trials=2)

# ---------------------------------------------------------------- breaker


def fail(b: dict[str, Any], now: int, trial: bool = False) -> dict[str, Any]:
    return br.on_failure(b, POLICY, now, trial)


def test_a_breaker_opens_exactly_at_the_threshold_of_consecutive_failures() -> None:
    b = br.new_breaker()
    b = fail(fail(b, 1), 2)
    assert (b["state"], b["failures"]) == ("closed", 2)
    b = fail(b, 3)
    assert (b["state"], b["failures"], b["since"], b["opened"]) == ("open", 3, 3, 1)
    assert not br.allows(b, POLICY)


def test_a_success_resets_the_consecutive_count() -> None:
    b = fail(fail(br.new_breaker(), 1), 2)
    b = br.on_success(b, POLICY, 3, trial=False)
    assert b["failures"] == 0
    assert fail(fail(b, 4), 5)["state"] == "closed", "two failures after a success are not three in a row"


def test_an_open_breaker_half_opens_only_after_the_cool_down() -> None:
    b = fail(fail(fail(br.new_breaker(), 1), 2), 10)
    assert br.cool_due(b, POLICY) == 110
    assert br.cool(b, POLICY, 109)["state"] == "open"
    half = br.cool(b, POLICY, 110)
    assert (half["state"], half["since"], half["half_opened"], half["trials"]) == ("half-open", 110, 1, 0)
    assert br.cool_due(half, POLICY) is None


def test_outcomes_while_open_are_not_counted() -> None:
    b = fail(fail(fail(br.new_breaker(), 1), 2), 3)
    assert br.on_success(b, POLICY, 4, trial=False) == b
    assert fail(b, 5) == b


def test_half_open_lets_only_the_trials_through_and_closes_after_enough_good_ones() -> None:
    b = br.cool(fail(fail(fail(br.new_breaker(), 1), 2), 3), POLICY, 200)
    assert br.allows(b, POLICY)
    b, trial = br.on_send(b)
    assert trial and br.allows(b, POLICY)
    b, trial = br.on_send(b)
    assert trial and not br.allows(b, POLICY), "two trials in flight is the limit"
    b = br.on_success(b, POLICY, 210, trial=False)
    assert b["ok"] == 0, "an answer to a call sent before it opened is no trial"
    b = br.on_success(b, POLICY, 211, trial=True)
    assert (b["state"], b["ok"]) == ("half-open", 1)
    b = br.on_success(b, POLICY, 212, trial=True)
    assert (b["state"], b["closed"], b["failures"], b["trials"]) == ("closed", 1, 0, 0)
    assert br.transitions(b) == 3


def test_a_failed_trial_opens_the_breaker_again() -> None:
    b = br.cool(fail(fail(fail(br.new_breaker(), 1), 2), 3), POLICY, 200)
    b, _ = br.on_send(b)
    assert fail(b, 205, trial=False)["state"] == "half-open", "only the trial's failure counts"
    b = fail(b, 205, trial=True)
    assert (b["state"], b["since"], b["reopened"], b["trials"]) == ("open", 205, 1, 0)


def test_sending_through_a_closed_breaker_is_no_trial() -> None:
    b, trial = br.on_send(br.new_breaker())
    assert not trial and b == br.new_breaker()


@pytest.mark.parametrize(("before", "after", "problem"), [
    ({"state": "closed", "since": 0, "failures": 2}, {"state": "open", "since": 5, "failures": 2},
     ("opened-early", {"failures": 2, "threshold": 3})),
    ({"state": "open", "since": 5, "failures": 3}, {"state": "half-open", "since": 50, "ok": 0},
     ("half-opened-early", {"after_ms": 45, "cooldown": 100})),
    ({"state": "half-open", "since": 5}, {"state": "closed", "since": 9, "ok": 1},
     ("closed-early", {"ok": 1, "trials": 2})),
    ({"state": "closed", "since": 0}, {"state": "half-open", "since": 500, "ok": 0},
     ("skipped-edge", {"was": "closed", "now": "half-open"})),
    ({"state": "open", "since": 0}, {"state": "closed", "since": 500, "ok": 2},
     ("skipped-edge", {"was": "open", "now": "closed"})),
])
def test_the_judge_names_each_broken_rule(before: dict[str, Any], after: dict[str, Any],
                                          problem: tuple[str, dict[str, Any]]) -> None:
    assert br.judge(before, after, POLICY) == problem


OUTCOMES = st.lists(st.tuples(st.sampled_from(["ok", "fail", "cool", "send"]), st.integers(0, 80)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(OUTCOMES)
def test_the_judge_accepts_every_move_the_breaker_makes(steps: list[tuple[str, int]]) -> None:
    """Whatever the outcomes and the time between them, the breaker's own moves pass the checker's rules."""
    b, now, trial = br.new_breaker(), 0, False
    for what, gap in steps:
        now += gap
        before = b
        if what == "send":
            b, trial = br.on_send(b) if br.allows(b, POLICY) else (b, trial)
        elif what == "cool":
            b = br.cool(b, POLICY, now)
        else:
            b = (br.on_success if what == "ok" else br.on_failure)(b, POLICY, now, trial)
        assert br.judge(before, b, POLICY) is None, (before, b)
        assert br.transitions(b) >= br.transitions(before)


# ----------------------------------------------------------------- backoff


@pytest.mark.parametrize(("retry", "low", "high"), [(1, 10, 20), (2, 20, 40), (3, 40, 80)])
def test_backoff_doubles_and_jitters_within_the_upper_half(retry: int, low: int, high: int) -> None:
    policy = RetryPolicy(max_retries=3, backoff_ms=20)
    delays = [backoff_delay(policy, retry, u / 100) for u in range(100)]
    assert min(delays) == low and max(delays) == high
    assert delays == sorted(delays), "a larger draw never waits less"


def test_backoff_is_capped_and_zero_means_at_once() -> None:
    assert backoff_delay(RetryPolicy(max_retries=5, backoff_ms=10_000), 5, 0.99) <= 10_000
    assert backoff_delay(RetryPolicy(max_retries=5, backoff_ms=0), 3, 0.5) == 0


# ------------------------------------------------------------ retry budget


@pytest.mark.parametrize(("text", "ratio"), [("none", None), ("0", None), ("off", None), ("0.2", 0.2), ("1", 1.0)])
def test_budget_values(text: str, ratio: float | None) -> None:
    assert parse_budget(text) == ratio
    assert check_budget(text) is None


@pytest.mark.parametrize("text", ["1.5", "-0.1", "lots"])
def test_bad_budget_values_are_refused(text: str) -> None:
    assert check_budget(text)


def test_the_budget_grants_a_retry_per_five_calls_at_0_2() -> None:
    budget = Budget(ratio=0.2, window_ms=1000)
    window = new_window()
    for t in range(4):
        window = note_call(window, t, budget)
    granted, window = try_retry(window, 10, budget)
    assert not granted and window["retries"] == [], "0.2 x 4 calls is less than one retry"
    window = note_call(window, 11, budget)
    granted, window = try_retry(window, 12, budget)
    assert granted and window["retries"] == [12]
    granted, _ = try_retry(window, 13, budget)
    assert not granted
    assert within(window, budget)


def test_the_window_slides() -> None:
    budget = Budget(ratio=0.5, window_ms=100)
    window = {"calls": [0, 50, 120], "retries": [10, 130]}
    assert prune(window, 150, budget) == {"calls": [120], "retries": [130]}
    granted, after = try_retry(window, 150, budget)
    assert not granted and after == {"calls": [120], "retries": [130]}


def test_no_budget_grants_every_retry() -> None:
    budget = Budget(ratio=None, window_ms=100)
    granted, window = try_retry(new_window(), 5, budget)
    assert granted and window["retries"] == [5] and within(window, budget)


# --------------------------------------------------------------- balancers

ENDPOINTS = ["p1", "p2", "p3"]


def picks(balancer: str, n: int, eligible: list[str] = ENDPOINTS, outstanding: dict[str, int] | None = None,
          weights: list[int] | None = None) -> list[str | None]:
    memory: dict[str, Any] = {}
    stream = Stream(42)
    chosen = []
    for _ in range(n):
        choice, memory = pick(balancer, ENDPOINTS, eligible, memory, outstanding or {}, weights or [], stream)
        chosen.append(choice)
    return chosen


def test_round_robin_takes_turns_and_skips_the_ineligible_without_shifting_the_rest() -> None:
    assert picks("round-robin", 4) == ["p1", "p2", "p3", "p1"]
    assert picks("round-robin", 4, eligible=["p1", "p3"]) == ["p1", "p3", "p1", "p3"]


def test_weighted_keeps_exact_proportions_spread_out() -> None:
    assert picks("weighted", 5, weights=[3, 1, 1]) == ["p1", "p2", "p1", "p3", "p1"]
    assert picks("weighted", 10, weights=[3, 1, 1]).count("p1") == 6


def test_weighted_among_the_eligible_only() -> None:
    assert set(picks("weighted", 6, eligible=["p2", "p3"], weights=[3, 1, 1])) == {"p2", "p3"}


def test_least_outstanding_avoids_the_loaded_provider() -> None:
    chosen = picks("least-outstanding", 20, outstanding={"p1": 3, "p2": 0, "p3": 0})
    assert "p1" not in chosen and set(chosen) == {"p2", "p3"}
    assert picks("least-outstanding", 3, outstanding={"p1": 1, "p2": 2, "p3": 0}) == ["p3"] * 3


def test_random_draws_from_the_stream_among_the_eligible() -> None:
    chosen = picks("random", 60, eligible=["p1", "p2"])
    assert set(chosen) == {"p1", "p2"}
    assert chosen == picks("random", 60, eligible=["p1", "p2"]), "same stream, same choices"


@pytest.mark.parametrize("balancer", ["round-robin", "random", "least-outstanding", "weighted"])
def test_no_eligible_endpoint_means_no_choice(balancer: str) -> None:
    assert picks(balancer, 1, eligible=[]) == [None]


def test_an_unknown_balancer_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown balancer"):
        picks("fastest", 1)


def test_weights_parse_and_pad() -> None:
    assert parse_weights("3,1", 3) == [3, 1, 1]
    assert parse_weights("", 2) == [1, 1]
    assert check_weights("3,1,1") is None
    assert check_weights("3,0") and check_weights("a,b")


# ----------------------------------------------------------- the machine as data


def test_the_catalogue_carries_the_breakers_machine_for_its_panel() -> None:
    """The circuit-breaker panel draws facts.breaker; the Node tests read the same data from a file."""
    machine = br.machine()
    assert {(e["from"], e["to"]): e["counter"] for e in machine["edges"]} == br.EDGES
    assert machine["states"] == list(br.STATES)
    for name in ("service-invocation", "service-mesh"):
        assert REGISTRY[name].describe()["facts"]["breaker"] == machine
    saved = json.loads((ROOT / "static" / "js" / "tests" / "breaker-machine.json").read_text(encoding="utf-8"))
    assert saved == machine, "static/js/tests/breaker-machine.json is stale: write br.machine() there"
