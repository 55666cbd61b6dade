"""The engine's private bookkeeping: per-node runtime and pending work.

Kept apart from the engine so the explorer can copy a world cheaply: a
:class:`NodeRuntime` is small and mutable, a :class:`Pending` is immutable
and shared freely between copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocols.base import Context, Message, Record, State

MAX_NODES = 64
"""Nodes in one session: a lane per node must still fit on a projector."""

MAX_EVENTS_PER_RUN = 1_000_000
"""Hard ceiling on one run's log, whatever the caller asks for (memory, page weight)."""

DEFAULT_MAX_EVENTS = 10_000
"""Events one run may produce when the caller does not say."""

MAX_IN_FLIGHT = 10_000
"""Messages on the wire at once; past this the network drops (reason ``overflow``)."""

MAX_TIMERS_PER_NODE = 64
"""Distinct timers a node may hold; more means a protocol bug."""


@dataclass(slots=True)
class NodeRuntime:
    """One node as the engine sees it."""

    ctx: Context
    state: State
    durable: tuple[Record, ...] = ()
    up: bool = True
    paused: bool = False
    timers: dict[str, str] = field(default_factory=dict)
    """Timer name -> id of its pending entry."""
    held: list[str] = field(default_factory=list)
    """Pending ids that came due while the node was paused, in arrival order."""
    clock_rate: float = 1.0
    clock_offset_ms: int = 0
    incarnation: int = 0
    """Bumped by every crash, so effects of a handler that died with the node are never carried out."""

    def copy(self) -> NodeRuntime:
        """Return an independent copy (states and records are immutable and shared)."""
        # Positional, in field order: twice as fast as keywords, and the explorer copies every node per choice.
        return NodeRuntime(self.ctx, self.state, self.durable, self.up, self.paused, self.timers.copy(),
                           self.held.copy(), self.clock_rate, self.clock_offset_ms, self.incarnation)

    def local_time(self, now: int) -> int:
        """Return what this node's (possibly skewed) clock reads at virtual time ``now``."""
        if self.clock_rate == 1.0:
            return now + self.clock_offset_ms
        return int(now * self.clock_rate) + self.clock_offset_ms

    def virtual_delay(self, local_delay_ms: int) -> int:
        """Return how much virtual time passes while this node's clock advances ``local_delay_ms``."""
        if self.clock_rate == 1.0:
            return local_delay_ms
        return max(0, -(-local_delay_ms * 1000 // int(self.clock_rate * 1000)))


@dataclass(frozen=True, slots=True)
class Pending:
    """Something that will happen unless prevented: a delivery, a timer or a planned fault."""

    id: str
    kind: str  # "message", "timer" or "fault"
    due: int
    order: int
    node: str
    message: Message | None = None
    timer: str | None = None
    fault: dict[str, Any] | None = None

    def describe(self, held: bool) -> dict[str, Any]:
        """Return the JSON-ready entry a manual-mode user chooses from."""
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "due": self.due, "node": self.node}
        if self.message is not None:
            data["message"] = self.message.to_json()
        if self.timer is not None:
            data["timer"] = self.timer
        if held:
            data["held"] = True
        return data
