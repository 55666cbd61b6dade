"""Exhaustive breadth-first search over every delivery order of a small configuration.

Theory of operation
-------------------
From the initial world of a protocol (its parameters and seed, no fault
plan) the explorer tries every choice the network and a bounded adversary
could make, one command at a time: deliver any message in flight, fire any
pending timer, and, within a budget, drop a message, crash an up node or
recover a crashed one. Time is abstracted away: any pending timer may fire
at any point, whatever its due time. That over-approximates what real
timing allows, which is sound for safety under asynchrony (a run the real
timing allows is among the runs tried), though it may show runs that only an
arbitrarily slow network could produce.

Each world is identified by a 16-byte blake2b digest of
:meth:`Engine.fingerprint` together with the fault budget spent, so two
orders that reach the same world are explored once, and of several identical
messages in flight (resends, duplicates) only one is tried. The fingerprint
holds everything that decides what happens next and what the checker will
say: node states and timers (with their due times), messages in flight, the
virtual time (handlers may read it) and the history checks' memory, with the
event numbers it holds replaced by their rank (protocols/sim/snapshot.py).
Leaving that memory out merged a stale read away (issue 14);
tests/sim/test_soundness.py compares the merging search with one that
follows every path, for every protocol.
Message ids, which the engine numbers from one counter, are renamed in the
fingerprint by their rank (handlers and checks only compare them), so two
orders that numbered their messages differently merge.

Reductions, each checked by tests/sim/test_soundness.py against the search of
every path: *symmetry* (``ProtocolSpec.symmetry``: interchangeable nodes are
renamed in a canonical order); *time* (the engine hands handlers, and the
checker hands history checks, times that tell how they are used,
protocols/sim/clock_watch.py: while nothing reads them, the time and the
timers' due times leave the fingerprint; while every reading is relative,
one time against another, or the current time against a constant, every
time is written relative to now, ages past the largest one compared are
written "old", and now itself only until it passes the largest constant;
a reading the search did not allow restarts it with what that reading
needs, up to the absolute time); and
*sleep sets* (for
a protocol without history checks, whose order of deliveries only its nodes
see: a delivery to one node is not tried after a delivery to another when
the other side of that diamond, the same two in the other order from the same
world, has been searched already). Sleep sets save transitions, not worlds.
*Memory views* (``Invariant.memory``): of a history check that declares what
of its memo decides its future verdicts, the fingerprint keeps only that view
(the engine keeps the whole memo, so a finding's text is its own path's).

Per world only its parent's digest and the command that led there are kept;
the worlds still to be expanded (one BFS level, roughly) are the only live
engines. Breadth first means the first time a violation is seen, the command
list that reaches it is a shortest one.

Findings are every distinct safety violation (by invariant), every distinct
protocol exception (a :class:`ProtocolError`, such as an unlisted
(state, input) pair) and, at worlds where nothing is pending and every node
is up, reached by a fair schedule (no timer fired while a message was on its
way), every liveness expectation that fails. Each has a category (safety,
liveness, or illustrative: expected by the lesson; a report is clean without
the first two) and comes with its shortest command list (for liveness, the
shortest fair one); :func:`counterexample_trace` turns that into a trace that
``manage.py simulate --replay`` re-runs step by step.

Faults and what they add: a dropped message is, for safety, no different from
a message never chosen (every order is tried, and a violation is reached
before the message would have arrived), so drops only matter for liveness
and default to none. A crash loses volatile state and timers, which no
delivery order can imitate; one crash, with recovery at any later point,
already covers 2PC's textbook failures (coordinator down after its decision,
participant down while prepared) and keeps the search small, so that is the
default.
"""

from __future__ import annotations

import gc
import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from protocols.base import ParameterError, ProtocolError
from protocols.findings import violation_text
from protocols.sim import snapshot
from protocols.sim.clock_watch import TIME_BASE, ClockRead, ClockWatch, plain_times
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine, Event
from protocols.sim.runtime import MAX_EVENTS_PER_RUN, MAX_IN_FLIGHT
from protocols.sim.trace import build_trace
from protocols.spec import ProtocolSpec

