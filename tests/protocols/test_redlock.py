"""The Redis lock and Redlock: its nodes' commands, the client's rule, and the runs of the critique.

Handlers one by one (SET NX PX against a live and an expired key, the compare-and-delete release against a
plain DEL, a restart with and without persistence, Redlock's majority-and-validity rule), then every
scenario's findings, exactly, and Hypothesis over seeds: a fault-free run with the compare-and-delete
release never releases someone else's lock nor has two holders.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import Context, Message, Persist, Receive, Recover, Send, SetTimer
from protocols.redlock import SPEC
from protocols.redlock import handlers as h
from protocols.sim.engine import Engine
from tests import strategies as s


def context(role: str, node: str = "n", **params: Any) -> Context:
    resolved = SPEC.resolve_params(params)
    return Context(node=node, role=role, params=resolved, roles=h.topology(resolved))


def receive(type_: str, src: str = "c1", **body: Any) -> Receive:
    return Receive(message=Message(msg_id="m1", src=src, dest="r1", type=type_, body=body))


def run(scenario: str | None = None, seed: int = 1, **params: Any) -> Engine:
    engine = Engine(SPEC, params, seed=seed, scenario=scenario, max_events=20_000)
    engine.drain()
    while not engine.done:
        engine.step()
    return engine


def broken(engine: Engine) -> set[str]:
    return {e["invariant"] for e in engine.log if e["kind"] == "violation"}


# ------------------------------------------------------------------ a node's commands


def test_set_nx_refuses_a_live_key_and_takes_an_expired_one() -> None:
    ctx = context("redis", "r1")
    held = {"phase": "held", "key": {"value": "c2-1", "client": "c2", "expires_at": 100}, "counter": 4}
    state, effects = h.redis_set(ctx, held, receive("set", value="c1-1", px=50, req=1), now=99)
    assert state == held and [e.type for e in effects if isinstance(e, Send)] == ["set_busy"]
    state, effects = h.redis_set(ctx, held, receive("set", value="c1-1", px=50, req=1), now=100)
    assert state["key"] == {"value": "c1-1", "client": "c1", "expires_at": 150}
    assert SetTimer(name="expire", delay_ms=50) in effects
    assert [e.type for e in effects if isinstance(e, Send)] == ["set_ok"]


def test_unlock_compares_the_value_and_del_does_not() -> None:
    ctx = context("redis", "r1")
    held = {"phase": "held", "key": {"value": "c2-1", "client": "c2", "expires_at": 100}, "counter": 4}
    assert h.redis_unlock(ctx, held, receive("unlock", value="c1-1"), now=10) == (held, ())
    assert h.redis_unlock(ctx, held, receive("unlock", src="c2", value="c2-1"), now=10)[0]["key"] is None
    assert h.redis_del(ctx, held, receive("del"), now=10)[0] == {"phase": "free", "key": None, "counter": 4}


def test_a_restart_forgets_the_key_unless_the_node_persists() -> None:
    state, effects = h.redis_set(context("redis", "r1"), h.redis_initial(),
                                 receive("set", value="c1-1", px=200, req=1), now=100)
    assert not any(isinstance(e, Persist) for e in effects)  # persistence=none: nothing to restore from.
    assert h.redis_recover(context("redis", "r1"), state, Recover(durable=()), now=150)[0]["key"] is None
    always = context("redis", "r1", persistence="always")
    state, effects = h.redis_set(always, h.redis_initial(), receive("set", value="c1-1", px=200, req=1), now=100)
    logged = tuple(e.record for e in effects if isinstance(e, Persist))
    restored, _ = h.redis_recover(always, h.redis_initial(), Recover(durable=logged), now=150)
    assert restored == {"phase": "held", "key": {"value": "c1-1", "client": "c1", "expires_at": 300}, "counter": 0}
    expired, _ = h.redis_recover(always, h.redis_initial(), Recover(durable=logged), now=300)
    assert expired["key"] is None


def attempt(ctx: Context, answers: dict[str, str], started_at: int = 0) -> dict[str, Any]:
    return {**h.client_initial(), "phase": "acquiring", "req": 1, "value": "c1-1", "started_at": started_at,
            "answers": answers, "attempts": 1, "op": 1}


@pytest.mark.parametrize(("answers", "now", "phase"), [
    ({"r1": "ok", "r2": "ok", "r3": "ok", "r4": "busy", "r5": "busy"}, 20, "holding"),
    ({"r1": "ok", "r2": "ok", "r3": "busy", "r4": "busy", "r5": "busy"}, 20, "waiting"),
    ({"r1": "ok", "r2": "ok", "r3": "ok", "r4": "ok", "r5": "ok"}, 196, "waiting"),  # 200 - 196 - 4 = 0 left.
    ({"r1": "ok", "r2": "ok", "r3": "ok", "r4": "ok", "r5": "ok"}, 195, "holding"),
])
def test_redlock_holds_with_a_majority_and_validity_left(answers: dict[str, str], now: int, phase: str) -> None:
    ctx = context("client", "c1")
    state, _ = h.decide(ctx, attempt(ctx, answers), None, now)
    assert state["phase"] == phase
    if phase == "holding":
        assert state["valid_until"] == 200 - h.drift_ms(ctx.params)


def test_a_failed_attempt_releases_what_it_took() -> None:
    ctx = context("client", "c1")
    _, effects = h.decide(ctx, attempt(ctx, {"r1": "ok", "r2": "busy", "r3": "busy", "r4": "busy",
                                             "r5": "busy"}), None, 20)
    assert sorted(e.dest for e in effects if isinstance(e, Send) and e.type == "unlock") == ["r1", "r2", "r3",
                                                                                            "r4", "r5"]


# ------------------------------------------------------------------ the scenarios

EXPECTED = {
    "happy": set(),
    "process-pause": {"stale-write-accepted", "one-holder-at-a-time"},
    "clock-jump": {"mutual-exclusion", "one-holder-at-a-time"},
    "restart-without-persistence": {"mutual-exclusion", "one-holder-at-a-time"},
    "unsafe-release": {"foreign-release", "mutual-exclusion", "one-holder-at-a-time"},
    "single-instance-crash": {"mutual-exclusion", "one-holder-at-a-time"},
    "process-pause-fenced": {"one-holder-at-a-time"},
    "fenced-restart": {"mutual-exclusion", "stale-write-accepted", "one-holder-at-a-time"},
}


def test_every_scenario_is_expected() -> None:
    assert set(EXPECTED) == {s.name for s in SPEC.scenarios}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_scenario_breaks_what_its_story_says(scenario: str) -> None:
    assert broken(run(scenario)) == EXPECTED[scenario]


def test_persistence_keeps_the_restarted_node_from_giving_a_second_majority() -> None:
    assert "mutual-exclusion" not in broken(run("restart-without-persistence", persistence="always"))


def test_counter_tokens_refuse_the_paused_holders_write() -> None:
    engine = run("process-pause-fenced")
    refused = [e for e in engine.log if e["kind"] == "send" and e["message"]["type"] == "write_refused"]
    assert [e["dst"] for e in refused] == ["c1"]
    assert "stale-write-accepted" in broken(run("process-pause-fenced", fencing="off"))


def test_a_counter_that_survives_the_restart_refuses_the_late_write() -> None:
    assert "stale-write-accepted" not in broken(run("fenced-restart", persistence="always"))


def test_the_compare_and_delete_release_fixes_the_unsafe_release() -> None:
    assert "foreign-release" not in broken(run("unsafe-release", release="compare"))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), clients=st.integers(1, 4), nodes=st.sampled_from([1, 3, 5]),
       fencing=st.sampled_from(["off", "counter"]))
def test_a_fault_free_run_keeps_one_holder_and_releases_only_its_own(seed: int, clients: int, nodes: int,
                                                                      fencing: str) -> None:
    engine = run(seed=seed, clients=clients, redis_nodes=nodes, fencing=fencing)
    assert broken(engine) == set()
    assert all(rt.state["phase"] == "done" for rt in engine.nodes.values() if rt.ctx.role == "client")


REDLOCK_NODES = ["c1", "c2", "c3", "r1", "r2", "r3", "r4", "r5", "store"]
MESSAGES = ["set", "set_ok", "set_busy", "unlock", "write", "write_ok"]


@st.composite
def harmless_plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Faults the critique does not name: partitions and heals, lost and duplicated messages, client crashes."""
    plan: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["partition", "heal", "message", "client-crash"]))
        at = draw(st.integers(0, 600))
        if kind == "partition":
            plan.append({"action": "partition", "groups": draw(s.partitions(REDLOCK_NODES)), "at_ms": at})
        elif kind == "heal":
            plan.append({"action": "heal", "at_ms": at})
        elif kind == "message":
            plan.append(draw(s.message_faults(REDLOCK_NODES, MESSAGES)))
        else:
            client = draw(st.sampled_from(["c1", "c2", "c3"]))
            plan += [{"action": "crash", "node": client, "at_ms": at},
                     {"action": "recover", "node": client, "at_ms": at + draw(st.integers(1, 300))}]
    return plan


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), plan=harmless_plans(), fencing=st.sampled_from(["off", "counter"]))
def test_redlock_keeps_its_promise_under_faults_the_critique_does_not_name(seed: int, plan: list[dict[str, Any]],
                                                                            fencing: str) -> None:
    engine = Engine(SPEC, {"clients": 3, "fencing": fencing}, seed=seed, faults=plan, max_events=20_000)
    engine.drain()
    while not engine.done:
        engine.step()
    assert broken(engine) & {"mutual-exclusion", "stale-write-accepted", "foreign-release"} == set(), plan


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_comparison_shows_what_breaks_redlock_and_what_persistence_and_fencing_change(seed: int) -> None:
    from protocols import get_protocol
    from protocols.comparisons import PRESETS
    from protocols.sim.compare import compare, parse_run

    preset = next(p for p in PRESETS if p["name"] == "redlock-clocks-and-restarts")
    rows = compare([parse_run(text, get_protocol) for text in preset["runs"]], preset["params"], seed=seed)
    two = {text: row["summary"]["two_holders"] > 0 for text, row in zip(preset["runs"], rows, strict=True)}
    stale = {text: (row["summary"]["stale_writes_accepted"], row["summary"]["stale_writes_rejected"])
             for text, row in zip(preset["runs"], rows, strict=True)}
    assert two == {"redis-lock@clock-jump": True, "redis-lock@restart-without-persistence": True,
                   "redis-lock@restart-without-persistence:persistence=always": False,
                   "redis-lock@fenced-restart": True, "redis-lock@fenced-restart:persistence=always": False}
    assert stale["redis-lock@fenced-restart"] == (1, 0)  # the counter went back: fencing let the late write in
    assert stale["redis-lock@fenced-restart:persistence=always"] == (0, 1)  # a counter that survives: refused


