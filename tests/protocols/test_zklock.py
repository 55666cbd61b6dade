"""The ZooKeeper lock: the service's tree, sessions and watches, the recipe's client, the fenced store, the runs.

Handlers one by one (sequential numbering by the parent's cversion, the czxid as token, a session expiring
with its ephemeral node, the predecessor watch against the herd's parent watch, a touched session, fencing on
and off, a holder's resend timer and retry_ms=0's single send, a client that hears nothing suspending
itself), then every scenario's findings, exactly, and Hypothesis over seeds: with fencing on, fault-free or
with clients crashing (and maybe recovering), no stale write is ever accepted and the service's queue stays in
order. Last, the lock chapter's comparison over several seeds: under the same holder pause only the unfenced
runs (lease, Redis, ZooKeeper) accept a stale write.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import get_protocol
from protocols.base import Context, Message, Receive, Send, SetTimer, Start
from protocols.comparisons import PRESETS
from protocols.sim.compare import compare, parse_run
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace
from protocols.zklock import SPEC
from protocols.zklock import client as c
from protocols.zklock import service as zk
from protocols.zklock import store as sto


def context(role: str, node: str, **params: Any) -> Context:
    resolved = SPEC.resolve_params(params)
    return Context(node=node, role=role, params=resolved, roles=c.topology(resolved))


def message(type_: str, src: str = "c1", dest: str = "zk", **body: Any) -> Receive:
    return Receive(message=Message(msg_id="m1", src=src, dest=dest, type=type_, body=body))


def sends(effects: Any, type_: str | None = None) -> list[Send]:
    return [e for e in effects if isinstance(e, Send) and (type_ is None or e.type == type_)]


def booted(**params: Any) -> tuple[Context, dict[str, Any]]:
    ctx = context("zk", "zk", **params)
    state, _ = zk.service_start(ctx, zk.service_initial(), Start(draw=0.0), 0)
    return ctx, dict(state)


def create(ctx: Context, state: Any, client: str, session: int) -> Any:
    return zk.create(ctx, state, message("create", src=client, session=session, req=1, path="/lock/n-"), 0)


def run(scenario: str | None = None, seed: int = 1, faults: Any = (), **params: Any) -> Engine:
    engine = Engine(SPEC, params, seed=seed, scenario=scenario, faults=faults, max_events=20_000)
    engine.run()
    return engine


def broken(engine: Engine) -> set[str]:
    return {e["invariant"] for e in engine.log if e["kind"] == "violation"}


# ------------------------------------------------------------------ the service


def test_each_client_has_a_session_from_the_start_and_the_service_ticks() -> None:
    _ctx, state = booted(clients=3)
    assert [(s["id"], s["client"]) for s in state["sessions"]] == [(1, "c1"), (2, "c2"), (3, "c3")]
    assert state["zxid"] == 3 and state["phase"] == "serving"
    assert c.client_initial(context("client", "c2"))["session"] == 2


def test_sequential_nodes_take_the_parents_cversion_which_deletes_advance_too() -> None:
    ctx, state = booted()
    state, effects = create(ctx, state, "c1", 1)
    assert sends(effects, "create_ok")[0].body["path"] == "/lock/n-0000000000"
    assert sends(effects, "create_ok")[0].body["czxid"] == state["zxid"] == 4
    state, effects = create(ctx, state, "c2", 2)
    assert sends(effects, "create_ok")[0].body["path"] == "/lock/n-0000000001"
    state, _ = zk.delete(ctx, state, message("delete", session=1, req=2, path="/lock/n-0000000000"), 0)
    state, effects = create(ctx, state, "c3", 3)
    assert sends(effects, "create_ok")[0].body["path"] == "/lock/n-0000000003"  # 0, 1, the delete, 3.
    assert [n["czxid"] for n in state["nodes"]] == [5, 7]


def test_an_expired_session_takes_its_ephemeral_node_and_fires_the_watch_on_it() -> None:
    ctx, state = booted(clients=2, session_timeout_ms=100, tick_ms=50)
    state, _ = create(ctx, state, "c1", 1)
    state, _ = create(ctx, state, "c2", 2)
    state, _ = zk.exists(ctx, state, message("exists", src="c2", session=2, req=2, path="/lock/n-0000000000",
                                             watch=True), 0)
    for _ in range(2):  # Two ticks count c1's session down to zero; c2 pings in between.
        state, _ = zk.tick(ctx, state, None, 0)
        state, _ = zk.ping(ctx, state, message("ping", src="c2", session=2), 0)
    assert [s["left"] for s in state["sessions"]] == [0, 2]
    state, effects = zk.tick(ctx, state, None, 0)
    assert [s["id"] for s in state["sessions"]] == [2]
    assert [n["name"] for n in state["nodes"]] == ["n-0000000001"]
    assert state["ended"] == {"name": "n-0000000000", "client": "c1", "how": "expired"}
    assert [(m.dest, m.body["event"]) for m in sends(effects, "watch")] == [("c2", "deleted")]
    assert state["watches"] == []


def test_a_request_on_an_expired_session_is_refused_definitely() -> None:
    ctx, state = booted(clients=1)
    state, effects = zk.create(ctx, state, message("create", session=9, req=1, path="/lock/n-"), 0)
    assert state["nodes"] == []
    assert sends(effects)[0].body == {"session": 9, "req": 1, "code": "session_expired", "definite": True}


def test_the_herd_wakes_every_waiter_on_every_change() -> None:
    ctx, state = booted(clients=4)
    for i in range(1, 5):
        state, _ = create(ctx, state, f"c{i}", i)
    for i in range(1, 5):
        state, _ = zk.get_children(ctx, state, message("get_children", src=f"c{i}", session=i, req=2,
                                                        path="/lock", watch=True), 0)
    state, effects = zk.delete(ctx, state, message("delete", session=1, req=3, path="/lock/n-0000000000"), 0)
    assert sorted(m.dest for m in sends(effects, "watch")) == ["c1", "c2", "c3", "c4"]
    assert all(m.body["event"] == "children_changed" for m in sends(effects, "watch"))
    assert state["watches"] == []  # One-shot: each must list again to watch again.
    state, _ = zk.get_children(ctx, state, message("get_children", src="c2", session=2, req=4, path="/lock",
                                                    watch=True), 0)
    state, effects = create(ctx, state, "c1", 1)  # A creation changes the children too.
    assert [m.dest for m in sends(effects, "watch")] == ["c2"]


# ------------------------------------------------------------------ the recipe's client


def test_a_waiter_watches_only_its_predecessor_and_the_herd_watches_the_parent() -> None:
    ctx = context("client", "c2")
    state = {**c.client_initial(ctx), "phase": "listing", "req": 2, "asked": 2, "op": 1,
             "node": "/lock/n-0000000002", "token": 6}
    answer = message("children", src="zk", dest="c2", session=2, req=2,
                     names=["n-0000000002", "n-0000000000", "n-0000000001"])
    waiting, effects = c.listed(ctx, state, answer, 0)
    assert waiting["phase"] == "checking"
    assert [(m.type, m.body["path"], m.body["watch"]) for m in sends(effects)] == [
        ("exists", "/lock/n-0000000001", True)]
    assert waiting["watching"] == "/lock/n-0000000001"
    herd = context("client", "c2", watch="herd")
    listing, effects = c.created(herd, {**state, "phase": "creating", "req": 1, "asked": 1},
                                 message("create_ok", src="zk", dest="c2", req=1, path=state["node"], czxid=6), 0)
    assert sends(effects)[0].body["watch"] is True and listing["watching"] == "/lock"
    waiting, effects = c.listed(herd, listing, message("children", src="zk", dest="c2", session=2, req=listing["req"],
                                                       names=["n-0000000002", "n-0000000000"]), 0)
    assert (waiting["phase"], waiting["watching"], sends(effects)) == ("waiting", "/lock", [])


def test_the_lowest_node_holds_and_writes_with_its_czxid() -> None:
    ctx = context("client", "c1", work_ms=0)
    state = {**c.client_initial(ctx), "phase": "listing", "req": 2, "asked": 2, "op": 1,
             "node": "/lock/n-0000000000", "token": 4}
    held, effects = c.listed(ctx, state, message("children", src="zk", dest="c1", session=1, req=2,
                                                 names=["n-0000000000"]), 0)
    assert held["phase"] == "writing"
    assert sends(effects, "write")[0].body == {"op": "c1.1", "token": 4}


@pytest.mark.parametrize(("retry_ms", "timers"), [(50, ["retry"]), (0, [])])
def test_a_holder_resends_after_retry_ms_or_with_0_sends_once_and_waits(retry_ms: int, timers: list[str]) -> None:
    ctx = context("client", "c1", retry_ms=retry_ms)
    state = {**c.client_initial(ctx), "phase": "holding", "op": 1, "node": "/lock/n-0000000000", "token": 4}
    writing, effects = c.send_write(ctx, state, None, 0)
    assert writing["phase"] == "writing" and len(sends(effects, "write")) == 1
    assert [e.name for e in effects if isinstance(e, SetTimer)] == timers


def test_a_deleted_predecessor_sends_the_waiter_to_list_again_and_a_late_answer_is_ignored() -> None:
    ctx = context("client", "c2")
    state = {**c.client_initial(ctx), "phase": "waiting", "req": 3, "op": 1, "node": "/lock/n-0000000001",
             "token": 5, "watching": "/lock/n-0000000000"}
    listing, effects = c.notified(ctx, state, message("watch", src="zk", dest="c2", session=2, event="deleted",
                                                      path="/lock/n-0000000000"), 0)
    assert listing["phase"] == "listing" and sends(effects)[0].type == "get_children"
    assert c.listed(ctx, listing, message("children", src="zk", dest="c2", session=2, req=3, names=[]), 0) == (
        listing, ())


def test_a_client_that_hears_nothing_suspends_closes_and_opens_a_new_session() -> None:
    ctx = context("client", "c1")
    state = {**c.client_initial(ctx), "phase": "holding", "op": 1, "node": "/lock/n-0000000000", "token": 4}
    lost, effects = c.suspended(ctx, state, None, 0)
    assert lost["phase"] == "connecting" and lost["token"] is None and lost["sessions"] == 2
    assert [(m.type, m.body.get("session")) for m in sends(effects)] == [("close", 1), ("connect", None)]
    last = context("client", "c1", max_sessions=1)
    done, _ = c.suspended(last, state, None, 0)
    assert done["phase"] == "done" and done["gave_up"] == 2


# ------------------------------------------------------------------ the store


@pytest.mark.parametrize(("fencing", "applied"), [("on", False), ("off", True)])
def test_the_store_fences_an_older_token_out_only_with_fencing_on(fencing: str, applied: bool) -> None:
    ctx = context("store", "store", fencing=fencing)
    state = {"phase": "serving", "log": [{"op": "c2.1", "by": "c2", "token": 7}], "max_token": 7}
    after, effects = sto.store_write(ctx, state, message("write", dest="store", op="c1.1", token=4), 0)
    assert (len(after["log"]) == 2) is applied
    assert sends(effects)[0].type == ("write_ok" if applied else "error")


# ------------------------------------------------------------------ the scenarios

EXPECTED = {
    "take-turns": set(),
    "session-expires-in-pause": {"one-believer-at-a-time"},
    "session-expires-in-pause-unfenced": {"one-believer-at-a-time", "stale-write-accepted"},
    "holder-partition": set(),
    "holder-crash": set(),
    "many-waiters": set(),
    "many-waiters-herd": set(),
}


@pytest.mark.parametrize(("scenario", "story"), sorted(EXPECTED.items()))
def test_each_scenario_breaks_exactly_the_invariants_its_story_names(scenario: str, story: set[str]) -> None:
    assert broken(run(scenario)) == story, sorted(s.name for s in SPEC.scenarios if s.name not in EXPECTED)
    assert sorted(EXPECTED) == sorted(s.name for s in SPEC.scenarios)


def test_the_pause_is_fenced_out_at_the_store() -> None:
    fenced = SPEC.summarize(build_trace(run("session-expires-in-pause")))
    assert (fenced["stale_writes_rejected"], fenced["sessions_expired"]) == (1, 1)
    unfenced = SPEC.summarize(build_trace(run("session-expires-in-pause-unfenced")))
    assert (unfenced["stale_writes_accepted"], unfenced["stale_writes_rejected"]) == (1, 0)


def test_the_herd_sends_more_notifications_per_release_than_the_recipe() -> None:
    recipe = SPEC.summarize(build_trace(run("many-waiters")))
    herd = SPEC.summarize(build_trace(run("many-waiters-herd")))
    assert recipe["notifications_per_release"] <= 1 < 2 < herd["notifications_per_release"]
    assert recipe["messages_per_acquisition"] < herd["messages_per_acquisition"]


CLIENT_PHASES = ("creating", "listing", "checking", "waiting", "holding", "writing", "releasing")


@st.composite
def client_crashes(draw: st.DrawFn, clients: int) -> list[dict[str, Any]]:
    """Crash a client right after it enters a phase, and mostly recover it a while later."""
    node = f"c{draw(st.integers(1, clients))}"
    when = {"kind": "state", "node": node, "state.phase": draw(st.sampled_from(CLIENT_PHASES))}
    plan = [{"action": "crash", "node": node, "after": when}]
    if draw(st.booleans()):
        plan.append({"action": "recover", "node": node, "after": {"kind": "crash", "node": node},
                     "delay_ms": draw(st.integers(1, 600))})
    return plan


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), clients=st.integers(1, 4), watch=st.sampled_from(["recipe", "herd"]),
       data=st.data())
def test_with_fencing_no_stale_write_is_ever_accepted(seed: int, clients: int, watch: str, data: st.DataObject) -> None:
    plan = [f for _ in range(data.draw(st.integers(0, 2))) for f in data.draw(client_crashes(clients))]
    engine = run(seed=seed, faults=plan, clients=clients, watch=watch)
    assert not broken(engine) & {"stale-write-accepted", "lock-order"}, plan
    if not plan:
        assert broken(engine) == set()
        assert all(rt.state["phase"] == "done" for rt in engine.nodes.values() if rt.ctx.role == "client")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_lock_holder_pause_comparison_shows_that_fencing_protects_the_store(seed: int) -> None:
    preset = next(p for p in PRESETS if p["name"] == "lock-holder-pause")
    rows = compare([parse_run(text, get_protocol) for text in preset["runs"]], preset["params"], seed=seed)
    accepted = {text: row["summary"]["stale_writes_accepted"] for text, row in zip(preset["runs"], rows, strict=True)}
    assert accepted == {"lock-lease@process-pause": 1, "lock-lease@process-pause-fenced": 0,
                        "redis-lock@process-pause": 1, "redis-lock@process-pause-fenced": 0,
                        "zk-lock@session-expires-in-pause-unfenced": 1,
                        "zk-lock@session-expires-in-pause": 0}
    assert rows[-1]["summary"]["stale_writes_rejected"] == 1 and rows[-1]["summary"]["sessions_expired"] == 1
