"""What every protocol's transition-table tests share: contexts, deliveries, row coverage, the table's contract.

Each family keeps its own states, strategies and specifics in its test file.
The checks here are the ones every table must pass (STYLE habits 3 and 4):
an input the table lists is handled as its row says, an unlisted one is
refused loudly with an UnexpectedInput naming node, phase and input, and no
row goes without a test (:class:`RowRegistry`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import pytest

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Effect,
    Input,
    Message,
    Note,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
    TransitionTable,
    UnexpectedInput,
)
from protocols.spec import ProtocolSpec

Row = tuple[str, ...]
"""A row's key, ``(role, phase, input)``; families testing several tables put the protocol's name first."""

Mark = Callable[[Callable[..., None]], Callable[..., None]]


def table_rows(table: TransitionTable, roles: Collection[str] | None = None) -> set[Row]:
    """Return the keys of a table's rows, of some roles only if named."""
    return {(r.role, r.phase, r.on) for r in table.rows if roles is None or r.role in roles}


class RowRegistry:
    """Tests register the table rows they exercise; a row nobody tests fails the suite."""

    def __init__(self, rows: Iterable[Row], name: str) -> None:
        self.rows = set(rows)
        self.covered: set[Row] = set()
        self.name = name

    def covers(self, *keys: Row) -> Mark:
        """Mark a test as covering ``keys``; a key that is no row is an error at import."""
        for key in keys:
            assert key in self.rows, f"{key} is not a row of the {self.name} table"

        def mark(test: Callable[..., None]) -> Callable[..., None]:
            self.covered.update(keys)
            return test

        return mark

    def missing(self) -> list[Row]:
        """Return the rows no test registered."""
        return sorted(self.rows - self.covered)


def row_cases(table: TransitionTable, states: Mapping[str, Mapping[str, Any]]) -> list[Row]:
    """Return every (role, phase, input) a row answers, ANY_PHASE rows in each phase they really answer.

    ``states`` maps each role to its sample states by phase; an ANY_PHASE row
    is tried in each of its role's phases that no narrower row answers first.
    """
    found = []
    for row in table.rows:
        phases = list(states[row.role]) if row.phase == ANY_PHASE else [row.phase]
        found += [(row.role, phase, row.on) for phase in phases if table.lookup(row.role, phase, row.on) is row]
    return found


def assert_every_row_exercised(table: TransitionTable, cases: Iterable[Row], registry: RowRegistry) -> None:
    """Assert the cases reach every row in some phase and no row goes without a test."""
    assert {(role, on) for role, _, on in cases} == {(r.role, r.on) for r in table.rows}
    assert not registry.missing()


def plausible_input(on: str, message: Callable[[str], Input]) -> Input:
    """Return an input for a row's key: a start, an empty recovery, the named timer, or ``message(type)``."""
    if on == "start":
        return Start(draw=0.5)
    if on == "recover":
        return Recover(durable=())
    if on.startswith("timer:"):
        return TimerFired(name=on.removeprefix("timer:"))
    return message(on.removeprefix("msg:"))


def context(spec: ProtocolSpec, node: str, **params: Any) -> Context:
    """Build a node's context with checked parameters and the spec's placement."""
    values = spec.resolve_params(params)
    roles = spec.topology(values)
    return Context(node=node, role=roles[node], params=values, roles=roles)


def receive(type_: str, src: str, dest: str, body: Mapping[str, Any] | None = None, msg_id: str = "m42",
            in_reply_to: str | None = None) -> Receive:
    """Return the delivery of one message."""
    return Receive(message=Message(msg_id=msg_id, src=src, dest=dest, type=type_, body=dict(body or {}),
                                   in_reply_to=in_reply_to))


def fire_table(table: TransitionTable, ctx: Context, state: Mapping[str, Any], event: Input,
               now: int) -> tuple[dict[str, Any], list[Effect]]:
    """Fire one input through a table; return the new state and the effects as a list."""
    new, effects = table.fire(ctx, state, event, now)
    return dict(new), list(effects)


def sends(effects: Sequence[Effect]) -> list[Send]:
    """Return the Send effects, in order."""
    return [e for e in effects if isinstance(e, Send)]


def without_notes(effects: Sequence[Effect]) -> list[Effect]:
    """Drop the Note effects (explanations, not behaviour)."""
    return [e for e in effects if not isinstance(e, Note)]


def notes(effects: Sequence[Effect]) -> list[str]:
    """Return the texts of the Note effects, in order."""
    return [e.text for e in effects if isinstance(e, Note)]


def assert_logged_before_sent(effects: Sequence[Effect]) -> None:
    """Assert that no message leaves before the last forced write of the same step."""
    persists = [i for i, e in enumerate(effects) if isinstance(e, Persist)]
    sent = [i for i, e in enumerate(effects) if isinstance(e, Send)]
    if persists and sent:
        assert max(persists) < min(sent), f"a message leaves before the log is forced: {effects}"


def assert_forced_before_sent(effects: Sequence[Effect]) -> None:
    """Assert that the step forces its log, and does so before any message leaves."""
    assert any(isinstance(e, Persist) for e in effects), f"no forced write in {effects}"
    assert_logged_before_sent(effects)


def check_handled_or_refused(table: TransitionTable, ctx: Context, state: Mapping[str, Any], event: Input,
                             now: int) -> tuple[dict[str, Any], list[Effect]] | None:
    """Fire any input in any state: check it is handled as its row says, or refused loudly.

    Return the new state and effects, or None when the table has no row for the input.
    """
    row = table.lookup(ctx.role, state["phase"], event.key)
    if row is None:
        with pytest.raises(UnexpectedInput):
            table.fire(ctx, state, event, now)
        return None
    new, effects = fire_table(table, ctx, state, event, now)
    assert row.allows(state["phase"], new["phase"])
    if row.ignore:
        assert (new, effects) == (dict(state), [])
    json.dumps(new)  # The state travels to the browser and into the trace: it must be JSON-ready.
    for effect in effects:
        assert isinstance(effect, Send | SetTimer | CancelTimer | Persist | Note)
        if isinstance(effect, Send):
            assert effect.dest in ctx.roles and effect.dest != ctx.node
    return new, effects


def handled_outcome(table: TransitionTable, ctx: Context, state: Mapping[str, Any], event: Input,
                    now: int) -> tuple[dict[str, Any], list[Effect]]:
    """Fire a handled input (checked as :func:`check_handled_or_refused` does); return the fields it changed
    and its effects in order, for comparison with an outcome written out. The state keeps its fields."""
    outcome = check_handled_or_refused(table, ctx, state, event, now)
    assert outcome is not None, "no row handles this input"
    new, effects = outcome
    assert set(new) == set(state)
    return {k: v for k, v in new.items() if state[k] != v}, effects


def assert_refused_loudly(table: TransitionTable, ctx: Context, state: Mapping[str, Any], event: Input,
                          now: int) -> None:
    """Assert that an unlisted input raises UnexpectedInput naming the node, the phase and the input."""
    assert table.lookup(ctx.role, state["phase"], event.key) is None
    with pytest.raises(UnexpectedInput) as caught:
        table.fire(ctx, state, event, now)
    text = str(caught.value)
    assert f"node {ctx.node}" in text and repr(state["phase"]) in text and repr(event.key) in text


def silent_ignores(table: TransitionTable) -> list[Row]:
    """Return the deliberate ignores that do not say why."""
    return [(r.role, r.phase, r.on) for r in table.rows if r.ignore and not r.why]