# ------------------------------------------------------------------ every row of the table

from protocols.base import ANY_PHASE, Input, Start, TimerFired  # noqa: E402 (the row tests' own imports)
from protocols.redlock.table import TABLE  # noqa: E402
from tests.protocols.table_support import check_handled_or_refused, table_rows  # noqa: E402

CLIENT = {**h.client_initial(), "op": 1, "req": 1, "value": "c1-1", "started_at": 0, "needed": 3,
          "answers": {"r1": "ok"}, "attempts": 1, "valid_until": 150, "tries": 1}
ROLE_STATES: dict[str, dict[str, dict[str, Any]]] = {
    "client": {phase: {**CLIENT, "phase": phase} for phase in
               ("thinking", "acquiring", "waiting", "holding", "committing", "writing", "done")},
    "redis": {"free": h.redis_initial(),
              "held": {"phase": "held", "key": {"value": "c1-1", "client": "c1", "expires_at": 200}, "counter": 1}},
    "store": {"ready": h.store_initial()},
}
NODE = {"client": "c1", "redis": "r1", "store": "store"}


def an_input(role: str, on: str) -> Input:
    """Return a plausible input for a row's key, from whoever sends it in a real run."""
    if on == "start":
        return Start(draw=0.5)
    if on == "recover":
        return Recover(durable=())
    if on.startswith("timer:"):
        return TimerFired(name=on.removeprefix("timer:"))
    kind = on.removeprefix("msg:")
    src = {"client": "r1" if kind.startswith("set") else "store", "redis": "c2", "store": "c1"}[role]
    body = {"set": {"value": "c2-1", "px": 200, "req": 1}, "unlock": {"value": "c1-1"},
            "write": {"op": "c1.1", "value": "c1-1", "token": None}}.get(kind, {"req": 1, "op": "c1.1"})
    return Receive(message=Message(msg_id="m42", src=src, dest=NODE[role], type=kind, body=body))


