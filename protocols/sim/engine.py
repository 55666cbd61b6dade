"""The deterministic simulation engine.

Theory of operation
-------------------
A run is a world (nodes, messages in flight, timers, planned faults) and an
append-only event log. Time is virtual, whole milliseconds. Everything that
can happen next is a :class:`Pending` entry with a due time and a creation
order; **auto** mode (:meth:`Engine.step`) takes the earliest (ties broken by
creation order), **manual** mode lets the caller pick any entry by its stable
id (:meth:`Engine.apply` with ``deliver``, ``drop``, ``duplicate``, ``fire``).
Either way, time never runs backwards: it moves to the chosen entry's due
time if that is later.

Each command is one *step*; every event it causes carries that step number
and a consecutive ``seq``. After each step the outside checker evaluates the
protocol's safety invariants; when nothing is pending the liveness
expectations are checked too. The same spec, parameters, seed, fault plan and
command list always yield the same log: the only randomness is the network's
seeded generator, asked in a fixed order.

Faults: a crashed node loses its volatile state and timers, keeps its durable
log and drops what arrives; a paused node handles nothing, and what comes due
meanwhile is held and handled, late, on resume; a skewed clock changes the
``now`` a node sees and how fast its timers run.

The commands (engine_commands.py) and the faults (engine_faults.py) are
collaborators in files of their own, each given the engine through a
``typing.Protocol`` that names exactly what it may use (``CommandHost``,
``FaultHost``); the world's bookkeeping stays here.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from protocols.base import (
    CancelTimer,
    Context,
    Input,
    Message,
    Note,
    ParameterError,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    TimerFired,
)
from protocols.sim import commands as command_schema
from protocols.sim import snapshot
from protocols.sim.checker import Checker
from protocols.sim.clock_watch import ClockWatch, WatchedNow
from protocols.sim.commands import CommandError
from protocols.sim.engine_commands import CommandActions
from protocols.sim.engine_faults import FaultActions
from protocols.sim.faults import matches, validate_plan
from protocols.sim.network import Network
from protocols.sim.runtime import (
    DEFAULT_MAX_EVENTS,
    MAX_EVENTS_PER_RUN,
    MAX_IN_FLIGHT,
    MAX_NODES,
    MAX_TIMERS_PER_NODE,
    NodeRuntime,
    Pending,
)
from protocols.spec import ProtocolSpec

Event = dict[str, Any]

AGENDA_SLACK = 1024
"""Stale heap entries tolerated before the agenda is rebuilt from what is really pending."""



class Engine:
    """One simulation run: a world, its event log and the checker watching it."""

    def __init__(
        self,
        spec: ProtocolSpec,
        params: Mapping[str, Any] | None = None,
        *,
        seed: int = 0,
        scenario: str | None = None,
        faults: Sequence[Mapping[str, Any]] = (),
        chaos: float = 0.0,
        max_events: int = DEFAULT_MAX_EVENTS,
        record: bool = True,
        scenario_faults: bool = True,
    ) -> None:
        if not 0.0 <= chaos <= 1.0:
            raise ParameterError(f"chaos: {chaos} is not a rate from 0 to 1")
        if not 1 <= max_events <= MAX_EVENTS_PER_RUN:
            raise ParameterError(f"max-events: {max_events} is not from 1 to {MAX_EVENTS_PER_RUN}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ParameterError(f"seed: {seed!r} is not a whole number from 0 to 2**63-1")
        self.spec = spec
        self.seed = seed
        self.scenario = scenario
        self.params = spec.resolve_params(params or {}, scenario)
        self.roles = spec.topology(self.params)
        if len(self.roles) > MAX_NODES:
            raise ParameterError(f"{len(self.roles)} nodes is more than the {MAX_NODES} a session may have")
        plan = list(spec.scenario(scenario).faults) if scenario and scenario_faults else []
        self.faults = validate_plan(plan + list(faults), list(self.roles))
        self.captions = list(spec.scenario(scenario).captions) if scenario else []
        self.chaos = chaos
        self.max_events = max_events
        self.record = record
        self.network = Network(seed, self.params)
        self.checker = Checker(spec, self.roles, self.params)
        self.nodes: dict[str, NodeRuntime] = {}
        self.pending: dict[str, Pending] = {}
        self._agenda: list[tuple[int, int, str]] = []
        self._watches: list[dict[str, Any]] = []  # faults waiting for their pattern
        self.log: list[Event] = []
        self.commands: list[dict[str, Any]] = []
        self.now = 0
        self.seq = 0
        self.step_no = 0
        self._counter = 0
        self.quiescent = False
        self._liveness_reported: set[tuple[str, tuple[str, ...]]] = set()
        self._scratch: list[Event] = []  # This step's events when the log is not kept.
        self._touched = False  # Did the current command change anything?
        self.clock_watch: ClockWatch | None = None
        """Set by the explorer: handlers are then given a clock that notes being read (clock_watch.py)."""
        self._bind_actions()
        self._boot()

    # ------------------------------------------------------------ public

    def step(self) -> list[Event]:
        """Auto mode: handle the earliest pending entry; return the events it caused."""
        return self.apply({"cmd": "step"})

    def run(self, max_steps: int | None = None) -> list[Event]:
        """Step until nothing is pending, the event limit is reached or ``max_steps`` pass."""
        start = len(self.log)
        steps = 0
        while not self.done and (max_steps is None or steps < max_steps):
            self.step()
            steps += 1
        return self.log[start:]

    @property
    def done(self) -> bool:
        """True once the run can go no further (quiescent or out of events)."""
        return self.quiescent or self.truncated

    @property
    def truncated(self) -> bool:
        """True once the log has reached the run's event limit."""
        return self.seq >= self.max_events

    def apply(self, command: Mapping[str, Any], *, trusted: bool = False) -> list[Event]:
        """Validate and carry out one command as one step; return the events it caused.

        ``trusted`` skips the schema check for callers that build well-formed commands
        themselves (the explorer, millions of times); the state checks still apply.
        """
        command = dict(command) if trusted else command_schema.validate(command)
        if self.truncated:
            raise CommandError("limit", f"the run has reached its limit of {self.max_events} events")
        handler = getattr(self._command_actions, "cmd_" + command["cmd"])
        handler_args = {k: v for k, v in command.items() if k != "cmd"}
        self._command_actions.check(command)
        mark = len(self.log)
        self.step_no += 1
        self.commands.append(command)
        self._touched = False
        if command["cmd"] != "step":
            self.quiescent = False  # A command may bring work back (a resume, a recovery).
        handler(**handler_args)
        self._emit_all(self.checker.after_step())
        if not self._touched:
            # Nothing changed (a step at quiescence): not a step, and replay must not see it.
            self.step_no -= 1
            self.commands.pop()
        return self.log[mark:] if self.record else self._scratch_since(mark)

    def drain(self) -> list[Event]:
        """Without a kept log: return and forget the events not yet handed out (the boot's)."""
        return self._scratch_since(0) if not self.record else list(self.log)

    def pending_list(self, limit: int | None = None) -> list[dict[str, Any]]:
        """List what may happen next, in due order, each with its stable id (the first ``limit`` only)."""
        entries = sorted(self.pending.values(), key=lambda p: (p.due, p.order))
        held = {pid for rt in self.nodes.values() for pid in rt.held}
        paused = {name for name, rt in self.nodes.items() if rt.paused}
        listed: list[dict[str, Any]] = []
        for entry in entries:
            if limit is not None and len(listed) >= limit:
                break  # Describing hundreds of entries nobody is shown cost a millisecond a step.
            if entry.kind != "fault":
                item = entry.describe(entry.id in held)
                if entry.node in paused:
                    item["paused"] = True  # Cannot be delivered or fired until its node resumes.
                listed.append(item)
        return listed

    def pending_counts(self) -> tuple[int, int]:
        """Return how many entries may happen next, and how many of them are not held by a paused node."""
        held = {pid for rt in self.nodes.values() for pid in rt.held}
        total = ready = 0
        for entry in self.pending.values():
            if entry.kind != "fault":
                total += 1
                ready += entry.id not in held
        return total, ready

    def clone(self) -> Engine:
        """Return an independent copy of the world, for the explorer (log not kept).

        The copy shares immutable parts (states, records, pending entries,
        the spec) and copies the containers; its network generator is copied
        too, so the copy and the original make the same random choices.
        """
        twin = Engine.__new__(Engine)
        twin.__dict__.update(self.__dict__)
        twin.nodes = {name: rt.copy() for name, rt in self.nodes.items()}
        twin.pending = dict(self.pending)
        twin._agenda = list(self._agenda)
        twin._watches = list(self._watches)
        twin.captions = list(self.captions)
        twin.commands = list(self.commands)
        twin.log = [] if not self.record else list(self.log)
        twin._scratch = []
        twin._liveness_reported = set(self._liveness_reported)
        twin.network = self.network.copy()
        twin.checker = self.checker.copy()
        twin._bind_actions()
        return twin

    def fingerprint(self, symmetric: Sequence[Sequence[str]] = (), *, timeless: bool = False,
                    ranked: bool = False) -> str:
        """Return a canonical description of the world, without ids, for state hashing.

        Nodes in each group of ``symmetric`` are interchangeable: renamings among them look the same.
        ``timeless`` leaves the virtual time and the timers' due times out (when nothing reads them);
        ``ranked`` renames the message ids the world holds by their rank (the explorer's worlds).
        """
        return snapshot.fingerprint(self, symmetric, timeless=timeless, ranked=ranked)

    # ------------------------------------------------------ the world

    def _bind_actions(self) -> None:
        """Give this engine its own fault and command actions (a clone gets fresh ones, bound to it)."""
        self._fault_actions = FaultActions(self)
        self._command_actions = CommandActions(self, self._fault_actions)

    def _boot(self) -> None:
        for node, role in self.roles.items():
            ctx = Context(node=node, role=role, params=self.params, roles=self.roles)
            self.nodes[node] = NodeRuntime(ctx=ctx, state=self.spec.initial_state(ctx))
        for fault in self.faults:
            if "at_ms" in fault:
                self._fault_actions.schedule(fault, fault["at_ms"])
            else:
                self._watches.append(fault)
        for node, rt in self.nodes.items():
            self._emit("start", node=node, role=rt.ctx.role)
            self._emit_state(rt, "init")
            self._run(rt, Start(draw=self.network.draw()))
        self._emit_all(self.checker.after_step())

    def _next_due(self) -> Pending | None:
        while self._agenda:
            _, _, pid = heapq.heappop(self._agenda)
            entry = self.pending.get(pid)
            if entry is None:
                continue  # Cancelled, dropped or already handled.
            rt = self.nodes.get(entry.node)
            if entry.kind != "fault" and rt is not None and rt.paused and rt.up:
                rt.held.append(pid)  # Handled late, on resume.
                continue
            return entry
        return None

    def _handle(self, entry: Pending, by: str) -> None:
        del self.pending[entry.id]
        self._touched = True
        self.now = max(self.now, entry.due)
        self.quiescent = False
        if entry.kind == "fault":
            assert entry.fault is not None
            self._fault_actions.fault(entry.fault, by="plan")
            return
        rt = self.nodes[entry.node]
        if entry.kind == "timer":
            assert entry.timer is not None
            rt.timers.pop(entry.timer, None)
            self._emit("timer", node=entry.node, timer=entry.timer, id=entry.id, by=by)
            self._run(rt, TimerFired(name=entry.timer))
            return
        message = entry.message
        assert message is not None
        if not rt.up:
            self._emit_drop(message, "node down")
        elif not self.network.connected(message.src, message.dest):
            self._emit_drop(message, "partition")
        else:
            self._emit("deliver", node=message.dest, src=message.src, dst=message.dest,
                       message=message.to_json(), by=by)
            self._run(rt, Receive(message=message))

    def _run(self, rt: NodeRuntime, event: Input) -> None:
        """Run a node's handler through the table and carry out its effects in order."""
        if not rt.up:
            return  # Crashed by a fault earlier in this step (say, during boot): it handles nothing.
        incarnation = rt.incarnation
        before = rt.state
        now = rt.local_time(self.now)
        if self.clock_watch is not None:
            now = WatchedNow(now, self.clock_watch)
        new_state, effects = self.spec.table.fire(rt.ctx, before, event, now)
        rt.state = new_state
        if new_state != before or isinstance(event, Recover):
            # After a recovery the view still shows the state before the crash.
            self._emit_state(rt, event.key)
        for effect in effects:
            if rt.incarnation != incarnation:
                return  # A fault crashed the node mid-step (and maybe revived it): the rest never happens.
            self._effect(rt, effect)

    def _effect(self, rt: NodeRuntime, effect: object) -> None:
        node = rt.ctx.node
        if isinstance(effect, Send):
            self._send(node, effect)
        elif isinstance(effect, SetTimer):
            self._set_timer(rt, effect)
        elif isinstance(effect, CancelTimer):
            pid = rt.timers.pop(effect.name, None)
            if pid is not None:
                self.pending.pop(pid, None)
                self._emit("timer_cancel", node=node, timer=effect.name, id=pid)
        elif isinstance(effect, Persist):
            rt.durable = (*rt.durable, effect.record)
            self._emit("persist", node=node, record=dict(effect.record))
        elif isinstance(effect, Note):
            self._emit("note", node=node, text=effect.text)
        else:
            raise TypeError(f"{node}: unknown effect {effect!r}")

    def _send(self, src: str, effect: Send) -> None:
        if effect.dest not in self.nodes:
            raise CommandError("protocol", f"{src} sent {effect.type} to unknown node {effect.dest!r}")
        message = Message(msg_id=self._new_id("m"), src=src, dest=effect.dest, type=effect.type,
                          body=effect.body, in_reply_to=effect.in_reply_to)
        dues = self.network.transmit(src, effect.dest, self.now)
        # Counting is O(pending), so only when the limit could possibly be reached.
        crowded = dues and len(self.pending) >= MAX_IN_FLIGHT
        in_flight = sum(1 for p in self.pending.values() if p.kind == "message") if crowded else 0
        if dues and in_flight >= MAX_IN_FLIGHT:
            dues = []
        if dues:
            self._queue_message(message, dues[0])
        self._emit("send", node=src, src=src, dst=effect.dest, message=message.to_json(),
                   due=dues[0] if dues else None)
        if not dues:
            reason = "overflow" if in_flight >= MAX_IN_FLIGHT else "loss"
            self._emit_drop(message, reason)
        elif len(dues) > 1:
            self._copy_message(message, dues[1], by="network")

    def _queue_message(self, message: Message, due: int) -> None:
        entry = Pending(id=message.msg_id, kind="message", due=due, order=self._next_order(),
                        node=message.dest, message=message)
        self._add_pending(entry)

    def _copy_message(self, original: Message, due: int, by: str) -> None:
        copy = Message(msg_id=self._new_id("m"), src=original.src, dest=original.dest,
                       type=original.type, body=original.body, in_reply_to=original.in_reply_to)
        self._queue_message(copy, due)
        self._emit("duplicate", node=original.src, src=original.src, dst=original.dest,
                   message=copy.to_json(), of=original.msg_id, due=due, by=by)

    def _duplicate(self, entry: Pending, by: str) -> None:
        assert entry.message is not None
        self._copy_message(entry.message, entry.due, by=by)

    def _set_timer(self, rt: NodeRuntime, effect: SetTimer) -> None:
        old = rt.timers.pop(effect.name, None)
        if old is not None:
            self.pending.pop(old, None)
        if len(rt.timers) >= MAX_TIMERS_PER_NODE:
            raise CommandError("protocol", f"{rt.ctx.node} holds more than {MAX_TIMERS_PER_NODE} timers")
        due = self.now + rt.virtual_delay(effect.delay_ms)
        pid = self._new_id("t")
        rt.timers[effect.name] = pid
        self._add_pending(Pending(id=pid, kind="timer", due=due, order=self._next_order(),
                                  node=rt.ctx.node, timer=effect.name))
        self._emit("timer_set", node=rt.ctx.node, timer=effect.name, id=pid, due=due)

    def _add_pending(self, entry: Pending) -> None:
        self.pending[entry.id] = entry
        heapq.heappush(self._agenda, (entry.due, entry.order, entry.id))
        if len(self._agenda) > 2 * len(self.pending) + AGENDA_SLACK:
            # Entries handled by hand, dropped or cancelled stay in the heap until popped;
            # rebuild it now and then so a long manual session does not grow without bound.
            held = {pid for rt in self.nodes.values() for pid in rt.held}  # Not in the heap: they wait.
            self._agenda = [(p.due, p.order, p.id) for p in self.pending.values() if p.id not in held]
            heapq.heapify(self._agenda)

    def _drop(self, entry: Pending, reason: str) -> None:
        del self.pending[entry.id]
        assert entry.message is not None
        for rt in self.nodes.values():
            if entry.id in rt.held:
                rt.held.remove(entry.id)
        self._emit_drop(entry.message, reason)

    def _emit_drop(self, message: Message, reason: str) -> None:
        self._emit("drop", node=message.dest, src=message.src, dst=message.dest,
                   message=message.to_json(), reason=reason)

    # ------------------------------------------------------------ log

    def _emit(self, kind: str, **fields: Any) -> Event:
        self._touched = True
        self.seq += 1
        event: Event = {"seq": self.seq, "time": self.now, "step": self.step_no, "kind": kind}
        event.update(fields)
        if self.record:
            self.log.append(event)
        else:
            self._scratch.append(event)
        self._emit_all(self.checker.observe(event))
        if self.captions:
            self._caption(event)
        if self._watches:
            self._trigger(event)
        return event

    def _emit_all(self, events: Iterable[Event]) -> None:
        for event in events:
            fields = {k: v for k, v in event.items() if k != "kind"}
            self._emit(event["kind"], **fields)

    def _emit_state(self, rt: NodeRuntime, cause: str) -> None:
        self._emit("state", node=rt.ctx.node, state=dict(rt.state), cause=cause)

    def _caption(self, event: Event) -> None:
        for caption in list(self.captions):
            if event["kind"] != "caption" and matches(caption.match, event):
                self.captions.remove(caption)
                self._emit("caption", text=caption.text, at=event["seq"])

    def _trigger(self, event: Event) -> None:
        for fault in list(self._watches):
            if fault in self._watches and matches(fault["after"], event):
                self._watches.remove(fault)
                target = self.pending.get(event.get("message", {}).get("msg_id", ""))
                if fault.get("delay_ms"):
                    self._fault_actions.schedule({k: v for k, v in fault.items() if k != "after"},
                                                 self.now + fault["delay_ms"])
                else:
                    self._fault_actions.fault(fault, by="plan", target=target)

    def _reach_quiescence(self) -> None:
        if self.quiescent:
            return
        self.quiescent = True
        self._touched = True
        fresh = []
        for violation in self.checker.at_quiescence():
            key = (violation["invariant"], tuple(violation["nodes"]))
            if key not in self._liveness_reported:
                self._liveness_reported.add(key)
                fresh.append(violation)
        self._emit_all(fresh)

    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def _next_order(self) -> int:
        self._counter += 1
        return self._counter

    def _scratch_since(self, mark: int) -> list[Event]:
        events, self._scratch = self._scratch, []
        return events