DEFAULT_MAX_STATES = 50_000
"""Distinct worlds one search visits unless told otherwise: 3-participant 2PC takes about
9 s and 350 MiB (docs/performance.md), and finds the broken variant's bug at depth 4."""

MAX_STATES_CEILING = 500_000
"""Hard ceiling. Memory grows about 7 KiB per world seen (mostly the live engines of the
BFS level being built), so this is some 3.5 GiB: the most one search should take."""

DEFAULT_MAX_DROPS = 0
"""Drops reveal no safety violation that a never-chosen message does not (see above)."""

DEFAULT_MAX_CRASHES = 0
"""No crash unless asked or the protocol's small model says so (``ProtocolSpec.explore_crashes``, for a
foil only a crash shows): with the small model the default search then completes (3-participant 2PC:
4,534 worlds in seconds). One crash (``--max-crashes 1``, and any recovery) covers the classic
failures but multiplies the worlds by some thirty."""

MAX_FAULTS_CEILING = 4
"""Budget ceiling for drops and for crashes: each one multiplies the state space."""

DIGEST_BYTES = 16
"""128-bit digests: a collision among even 10^9 worlds has odds near 10^-21."""

EXPLORER_MAX_EVENTS = MAX_EVENTS_PER_RUN
"""Event limit of every explored world; paths are short, so it is never reached in practice."""

Command = tuple[str, str]
_Content = tuple[str, str, str, str, str]
"""What a message carries (source, destination, type, body, the request it answers): identical ones are one choice."""
_Choice = tuple[str, str, int, int, "_Content | None"]
"""A command (name, argument), the fault budget spent after it, and what it delivers (a delivery)."""
_Entry = tuple[Engine, bytes, int, int, int, bool, "_Content | None"]
"""A world to expand: its engine, key, depth, drops and crashes spent, fairness, and the delivery that made it."""
"""A command kept compactly: its name and its one argument (an id or a node, or "")."""

_ARGUMENT = {"deliver": "id", "fire": "id", "drop": "id", "crash": "node", "recover": "node"}
ABSOLUTE_ONLY_IN = frozenset({"recover"})
"""Commands whose absolute readings of the clock (a recovering node seeding its generator from the time)
keep the absolute time only in worlds from which such a command can still come: the crash budget bounds them."""

NETWORK_CHOSEN_BY_SEARCH = {"loss_probability": 0.0, "duplicate_probability": 0.0, "fifo": False}
"""Network randomness the explorer replaces with its own choices, and FIFO links it would violate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterexample:
    """One finding and the shortest command list that reaches it."""

    kind: str
    """``violation`` (an invariant broke) or ``exception`` (the protocol raised)."""
    category: str = "safety"
    """``safety``, ``liveness`` or ``illustrative`` (expected by the lesson); an exception is ``safety``."""
    name: str
    """The invariant's name, or the exception's class."""
    text: str
    """In English: the finding's template filled, or the exception's message."""
    nodes: tuple[str, ...]
    commands: tuple[dict[str, Any], ...]
    finding: dict[str, Any] | None = None
    """A violation's finding as its event carries it (``{"id", "data"}``), for a reader of another language."""

    def to_json(self) -> dict[str, Any]:
        """Return the finding as a JSON-ready dict."""
        found = {"kind": self.kind, "category": self.category, "name": self.name, "text": self.text,
                 "nodes": list(self.nodes),
                 "depth": len(self.commands), "commands": [dict(c) for c in self.commands]}
        return found if self.finding is None else {**found, "finding": self.finding}


