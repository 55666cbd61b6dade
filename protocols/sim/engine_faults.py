"""Faults as the engine carries them out: crash, recover, pause, resume, partition, heal, clock, chaos.

A collaborator of :class:`protocols.sim.engine.Engine`: the world's
bookkeeping (pending entries, the log, the nodes) lives in the engine; what
a fault does to it lives here, in :class:`FaultActions`, which the engine
holds and hands itself as the :class:`FaultHost` it works on. That protocol
names everything a fault may touch or call; nothing else of the engine is
reached. The theory of operation is in engine.py: a crashed node loses its
volatile state and timers, keeps its durable log and drops what arrives; a
paused node handles nothing, and what comes due meanwhile is held and
handled, late, on resume; a skewed clock changes the ``now`` a node sees and
how fast its timers run.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from protocols.base import Input, Recover
from protocols.sim.faults import chaos_choice
from protocols.sim.runtime import NodeRuntime, Pending

if TYPE_CHECKING:
    from protocols.sim.network import Network
    from protocols.spec import ProtocolSpec


class World(Protocol):
    """What both the faults and the commands use of the engine: the world, the log, a node's run, a message's fate."""

    spec: ProtocolSpec
    nodes: dict[str, NodeRuntime]
    pending: dict[str, Pending]
    network: Network

    def _emit(self, kind: str, **fields: Any) -> dict[str, Any]: ...
    def _run(self, rt: NodeRuntime, event: Input) -> None: ...
    def _drop(self, entry: Pending, reason: str) -> None: ...
    def _duplicate(self, entry: Pending, by: str) -> None: ...


class FaultHost(World, Protocol):
    """What a fault needs of the engine: the world it changes, and the bookkeeping it goes through."""

    now: int

    def _add_pending(self, entry: Pending) -> None: ...
    def _new_id(self, prefix: str) -> str: ...
    def _next_order(self) -> int: ...


class FaultActions:
    """The engine's fault actions, carried out on its world (``host``)."""

    __slots__ = ("host",)

    def __init__(self, host: FaultHost) -> None:
        # A weak reference: the engine holds these actions, and a strong one back would make every engine a
        # cycle, left for the cycle collector (the explorer's clones: some 150 MiB a search until a full one).
        self.host = cast(FaultHost, weakref.proxy(host))

    def fault(self, fault: Mapping[str, Any], by: str, target: Pending | None = None) -> None:
        """Carry out one fault of a plan (or of chaos); ``target`` is the message a drop or duplicate acts on."""
        host, action = self.host, fault["action"]
        if action in ("drop", "duplicate"):
            if target is not None and target.id in host.pending:
                (host._drop(target, reason="fault") if action == "drop" else host._duplicate(target, by))
        elif action == "partition":
            self.partition(fault["groups"], by=by)
        elif action == "heal":
            self.heal(by=by)
        elif action == "clock":
            self.set_clock(fault["node"], fault.get("rate", 1.0), fault.get("offset_ms", 0), by=by)
        else:  # crash, recover, pause, resume: one node and nothing more.
            getattr(self, action)(fault["node"], by=by)

    def schedule(self, fault: Mapping[str, Any], due: int) -> None:
        """Make a planned fault a pending entry, due at ``due``."""
        host = self.host
        host._add_pending(Pending(id=host._new_id("f"), kind="fault", due=due, order=host._next_order(),
                                  node=fault.get("node", ""), fault=dict(fault)))

    def crash(self, node: str, by: str) -> None:
        """Crash a node: its volatile state, timers and held entries are lost."""
        host = self.host
        rt = host.nodes[node]
        if not rt.up:
            return
        rt.up, rt.paused = False, False
        rt.incarnation += 1
        for pid in rt.timers.values():
            host.pending.pop(pid, None)
        rt.timers.clear()
        held, rt.held = rt.held, []
        host._emit("crash", node=node, by=by)
        for pid in held:  # What waited for the paused node is lost with it.
            entry = host.pending.get(pid)
            if entry is not None and entry.kind == "message":
                host._drop(entry, reason="node down")
            else:
                host.pending.pop(pid, None)

    def recover(self, node: str, by: str) -> None:
        """Bring a crashed node back from its durable log."""
        host = self.host
        rt = host.nodes[node]
        if rt.up:
            return
        rt.up = True
        rt.state = host.spec.initial_state(rt.ctx)
        host._emit("recover", node=node, by=by, durable=[dict(r) for r in rt.durable])
        host._run(rt, Recover(durable=rt.durable))

    def pause(self, node: str, by: str) -> None:
        """Pause a running node: what comes due for it is held."""
        rt = self.host.nodes[node]
        if rt.up and not rt.paused:
            rt.paused = True
            self.host._emit("pause", node=node, by=by)

    def resume(self, node: str, by: str) -> None:
        """Resume a paused node; what it held comes due again, late, in the order it was due."""
        host = self.host
        rt = host.nodes[node]
        if not rt.paused:
            return
        rt.paused = False
        host._emit("resume", node=node, by=by)
        held = sorted((e for e in map(host.pending.get, rt.held) if e is not None), key=lambda e: (e.due, e.order))
        rt.held = []
        for entry in held:  # Late (never early), in the order they came due.
            late = Pending(id=entry.id, kind=entry.kind, due=max(host.now, entry.due), order=host._next_order(),
                           node=entry.node, message=entry.message, timer=entry.timer)
            host._add_pending(late)

    def partition(self, groups: Sequence[Sequence[str]], by: str) -> None:
        """Split the network into ``groups``."""
        self.host.network.split(groups)
        self.host._emit("partition", groups=[list(g) for g in groups], by=by)

    def heal(self, by: str) -> None:
        """Heal the partition, if there is one."""
        if self.host.network.partition is not None:
            self.host.network.heal()
            self.host._emit("heal", by=by)

    def chaos(self) -> None:
        """Inject one random fault, chosen by the network's generator."""
        host = self.host
        choice = chaos_choice(host.nodes, host.pending, host.network)
        if choice is None:
            return
        action = choice["action"]
        if action == "partition":
            self.partition(choice["groups"], by="chaos")
        elif action == "heal":
            self.heal(by="chaos")
        else:
            self.fault(choice, "chaos", target=choice.get("target"))

    def set_clock(self, node: str, rate: float, offset_ms: int, by: str) -> None:
        """Run the node's clock at ``rate`` from now on, its reading jumping by ``offset_ms``.

        The reading stays continuous across a change of rate (a clock that
        starts running slow does not jump back): the offset is recomputed so
        that the new rate starts from the current reading.
        """
        host = self.host
        rt = host.nodes[node]
        reading = rt.local_time(host.now)
        rt.clock_rate = float(rate)
        rt.clock_offset_ms = 0
        rt.clock_offset_ms = reading - rt.local_time(host.now) + offset_ms
        host._emit("clock", node=node, rate=float(rate), offset_ms=rt.clock_offset_ms, by=by)
