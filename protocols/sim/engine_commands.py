"""The engine's commands: their checks against the world, and what each one does.

A collaborator of :class:`protocols.sim.engine.Engine` (see engine.py for
the theory of operation). ``Engine.apply`` validates a command's shape
against the closed schema (protocols/sim/commands.py), then
:meth:`CommandActions.check` checks it against the world (the node exists,
the message is pending, the partition's groups are sound) and
``cmd_<name>`` carries it out. A refused command raises
:class:`CommandError` before anything changes. The engine holds one
:class:`CommandActions` and hands it itself as the :class:`CommandHost`
below, which names everything a command may touch or call; the faults a
command causes go through the engine's :class:`FaultActions`.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from protocols.base import ClientRequest, ParameterError
from protocols.sim.commands import CommandError
from protocols.sim.engine_faults import World
from protocols.sim.faults import validate_plan
from protocols.sim.runtime import Pending

if TYPE_CHECKING:
    from protocols.sim.engine_faults import FaultActions


class CommandHost(World, Protocol):
    """What a command needs of the engine: the world it checks (``World``), and the steps it takes through it."""

    chaos: float

    def _next_due(self) -> Pending | None: ...
    def _handle(self, entry: Pending, by: str) -> None: ...
    def _reach_quiescence(self) -> None: ...


class CommandActions:
    """Checks and actions for the user's commands, on the engine's world (``host``) and faults (``faults``)."""

    __slots__ = ("faults", "host")

    def __init__(self, host: CommandHost, faults: FaultActions) -> None:
        self.host = cast(CommandHost, weakref.proxy(host))  # Weak, as FaultActions.host: no engine is a cycle.
        self.faults = faults

    def check(self, command: Mapping[str, Any]) -> None:
        """Refuse a command the world cannot take (unknown node or entry, a held entry, bad groups)."""
        nodes, pending = self.host.nodes, self.host.pending
        node = command.get("node")
        if node is not None and node not in nodes:
            raise CommandError("unknown_node", f"no node {node!r}; nodes: {', '.join(nodes)}")
        pid = command.get("id")
        if pid is not None:
            entry = pending.get(pid)
            want = "timer" if command["cmd"] == "fire" else "message"
            if entry is None or entry.kind != want:
                raise CommandError("unknown_id", f"no pending {want} {pid!r}")
            if command["cmd"] in ("deliver", "fire") and nodes[entry.node].paused:
                raise CommandError("held", f"{pid} waits for {entry.node}, which is paused; resume it first")
        if command["cmd"] == "client":
            self._check_client(command)
        if command["cmd"] == "partition":
            try:
                validate_plan([{"action": "partition", "groups": command["groups"], "at_ms": 0}], list(nodes))
            except ParameterError as exc:
                raise CommandError("bad_groups", str(exc).replace("fault 1: ", "")) from None

    def _check_client(self, command: Mapping[str, Any]) -> None:
        rt = self.host.nodes[command["node"]]
        if not rt.up or rt.paused:
            raise CommandError("node_down", f"{rt.ctx.node} is {'down' if not rt.up else 'paused'}; "
                                            "it cannot take a client request")
        if self.host.spec.table.lookup(rt.ctx.role, rt.state["phase"], "client:" + command["kind"]) is None:
            raise CommandError("unsupported", f"{rt.ctx.node} ({rt.ctx.role}) does not take a "
                                              f"{command['kind']!r} request in phase {rt.state['phase']!r}")

    def cmd_step(self) -> None:
        """Auto mode: maybe a chaos fault, then the earliest pending entry (or quiescence)."""
        host = self.host
        if host.chaos and host.pending and host.network.draw() < host.chaos:
            self.faults.chaos()
        entry = host._next_due()
        if entry is None:
            host._reach_quiescence()
            return
        host._handle(entry, by="auto")

    def cmd_deliver(self, id: str) -> None:
        """Deliver a pending message (or fire a pending timer) chosen by hand."""
        self.host._handle(self.host.pending[id], by="command")

    cmd_fire = cmd_deliver

    def cmd_drop(self, id: str) -> None:
        """Lose a pending message."""
        self.host._drop(self.host.pending[id], reason="command")

    def cmd_duplicate(self, id: str) -> None:
        """Deliver a pending message twice."""
        self.host._duplicate(self.host.pending[id], by="command")

    def cmd_crash(self, node: str) -> None:
        """Crash a node."""
        self.faults.crash(node, by="command")

    def cmd_recover(self, node: str) -> None:
        """Recover a crashed node."""
        self.faults.recover(node, by="command")

    def cmd_pause(self, node: str) -> None:
        """Pause a node."""
        self.faults.pause(node, by="command")

    def cmd_resume(self, node: str) -> None:
        """Resume a paused node."""
        self.faults.resume(node, by="command")

    def cmd_partition(self, groups: list[list[str]]) -> None:
        """Split the network."""
        self.faults.partition(groups, by="command")

    def cmd_heal(self) -> None:
        """Heal the network."""
        self.faults.heal(by="command")

    def cmd_client(self, node: str, kind: str, body: Mapping[str, Any] | None = None) -> None:
        """Hand a node a client request."""
        rt = self.host.nodes[node]
        self.host._emit("client", node=node, request=kind, body=dict(body or {}))
        self.host._run(rt, ClientRequest(kind=kind, body=body or {}))

    def cmd_clock(self, node: str, rate: float = 1.0, offset_ms: int = 0) -> None:
        """Skew a node's clock."""
        self.faults.set_clock(node, rate, offset_ms, by="command")