@dataclass(kw_only=True)
class Report:
    """What a search covered, how fast, and what it found."""

    protocol: str
    params: dict[str, Any]
    seed: int
    max_states: int
    max_drops: int
    max_crashes: int
    states: int = 0
    """Distinct worlds seen."""
    expanded: int = 0
    """Worlds whose every choice was tried (the rest were still waiting when the search stopped)."""
    transitions: int = 0
    max_depth: int = 0
    elapsed_s: float = 0.0
    complete: bool = False
    counterexamples: list[Counterexample] = field(default_factory=list)
    reductions: tuple[str, ...] = ()
    """Which merges beyond equal worlds the search made: ``symmetry``, ``time`` (or ``time past a horizon``,
    ``relative time``), ``sleep sets``, ``memory views`` (not in the JSON)."""

    @property
    def clean(self) -> bool:
        """True when nothing found is a safety violation, a liveness failure or an exception."""
        return all(c.category == "illustrative" for c in self.counterexamples)

    def found(self, category: str) -> list[Counterexample]:
        """Return the findings of one category, in report order."""
        return [c for c in self.counterexamples if c.category == category]

    @property
    def states_per_s(self) -> float:
        """Return distinct worlds visited per second of search."""
        return self.states / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "protocol": self.protocol, "params": dict(self.params), "seed": self.seed,
            "max_states": self.max_states, "max_drops": self.max_drops, "max_crashes": self.max_crashes,
            "states": self.states, "expanded": self.expanded, "transitions": self.transitions,
            "max_depth": self.max_depth,
            "elapsed_s": round(self.elapsed_s, 3), "states_per_s": round(self.states_per_s, 1),
            "complete": self.complete, "stopped": "complete" if self.complete else "max-states",
            "clean": self.clean,
            "counterexamples": [c.to_json() for c in self.counterexamples],
        }


def explore(
    spec: ProtocolSpec,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    max_states: int = DEFAULT_MAX_STATES,
    max_drops: int = DEFAULT_MAX_DROPS,
    max_crashes: int | None = None,
    clock: Callable[[], float] | None = None,
    merge: bool = True,
    depth_limit: int | None = None,
    symmetry: bool = True,
    timeless: bool = True,
    sleep: bool = True,
    memory_views: bool = True,
) -> Report:
    """Search every order from the initial world; ``clock`` (seconds) times it, if given.

    ``merge=False`` follows every path on its own, never merging two orders that reach
    the same world nor identical messages: far slower, it is the reference the merging
    search is tested against (tests/sim/test_soundness.py). ``depth_limit`` expands no
    world that many commands from the start: a search complete to that depth. ``symmetry``
    merges worlds that differ only by renaming interchangeable nodes (``ProtocolSpec.symmetry``).
    ``timeless`` merges worlds that differ only in the time, when nothing reads it: no handler its
    clock, no history check an event's time (if one does, the search starts again with the time).
    ``max_crashes`` is the small model's (``ProtocolSpec.explore_crashes``) unless given.
    ``memory_views`` lets a history check's declared view of its memo (``Invariant.memory``) stand for
    the whole memo in the fingerprint; off, the whole memo is kept.
    """
    if max_crashes is None:
        max_crashes = spec.explore_crashes
    _check_limits(max_states, max_drops, max_crashes)
    # The small model unless the user says otherwise; delays mean nothing once time is abstracted.
    params = {**spec.explore_params, **(params or {}), "delay_ms_min": 0, "delay_ms_max": 0}
    boot = Engine(spec, params, seed=seed, max_events=EXPLORER_MAX_EVENTS)  # Checks params; keeps its log.
    _check_network(boot.params)
    groups = spec.symmetry(boot.params) if symmetry and merge and spec.symmetry else ()
    no_history = not any(inv.kind == "history" for inv in spec.invariants)
    plan = _ClockPlan() if timeless and merge else None
    started = clock() if clock else 0.0
    while True:
        report = Report(protocol=spec.name, params=dict(boot.params), seed=seed, max_states=max_states,
                        max_drops=max_drops, max_crashes=max_crashes)
        watch = plan.watch() if plan is not None else None
        search = _Search(report, {inv.name: inv.category for inv in spec.invariants}, merge=merge,
                         depth_limit=depth_limit, symmetric=groups, templates=spec.findings(), watch=watch,
                         sleep=sleep and no_history, crash_roles=spec.crash_roles)
        search.note_violations(boot.log, None)
        root = Engine(spec, params, seed=seed, max_events=EXPLORER_MAX_EVENTS, record=False).clone()
        root.clock_watch = root.checker.clock_watch = watch
        root.checker.memory_views = memory_views and merge
        try:
            with _without_cyclic_gc():
                search.run(root)
        except ClockRead as read:
            # A reading the merges so far did not allow: they may be wrong. Again, keeping what it needs.
            plan = plan.after(read) if plan is not None else None
            continue
        break
    time_used = (None if plan is None else "relative time" if plan.relative
                 else "time past a horizon" if plan.thresholds else "time")
    viewed = memory_views and merge and any(inv.kind == "history" and inv.memory is not None
                                            for inv in spec.invariants)
    report.reductions = tuple(name for name, used in (("symmetry", bool(groups)), (time_used, time_used),
                                                      ("sleep sets", search.edges is not None),
                                                      ("memory views", viewed)) if used and name)
    report.elapsed_s = clock() - started if clock else 0.0
    return report


