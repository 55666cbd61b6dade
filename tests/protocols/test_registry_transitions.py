"""Every row of the service registry's transition table, fired by hand.

Each test builds a Context and a state, fires one input through the table
with a chosen ``now`` and asserts the new state and the exact effects, in
order: the incarnation forced to the log before it is used, the lease
renewed on the registry's own clock, the answers a late or older message
gets. Tests register the (role, phase, input) rows they cover; a row without
a test fails the suite. A Hypothesis test then fires every input at every
phase from arbitrary states.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.base import (
    ANY_PHASE,
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
from protocols.registry import SPEC
from protocols.registry.consumer import EPOCH_SPAN, pick
from protocols.registry.table import TABLE
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

R, P, U = "registry", "provider", "consumer"
NOW = 1_000
ROWS = RowRegistry(table_rows(TABLE), "service registry")
covers = ROWS.covers


# ------------------------------------------------------------- helpers


def context(node: str, **params: Any) -> Context:
    """Build a node's context with checked parameters and the registry's placement."""
    return support.context(SPEC, node, **params)


def registry(phase: str = "serving", **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(context("registry")), "boot": 1, "phase": phase, **fields}


def provider(phase: str = "up", **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(context("p1")), "phase": phase, "inc": 1, **fields}


def consumer(phase: str = "ready", **fields: Any) -> dict[str, Any]:
    return {**SPEC.initial_state(context("u1")), "phase": phase, "rng": 12345, **fields}


LEASE = 300
"""The default lease (heartbeat_ms 100 x missed_beats 3), which registry() records as its lease_ms."""


def entry(inc: int = 1, renew: int = NOW - 50, weight: int = 1, **extra: Any) -> dict[str, Any]:
    """Return a table entry renewed at ``renew``: its lease runs out one default lease later."""
    return {"inc": inc, "weight": weight, "renew": renew, "expires": renew + LEASE, **extra}


def fire(ctx: Context, state: dict[str, Any], event: Input, now: int = NOW) -> tuple[Any, list[Effect]]:
    """Fire one input through the table; return the new state and the effects as a list."""
    return fire_table(TABLE, ctx, state, event, now)


def answer(dest: str, boot: int, version: int, instances: dict[str, Any], req: int | None = None,
           in_reply_to: str | None = "m42") -> Send:
    body: dict[str, Any] = {"boot": boot, "version": version, "instances": instances}
    if req is not None:
        body["req"] = req
    return Send(dest=dest, type="instances", body=body, in_reply_to=in_reply_to)


# ------------------------------------------------------------- registry


@covers((R, "serving", "start"))
def test_registry_start_logs_its_first_life_and_starts_sweeping() -> None:
    ctx = context("registry", heartbeat_ms=50, missed_beats=4, sweep_ms=70, delay_ms_max=30, duration_ms=900)
    new, effects = fire(ctx, SPEC.initial_state(ctx), Start(draw=0.3))
    assert new["boot"] == 1 and new["phase"] == "serving" and new["instances"] == {}
    assert effects == [
        Persist(record={"type": "boot", "boot": 1}),  # Only the life's number: the lease terms are parameters.
        SetTimer(name="sweep", delay_ms=70),
    ]


@covers((R, ANY_PHASE, "recover"))
def test_a_recovered_registry_is_empty_counts_its_lives_and_sweeps_again() -> None:
    ctx = context("registry1", registry_replicas=3, delay_ms_max=20)
    durable = ({"type": "boot", "boot": 1}, {"type": "boot", "boot": 2})
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=durable))
    assert new["boot"] == 3 and new["instances"] == {} and new["phase"] == "serving"
    record = without_notes(effects)[0]
    assert isinstance(record, Persist) and record.record == {"type": "boot", "boot": 3}
    assert without_notes(effects)[1:] == [SetTimer(name="sweep", delay_ms=100)]


@covers((R, ANY_PHASE, "recover"))
def test_a_registry_recovering_past_the_horizon_stays_stopped() -> None:
    ctx = context("registry", duration_ms=500)
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=()), now=600)
    assert new["phase"] == "stopped" and new["boot"] == 1
    assert not any(isinstance(e, SetTimer) for e in effects)


@covers((R, ANY_PHASE, "msg:register"))
def test_a_first_registration_is_acknowledged_bumps_the_version_and_is_pushed_to_watchers() -> None:
    state = registry(watchers=["u1"])
    new, effects = fire(context("registry"), state, receive("register", "p2", "registry", {"inc": 1, "weight": 3}))
    assert new["instances"] == {"p2": entry(1, NOW, 3)}
    assert new["version"] == 1
    assert without_notes(effects) == [
        Send(dest="p2", type="register_ok", body={"inc": 1}, in_reply_to="m42"),
        answer("u1", 1, 1, {"p2": {"inc": 1, "weight": 3}}, in_reply_to=None),
    ]


@covers((R, ANY_PHASE, "msg:register"))
def test_a_repeated_registration_renews_without_a_new_version_and_is_forwarded_to_peers() -> None:
    state = registry(instances={"p1": entry(2, 10)}, version=5)
    ctx = context("registry1", registry_replicas=3)
    new, effects = fire(ctx, state, receive("register", "p1", "registry1", {"inc": 2, "weight": 1}))
    assert new["instances"]["p1"]["renew"] == NOW and new["version"] == 5
    replicate = {"op": "register", "name": "p1", "inc": 2, "weight": 1}
    assert effects == [
        Send(dest="p1", type="register_ok", body={"inc": 2}, in_reply_to="m42"),
        Send(dest="registry2", type="replicate", body=replicate),
        Send(dest="registry3", type="replicate", body=replicate),
    ]


@covers((R, ANY_PHASE, "msg:register"))
@pytest.mark.parametrize(("held", "evicted", "inc"), [
    ({"p1": entry(3)}, {}, 2), ({}, {"p1": 2}, 2), ({}, {"p1": 2}, 1)])
def test_a_registration_older_than_the_held_or_evicted_incarnation_is_refused(
        held: dict[str, Any], evicted: dict[str, int], inc: int) -> None:
    state = registry(phase="preserving", instances=held, evicted=evicted)
    new, effects = fire(context("registry"), state, receive("register", "p1", "registry", {"inc": inc, "weight": 1}))
    assert new == state
    assert effects == [Send(dest="p1", type="unknown_instance", body={"inc": inc}, in_reply_to="m42")]


@covers((R, ANY_PHASE, "msg:register"))
def test_a_newer_incarnation_replaces_the_old_entry_and_drops_its_resync_mark() -> None:
    state = registry(instances={"p1": entry(1, resync=True)}, evicted={"p1": 0}, version=2)
    new, _ = fire(context("registry"), state, receive("register", "p1", "registry", {"inc": 2, "weight": 1}))
    assert new["instances"]["p1"] == entry(2, NOW) and new["version"] == 3


@covers((R, ANY_PHASE, "msg:heartbeat"))
def test_a_heartbeat_renews_the_lease_on_the_registrys_clock_without_an_answer() -> None:
    state = registry(instances={"p1": entry(1, 700)}, version=3)
    new, effects = fire(context("registry"), state, receive("heartbeat", "p1", "registry", {"inc": 1, "weight": 1}))
    assert new == {**state, "instances": {"p1": entry(1, NOW)}}
    assert effects == []


@covers((R, ANY_PHASE, "msg:heartbeat"))
def test_a_heartbeat_of_an_evicted_or_unknown_instance_is_answered_unknown_instance() -> None:
    state = registry(phase="stopped", evicted={"p1": 1})
    new, effects = fire(context("registry"), state, receive("heartbeat", "p1", "registry", {"inc": 1, "weight": 1}))
    assert new == state, "an evicted incarnation is not taken back"
    assert effects == [Send(dest="p1", type="unknown_instance", body={"inc": 1}, in_reply_to="m42")]


@covers((R, ANY_PHASE, "msg:heartbeat"))
def test_a_late_heartbeat_of_an_older_incarnation_is_ignored() -> None:
    state = registry(instances={"p1": entry(2)})
    assert fire(context("registry"), state, receive("heartbeat", "p1", "registry", {"inc": 1, "weight": 1})) == (
        state, [])


@covers((R, ANY_PHASE, "msg:heartbeat"))
def test_a_heartbeat_for_an_entry_a_peer_lost_renews_it_and_sends_the_provider_back_to_register() -> None:
    state = registry(instances={"p1": entry(1, resync=True)})
    new, effects = fire(context("registry1", registry_replicas=3), state,
                        receive("heartbeat", "p1", "registry1", {"inc": 1, "weight": 1}))
    assert new["instances"]["p1"]["renew"] == NOW
    assert effects[-1] == Send(dest="p1", type="unknown_instance", body={"inc": 1}, in_reply_to="m42")
    assert [e.dest for e in effects if isinstance(e, Send) and e.type == "replicate"] == ["registry2", "registry3"]


@covers((R, ANY_PHASE, "msg:heartbeat"))
def test_the_naive_registry_takes_an_evicted_instance_back_from_a_late_heartbeat() -> None:
    state = registry(evicted={"p1": 1}, version=4, watchers=["u2"])
    new, effects = fire(context("registry", variant="no-incarnations"), state,
                        receive("heartbeat", "p1", "registry", {"inc": 1, "weight": 1}))
    assert new["instances"] == {"p1": entry(1, NOW)} and new["version"] == 5
    assert answer("u2", 1, 5, {"p1": {"inc": 1, "weight": 1}}, in_reply_to=None) in effects


@covers((R, ANY_PHASE, "msg:replicate"))
def test_a_replicated_registration_is_applied_and_never_forwarded_again() -> None:
    body = {"op": "register", "name": "p2", "inc": 1, "weight": 2}
    new, effects = fire(context("registry2", registry_replicas=3), registry(),
                        receive("replicate", "registry1", "registry2", body))
    assert new["instances"] == {"p2": entry(1, NOW, 2)} and new["version"] == 1
    assert not any(isinstance(e, Send) for e in effects)


@covers((R, ANY_PHASE, "msg:replicate"))
def test_a_replicated_heartbeat_renews_a_known_instance() -> None:
    body = {"op": "heartbeat", "name": "p1", "inc": 1, "weight": 1}
    state = registry(instances={"p1": entry(1, 10)}, version=2)
    new, effects = fire(context("registry3", registry_replicas=3), state,
                        receive("replicate", "registry1", "registry3", body))
    assert new == {**state, "instances": {"p1": entry(1, NOW)}} and effects == []


@covers((R, ANY_PHASE, "msg:replicate"))
def test_a_replicated_heartbeat_for_an_instance_this_replica_missed_registers_it() -> None:
    body = {"op": "heartbeat", "name": "p1", "inc": 2, "weight": 1}
    state = registry(evicted={"p1": 1})
    ctx = context("registry2", registry_replicas=3)
    new, _ = fire(ctx, state, receive("replicate", "registry1", "registry2", body))
    assert new["instances"] == {"p1": entry(2, NOW)}


@covers((R, ANY_PHASE, "msg:replicate"))
def test_a_replicated_heartbeat_for_an_evicted_incarnation_is_answered_peer_unknown() -> None:
    body = {"op": "heartbeat", "name": "p1", "inc": 1, "weight": 1}
    state = registry(evicted={"p1": 1})
    new, effects = fire(context("registry2", registry_replicas=3), state,
                        receive("replicate", "registry1", "registry2", body))
    assert new == state
    assert effects == [Send(dest="registry1", type="peer_unknown", body={"name": "p1", "inc": 1})]


@covers((R, ANY_PHASE, "msg:peer_unknown"))
def test_peer_unknown_marks_the_entry_for_a_fresh_registration_once() -> None:
    state = registry(instances={"p1": entry(1)})
    ctx = context("registry1", registry_replicas=3)
    new, effects = fire(ctx, state, receive("peer_unknown", "registry2", "registry1", {"name": "p1", "inc": 1}))
    assert new["instances"]["p1"]["resync"] is True
    assert [type(e) for e in effects] == [Note]
    assert fire(ctx, new, receive("peer_unknown", "registry3", "registry1", {"name": "p1", "inc": 1})) == (new, [])
    stale = receive("peer_unknown", "registry3", "registry1", {"name": "p1", "inc": 0})
    assert fire(ctx, state, stale) == (state, []), "a peer's word about an older incarnation changes nothing"


@covers((R, ANY_PHASE, "msg:discover"))
def test_a_discovery_is_answered_with_the_table_as_it_is_now() -> None:
    state = registry(phase="preserving", boot=2, version=7, instances={"p2": entry(3, weight=5), "p1": entry(1)},
                     evicted={"p3": 1})
    new, effects = fire(context("registry"), state, receive("discover", "u2", "registry", {"req": 9}))
    assert new == state
    assert effects == [answer("u2", 2, 7, {"p1": {"inc": 1, "weight": 1}, "p2": {"inc": 3, "weight": 5}}, req=9)]


@covers((R, ANY_PHASE, "msg:watch"))
def test_a_new_watcher_is_subscribed_and_sent_the_table() -> None:
    state = registry(version=2, instances={"p1": entry()}, watchers=["u2"])
    new, effects = fire(context("registry", discovery="watch"), state,
                        receive("watch", "u1", "registry", {"seen": [0, 0]}))
    assert new["watchers"] == ["u1", "u2"]
    assert effects == [answer("u1", 1, 2, {"p1": {"inc": 1, "weight": 1}})]


@covers((R, ANY_PHASE, "msg:watch"))
def test_a_watcher_already_up_to_date_is_sent_nothing() -> None:
    state = registry(version=2, watchers=["u1"])
    assert fire(context("registry"), state, receive("watch", "u1", "registry", {"seen": [1, 2]})) == (state, [])


@covers((R, "serving", "timer:sweep"))
def test_the_sweep_evicts_expired_leases_remembers_their_incarnation_and_tells_watchers() -> None:
    lease = 300
    state = registry(instances={"p1": entry(2, NOW - lease - 1), "p2": entry(1, NOW - lease), "p3": entry(1, 0)},
                     evicted={"p1": 1}, version=6, watchers=["u1"], evictions=1)
    new, effects = fire(context("registry"), state, TimerFired(name="sweep"))
    assert new["instances"] == {"p2": entry(1, NOW - lease)}, "a lease ends after exactly heartbeat x missed beats"
    assert new["evicted"] == {"p1": 2, "p3": 1}
    assert (new["version"], new["evictions"], new["phase"]) == (7, 3, "serving")
    notes = [e.text for e in effects if isinstance(e, Note)]
    assert notes == ["evict p1#2: no renewal for 301 ms", f"evict p3#1: no renewal for {NOW} ms"]
    assert without_notes(effects) == [answer("u1", 1, 7, {"p2": {"inc": 1, "weight": 1}}, in_reply_to=None),
                              SetTimer(name="sweep", delay_ms=100)]


@covers((R, "serving", "timer:sweep"))
def test_the_sweep_stops_at_the_horizon() -> None:
    state = registry(instances={"p1": entry(1, 0)})
    new, effects = fire(context("registry", duration_ms=NOW), state, TimerFired(name="sweep"))
    assert new == {**state, "phase": "stopped"} and effects == []


@covers((R, "serving", "timer:sweep"))
def test_self_preservation_evicts_nothing_when_too_few_instances_renewed() -> None:
    state = registry(instances={"p1": entry(1, 0), "p2": entry(1, NOW - 10), "p3": entry(1, NOW - 10)})
    new, effects = fire(context("registry", self_preservation=True), state, TimerFired(name="sweep"))
    held = {"p1": {**entry(1, 0), "overdue": True}, "p2": entry(1, NOW - 10), "p3": entry(1, NOW - 10)}
    assert new == {**state, "phase": "preserving", "instances": held}, "p1 kept, marked overdue: the panel's DOWN"
    assert [e.text for e in effects if isinstance(e, Note)] == [
        "self-preservation: only 2 of 3 instances renewed within the lease; evicting nothing"]


@covers((R, "serving", "timer:sweep"))
def test_self_preservation_still_evicts_when_enough_instances_renewed() -> None:
    instances = {f"p{i}": entry(1, NOW - 10) for i in range(1, 9)} | {"p8": entry(1, 0)}
    new, _ = fire(context("registry", self_preservation=True, providers=8), registry(instances=instances),
                  TimerFired(name="sweep"))
    assert "p8" not in new["instances"] and new["phase"] == "serving", "7 of 8 renewed: above 0.85"


@covers((R, "preserving", "timer:sweep"))
def test_a_preserving_registry_stays_quiet_then_resumes_evicting_once_renewals_recover() -> None:
    ctx = context("registry", self_preservation=True)
    state = registry(phase="preserving", instances={"p1": entry(1, 0), "p2": entry(1, 0)})
    new, effects = fire(ctx, state, TimerFired(name="sweep"))
    overdue = {name: {**e, "overdue": True} for name, e in state["instances"].items()}
    assert new == {**state, "instances": overdue} and effects == [SetTimer(name="sweep", delay_ms=100)], (
        "no second note while preserving")
    healthy = registry(phase="preserving", instances={"p1": entry(1, NOW - 5), "p2": entry(1, NOW - 5)})
    assert fire(ctx, healthy, TimerFired(name="sweep"))[0]["phase"] == "serving"


# ------------------------------------------------------------- provider


@covers((P, "registering", "start"))
def test_provider_start_forces_incarnation_one_to_its_log_before_registering() -> None:
    ctx = context("p2", weights="1,4", heartbeat_ms=80)
    new, effects = fire(ctx, SPEC.initial_state(ctx), Start(draw=0.1))
    assert new == {"phase": "registering", "inc": 1, "served": 0}
    assert without_notes(effects) == [
        Persist(record={"type": "incarnation", "inc": 1}),
        CancelTimer(name="heartbeat"),
        Send(dest="registry", type="register", body={"inc": 1, "weight": 4}),
        SetTimer(name="register_retry", delay_ms=80),
    ]


@covers((P, "registering", "start"))
def test_providers_and_consumers_are_dealt_round_robin_to_three_replicas() -> None:
    sends = []
    for node in ("p1", "p2", "p3", "p4"):
        ctx = context(node, providers=4, registry_replicas=3)
        sends += [e.dest for e in fire(ctx, SPEC.initial_state(ctx), Start())[1] if isinstance(e, Send)]
    assert sends == ["registry1", "registry2", "registry3", "registry1"]


@covers((P, ANY_PHASE, "recover"))
def test_a_recovered_provider_comes_back_one_incarnation_above_its_log() -> None:
    ctx = context("p1")
    durable = ({"type": "incarnation", "inc": 1}, {"type": "incarnation", "inc": 4})
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=durable))
    assert new["phase"] == "registering" and new["inc"] == 5
    assert without_notes(effects)[0] == Persist(record={"type": "incarnation", "inc": 5})
    assert Send(dest="registry", type="register", body={"inc": 5, "weight": 1}) in effects


@covers((P, ANY_PHASE, "recover"))
def test_a_provider_recovering_past_the_horizon_keeps_its_incarnation_and_stays_stopped() -> None:
    ctx = context("p1", duration_ms=200)
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=({"type": "incarnation", "inc": 2},)), now=300)
    assert new == {"phase": "stopped", "inc": 2, "served": 0} and effects == []


@covers((P, "registering", "msg:register_ok"))
def test_an_acknowledged_registration_starts_the_heartbeat() -> None:
    new, effects = fire(context("p1", heartbeat_ms=70), provider("registering", inc=3),
                        receive("register_ok", "registry", "p1", {"inc": 3}))
    assert new["phase"] == "up"
    assert effects == [CancelTimer(name="register_retry"), SetTimer(name="heartbeat", delay_ms=70)]


@covers((P, "registering", "msg:register_ok"))
def test_an_acknowledgement_for_an_older_incarnation_changes_nothing() -> None:
    state = provider("registering", inc=3)
    assert fire(context("p1"), state, receive("register_ok", "registry", "p1", {"inc": 2})) == (state, [])


@covers((P, "up", "msg:register_ok"), (P, "stopped", "msg:register_ok"), (P, "stopped", "msg:unknown_instance"))
@pytest.mark.parametrize(("phase", "type_"), [("up", "register_ok"), ("stopped", "register_ok"),
                                               ("stopped", "unknown_instance")])
def test_deliberate_provider_ignores(phase: str, type_: str) -> None:
    state = provider(phase)
    assert fire(context("p1"), state, receive(type_, "registry", "p1", {"inc": 1})) == (state, [])


@covers((P, "registering", "timer:register_retry"))
def test_an_unacknowledged_registration_is_sent_again_until_the_horizon() -> None:
    ctx = context("p1", heartbeat_ms=60, duration_ms=2_000)
    state = provider("registering", inc=2)
    assert fire(ctx, state, TimerFired(name="register_retry")) == (state, [
        Send(dest="registry", type="register", body={"inc": 2, "weight": 1}),
        SetTimer(name="register_retry", delay_ms=60)])
    assert fire(ctx, state, TimerFired(name="register_retry"), now=2_000) == ({**state, "phase": "stopped"}, [])


@covers((P, "up", "timer:heartbeat"))
def test_a_heartbeat_carries_the_incarnation_and_rearms_until_the_horizon() -> None:
    ctx = context("p3", providers=3, weights="1,1,2", duration_ms=1_500)
    state = provider(inc=4)
    assert fire(ctx, state, TimerFired(name="heartbeat")) == (state, [
        Send(dest="registry", type="heartbeat", body={"inc": 4, "weight": 2}),
        SetTimer(name="heartbeat", delay_ms=100)])
    assert fire(ctx, state, TimerFired(name="heartbeat"), now=1_500) == ({**state, "phase": "stopped"}, [])


@covers((P, "up", "msg:unknown_instance"), (P, "registering", "msg:unknown_instance"))
@pytest.mark.parametrize("phase", ["up", "registering"])
def test_unknown_instance_makes_the_provider_force_and_register_the_next_incarnation(phase: str) -> None:
    unknown = receive("unknown_instance", "registry", "p1", {"inc": 2})
    new, effects = fire(context("p1"), provider(phase, inc=2), unknown)
    assert new["phase"] == "registering" and new["inc"] == 3
    assert without_notes(effects) == [
        Persist(record={"type": "incarnation", "inc": 3}),
        CancelTimer(name="heartbeat"),
        Send(dest="registry", type="register", body={"inc": 3, "weight": 1}),
        SetTimer(name="register_retry", delay_ms=100),
    ]


@covers((P, "up", "msg:unknown_instance"), (P, "registering", "msg:unknown_instance"))
@pytest.mark.parametrize("phase", ["up", "registering"])
def test_unknown_instance_about_an_older_incarnation_is_a_late_echo(phase: str) -> None:
    state = provider(phase, inc=3)
    assert fire(context("p1"), state, receive("unknown_instance", "registry", "p1", {"inc": 2})) == (state, [])


@covers((P, "up", "msg:unknown_instance"))
def test_unknown_instance_past_the_horizon_stops_the_provider_without_a_new_incarnation() -> None:
    new, effects = fire(context("p1", duration_ms=500), provider(inc=1),
                        receive("unknown_instance", "registry", "p1", {"inc": 1}), now=600)
    assert new == provider("stopped", inc=1)
    assert effects == [CancelTimer(name="heartbeat"), CancelTimer(name="register_retry")]


@covers((P, ANY_PHASE, "msg:call"))
@pytest.mark.parametrize("phase", ["registering", "up", "stopped"])
def test_a_live_provider_answers_every_call_registered_or_not(phase: str) -> None:
    new, effects = fire(context("p1"), provider(phase, served=4), receive("call", "u2", "p1", {"n": 8, "inc": 1}))
    assert new["served"] == 5
    assert effects == [Send(dest="u2", type="call_ok", body={"n": 8}, in_reply_to="m42")]


# ------------------------------------------------------------- consumer


@covers((U, "discovering", "start"))
def test_consumer_start_seeds_its_stream_and_waits_one_heartbeat_before_discovering() -> None:
    ctx = context("u1", heartbeat_ms=90, call_ms=40)
    new, effects = fire(ctx, SPEC.initial_state(ctx), Start(draw=0.25))
    assert new["phase"] == "discovering" and new["rng"] != 0
    assert effects == [SetTimer(name="refresh", delay_ms=90), SetTimer(name="call", delay_ms=40)]
    other = fire(context("u2"), SPEC.initial_state(ctx), Start(draw=0.25))[0]
    assert other["rng"] != new["rng"], "two consumers with one draw still get their own streams"


@covers((U, ANY_PHASE, "recover"))
def test_a_recovered_consumer_starts_again_with_an_empty_cache() -> None:
    ctx = context("u1")
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=()))
    assert new["cache"] == {} and new["phase"] == "discovering" and new["rng"] != 0
    assert [e.name for e in effects if isinstance(e, SetTimer)] == ["refresh", "call"]
    past = fire(context("u1", duration_ms=100), SPEC.initial_state(ctx), Recover(durable=()), now=100)
    assert past == ({**SPEC.initial_state(ctx), "phase": "stopped"}, [])


@covers((U, ANY_PHASE, "recover"), (U, "ready", "timer:call"), (U, ANY_PHASE, "msg:call_ok"))
def test_a_restarted_consumer_numbers_calls_afresh_so_an_answer_from_its_previous_life_ends_none() -> None:
    ctx = context("u1")
    new, effects = fire(ctx, SPEC.initial_state(ctx), Recover(durable=({"type": "restart", "epoch": 1},)))
    assert effects[0] == Persist(record={"type": "restart", "epoch": 2})
    ready = {**new, "phase": "ready", "cache": {"p1": {"inc": 1, "weight": 1}}}
    calling, effects = fire(ctx, ready, TimerFired(name="call"))
    (ask,) = [e for e in effects if isinstance(e, Send)]
    assert ask.body["n"] == 2 * EPOCH_SPAN + 1
    for old in (1, EPOCH_SPAN + 1):  # Call 1 of its first life, or of its second, answered late.
        assert fire(ctx, calling, receive("call_ok", "p1", "u1", {"n": old}))[0] == calling
    done, _ = fire(ctx, calling, receive("call_ok", "p1", "u1", {"n": ask.body["n"]}))
    assert done["ok"] == 1 and done["call"] is None


@covers((U, ANY_PHASE, "msg:instances"))
def test_an_answer_fills_the_cache_and_the_consumer_is_ready() -> None:
    state = consumer("discovering")
    body = {"boot": 1, "version": 3, "req": 1, "instances": {"p1": {"inc": 2, "weight": 1}}}
    new, effects = fire(context("u1"), state, receive("instances", "registry", "u1", body))
    assert new["phase"] == "ready" and new["cache"] == {"p1": {"inc": 2, "weight": 1}}
    assert new["seen"] == [1, 3] and new["cache_at"] == NOW and effects == []


@covers((U, ANY_PHASE, "msg:instances"))
def test_an_empty_answer_leaves_a_discovering_consumer_discovering() -> None:
    body = {"boot": 1, "version": 0, "req": 1, "instances": {}}
    new, _ = fire(context("u1"), consumer("discovering"), receive("instances", "registry", "u1", body))
    assert new["phase"] == "discovering" and new["seen"] == [1, 0]


@covers((U, ANY_PHASE, "msg:instances"))
def test_an_answer_older_than_the_cache_is_dropped_and_a_restarted_registry_is_newer() -> None:
    state = consumer(seen=[1, 5], cache={"p1": {"inc": 1, "weight": 1}})
    old = {"boot": 1, "version": 4, "instances": {}}
    assert fire(context("u1"), state, receive("instances", "registry", "u1", old)) == (state, [])
    reborn = {"boot": 2, "version": 0, "instances": {}}
    new, _ = fire(context("u1"), state, receive("instances", "registry", "u1", reborn))
    assert new["cache"] == {} and new["seen"] == [2, 0] and new["phase"] == "ready"
    stopped = consumer("stopped")
    assert fire(context("u1"), stopped, receive("instances", "registry", "u1", reborn))[0]["phase"] == "stopped"


@covers((U, "discovering", "timer:refresh"), (U, "ready", "timer:refresh"))
@pytest.mark.parametrize("phase", ["discovering", "ready"])
def test_a_pull_refresh_asks_the_home_registry_and_rearms(phase: str) -> None:
    ctx = context("u2", consumers=2, registry_replicas=3, refresh_ms=250)
    state = {**SPEC.initial_state(ctx), "phase": phase, "rng": 12345, "req": 4}
    assert state["home"] == "registry2", "its home replica, dealt round-robin and recorded at boot"
    new, effects = fire(ctx, state, TimerFired(name="refresh"))
    assert new["req"] == 5
    assert effects == [Send(dest="registry2", type="discover", body={"req": 5}), SetTimer(name="refresh", delay_ms=250)]


@covers((U, "ready", "timer:refresh"))
def test_a_watch_refresh_resubscribes_with_the_mark_held_and_u1_may_be_slow() -> None:
    ctx = context("u1", discovery="watch", slow_refresh_ms=1_500)
    state = consumer(seen=[2, 7])
    assert fire(ctx, state, TimerFired(name="refresh")) == (state, [
        Send(dest="registry", type="watch", body={"seen": [2, 7]}), SetTimer(name="refresh", delay_ms=1_500)])


@covers((U, "ready", "timer:refresh"), (U, "ready", "timer:call"))
@pytest.mark.parametrize("timer", ["refresh", "call"])
def test_at_the_horizon_the_consumer_stops_its_periodic_timers(timer: str) -> None:
    new, effects = fire(context("u1", duration_ms=NOW), consumer(), TimerFired(name=timer))
    assert new["phase"] == "stopped"
    assert effects == [CancelTimer(name="refresh"), CancelTimer(name="call")]


@covers((U, "ready", "timer:call"))
def test_a_call_goes_to_a_cached_instance_with_its_incarnation_and_a_timeout() -> None:
    cache = {"p1": {"inc": 2, "weight": 1}, "p2": {"inc": 1, "weight": 1}}
    new, effects = fire(context("u1", call_timeout_ms=80), consumer(cache=cache, n=6), TimerFired(name="call"))
    target = new["call"]["to"]
    assert new["call"] == {"n": 7, "to": target, "inc": cache[target]["inc"], "at": NOW}
    assert new["n"] == 7 and new["rng"] != 12345
    assert effects == [Send(dest=target, type="call", body={"n": 7, "inc": cache[target]["inc"]}),
                       SetTimer(name="call_timeout", delay_ms=80)]


@covers((U, "ready", "timer:call"))
def test_a_call_with_an_empty_cache_fails_at_once() -> None:
    new, effects = fire(context("u1", call_ms=30), consumer(cache={}, n=2), TimerFired(name="call"))
    assert new["last_call"] == {"n": 3, "to": None, "ok": False, "ms": 0, "at": NOW, "error": "no instance"}
    assert (new["calls"], new["ok"], new["failed"]) == (1, 0, 1)
    assert effects == [SetTimer(name="call", delay_ms=30)]


@covers((U, "discovering", "timer:call"))
def test_a_consumer_that_has_discovered_nothing_yet_waits_instead_of_failing() -> None:
    state = consumer("discovering")
    assert fire(context("u1", call_ms=30), state, TimerFired(name="call")) == (
        state, [SetTimer(name="call", delay_ms=30)])


def test_weighted_pick_follows_the_weights() -> None:
    from protocols.common.rng import Stream

    stream = Stream(99)
    cache = {"p1": {"inc": 1, "weight": 1}, "p2": {"inc": 1, "weight": 9}}
    picks = [pick(cache, stream) for _ in range(2_000)]
    assert 0.85 < picks.count("p2") / len(picks) < 0.95


@covers((U, ANY_PHASE, "msg:call_ok"))
def test_an_answer_in_time_is_a_success_with_its_latency() -> None:
    state = consumer(call={"n": 3, "to": "p2", "inc": 1, "at": NOW - 24}, n=3, calls=2, ok=2)
    new, effects = fire(context("u1", call_ms=45), state, receive("call_ok", "p2", "u1", {"n": 3}))
    assert new["last_call"] == {"n": 3, "to": "p2", "ok": True, "ms": 24, "at": NOW - 24}
    assert new["call"] is None and (new["calls"], new["ok"], new["failed"]) == (3, 3, 0)
    assert effects == [CancelTimer(name="call_timeout"), SetTimer(name="call", delay_ms=45)]


@covers((U, ANY_PHASE, "msg:call_ok"))
def test_a_late_answer_to_a_call_that_timed_out_is_dropped() -> None:
    state = consumer(call={"n": 4, "to": "p1", "inc": 1, "at": NOW - 5}, n=4)
    assert fire(context("u1"), state, receive("call_ok", "p2", "u1", {"n": 3})) == (state, [])
    assert fire(context("u1"), consumer(), receive("call_ok", "p2", "u1", {"n": 3})) == (consumer(), [])


@covers((U, ANY_PHASE, "msg:call_ok"), (U, ANY_PHASE, "timer:call_timeout"))
def test_a_stopped_consumer_records_its_last_call_but_does_not_call_again() -> None:
    state = consumer("stopped", call={"n": 1, "to": "p1", "inc": 1, "at": NOW - 100}, n=1)
    new, effects = fire(context("u1"), state, receive("call_ok", "p1", "u1", {"n": 1}))
    assert new["ok"] == 1 and effects == [CancelTimer(name="call_timeout")]
    new, effects = fire(context("u1"), state, TimerFired(name="call_timeout"))
    assert new["failed"] == 1 and effects == []


@covers((U, ANY_PHASE, "timer:call_timeout"))
def test_no_answer_in_time_is_a_failure() -> None:
    state = consumer(call={"n": 2, "to": "p3", "inc": 1, "at": NOW - 100}, n=2, calls=1, ok=1)
    new, effects = fire(context("u1"), state, TimerFired(name="call_timeout"))
    assert new["last_call"] == {"n": 2, "to": "p3", "ok": False, "ms": 100, "at": NOW - 100, "error": "timeout"}
    assert (new["calls"], new["ok"], new["failed"]) == (2, 1, 1)
    assert effects == [SetTimer(name="call", delay_ms=50)]
    assert fire(context("u1"), consumer(), TimerFired(name="call_timeout")) == (consumer(), [])


# ------------------------------------------------------------- the table


def test_every_row_of_the_table_has_a_test() -> None:
    assert not ROWS.missing(), f"transition rows without a test: {ROWS.missing()}"


def test_every_deliberate_ignore_says_why() -> None:
    assert not silent_ignores(TABLE)


@pytest.mark.parametrize(("node", "state", "event"), [
    ("p1", provider("stopped"), TimerFired(name="heartbeat")),
    ("registry", registry("stopped"), TimerFired(name="sweep")),
    ("u1", consumer("stopped"), TimerFired(name="refresh")),
    ("registry", registry(), receive("call", "u1", "registry")),
])
def test_an_unlisted_input_is_a_loud_error_naming_node_phase_and_input(node: str, state: dict[str, Any],
                                                                       event: Input) -> None:
    assert_refused_loudly(TABLE, context(node), state, event, NOW)


# ----------------------------------------- every state x every input (Hypothesis)

PHASES = {R: ("serving", "preserving", "stopped"), P: ("registering", "up", "stopped"),
          U: ("discovering", "ready", "stopped")}
TIMERS = ("sweep", "heartbeat", "register_retry", "refresh", "call", "call_timeout")
NAMES = ("p1", "p2", "p3")


@st.composite
def situations(draw: st.DrawFn) -> tuple[Context, dict[str, Any], Input]:
    """Any node, in any phase with a plausible state, meeting any input."""
    replicas = draw(st.sampled_from([1, 3]))
    ctx = context(draw(st.sampled_from(["p1", "p2", "u1", "registry1" if replicas == 3 else "registry"])),
                  registry_replicas=replicas, variant=draw(st.sampled_from(["correct", "no-incarnations"])),
                  self_preservation=draw(st.booleans()), discovery=draw(st.sampled_from(["pull", "watch"])))
    incs = st.integers(1, 4)
    phase = draw(st.sampled_from(PHASES[ctx.role]))
    cache = draw(st.dictionaries(st.sampled_from(NAMES), st.fixed_dictionaries({"inc": incs, "weight": incs})))
    if ctx.role == R:
        instances = draw(st.dictionaries(st.sampled_from(NAMES), st.builds(entry, incs, st.integers(0, NOW))))
        state = registry(phase, instances=instances, evicted=draw(st.dictionaries(st.sampled_from(NAMES), incs)),
                         watchers=sorted(draw(st.sets(st.sampled_from(["u1", "u2"])))))
    elif ctx.role == P:
        state = provider(phase, inc=draw(incs))
    else:
        call = draw(st.none() | st.builds(lambda n, to: {"n": n, "to": to, "inc": 1, "at": NOW - 10},
                                          st.integers(1, 3), st.sampled_from(NAMES)))
        # Its home replica is one of this context's registries (the default context has three).
        state = consumer(phase, cache=cache, call=call, n=3, home=SPEC.initial_state(ctx)["home"])
    kind = draw(st.sampled_from(["start", "recover", "message", "timer"]))
    event: Input
    if kind == "start":
        event = Start(draw=draw(st.floats(0, 1, exclude_max=True)))
    elif kind == "recover":
        event = Recover(durable=tuple(draw(st.lists(st.builds(lambda i: {"type": "incarnation", "inc": i}, incs)))))
    elif kind == "timer":
        event = TimerFired(name=draw(st.sampled_from(TIMERS)))
    else:
        inc = draw(incs)
        bodies = {"register": {"inc": inc, "weight": 1}, "heartbeat": {"inc": inc, "weight": 1},
                  "replicate": {"op": draw(st.sampled_from(["register", "heartbeat"])), "name": "p1", "inc": inc,
                                "weight": 1},
                  "peer_unknown": {"name": draw(st.sampled_from(NAMES)), "inc": inc}, "discover": {"req": 1},
                  "watch": {"seen": [1, draw(st.integers(0, 3))]}, "register_ok": {"inc": inc},
                  "unknown_instance": {"inc": inc}, "call": {"n": 1, "inc": inc}, "call_ok": {"n": draw(incs)},
                  "instances": {"boot": 1, "version": draw(st.integers(0, 5)), "instances": cache}}
        type_ = draw(st.sampled_from(sorted(bodies)))
        src = draw(st.sampled_from([n for n in ctx.roles if n != ctx.node]))
        event = receive(type_, src, ctx.node, bodies[type_])
    return ctx, state, event


@settings(max_examples=400, deadline=None)
@given(situations())
def test_every_state_and_input_is_handled_as_the_table_says_or_refused_loudly(
        situation: tuple[Context, dict[str, Any], Input]) -> None:
    handled = check_handled_or_refused(TABLE, *situation, NOW)
    if handled is not None:
        assert_logged_before_sent(handled[1])  # An incarnation is forced before it is announced.


def test_a_renewal_clears_what_a_preserving_sweep_marked_overdue() -> None:
    ctx = context("registry", self_preservation=True)
    state = registry(phase="preserving", instances={"p1": {**entry(1, 0), "overdue": True}})
    new, _ = fire(ctx, state, receive("heartbeat", "p1", "registry", {"inc": 1, "weight": 1}))
    assert "overdue" not in new["instances"]["p1"] and new["instances"]["p1"]["renew"] == NOW
