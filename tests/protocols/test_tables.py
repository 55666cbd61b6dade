"""The transition tables carry the machines: no row goes from any phase to any phase without a reason.

A ``recover`` row is not counted: the engine restarts a node from its role's initial state before
the row runs, so "from any phase" is there from the initial one. Any other row from ``ANY_PHASE``
is fine when it keeps the phase (``STAY``) or leads to a few named phases
(a recovery, an answer that makes a node ready); one that may lead anywhere hides a machine, so it
must say ``why``, and the test lists those exceptions.
"""

from __future__ import annotations

from protocols import REGISTRY
from protocols.base import ANY_PHASE, STAY, ProtocolError, Transition, TransitionTable

ANY_TO_ANY = {
    ("service-invocation", "provider", "msg:call"), ("service-invocation", "provider", "timer:work"),
    ("service-mesh", "provider", "msg:call"), ("service-mesh", "provider", "timer:work"),
}
"""Every any-to-any row, each with its reason in the table (a provider's phase is its queue's length)."""


def role_phases(table: TransitionTable, role: str) -> set[str]:
    return {p for row in table.rows if row.role == role for p in (row.phase, *row.to)} - {ANY_PHASE, STAY}


def any_to_any(name: str) -> list[Transition]:
    table = REGISTRY[name].table
    return [row for row in table.rows
            if row.phase == ANY_PHASE and row.handler is not None and STAY not in row.to and row.on != "recover"
            and len(role_phases(table, row.role)) > 1 and set(row.to) >= role_phases(table, row.role)]


def test_any_to_any_rows_are_the_listed_exceptions_and_each_says_why() -> None:
    found = {(name, row.role, row.on) for name in REGISTRY for row in any_to_any(name)}
    assert found == ANY_TO_ANY
    for name in REGISTRY:
        for row in any_to_any(name):
            assert row.why, f"{name} {row.role} {row.on}: say why this row may go from any phase to any phase"


def test_a_stay_row_that_changes_the_phase_is_refused() -> None:
    from protocols.base import Context, Message, Receive

    def handler(ctx, state, event, now):
        return {**state, "phase": "elsewhere"}, ()

    table = TransitionTable([Transition(role="r", phase=ANY_PHASE, on="msg:x", to=(STAY,), handler=handler)])
    ctx = Context(node="n", role="r", params={}, roles={"n": "r"})
    message = Message(msg_id="m1", src="n", dest="n", type="x", body={})
    try:
        table.fire(ctx, {"phase": "here"}, Receive(message=message), 0)
    except ProtocolError as exc:
        assert "'here' on 'msg:x' led to 'elsewhere'" in str(exc)
    else:
        raise AssertionError("a STAY row let the phase change")


def test_the_diagram_draws_a_stay_row_as_a_loop_on_each_phase() -> None:
    rows = REGISTRY["service-registry"].table.diagram()
    loops = {(r["from"], tuple(r["to"])) for r in rows if r["role"] == "registry" and r["on"] == "msg:heartbeat"}
    assert loops == {("serving", ("serving",)), ("preserving", ("preserving",)), ("stopped", ("stopped",))}
    assert all(STAY not in r["to"] for name in REGISTRY for r in REGISTRY[name].table.diagram())
