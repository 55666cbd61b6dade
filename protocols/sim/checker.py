"""The outside checker: invariants evaluated from the event log alone.

The checker never looks inside the engine. It rebuilds each node's view
(role, up, paused, volatile state, durable log) from ``state``, ``persist``,
``crash``, ``recover``, ``pause`` and ``resume`` events, and evaluates the
protocol's invariants against those views. The engine feeds it the events it
emits; :func:`check_trace` feeds it a saved trace, so a trace edited by hand
to show an impossible history is caught exactly as a live run would be.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from protocols.findings import blanks
from protocols.sim.clock_watch import ClockWatch, WatchedNow, stamped
from protocols.spec import Finding, Invariant, NodeView, ProtocolSpec

Event = dict[str, Any]

# How each life-cycle event changes a node's (up, paused). A crash keeps the
# last volatile state in the view on purpose: what a node did before dying
# (say, commit) still counts for the invariants.
def _life(kind: str, view: NodeView) -> tuple[bool, bool]:
    """Return (up, paused) after a life-cycle event."""
    if kind == "crash":
        return False, False
    if kind == "recover":
        return True, False
    return view.up, kind == "pause"


_LIFE = ("crash", "recover", "pause", "resume")
_VIEW_KINDS = frozenset(("state", "persist", *_LIFE))
"""Events that change a node view, and so may change a state invariant's verdict."""


class Seq(int):
    """An event's sequence number as the history checks see it, so their memory can be abstracted.

    A history check only compares sequence numbers (which came first) and
    reports them; every event still to come has a larger one. So renaming
    the ones it remembers by their rank keeps every verdict it will give, and
    two orders of a run that differ only in how events were numbered look the
    same to the explorer (see :meth:`Checker.memory`).
    """

    __slots__ = ()


def _ranked(value: Any, ranks: Mapping[int, int]) -> Any:
    """Return ``value`` with each :class:`Seq` in it replaced by its rank."""
    if type(value) is Seq:
        return ("seq", ranks[value])
    if isinstance(value, dict):
        return {k: _ranked(v, ranks) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_ranked(v, ranks) for v in value]
    return value


_SHARED = frozenset((int, str, float, bool, type(None), Seq))
"""Immutable types a memo holds most: shared by a copy as they are."""


def _copied(value: Any) -> Any:
    """Return a copy of a memo: its dicts, lists and sets copied, the rest (immutable) shared.

    ``copy.deepcopy`` of a memo cost four times as much, and the explorer copies
    every memo once per world. Plain dicts and lists, and immutable leaves, are
    told by their exact type first (the common case), anything else as before.
    """
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SHARED else _copied(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SHARED else _copied(v) for v in value]
    if kind in _SHARED:
        return value
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, set):
        return {_copied(v) for v in value}
    if isinstance(value, tuple):
        return tuple(_copied(v) for v in value)
    if value is None or isinstance(value, int | float | str):
        return value
    return copy.deepcopy(value)  # Anything else a check chose to keep.


