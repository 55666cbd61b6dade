"""The service registry's detectors can say no: each is shown a history that breaks it.

Hand-made event sequences feed the history checks directly; deliberately
broken registries (a lazy sweep, a sweep that never evicts, discovery
answered from a stale copy) run whole scenarios, so the checker is seen to
catch them in a real log; and the excuses (self-preservation, a paused
registry, a skewed clock, the horizon) are seen to excuse.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from protocols.base import Context, Outcome, Receive, State, Transition, TransitionTable
from protocols.registry import SPEC
from protocols.registry import server as s
from protocols.registry.invariants import answers_match_table, eviction_bound, incarnation_logged, no_resurrection
from protocols.sim.checker import check_trace
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from protocols.spec import Finding, NodeView, ProtocolSpec
from tests.helpers import words

# ------------------------------------------------------- hand-made histories


def history(*events: dict[str, Any]) -> list[dict[str, Any]]:
    """Number events and give each a time (its seq, unless it says) and a step."""
    return [{"seq": i, "time": e.pop("time", i), "step": i, **e} for i, e in enumerate(events, start=1)]


def findings(check: Callable[[dict[str, Any], dict[str, Any]], Iterable[Finding]],
             events: list[dict[str, Any]], **params: Any) -> list[Finding]:
    """Feed the events to one check whose memo starts, as the checker's does, with the run's parameters."""
    memo: dict[str, Any] = {"params": SPEC.resolve_params(params)}
    return [f for event in events for f in check(event, memo)]


def boot(node: str = "registry") -> dict[str, Any]:
    return {"kind": "start", "node": node, "role": "registry"}


def table(node: str = "registry", cause: str = "msg:register", **incs: int) -> dict[str, Any]:
    instances = {name: {"inc": inc, "weight": 1, "renew": 0} for name, inc in incs.items()}
    return {"kind": "state", "node": node, "cause": cause, "state": {"phase": "serving", "instances": instances}}


def deliver(type_: str, src: str, dst: str = "registry", **body: Any) -> dict[str, Any]:
    return {"kind": "deliver", "node": dst, "src": src, "dst": dst,
            "message": {"msg_id": "m9", "src": src, "dest": dst, "type": type_, "body": body}}


def test_a_late_heartbeat_bringing_an_evicted_instance_back_is_found_and_blamed() -> None:
    events = history(boot(), table(p1=1, p2=1), table(cause="timer:sweep", p2=1),
                     deliver("heartbeat", "p1", inc=1), table(cause="msg:heartbeat", p1=1, p2=1))
    [found] = findings(no_resurrection, events)
    assert words(found) == "registry took p1#1 back after evicting p1#1"
    assert found.cause_seq == 4 and found.nodes == ("registry", "p1")


def test_a_newer_incarnation_after_an_eviction_is_fine_and_an_older_one_is_not() -> None:
    events = history(boot(), table(p1=1), table(cause="timer:sweep"), table(p1=2), table(p1=3), table(p1=2))
    [found] = findings(no_resurrection, events)
    assert words(found) == "registry replaced p1#3 by the older p1#2"


def test_a_restarted_registry_is_judged_afresh() -> None:
    events = history(boot(), table(p1=1), table(cause="timer:sweep"), {"kind": "crash", "node": "registry"},
                     table(cause="recover"), table(p1=1))
    assert findings(no_resurrection, events) == []


def test_an_entry_that_only_renews_is_reported_once_not_at_every_beat() -> None:
    events = history(boot(), table(p1=2), table(cause="timer:sweep"), table(p1=2), table(cause="msg:heartbeat", p1=2))
    assert len(findings(no_resurrection, events)) == 1


def answer(src: str, dst: str, **incs: int) -> dict[str, Any]:
    body = {"boot": 1, "version": 3, "instances": {n: {"inc": i, "weight": 1} for n, i in incs.items()}}
    return {"kind": "send", "node": src, "src": src, "dst": dst,
            "message": {"msg_id": "m7", "src": src, "dest": dst, "type": "instances", "body": body}}


def test_an_answer_listing_an_evicted_instance_is_found() -> None:
    events = history(boot(), table(p1=1, p2=1), table(cause="timer:sweep", p1=1), answer("registry", "u1", p1=1),
                     answer("registry", "u2", p1=1, p2=1))
    [found] = findings(answers_match_table, events)
    assert found.cause_seq == 5 and found.nodes == ("registry", "u2")
    assert words(found) == "registry told u2 of p2#1: its table differs"


def test_an_answer_with_a_wrong_incarnation_or_a_missing_instance_is_found() -> None:
    events = history(boot(), table(p1=2, p3=1), answer("registry", "u1", p1=1))
    [found] = findings(answers_match_table, events)
    assert words(found) == "registry told u1 of p1#1 and left out p1#2, p3#1: its table differs"


def crash_then_sweep(sweep_at: int) -> list[dict[str, Any]]:
    """registry1 lists p1 (renewed at 0); p1 crashes at 10 ms; a sweep at ``sweep_at`` evicts it.

    No boot record anywhere: the bound's terms can only come from the parameters.
    """
    return history(boot("registry1"), {"kind": "start", "node": "p1", "role": "provider"},
                   {**table("registry1", p1=1), "time": 0}, {"kind": "crash", "node": "p1", "time": 10},
                   {"kind": "timer", "node": "registry1", "timer": "sweep", "time": sweep_at},
                   {**table("registry1", cause="timer:sweep"), "time": sweep_at})


THREE_REPLICAS = {"registry_replicas": 3, "heartbeat_ms": 50, "missed_beats": 4, "sweep_ms": 70,
                  "delay_ms_min": 5, "delay_ms_max": 20, "duration_ms": 2_000}
"""A lease of 50 x 4 = 200 ms, a sweep every 70 ms, and a renewal up to two hops of 20 ms away."""


def test_the_eviction_bound_is_heartbeat_times_missed_beats_plus_sweep_plus_network_from_the_parameters() -> None:
    [late] = findings(eviction_bound, crash_then_sweep(321), **THREE_REPLICAS)
    assert words(late) == ("p1 crashed at 10 ms and registry1 evicted it only at 321 ms, past the bound of 320 ms "
                         "(lease 200 + sweep 70 + network 40 ms)"), "a renewal may cross two hops through a replica"
    assert late.nodes == ("registry1", "p1") and late.cause_seq == 4, "the crash is the cause"
    assert findings(eviction_bound, crash_then_sweep(320), **THREE_REPLICAS) == [], "on the bound is in time"
    assert findings(eviction_bound, crash_then_sweep(321), **{**THREE_REPLICAS, "missed_beats": 5}) == [], (
        "a longer lease in the parameters moves the bound")
    assert findings(eviction_bound, crash_then_sweep(321), **{**THREE_REPLICAS, "duration_ms": 320}) == [], (
        "a deadline past the horizon is excused")


def test_a_running_provider_on_an_unlogged_incarnation_is_found() -> None:
    def view(inc: int, durable: tuple[dict[str, Any], ...], up: bool = True) -> NodeView:
        return NodeView(role="provider", up=up, paused=False, state={"phase": "up", "inc": inc}, durable=durable)

    logged = ({"type": "incarnation", "inc": 1}, {"type": "incarnation", "inc": 2})
    assert list(incarnation_logged({"p1": view(2, logged), "p2": view(3, logged, up=False)})) == []
    [found] = incarnation_logged({"p1": view(3, logged)})
    assert words(found) == "p1 runs as #3 but its log says #2"
    [unlogged] = incarnation_logged({"p1": view(1, ())})
    assert words(unlogged) == "p1 runs as #1 but its log holds no incarnation"


# ---------------------------------------------------- broken registries, real logs


def with_sweep(handler: Callable[[Context, State, Any, int], Outcome], name: str) -> ProtocolSpec:
    """Return the protocol with its sweep replaced (every other row as it is)."""
    rows = [dataclasses.replace(r, handler=handler) if r.on == "timer:sweep" else r for r in SPEC.table.rows]
    return dataclasses.replace(SPEC, name=name, table=TransitionTable(rows))


def lazy_sweep(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Evict two heartbeats too late (the lease it enforces is longer than the run's parameters say)."""
    late = 2 * int(ctx.params["heartbeat_ms"])
    slow = {name: {**e, "expires": e["expires"] + late} for name, e in state["instances"].items()}
    new, effects = s.sweep(ctx, {**state, "instances": slow}, event, now)
    return {**new, "instances": {name: state["instances"][name] for name in new["instances"]}}, effects


