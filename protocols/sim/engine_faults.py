"""Faults as the engine carries them out: crash, recover, pause, resume, partition, heal, clock, chaos.

A mixin of :class:`protocols.sim.engine.Engine`, kept apart so that each
file stays small: the world's bookkeeping (pending entries, the log, the
nodes) lives in the engine; what a fault does to it lives here. The theory
of operation is in engine.py: a crashed node loses its volatile state and
timers, keeps its durable log and drops what arrives; a paused node handles
nothing, and what comes due meanwhile is held and handled, late, on resume;
a skewed clock changes the ``now`` a node sees and how fast its timers run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from protocols.base import Input, Recover
from protocols.sim.faults import chaos_choice
from protocols.sim.runtime import NodeRuntime, Pending

if TYPE_CHECKING:
    from protocols.sim.network import Network
    from protocols.spec import ProtocolSpec


class FaultsMixin:
    """The engine's fault actions (see engine.py for the attributes and helpers they use)."""

    if TYPE_CHECKING:
        spec: ProtocolSpec
        nodes: dict[str, NodeRuntime]
        pending: dict[str, Pending]
        network: Network
        now: int

        def _emit(self, kind: str, **fields: Any) -> dict[str, Any]: ...
        def _run(self, rt: NodeRuntime, event: Input) -> None: ...
        def _drop(self, entry: Pending, reason: str) -> None: ...
        def _duplicate(self, entry: Pending, by: str) -> None: ...
        def _add_pending(self, entry: Pending) -> None: ...
        def _new_id(self, prefix: str) -> str: ...
        def _next_order(self) -> int: ...

    def _fault(self, fault: Mapping[str, Any], by: str, target: Pending | None = None) -> None:
        action = fault["action"]
        if action in ("drop", "duplicate"):
            if target is not None and target.id in self.pending:
                (self._drop(target, reason="fault") if action == "drop" else self._duplicate(target, by))
        elif action == "partition":
            self._partition(fault["groups"], by=by)
        elif action == "heal":
            self._heal(by=by)
        elif action == "clock":
            self._set_clock(fault["node"], fault.get("rate", 1.0), fault.get("offset_ms", 0), by=by)
        else:
            getattr(self, "_" + action)(fault["node"], by=by)

    def _schedule_fault(self, fault: Mapping[str, Any], due: int) -> None:
        self._add_pending(Pending(id=self._new_id("f"), kind="fault", due=due,
                                  order=self._next_order(), node=fault.get("node", ""), fault=dict(fault)))

    def _crash(self, node: str, by: str) -> None:
        rt = self.nodes[node]
        if not rt.up:
            return
        rt.up, rt.paused = False, False
        rt.incarnation += 1
        for pid in rt.timers.values():
            self.pending.pop(pid, None)
        rt.timers.clear()
        held, rt.held = rt.held, []
        self._emit("crash", node=node, by=by)
        for pid in held:  # What waited for the paused node is lost with it.
            entry = self.pending.get(pid)
            if entry is not None and entry.kind == "message":
                self._drop(entry, reason="node down")
            else:
                self.pending.pop(pid, None)

    def _recover(self, node: str, by: str) -> None:
        rt = self.nodes[node]
        if rt.up:
            return
        rt.up = True
        rt.state = self.spec.initial_state(rt.ctx)
        self._emit("recover", node=node, by=by, durable=[dict(r) for r in rt.durable])
        self._run(rt, Recover(durable=rt.durable))

    def _pause(self, node: str, by: str) -> None:
        rt = self.nodes[node]
        if rt.up and not rt.paused:
            rt.paused = True
            self._emit("pause", node=node, by=by)

    def _resume(self, node: str, by: str) -> None:
        rt = self.nodes[node]
        if not rt.paused:
            return
        rt.paused = False
        self._emit("resume", node=node, by=by)
        held = sorted((e for e in map(self.pending.get, rt.held) if e is not None), key=lambda e: (e.due, e.order))
        rt.held = []
        for entry in held:  # Late (never early), in the order they came due.
            late = Pending(id=entry.id, kind=entry.kind, due=max(self.now, entry.due), order=self._next_order(),
                           node=entry.node, message=entry.message, timer=entry.timer)
            self._add_pending(late)

    def _partition(self, groups: Sequence[Sequence[str]], by: str) -> None:
        self.network.split(groups)
        self._emit("partition", groups=[list(g) for g in groups], by=by)

    def _heal(self, by: str) -> None:
        if self.network.partition is not None:
            self.network.heal()
            self._emit("heal", by=by)

    def _chaos_fault(self) -> None:
        """Inject one random fault, chosen by the network's generator."""
        choice = chaos_choice(self.nodes, self.pending, self.network)
        if choice is None:
            return
        action = choice["action"]
        if action == "partition":
            self._partition(choice["groups"], by="chaos")
        elif action == "heal":
            self._heal(by="chaos")
        else:
            self._fault(choice, "chaos", target=choice.get("target"))

    def _set_clock(self, node: str, rate: float, offset_ms: int, by: str) -> None:
        """Run the node's clock at ``rate`` from now on, its reading jumping by ``offset_ms``.

        The reading stays continuous across a change of rate (a clock that
        starts running slow does not jump back): the offset is recomputed so
        that the new rate starts from the current reading.
        """
        rt = self.nodes[node]
        reading = rt.local_time(self.now)
        rt.clock_rate = float(rate)
        rt.clock_offset_ms = 0
        rt.clock_offset_ms = reading - rt.local_time(self.now) + offset_ms
        self._emit("clock", node=node, rate=float(rate), offset_ms=rt.clock_offset_ms, by=by)
