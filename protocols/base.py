"""The vocabulary every protocol speaks: inputs, effects, transition tables.

Theory of operation
-------------------
A protocol is a pure state machine per node. The engine hands a handler one
*input* (start, a delivered message, a timer, a client request, a recovery)
together with the node's current *volatile* state and the virtual time
``now``; the handler returns the new volatile state and a list of *effects*
(send a message, set or cancel a timer, append a record to the durable log,
leave a note). Nothing here performs I/O or reads a clock, and randomness
only arrives as a number drawn by the simulator (``Start.draw``).

Which handler runs is decided by the protocol's transition table, keyed by
``(role, phase, input key)``. A pair that is not in the table is a loud
:class:`UnexpectedInput` naming the node, its state and the input: silence
would hide bugs. Deliberate ignores (a stale vote) are explicit entries. The
table also lists the phases a transition may lead to, which the dispatcher
checks and the UI draws as the protocol's state diagram.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

State: TypeAlias = Mapping[str, Any]
"""A node's volatile state: a JSON-ready mapping holding at least ``phase``."""

Record: TypeAlias = Mapping[str, Any]
"""One entry of a node's durable log: a JSON-ready mapping."""


class ProtocolError(Exception):
    """A peer or the simulator handed a protocol something it cannot accept."""


class UnexpectedInput(ProtocolError):
    """An input arrived in a (role, phase) for which the table has no entry."""


class ParameterError(ValueError):
    """The user asked for something illegal: bad parameter, unknown scenario."""


# ---------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One message on the wire, in Maelstrom's envelope.

    ``msg_id`` is assigned by the engine (``m1``, ``m2``...) and stays the
    message's stable identity while it is in flight; a duplicate gets its own.
    """

    msg_id: str
    src: str
    dest: str
    type: str
    body: Mapping[str, Any]
    in_reply_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the envelope as a JSON-ready dict."""
        data: dict[str, Any] = {
            "msg_id": self.msg_id,
            "src": self.src,
            "dest": self.dest,
            "type": self.type,
            "body": dict(self.body),
        }
        if self.in_reply_to is not None:
            data["in_reply_to"] = self.in_reply_to
        return data


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True, slots=True, kw_only=True)
class Start:
    """The node boots for the first time. ``draw`` is in [0, 1), from the seed."""

    draw: float = 0.0
    key = "start"


@dataclass(frozen=True, slots=True, kw_only=True)
class Receive:
    """A message is delivered to the node."""

    message: Message

    @property
    def key(self) -> str:
        return "msg:" + self.message.type


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """A timer the node set has come due (on the node's own, possibly skewed, clock)."""

    name: str

    @property
    def key(self) -> str:
        return "timer:" + self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientRequest:
    """An outside client asks the node for something (a transaction, a read)."""

    kind: str
    body: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "client:" + self.kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Recover:
    """The node restarts after a crash; only its durable log survived."""

    durable: tuple[Record, ...]
    key = "recover"


Input: TypeAlias = Start | Receive | TimerFired | ClientRequest | Recover