def idle_sweep(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Never evict: only keep the timer going (and stop at the horizon)."""
    new, effects = s.sweep(ctx, {**state, "instances": {}}, event, now)
    return {**state, "phase": new["phase"]}, effects


def run(spec: ProtocolSpec, scenario: str = "provider-crash", faults: list[dict[str, Any]] | None = None,
        **params: Any) -> list[dict[str, Any]]:
    engine = Engine(spec, params, seed=1, scenario=scenario, faults=faults or [])
    engine.run()
    return [e for e in engine.log if e["kind"] == "violation"]


def test_a_registry_that_evicts_late_is_caught_with_the_crash_as_cause() -> None:
    [found] = run(with_sweep(lazy_sweep, "lazy"))
    assert found["invariant"] == "eviction-bound" and found["nodes"] == ["registry", "p2"]
    assert "p2 crashed at 600 ms and registry evicted it only at" in words(found)
    assert "lease 300 + sweep 100 + network 20 ms" in words(found)


def test_a_saved_trace_of_a_late_eviction_rechecked_finds_it_again_from_its_params() -> None:
    spec = with_sweep(lazy_sweep, "lazy")
    engine = Engine(spec, {}, seed=1, scenario="provider-crash")
    engine.run()
    saved = json.loads(dumps(build_trace(engine)))
    boots = [e["record"] for e in saved["events"] if e["kind"] == "persist" and e["node"] == "registry"]
    assert boots == [{"type": "boot", "boot": 1}], "the boot record counts lives and holds no lease terms"
    [found] = check_trace(spec, saved)
    assert found["invariant"] == "eviction-bound" and found == {
        k: v for k, v in saved["violations"][0].items() if k not in ("seq", "time", "step")}


def test_a_registry_that_never_evicts_is_caught_at_the_first_sweep_past_the_bound() -> None:
    [found] = run(with_sweep(idle_sweep, "idle"))
    assert found["invariant"] == "eviction-bound"
    assert "registry still listed it after a sweep at 1100 ms, past the bound of" in words(found)


@pytest.mark.parametrize(("why", "params", "faults"), [
    ("self-preservation engaged", {"self_preservation": True}, []),
    ("the registry was paused", {}, [{"action": "pause", "node": "registry", "at_ms": 700},
                                     {"action": "resume", "node": "registry", "at_ms": 720}]),
    ("the registry's clock was skewed", {}, [{"action": "clock", "node": "registry", "rate": 1.0, "offset_ms": 5,
                                              "at_ms": 10}]),
    ("the deadline falls past the horizon", {"duration_ms": 1_000}, []),
    ("the provider came back", {}, [{"action": "recover", "node": "p2", "at_ms": 650}]),
])
def test_what_the_registry_cannot_help_excuses_a_late_eviction(why: str, params: dict[str, Any],
                                                               faults: list[dict[str, Any]]) -> None:
    assert run(with_sweep(lazy_sweep, "lazy"), faults=faults, **params) == [], why


def stale_discover(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer from a copy that still holds every evicted instance (a cache in front of the registry)."""
    ghosts = {n: {"inc": i, "weight": 1, "renew": 0} for n, i in state["evicted"].items()}
    return state, s.on_discover(ctx, {**state, "instances": {**ghosts, **state["instances"]}}, event, now)[1]


def test_a_registry_answering_from_a_stale_copy_is_caught() -> None:
    rows = [Transition(role=r.role, phase=r.phase, on=r.on, to=r.to, handler=stale_discover)
            if r.on == "msg:discover" else r for r in SPEC.table.rows]
    found = run(dataclasses.replace(SPEC, name="stale", table=TransitionTable(rows)))
    assert {f["invariant"] for f in found} == {"answers-match-table"}
    assert "of p2#1: its table differs" in words(found[0])