def params_of_run(spec: ProtocolSpec, run_params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the parameters to search a run's configuration with: those it changed from the defaults.

    The search starts from the protocol's small model (``explore_params``);
    passing every parameter of the run would undo it (2PC's five decision
    re-sends alone make the search endless). The run's network randomness is
    set aside: the search chooses drops, duplicates and orders itself.
    """
    defaults = spec.resolve_params({})
    changed = {name: value for name, value in run_params.items() if defaults.get(name) != value}
    return {**changed, **NETWORK_CHOSEN_BY_SEARCH}


def counterexample_trace(spec: ProtocolSpec, report: Report, found: Counterexample) -> dict[str, Any]:
    """Re-run a finding's commands on a fresh recording engine; return its trace."""
    engine = Engine(spec, report.params, seed=report.seed, max_events=EXPLORER_MAX_EVENTS)
    for index, command in enumerate(found.commands):
        try:
            engine.apply(command)
        except (ProtocolError, CommandError):
            if found.kind == "exception" and index == len(found.commands) - 1:
                break  # The trace ends in the failing command, so a replay fails the same way.
            raise
    trace = build_trace(engine)
    if found.kind == "violation" and not any(v["invariant"] == found.name for v in trace["violations"]):
        raise RuntimeError(f"explorer: the counterexample for {found.name} did not reproduce")
    return trace


# ------------------------------------------------------------------ search


@dataclass(frozen=True, slots=True)
class _ClockPlan:
    """How much of the time a search keeps (protocols/sim/clock_watch.py): what its readings so far needed."""

    relative: bool = False
    """Relative readings seen: every time is kept relative to now (else none is, once past the thresholds)."""
    thresholds: frozenset[int] = frozenset()
    reach: int | None = 0
    absolute_in: frozenset[str] = frozenset()

    def watch(self) -> ClockWatch:
        """Return a watch allowing exactly these readings."""
        return ClockWatch(relative=self.relative, thresholds=self.thresholds, reach=self.reach,
                          absolute_in=self.absolute_in)

    def after(self, read: ClockRead) -> _ClockPlan | None:
        """Return the plan that allows ``read`` too (None: keep the absolute time everywhere)."""
        if read.kind == "absolute":
            if read.context in ABSOLUTE_ONLY_IN:  # Absolute time only where that command can still come.
                return replace(self, absolute_in=self.absolute_in | {read.context})
            return None
        if read.kind == "threshold" and read.bound is not None:
            return replace(self, thresholds=self.thresholds | {read.bound})
        reach = self.reach
        if read.kind == "reach" and read.bound is not None and reach is not None:
            reach = max(reach, read.bound)
        elif read.kind == "exact":
            reach = None
        return replace(self, relative=True, reach=reach)



class _Search:
    """One breadth-first search: the worlds seen, the frontier, the findings."""

    def __init__(self, report: Report, categories: Mapping[str, str], *, merge: bool = True,
                 depth_limit: int | None = None, symmetric: tuple[tuple[str, ...], ...] = (),
                 templates: Mapping[str, str] | None = None, watch: ClockWatch | None = None,
                 sleep: bool = False, crash_roles: tuple[str, ...] | None = None) -> None:
        self.symmetric = symmetric
        self.crash_roles = crash_roles
        """The roles the failure model lets crash (``ProtocolSpec.crash_roles``); None: every one."""
        self.templates = templates or {}
        self.edges: dict[tuple[bytes, _Content], tuple[bytes, bool]] | None = {} if sleep and merge else None
        """With sleep sets: each delivery tried, by world and content, to the world it made (and if new)."""
        self.watch = watch
        self.timeless = watch is not None and not watch.relative
        """Whether the time is left out of the fingerprints (no reading allowed), or else kept relative."""
        self.horizon = max(watch.thresholds) if watch is not None and watch.thresholds else None
        self.report = report
        self.categories = categories
        self.merge = merge
        self.depth_limit = depth_limit
        self.parents: dict[bytes, tuple[bytes, str, str] | None] = {}
        self.found: dict[tuple[str, str], Counterexample] = {}

    def run(self, root: Engine) -> None:
        """Expand worlds level by level until none is left or max_states are seen."""
        report = self.report
        key = self._digest(root, 0, 0)
        self.parents[key] = None
        frontier: deque[_Entry] = deque([(root, key, 0, 0, 0, True, None)])
        while frontier and len(self.parents) < report.max_states:
            engine, key, depth, drops, crashes, fair, came_by = frontier.popleft()
            if fair and not engine.pending and all(rt.up for rt in engine.nodes.values()):
                self._check_liveness(engine, key)
            if self.depth_limit is not None and depth >= self.depth_limit:
                continue
            choices = self._choices(engine, drops, crashes)
            if came_by is not None:
                choices = [c for c in choices if not self._asleep(engine, key, came_by, c)]
            last = len(choices) - 1
            # A timer fired while a message could still arrive: the schedule is no longer fair. (Asked of the
            # parent once: it is changed only by its last choice, applied in place after this is read.)
            fire_fair = fair and not _in_flight(engine)
            for index, (name, arg, spent_drops, spent_crashes, content) in enumerate(choices):
                # The parent is not needed after its last choice: apply that one in place.
                child_fair = fire_fair if name == "fire" else fair
                child = engine if index == last else engine.clone()
                if not self._apply(child, key, name, arg):
                    continue
                if self.merge:
                    child_key = self._digest(child, spent_drops, spent_crashes)
                    # A world reached fairly subsumes the same world reached unfairly (liveness is judged
                    # only in the first); one reached unfairly first is kept apart, and found again fairly.
                    if not child_fair and child_key not in self.parents:
                        child_key = _unfair(child_key)
                else:
                    child_key = len(self.parents).to_bytes(DIGEST_BYTES, "little")
                new = child_key not in self.parents
                if self.edges is not None and content is not None:
                    self.edges[(key, content)] = (child_key, new)
                if not new:
                    continue
                self.parents[child_key] = (key, name, arg)
                report.max_depth = max(report.max_depth, depth + 1)
                if len(self.parents) >= report.max_states:
                    break
                came = content if self.edges is not None and name == "deliver" else None
                frontier.append((child, child_key, depth + 1, spent_drops, spent_crashes, child_fair, came))
            else:
                report.expanded += 1
        report.states = len(self.parents)
        report.complete = not frontier and len(self.parents) < report.max_states
        report.counterexamples = list(self.found.values())

    def _asleep(self, engine: Engine, key: bytes, came_by: _Content, choice: _Choice) -> bool:
        """Say whether a delivery need not be tried here: the other side of its diamond is searched.

        This world is ``s`` then the delivery ``a`` (``came_by``). A delivery ``b`` to
        another node commutes with ``a`` (below), so ``s`` then ``a`` then ``b`` is the
        world ``s`` then ``b`` then ``a``. If the search made the world ``s`` then ``b``
        (a world of its own, from this very ``s``, so its nodes carry the same names)
        and delivered ``a`` there, that world is seen and its findings are noted, at
        the same depth: ``b`` sleeps here (a sleep set, kept only where it is proved).
        """
        name, arg, _, _, content = choice
        if name != "deliver" or content is None or content[1] == came_by[1]:
            return False  # Only deliveries to two different nodes commute.
        entry = engine.pending[arg]
        if entry.due > engine.now or len(engine.pending) >= MAX_IN_FLIGHT // 2:
            return False  # Delivering it would move the time, or the network could overflow.
        link = self.parents[key]
        if link is None:
            return False
        sibling = self.edges.get((link[0], content)) if self.edges is not None else None
        if sibling is None or not sibling[1]:
            return False  # ``s`` then ``b`` was not made from ``s`` itself, or not yet.
        return (sibling[0], came_by) in self.edges  # type: ignore[operator]

    def _choices(self, engine: Engine, drops: int, crashes: int) -> list[_Choice]:
        """List every command possible in a world, the fault budget spent after it, and what a delivery carries."""
        report = self.report
        choices: list[_Choice] = []
        contents: set[_Content] = set()
        for entry in engine.pending.values():
            if entry.kind == "timer":
                choices.append(("fire", entry.id, drops, crashes, None))
            elif entry.message is not None:
                content = snapshot.message_entry(entry.message)  # The fingerprint's text of it.
                if content in contents and self.merge:
                    continue  # An identical message (a resend, a duplicate) leads to the same world.
                contents.add(content)
                choices.append(("deliver", entry.id, drops, crashes, content))
                if drops < report.max_drops:
                    choices.append(("drop", entry.id, drops + 1, crashes, None))
        for node, rt in engine.nodes.items():
            if not rt.up:
                choices.append(("recover", node, drops, crashes, None))
            elif crashes < report.max_crashes and (self.crash_roles is None or rt.ctx.role in self.crash_roles):
                choices.append(("crash", node, drops, crashes + 1, None))
        return choices

    def _digest(self, engine: Engine, drops: int, crashes: int) -> bytes:
        """Return a world's key: its fingerprint, with the time as the clock watch allows, and the faults spent."""
        watch = self.watch
        if watch is None or (
                "recover" in watch.absolute_in  # A recovery read the time: absolute while one can still come.
                and (crashes < self.report.max_crashes or not all(rt.up for rt in engine.nodes.values()))) or (
                self.timeless and self.horizon is not None and engine.now <= self.horizon):
            fingerprint = snapshot.fingerprint(engine, self.symmetric, ranked=True)  # The absolute time.
        else:  # Time left out (past every threshold, when nothing else reads it), or kept relative.
            fingerprint = snapshot.fingerprint(engine, self.symmetric, timeless=self.timeless, ranked=True,
                                               relative=True, horizon=self.horizon, reach=watch.reach)
        text = f"{drops},{crashes}|" + fingerprint
        return hashlib.blake2b(text.encode(), digest_size=DIGEST_BYTES).digest()

    def _apply(self, engine: Engine, parent: bytes, name: str, arg: str) -> bool:
        """Apply one command; note what it broke; say whether the world lives on."""
        if self.watch is not None:
            self.watch.current = TIME_BASE + engine.now  # What a threshold reading compares.
            self.watch.context = name
        try:
            events = engine.apply(_command(name, arg), trusted=True)
        except (ProtocolError, CommandError) as exc:
            if isinstance(exc, CommandError) and exc.code != "protocol":
                raise  # The explorer asked for something impossible: a bug here, not a finding.
            if self.watch is not None and self.watch.last is not None:
                raise self.watch.last from exc  # A reading the handler caught and turned into an error.
            text = str(exc)
            key = ("exception", type(exc).__name__ + ": " + text.split(";")[0])  # Less the state dump.
            if key not in self.found:
                self.found[key] = Counterexample(kind="exception", name=type(exc).__name__, text=text, nodes=(),
                                                 commands=self._path(parent, (name, arg)))
            return False
        self.report.transitions += 1
        self.note_violations(events, (parent, (name, arg)))
        return True

    def _check_liveness(self, engine: Engine, key: bytes) -> None:
        """At a world where nothing can happen by itself, ask the liveness expectations."""
        probe = engine.clone()
        if self.watch is not None:
            self.watch.current = TIME_BASE + probe.now
            self.watch.context = "step"
        self.note_violations(probe.apply({"cmd": "step"}), (key, ("step", "")))

    def note_violations(self, events: list[Event], via: tuple[bytes, Command] | None) -> None:
        """Keep the first (so shortest) counterexample of each invariant broken in ``events``."""
        for event in events:
            key = ("violation", event.get("invariant", ""))
            if event["kind"] == "violation" and key not in self.found:
                event = plain_times(event)  # A search's times are stamps (clock_watch.py): report plain ones.
                self.found[key] = Counterexample(kind="violation", name=event["invariant"],
                                                 text=violation_text(self.templates, event), finding=event["finding"],
                                                 category=self.categories.get(event["invariant"], "safety"),
                                                 nodes=tuple(event["nodes"]),
                                                 commands=self._path(*via) if via else ())

    def _path(self, parent: bytes, last: Command) -> tuple[dict[str, Any], ...]:
        """Return the commands from the initial world through ``parent``, then ``last``."""
        steps = [last]
        link = self.parents[parent]
        while link is not None:
            parent, name, arg = link
            steps.append((name, arg))
            link = self.parents[parent]
        return tuple(_command(name, arg) for name, arg in reversed(steps))


# ----------------------------------------------------------------- helpers


def _command(name: str, arg: str) -> dict[str, Any]:
    field_name = _ARGUMENT.get(name)
    return {"cmd": name, field_name: arg} if field_name else {"cmd": name}


def _unfair(key: bytes) -> bytes:
    """Return the key of a world reached by an unfair schedule, apart from the same world reached fairly."""
    return bytes([key[0] ^ 0xFF]) + key[1:]


def _in_flight(engine: Engine) -> bool:
    """Say whether any message is on its way (so firing a timer now would be unfair)."""
    return any(entry.kind == "message" for entry in engine.pending.values())




def _check_limits(max_states: int, max_drops: int, max_crashes: int) -> None:
    if not 1 <= max_states <= MAX_STATES_CEILING:
        raise ParameterError(f"max-states: {max_states} is not from 1 to {MAX_STATES_CEILING}")
    for label, value in (("max-drops", max_drops), ("max-crashes", max_crashes)):
        if not 0 <= value <= MAX_FAULTS_CEILING:
            raise ParameterError(f"{label}: {value} is not from 0 to {MAX_FAULTS_CEILING}")


def _check_network(params: Mapping[str, Any]) -> None:
    for name, wanted in NETWORK_CHOSEN_BY_SEARCH.items():
        if params[name] != wanted:
            raise ParameterError(f"parameter {name}: the explorer tries every order and fault itself; "
                                 f"leave it at {str(wanted).lower()}")


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector for the search, then restore it as it was.

    The search makes millions of short-lived, acyclic objects while it holds
    a large heap (the worlds seen, a BFS level of engines); the collector
    would rescan that heap over and over and has nothing to find there.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promote_untracked()
            gc.enable()


def _promote_untracked() -> None:
    """Move every object made while the collector was paused to its oldest generation, without scanning them.

    Paused, the collector still counts the search's allocations: enabled again, its next
    allocation collected the youngest generation, which then held every object the search
    left alive (its worlds seen, the report): some 12% of a 3-participant 2PC search.
    ``gc.freeze()`` then ``gc.unfreeze()`` moves them to the oldest generation as one list
    splice; nothing else is changed. Skipped when someone froze objects of their own.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