# ----------------------------------------------------------------- effects


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Put a message on the network towards ``dest``."""

    dest: str
    type: str
    body: Mapping[str, Any] = field(default_factory=dict)
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTimer:
    """Ask to be woken after ``delay_ms`` of the node's local time; replaces a same-named timer."""

    name: str
    delay_ms: int

    def __post_init__(self) -> None:
        if self.delay_ms < 0:
            raise ProtocolError(f"timer {self.name!r} with negative delay {self.delay_ms}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTimer:
    """Forget a pending timer; cancelling one that is not set is harmless."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Persist:
    """Force a record to the node's durable log before any later effect."""

    record: Record


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Say something worth showing in the transcript (no effect on state)."""

    text: str


Effect: TypeAlias = Send | SetTimer | CancelTimer | Persist | Note


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What a handler may know about the world it runs in: fixed at session start."""

    node: str
    role: str
    params: Mapping[str, Any]
    roles: Mapping[str, str]
    """Every node of the session and its role, in placement order."""

    def nodes_with_role(self, role: str) -> list[str]:
        """Return the nodes that play ``role``, in placement order."""
        return [name for name, r in self.roles.items() if r == role]


Outcome: TypeAlias = tuple[State, Sequence[Effect]]
Handler: TypeAlias = Callable[[Context, State, Any, int], Outcome]

# ------------------------------------------------------ transition table


ANY_PHASE = "*"
"""A table entry whose phase is ANY_PHASE matches every phase of its role."""

STAY = "="
"""In a row's ``to``: the phase the node was in. ``phase=ANY_PHASE, to=(STAY,)`` says "answered the
same in every phase, and the phase does not change", which is a machine, not an any-to-any row."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """One row of a transition table: in ``phase``, on ``on``, run ``handler``.

    ``to`` lists every phase the handler may leave the node in (``STAY``:
    the one it was in); ``ignore`` marks a deliberate no-op (the row
    documents that the input is expected and harmless there). A row from
    ``ANY_PHASE`` that may lead to any phase says ``why`` (the test of the
    tables lists those).
    """

    role: str
    phase: str
    on: str
    to: tuple[str, ...]
    handler: Handler | None = None
    why: str = ""

    @property
    def ignore(self) -> bool:
        return self.handler is None

    def allows(self, before: str, after: str) -> bool:
        """Say whether this row may take a node from phase ``before`` to phase ``after``."""
        return after in self.to or (STAY in self.to and after == before)


class TransitionTable:
    """The single source of truth for which handler runs, and where it may lead."""

    def __init__(self, rows: Sequence[Transition]) -> None:
        self.rows = tuple(rows)
        self._index: dict[tuple[str, str, str], Transition] = {}
        for row in self.rows:
            key = (row.role, row.phase, row.on)
            if key in self._index:
                raise ProtocolError(f"duplicate transition row {key}")
            self._index[key] = row

    def lookup(self, role: str, phase: str, on: str) -> Transition | None:
        """Return the row for an input, exact phase first, then ANY_PHASE."""
        row = self._index.get((role, phase, on))
        if row is None:
            row = self._index.get((role, ANY_PHASE, on))
        return row

    def fire(self, ctx: Context, state: State, event: Input, now: int) -> Outcome:
        """Dispatch ``event`` through the table and check the phase it leads to."""
        phase = state["phase"]
        row = self.lookup(ctx.role, phase, event.key)
        if row is None:
            raise UnexpectedInput(
                f"node {ctx.node} ({ctx.role}) in phase {phase!r} has no transition "
                f"for {event.key!r}; state={dict(state)!r} input={event!r}"
            )
        if row.handler is None:
            return state, ()
        new_state, effects = row.handler(ctx, state, event, now)
        if not row.allows(phase, new_state["phase"]):
            raise ProtocolError(
                f"node {ctx.node} ({ctx.role}): {phase!r} on {event.key!r} led to "
                f"{new_state['phase']!r}, but the table allows only {row.to}"
            )
        return new_state, effects

    def diagram(self) -> list[dict[str, Any]]:
        """Return the table as JSON-ready edges, for docs and the UI's state diagram.

        A row that keeps the phase it found (``STAY``) becomes a self-loop on each phase it can
        fire in: every phase of its role when it is an ``ANY_PHASE`` row.
        """
        phases: dict[str, list[str]] = {}
        for row in self.rows:
            known = phases.setdefault(row.role, [])
            known += [p for p in (row.phase, *row.to) if p not in (ANY_PHASE, STAY) and p not in known]
        edges = []
        for row in self.rows:
            moves = [phase for phase in row.to if phase != STAY]
            if moves or STAY not in row.to:
                edges.append(self._edge(row, row.phase, moves))
            if STAY in row.to:
                for phase in phases[row.role] if row.phase == ANY_PHASE else [row.phase]:
                    edges.append(self._edge(row, phase, [phase]))
        return edges

    @staticmethod
    def _edge(row: Transition, phase: str, to: list[str]) -> dict[str, Any]:
        return {"role": row.role, "from": phase, "on": row.on, "to": to, "ignore": row.ignore, "why": row.why}