def _marked(value: Any, found: set[int]) -> Any:
    """Return ``value`` with each :class:`Seq` in it written as a token of its own, collecting them in ``found``.

    Where :func:`_seqs` then :func:`_ranked` walk a memo twice, this walks it once: the tokens are
    ranked in its JSON text (:meth:`Checker.memory_text`). A plain dict, list or tuple holding no
    :class:`Seq` is returned as it is, not rebuilt: the encoder writes it the same (a tuple as a
    list), and most of a memo holds none. Leaves are told by their exact type, without a call.
    """
    kind = type(value)
    if kind is dict:
        changed = None
        for key, item in value.items():
            if type(item) not in _LEAVES:
                marked = _marked(item, found)
                if marked is not item:
                    if changed is None:
                        changed = dict(value)
                    changed[key] = marked
        return value if changed is None else changed
    if kind is list or kind is tuple:
        rebuilt = None
        for index, item in enumerate(value):
            if type(item) not in _LEAVES:
                marked = _marked(item, found)
                if marked is not item:
                    if rebuilt is None:
                        rebuilt = list(value)
                    rebuilt[index] = marked
        return value if rebuilt is None else rebuilt
    if kind is Seq:
        found.add(value)
        return f"\x00{int(value)}"
    if kind in _LEAVES:
        return value
    if isinstance(value, dict):  # Subclasses, as before: rebuilt as plain containers.
        return {k: _marked(v, found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(v, found) for v in value]
    return value


_LEAVES = frozenset((int, str, float, bool, type(None)))
"""Types :func:`_marked` returns as they are, with nothing inside to mark (a :class:`Seq` is not among them)."""


_SEQ_TOKEN = re.compile(r'"\\u0000(\d+)"')
"""A token of :func:`_marked` as JSON text (the encoder writes its NUL as an escape)."""


def _seqs(value: Any, found: set[int]) -> None:
    """Collect every :class:`Seq` in ``value``."""
    if type(value) is Seq:
        found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _seqs(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _seqs(item, found)


class Checker:
    """Keeps node views up to date from events and reports new violations."""

    def __init__(self, spec: ProtocolSpec, roles: Mapping[str, str], params: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.views: dict[str, NodeView] = {
            node: NodeView(role=role, up=True, paused=False, state={}, durable=())
            for node, role in roles.items()
        }
        self._state_checks = [i for i in spec.invariants if i.kind == "state"]
        self._transition_checks = [i for i in spec.invariants if i.kind == "transition"]
        self._liveness_checks = [i for i in spec.invariants if i.kind == "liveness"]
        self._history_checks = [i for i in spec.invariants if i.kind == "history"]
        # A history check starts knowing the run's parameters (a lease, a sweep interval, a horizon).
        self._memos: dict[str, dict[str, Any]] = {
            i.name: {"params": dict(params or {})} for i in self._history_checks}
        self._active: set[tuple[str, tuple[str, ...]]] = set()
        self.failed: set[str] = set()
        self.partitioned = False
        self._dirty = True
        self.clock_watch: ClockWatch | None = None
        """Set by the explorer with the engine's: history checks then get each event's time watched."""
        self.memory_views = True
        """Whether :meth:`memory` keeps only what each history check declares decides its verdicts."""

    def copy(self) -> Checker:
        """Return an independent copy (views are immutable and shared)."""
        twin = Checker.__new__(Checker)
        twin.__dict__.update(self.__dict__)
        twin.views = dict(self.views)
        twin._active = set(self._active)
        twin.failed = set(self.failed)
        # The run's parameters are only read: shared, not copied (they were half of every memo).
        twin._memos = {name: {key: value if key == "params" else _copied(value) for key, value in memo.items()}
                       for name, memo in self._memos.items()}
        return twin

    def memory(self) -> Any:
        """Return what decides the history checks' future verdicts: their memory, sequence numbers ranked.

        The run's parameters (the same in every world) are left out, and of a check that declares
        what of its memo decides its verdicts (``Invariant.memory``) only that is kept.
        """
        kept = self._kept()
        found: set[int] = set()
        _seqs(kept, found)
        if not found:
            return kept
        ranks = {seq: rank for rank, seq in enumerate(sorted(found))}
        return _ranked(kept, ranks)

    def memory_text(self, encode: Callable[[Any], str]) -> str:
        """Return ``encode(self.memory())``, the same text, made in one walk of the memory instead of three."""
        found: set[int] = set()
        text = encode(_marked(self._kept(), found))
        if not found:
            return text
        ranks = {str(int(seq)): rank for rank, seq in enumerate(sorted(found))}
        return _SEQ_TOKEN.sub(lambda token: f'["seq", {ranks[token.group(1)]}]', text)

    def _kept(self) -> list[tuple[str, Any]]:
        kept = []
        for inv in self._history_checks:
            memo = self._memos[inv.name]
            if len(memo) > 1:
                held = {k: v for k, v in memo.items() if k != "params"}
                kept.append((inv.name, held if inv.memory is None or not self.memory_views else inv.memory(held)))
        return kept

    def observe(self, event: Event) -> list[Event]:
        """Update the views with one event; return transition and history violations it causes."""
        kind = event["kind"]
        found = self._check_history(event) if self._history_checks and kind != "violation" else []
        if kind in _VIEW_KINDS:
            self._dirty = True
        if kind in ("partition", "heal"):
            self.partitioned = kind == "partition"
        node = event.get("node")
        if node not in self.views:
            return found
        view = self.views[node]
        if kind == "state":
            before = view.state
            self.views[node] = NodeView(role=view.role, up=view.up, paused=view.paused,
                                        state=event["state"], durable=view.durable)
            return found + self._check_transition(node, before, event["state"], event.get("cause", ""))
        if kind == "persist":
            self.views[node] = NodeView(role=view.role, up=view.up, paused=view.paused,
                                        state=view.state, durable=(*view.durable, event["record"]))
        elif kind in _LIFE:
            up, paused = _life(kind, view)
            self.views[node] = NodeView(role=view.role, up=up, paused=paused,
                                        state=view.state, durable=view.durable)
        return found

    def _check_history(self, event: Event) -> list[Event]:
        watch = self.clock_watch
        if watch is not None:  # The explorer watches the clock: an event's times are stamps (clock_watch.py).
            event = {**event, "seq": Seq(event["seq"]), "time": WatchedNow(event["time"], watch)}
            if type(event.get("due")) is int:  # A timer's due time (a send's due is None when lost).
                event["due"] = stamped(event["due"], watch)
        else:
            event = {**event, "seq": Seq(event["seq"])}
        return [
            self._violation(inv, finding)
            for inv in self._history_checks
            for finding in inv.check(event, self._memos[inv.name])
        ]

    def _check_transition(self, node: str, before: Any, after: Any, cause: str) -> list[Event]:
        if not before:
            return []  # A node's first state is not a transition.
        found = []
        for inv in self._transition_checks:
            finding = inv.check(node, before, after, cause)
            if finding is not None:
                found.append(self._violation(inv, finding))
        return found

    def after_step(self) -> list[Event]:
        """Evaluate the safety invariants; return each violation the first time it appears."""
        if not self._dirty:
            return []  # No view changed since the last check: the verdicts cannot have either.
        self._dirty = False
        found = []
        for inv in self._state_checks:
            for finding in inv.check(self.views):
                key = (inv.name, finding.nodes)
                if key not in self._active:
                    self._active.add(key)
                    found.append(self._violation(inv, finding))
        return found

    def at_quiescence(self) -> list[Event]:
        """Evaluate the liveness expectations, once nothing more can happen.

        Liveness is promised only for a healthy ending: every node up and
        running, the network whole. A run that ends with a node down or a
        partition in place is judged on safety alone.
        """
        healthy = not self.partitioned and all(v.up and not v.paused for v in self.views.values())
        if not healthy:
            return []
        return [self._violation(inv, f) for inv in self._liveness_checks for f in inv.check(self.views)]

    def _violation(self, inv: Invariant, finding: Finding) -> Event:
        template = inv.findings.get(finding.id)
        if template is None:
            raise KeyError(f"invariant {inv.name!r} reported finding {finding.id!r}, which it does not declare "
                           f"(it declares {sorted(inv.findings)})")
        missing = blanks(template) - set(finding.data)
        if missing:
            raise KeyError(f"finding {finding.id!r} of {inv.name!r} lacks {sorted(missing)} for its template")
        self.failed.add(inv.name)
        event: Event = {
            "kind": "violation",
            "invariant": inv.name,
            "invariant_kind": inv.kind,
            "nodes": list(finding.nodes),
            "finding": finding.as_dict(),
        }
        if finding.cause_seq is not None:
            event["cause_seq"] = finding.cause_seq
        return event

    def verdicts(self) -> dict[str, str]:
        """Return each invariant's verdict so far: ``holds`` or ``violated``."""
        return {i.name: ("violated" if i.name in self.failed else "holds") for i in self.spec.invariants}


def check_trace(spec: ProtocolSpec, trace: Mapping[str, Any]) -> list[Event]:
    """Re-check a saved trace from its events alone; return every violation found."""
    roles = {node: info["role"] for node, info in trace["final"].items()}
    checker = Checker(spec, roles, trace.get("params"))
    found: list[Event] = []
    step = None
    for event in trace["events"]:
        if event.get("step") != step and step is not None:
            found += checker.after_step()
        step = event.get("step")
        if event["kind"] not in ("violation", "caption"):
            found += checker.observe(event)
    found += checker.after_step()
    if trace.get("quiescent"):
        found += checker.at_quiescence()
    return found


def views_at(spec: ProtocolSpec, roles: Mapping[str, str], events: Iterable[Event], seq: int) -> dict[str, NodeView]:
    """Return every node's view as it was right after event ``seq`` (time travel)."""
    checker = Checker(spec, roles)
    for event in events:
        if event["seq"] > seq:
            break
        checker.observe(event)
    return checker.views


def finding_nodes(nodes: Sequence[str]) -> tuple[str, ...]:
    """Return nodes in a stable order, for findings that name several."""
    return tuple(sorted(nodes))
