"""The engine's commands: their checks against the world, and what each one does.

A mixin of :class:`protocols.sim.engine.Engine` (see engine.py for the theory
of operation). ``Engine.apply`` validates a command's shape against the
closed schema (protocols/sim/commands.py), then ``_check_target`` checks it
against the world (the node exists, the message is pending, the partition's
groups are sound) and ``_cmd_<name>`` carries it out. A refused command
raises :class:`CommandError` before anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from protocols.base import ClientRequest, Input, ParameterError
from protocols.sim.commands import CommandError
from protocols.sim.faults import validate_plan
from protocols.sim.runtime import NodeRuntime, Pending

if TYPE_CHECKING:
    from collections.abc import Sequence

    from protocols.sim.network import Network
    from protocols.spec import ProtocolSpec


class CommandsMixin:
    """Checks and actions for the user's commands (see engine.py for the attributes and helpers they use)."""

    if TYPE_CHECKING:
        spec: ProtocolSpec
        nodes: dict[str, NodeRuntime]
        pending: dict[str, Pending]
        network: Network
        chaos: float

        def _emit(self, kind: str, **fields: Any) -> dict[str, Any]: ...
        def _run(self, rt: NodeRuntime, event: Input) -> None: ...
        def _next_due(self) -> Pending | None: ...
        def _handle(self, entry: Pending, by: str) -> None: ...
        def _reach_quiescence(self) -> None: ...
        def _drop(self, entry: Pending, reason: str) -> None: ...
        def _duplicate(self, entry: Pending, by: str) -> None: ...
        def _chaos_fault(self) -> None: ...
        def _crash(self, node: str, by: str) -> None: ...
        def _recover(self, node: str, by: str) -> None: ...
        def _pause(self, node: str, by: str) -> None: ...
        def _resume(self, node: str, by: str) -> None: ...
        def _partition(self, groups: Sequence[Sequence[str]], by: str) -> None: ...
        def _heal(self, by: str) -> None: ...
        def _set_clock(self, node: str, rate: float, offset_ms: int, by: str) -> None: ...

    def _check_target(self, command: Mapping[str, Any]) -> None:
        node = command.get("node")
        if node is not None and node not in self.nodes:
            raise CommandError("unknown_node", f"no node {node!r}; nodes: {', '.join(self.nodes)}")
        pid = command.get("id")
        if pid is not None:
            entry = self.pending.get(pid)
            want = "timer" if command["cmd"] == "fire" else "message"
            if entry is None or entry.kind != want:
                raise CommandError("unknown_id", f"no pending {want} {pid!r}")
            if command["cmd"] in ("deliver", "fire") and self.nodes[entry.node].paused:
                raise CommandError("held", f"{pid} waits for {entry.node}, which is paused; resume it first")
        if command["cmd"] == "client":
            self._check_client(command)
        if command["cmd"] == "partition":
            try:
                validate_plan([{"action": "partition", "groups": command["groups"], "at_ms": 0}],
                              list(self.nodes))
            except ParameterError as exc:
                raise CommandError("bad_groups", str(exc).replace("fault 1: ", "")) from None

    def _check_client(self, command: Mapping[str, Any]) -> None:
        rt = self.nodes[command["node"]]
        if not rt.up or rt.paused:
            raise CommandError("node_down", f"{rt.ctx.node} is {'down' if not rt.up else 'paused'}; "
                                            "it cannot take a client request")
        if self.spec.table.lookup(rt.ctx.role, rt.state["phase"], "client:" + command["kind"]) is None:
            raise CommandError("unsupported", f"{rt.ctx.node} ({rt.ctx.role}) does not take a "
                                              f"{command['kind']!r} request in phase {rt.state['phase']!r}")

    def _cmd_step(self) -> None:
        if self.chaos and self.pending and self.network.draw() < self.chaos:
            self._chaos_fault()
        entry = self._next_due()
        if entry is None:
            self._reach_quiescence()
            return
        self._handle(entry, by="auto")

    def _cmd_deliver(self, id: str) -> None:
        self._handle(self.pending[id], by="command")

    _cmd_fire = _cmd_deliver

    def _cmd_drop(self, id: str) -> None:
        self._drop(self.pending[id], reason="command")

    def _cmd_duplicate(self, id: str) -> None:
        self._duplicate(self.pending[id], by="command")

    def _cmd_crash(self, node: str) -> None:
        self._crash(node, by="command")

    def _cmd_recover(self, node: str) -> None:
        self._recover(node, by="command")

    def _cmd_pause(self, node: str) -> None:
        self._pause(node, by="command")

    def _cmd_resume(self, node: str) -> None:
        self._resume(node, by="command")

    def _cmd_partition(self, groups: list[list[str]]) -> None:
        self._partition(groups, by="command")

    def _cmd_heal(self) -> None:
        self._heal(by="command")

    def _cmd_client(self, node: str, kind: str, body: Mapping[str, Any] | None = None) -> None:
        rt = self.nodes[node]
        self._emit("client", node=node, request=kind, body=dict(body or {}))
        self._run(rt, ClientRequest(kind=kind, body=body or {}))

    def _cmd_clock(self, node: str, rate: float = 1.0, offset_ms: int = 0) -> None:
        self._set_clock(node, rate, offset_ms, by="command")
