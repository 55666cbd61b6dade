"""TCC: the coordinator's two rounds, a branch's Try, Confirm and Cancel with and without its control table,
every scenario's findings, exactly, and Hypothesis over seeds with lost and duplicated messages: with the
control table no safety invariant ever breaks.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import Context, Message, Persist, Receive, Recover, Send, SetTimer
from protocols.sim.engine import Engine
from protocols.tcc import SPEC, topology
from protocols.tcc import branch as b
from protocols.tcc import coordinator as c

SAFETY = {"no-double-apply", "no-empty-rollback-effect", "no-hanging-reservation", "conservation"}


def context(role: str, node: str, **params: Any) -> Context:
    resolved = SPEC.resolve_params(params)
    return Context(node=node, role=role, params=resolved, roles=topology(resolved))


def receive(type_: str, src: str = "tc", dest: str = "b1", **body: Any) -> Receive:
    return Receive(message=Message(msg_id="m1", src=src, dest=dest, type=type_, body=body))


def run(scenario: str | None = None, seed: int = 1, faults: Any = (), **params: Any) -> Engine:
    """Play a run to its end (quiescence, or the event limit)."""
    engine = Engine(SPEC, params, seed=seed, scenario=scenario, faults=list(faults), max_events=20_000)
    engine.drain()
    for _ in range(20_000):
        if engine.done:
            return engine
        engine.step()
    raise AssertionError("the run did not end within 20,000 steps")


def broken(engine: Engine) -> set[str]:
    """Return the invariants the run broke."""
    violations = filter(lambda event: event["kind"] == "violation", engine.log)
    return set(map(lambda event: str(event["invariant"]), violations))


def kinds(effects: Any) -> list[str]:
    return [e.type for e in effects if isinstance(e, Send)]


def logged(effects: Any) -> list[str]:
    return [e.record["type"] for e in effects if isinstance(e, Persist)]


# ------------------------------------------------------------------ the coordinator


def test_the_coordinator_confirms_only_when_every_try_succeeded() -> None:
    ctx = context("coordinator", "tc")
    state, effects = c.begin(ctx, c.initial(ctx), None, 0)
    assert state["phase"] == "trying" and kinds(effects) == ["try", "try"] and logged(effects) == ["begin"]
    state, effects = c.tried(ctx, state, receive("try_ok", src="b1", dest="tc", xid="tx1"), 5)
    assert state["phase"] == "trying" and effects == ()
    state, effects = c.tried(ctx, state, receive("try_ok", src="b2", dest="tc", xid="tx1"), 6)
    assert state["phase"] == "confirming" and kinds(effects) == ["confirm", "confirm"]


def test_a_failed_or_missing_try_cancels_every_branch() -> None:
    ctx = context("coordinator", "tc")
    state, _ = c.begin(ctx, c.initial(ctx), None, 0)
    failed, effects = c.try_failed(ctx, state, receive("try_failed", src="b2", dest="tc", xid="tx1"), 5)
    assert failed["phase"] == "cancelling" and kinds(effects) == ["cancel", "cancel"]
    timed_out, effects = c.try_timeout(ctx, state, None, 100)
    assert timed_out["phase"] == "cancelling" and kinds(effects) == ["cancel", "cancel"]
    assert c.tried(ctx, state, receive("try_ok", src="b1", dest="tc", xid="tx0"), 5) == (state, ())


def test_the_coordinator_retries_the_unacknowledged_then_leaves_it() -> None:
    ctx = context("coordinator", "tc", transactions=1, max_retries=1)
    state, _ = c.begin(ctx, c.initial(ctx), None, 0)
    state, _ = c.decide(ctx, state, "confirming", "test")
    state, _ = c.acknowledged(ctx, state, receive("confirm_ok", src="b1", dest="tc", xid="tx1"), 5)
    state, effects = c.retry(ctx, state, None, 50)
    assert [e.dest for e in effects if isinstance(e, Send)] == ["b2"] and state["retries"] == 1
    assert kinds(c.retry(ctx, state, None, 100)[1]) == []
    state, effects = c.acknowledged(ctx, state, receive("confirm_ok", src="b2", dest="tc", xid="tx1"), 120)
    assert state["phase"] == "confirmed" and logged(effects) == ["end"]


def test_the_next_transaction_begins_when_one_ends() -> None:
    ctx = context("coordinator", "tc", branches=1, transactions=2)
    state, _ = c.begin(ctx, c.initial(ctx), None, 0)
    state, _ = c.try_failed(ctx, state, receive("try_failed", src="b1", dest="tc", xid="tx1"), 5)
    state, effects = c.acknowledged(ctx, state, receive("cancel_ok", src="b1", dest="tc", xid="tx1"), 9)
    assert state["phase"] == "trying" and state["xid"] == "tx2" and logged(effects) == ["end", "begin"]


# ------------------------------------------------------------------ a branch


def test_try_freezes_and_confirm_spends_once_with_the_control_table() -> None:
    ctx = context("branch", "b1")
    state, effects = b.on_try(ctx, b.initial(ctx), receive("try", xid="tx1", amount=30), 0)
    assert (state["balance"], state["frozen"], state["control"]) == (70, 30, {"tx1": "tried"})
    assert kinds(effects) == ["try_ok"] and logged(effects) == ["freeze"]
    state, effects = b.on_confirm(ctx, state, receive("confirm", xid="tx1", amount=30), 5)
    assert (state["balance"], state["frozen"], state["phase"]) == (70, 0, "confirmed")
    again, effects = b.on_confirm(ctx, state, receive("confirm", xid="tx1", amount=30), 6)
    assert again == state and kinds(effects) == ["confirm_ok"] and logged(effects) == []


def test_without_the_control_table_a_second_confirm_spends_from_the_balance() -> None:
    ctx = context("branch", "b1", control_table=False)
    state, _ = b.on_try(ctx, b.initial(ctx), receive("try", xid="tx1", amount=30), 0)
    state, _ = b.on_confirm(ctx, state, receive("confirm", xid="tx1", amount=30), 5)
    state, effects = b.on_confirm(ctx, state, receive("confirm", xid="tx1", amount=30), 6)
    assert (state["balance"], state["frozen"]) == (40, 0) and logged(effects) == ["spend"]


def test_cancel_before_try_is_an_empty_rollback_and_the_late_try_is_refused() -> None:
    ctx = context("branch", "b1")
    state, effects = b.on_cancel(ctx, b.initial(ctx), receive("cancel", xid="tx1", amount=30), 0)
    assert state["control"] == {"tx1": "cancelled"} and (state["balance"], state["frozen"]) == (100, 0)
    assert logged(effects) == ["empty-rollback"] and kinds(effects) == ["cancel_ok"]
    state, effects = b.on_try(ctx, state, receive("try", xid="tx1", amount=30), 5)
    assert (state["balance"], state["frozen"]) == (100, 0) and kinds(effects) == ["try_failed"]
    assert logged(effects) == ["refuse-try"]


def test_without_the_control_table_cancel_releases_what_it_never_froze_and_the_late_try_hangs() -> None:
    ctx = context("branch", "b1", control_table=False)
    state, effects = b.on_cancel(ctx, b.initial(ctx), receive("cancel", xid="tx1", amount=30), 0)
    assert (state["balance"], state["frozen"]) == (130, 0) and logged(effects) == ["release"]
    state, effects = b.on_try(ctx, state, receive("try", xid="tx1", amount=30), 5)
    assert (state["balance"], state["frozen"], state["phase"]) == (100, 30, "reserved")


def test_a_short_branch_fails_its_try_and_the_slow_one_runs_it_later() -> None:
    short = context("branch", "b2", short_branch=2)
    state, effects = b.on_try(short, b.initial(short), receive("try", dest="b2", xid="tx1", amount=30), 0)
    assert state["phase"] == "failed" and state["balance"] == 29 and kinds(effects) == ["try_failed"]
    slow = context("branch", "b2", slow_branch=2)
    state, effects = b.on_try(slow, b.initial(slow), receive("try", dest="b2", xid="tx1", amount=30), 0)
    assert state["phase"] == "busy" and effects == [SetTimer(name="work", delay_ms=300)]
    state, effects = b.work_done(slow, state, None, 300)
    assert state["phase"] == "reserved" and state["pending"] is None and kinds(effects) == ["try_ok"]


# ------------------------------------------------------------------ the scenarios

EXPECTED = {
    "happy-confirm": set(),
    "try-fails-cancel": set(),
    "cancel-overtakes-try": {"no-empty-rollback-effect", "no-hanging-reservation", "conservation"},
    "cancel-overtakes-try-controlled": set(),
    "duplicate-confirm": {"no-double-apply", "conservation"},
    "duplicate-confirm-controlled": set(),
}


@pytest.mark.parametrize("story", SPEC.scenarios, ids=lambda story: story.name)
def test_each_scenario_breaks_exactly_what_its_story_says(story: Any) -> None:
    assert story.name in EXPECTED, "a scenario without its expected findings"
    assert broken(run(story.name)) == EXPECTED[story.name]


def test_the_failed_try_without_a_control_table_releases_money_that_was_never_frozen() -> None:
    assert broken(run("try-fails-cancel", control_table=False)) == {"no-empty-rollback-effect", "conservation"}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), branches=st.integers(1, 4), transactions=st.integers(1, 3),
       loss=st.sampled_from([0.0, 0.1, 0.3]), duplicate=st.sampled_from([0.0, 0.2, 0.5]),
       slow=st.integers(0, 1), short=st.integers(0, 1))
def test_with_the_control_table_no_safety_invariant_ever_breaks(seed: int, branches: int, transactions: int,
                                                                loss: float, duplicate: float, slow: int,
                                                                short: int) -> None:
    engine = run(seed=seed, branches=branches, transactions=transactions, loss_probability=loss,
                 duplicate_probability=duplicate, slow_branch=slow, short_branch=short, fifo=False)
    assert broken(engine) & SAFETY == set()
    if loss == 0.0:
        assert broken(engine) == set()


def test_a_restarted_branch_rebuilds_its_account_and_control_table_from_its_log() -> None:
    ctx = context("branch", "b1")
    state, effects = b.on_try(ctx, b.initial(ctx), receive("try", xid="tx1", amount=30), 0)
    log = tuple(e.record for e in effects if isinstance(e, Persist))
    rebuilt, _ = b.recover(ctx, b.initial(ctx), Recover(durable=log), 10)
    assert rebuilt == state


@pytest.mark.parametrize(("records", "phase", "sent"), [
    ((), "trying", ["try", "try"]),
    (({"type": "begin", "xid": "tx1"},), "cancelling", ["cancel", "cancel"]),
    (({"type": "begin", "xid": "tx1"}, {"type": "decision", "xid": "tx1", "outcome": "confirm"}), "confirming",
     ["confirm", "confirm"]),
    (({"type": "begin", "xid": "tx1"}, {"type": "end", "xid": "tx1", "outcome": "confirmed"}), "trying",
     ["try", "try"]),
])
def test_a_restarted_coordinator_resumes_from_its_last_record(records: tuple[dict[str, str], ...], phase: str,
                                                              sent: list[str]) -> None:
    ctx = context("coordinator", "tc")
    state, effects = c.recover(ctx, c.initial(ctx), Recover(durable=records), 0)
    assert state["phase"] == phase and kinds(effects) == sent


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), node=st.sampled_from(["tc", "b1", "b2"]), at=st.integers(0, 200),
       down=st.integers(1, 300), duplicate=st.sampled_from([0.0, 0.3]))
def test_with_the_control_table_a_crash_and_restart_breaks_no_safety_invariant(seed: int, node: str, at: int,
                                                                                down: int, duplicate: float) -> None:
    plan = [{"action": "crash", "node": node, "at_ms": at}, {"action": "recover", "node": node, "at_ms": at + down}]
    engine = run(seed=seed, duplicate_probability=duplicate, faults=plan)
    assert broken(engine) & SAFETY == set(), plan


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_comparison_shows_what_the_control_table_prevents(seed: int) -> None:
    from protocols import REGISTRY
    from protocols.comparisons import PRESETS
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "tcc-control-table")
    hanging, refused, twice, once = compare([parse_run(r, REGISTRY.get) for r in preset["runs"]], preset["params"],
                                            seed=seed)
    assert hanging["summary"]["frozen_left"] == 30 and "no-hanging-reservation" in hanging["violated"]
    assert twice["summary"]["double_applies"] == 1 and "no-double-apply" in twice["violated"]
    for clean in (refused, once):
        assert clean["violated"] == [] and clean["summary"]["frozen_left"] == clean["summary"]["double_applies"] == 0