def row_cases() -> list[tuple[str, str, str]]:
    """Every (role, phase, input) a row answers; ANY_PHASE rows in each phase of their role."""
    found = []
    for row in TABLE.rows:
        phases = list(ROLE_STATES[row.role]) if row.phase == ANY_PHASE else [row.phase]
        found += [(row.role, phase, row.on) for phase in phases if TABLE.lookup(row.role, phase, row.on) is row]
    return found


@pytest.mark.parametrize(("role", "phase", "on"), row_cases())
def test_every_row_is_handled_as_it_says(role: str, phase: str, on: str) -> None:
    ctx = context(role, NODE[role])
    assert check_handled_or_refused(TABLE, ctx, ROLE_STATES[role][phase], an_input(role, on), 100) is not None


def test_every_row_is_exercised() -> None:
    assert {(role, phase, on) for role, phase, on in row_cases()} >= {
        (r.role, r.phase, r.on) for r in TABLE.rows if r.phase != ANY_PHASE}
    assert {(role, on) for role, _, on in row_cases()} == {(r.role, r.on) for r in TABLE.rows}
    assert table_rows(TABLE)


def test_an_unlisted_input_is_refused_loudly() -> None:
    assert check_handled_or_refused(TABLE, context("store", "store"), ROLE_STATES["store"]["ready"],
                                    an_input("redis", "msg:set"), 5) is None
