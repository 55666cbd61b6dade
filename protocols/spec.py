"""What a protocol declares about itself: parameters, scenarios, invariants.

A :class:`ProtocolSpec` is everything the engine, the command line and the
web UI need to know about a protocol without reading its code: its roles and
how many nodes play each, the parameters a user may set (with bounds), the
named scenarios (data: parameter overrides, a fault plan, captions), and the
invariants the checker evaluates from the outside.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from protocols import states
from protocols.base import Context, ParameterError, Record, State, TransitionTable
from protocols.budget import Estimator
from protocols.findings import blanks

# ------------------------------------------------------------- parameters


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One user-settable parameter with its type, default and bounds."""

    name: str
    kind: str  # "int", "float", "bool", "choice" or "str"
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None
    """Extra validation: return what is wrong, or None."""

    def parse(self, raw: Any) -> Any:
        """Turn a user's value (a string from the CLI, or JSON) into a checked value."""
        try:
            value = self._convert(raw)
        except (TypeError, ValueError):
            raise ParameterError(f"parameter {self.name}: {raw!r} is not {self.allowed()}") from None
        self._check_bounds(value)
        return value

    def _convert(self, raw: Any) -> Any:
        if self.kind == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(raw)
        if self.kind == "float":
            if isinstance(raw, bool):
                raise ValueError(raw)
            number = float(raw)
            if not math.isfinite(number):  # NaN passes every range check (all its comparisons are false).
                raise ValueError(raw)
            return number
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if not isinstance(raw, str):
            raise TypeError(raw)
        return raw

    def _check_bounds(self, value: Any) -> None:
        if self.min is not None and value < self.min:
            raise ParameterError(f"parameter {self.name}: {value} is out of range; allowed: {self.allowed()}")
        if self.max is not None and value > self.max:
            raise ParameterError(f"parameter {self.name}: {value} is out of range; allowed: {self.allowed()}")
        if self.choices and value not in self.choices:
            raise ParameterError(f"parameter {self.name}: {value!r} is not {self.allowed()}")
        problem = self.check(value) if self.check else None
        if problem:
            raise ParameterError(f"parameter {self.name}: {problem}")

    def allowed(self) -> str:
        """Say in words which values are allowed."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind in ("int", "float") and self.min is not None and self.max is not None:
            lo, hi = _fmt(self.min, self.kind), _fmt(self.max, self.kind)
            return f"an {'integer' if self.kind == 'int' else 'number'} from {lo} to {hi}"
        return {"bool": "true or false", "str": "a string"}.get(self.kind, "a " + self.kind)

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for catalogues."""
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default}
        data["help"] = self.help
        if self.min is not None:
            data["min"] = self.min
        if self.max is not None:
            data["max"] = self.max
        if self.choices:
            data["choices"] = list(self.choices)
        return data


def _fmt(number: float, kind: str) -> str:
    return str(int(number)) if kind == "int" else repr(number)


# ------------------------------------------------------------- invariants


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeView:
    """What the checker knows of one node, rebuilt purely from the event log."""

    role: str
    up: bool
    paused: bool
    state: State
    durable: tuple[Record, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A violated invariant: the nodes concerned, and what went wrong as a message id and its data.

    The words are a template the invariant declares (``Invariant.findings``),
    English in the protocol and translated at the edge, filled from ``data``
    (see :mod:`protocols.findings`). ``data`` holds strings, numbers or lists
    of them: the protocol formats what it records (a value shown as ∅, a key
    list cut to a few examples), the reader only fills the blanks.
    """

    nodes: tuple[str, ...]
    id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    cause_seq: int | None = None
    """The event that caused the violation (a stale read, an overwriting write), when one did."""

    def __post_init__(self) -> None:
        for name, value in self.data.items():
            if not _plain(value) and not (isinstance(value, list) and all(_plain(v) for v in value)):
                raise TypeError(f"finding {self.id!r}: {name}={value!r} is not a string, a number or a list of them")

    def as_dict(self) -> dict[str, Any]:
        """Return the finding as a violation event carries it: ``{"id", "data"}``."""
        return {"id": self.id, "data": dict(self.data)}


def _plain(value: Any) -> bool:
    if isinstance(value, bool):
        return False  # True prints "True" here and "true" in the browser: say it in words instead.
    return isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value))


StateCheck = Callable[[Mapping[str, NodeView]], Iterable[Finding]]
TransitionCheck = Callable[[str, State, State, str], Finding | None]
HistoryCheck = Callable[[Mapping[str, Any], dict[str, Any]], Iterable[Finding]]
"""``check(event, memo)``: sees every event in log order, keeps what it needs in ``memo``
(which starts as ``{"params": the run's resolved parameters}``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Invariant:
    """A claim the checker evaluates on every step (safety) or at quiescence (liveness).

    ``kind`` is ``"state"`` (a predicate over all nodes' views, checked after
    every step), ``"transition"`` (a predicate over one node's change of
    state and the input key that caused it), ``"history"`` (an observer of
    every event in log order with a private ``memo`` dict, for anomalies that
    only the history shows: a stale read, a lost update; its findings name the
    event that caused them) or ``"liveness"`` (a predicate over all views,
    checked only when nothing more can happen).

    Its finding is a ``safety`` violation, a ``liveness`` failure (``kind``
    ``"liveness"``) or, when ``illustrative``, a finding the lesson expects
    (two clients both believing they hold a lease): reported apart, it does
    not make a configuration unclean.
    """

    name: str
    kind: str
    description: str
    check: Callable[..., Any]
    findings: Mapping[str, str]
    """Every message its check may report: id -> English template with ``{field}`` blanks."""
    illustrative: bool = False
    memory: Callable[[dict[str, Any]], Any] | None = None
    """For a history check: what of its memo decides its future verdicts (None: all of it), which is all
    the explorer's fingerprint keeps of it (protocols/sim/checker.py, ``Checker.memory``). It may leave out
    what only fills a finding's text (who answered, when, which value), never what decides whether a
    finding comes; tests/sim/test_soundness.py compares the merging search with every path to hold it so."""
    word_fields: tuple[str, ...] = ()
    """Fields of its findings' data that hold a word, not a name: a phase of the protocol's table (an outcome
    such as ``committed``) or one of ``words``. A reader of another language sees such a value in that
    language, as the template around it; every other value (a node, a key, a number) is shown as recorded."""
    words: tuple[str, ...] = ()
    """The words its ``word_fields`` may hold besides the protocol's phases (a saga's ``compensated``)."""

    @property
    def category(self) -> str:
        """Return what a finding of this invariant is: ``safety``, ``liveness`` or ``illustrative``."""
        if self.illustrative:
            return "illustrative"
        return "liveness" if self.kind == "liveness" else "safety"

    def describe(self) -> dict[str, str]:
        """Return a JSON-ready description for catalogues."""
        return {"name": self.name, "kind": self.kind, "category": self.category, "description": self.description}


# -------------------------------------------------------------- scenarios


@dataclass(frozen=True, slots=True, kw_only=True)
class Caption:
    """Narration shown when the run first reaches an event matching ``match``."""

    match: Mapping[str, Any]
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A named, reproducible situation: parameter overrides, faults, narration."""

    name: str
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)
    faults: Sequence[Mapping[str, Any]] = ()
    captions: Sequence[Caption] = ()

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for catalogues."""
        return {
            "name": self.name,
            "description": self.description,
            "params": dict(self.params),
            "faults": [dict(f) for f in self.faults],
            "captions": [{"match": dict(c.match), "text": c.text} for c in self.captions],
        }


# ------------------------------------------------------------------ foils


@dataclass(frozen=True, slots=True, kw_only=True)
class Foil:
    """A configuration wrong on purpose (a broken variant, a missing defence) and what it breaks.

    The explorer's small model must show it: a search with ``params`` over the
    protocol's ``explore_params`` (and at most ``max_crashes`` crashes, for a
    foil that only a crash reveals) finds a violation of each invariant in ``breaks``.
    """

    params: Mapping[str, Any]
    breaks: tuple[str, ...]
    max_crashes: int = 0
    deep: bool = False
    """The search reaches it only past 6,000 worlds (some seconds): the normal suite leaves it to the full
    search (``PROTOLAB_EXPLORE_ALL=1``, what ``manage.py explore --all`` runs)."""

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for catalogues."""
        return {"params": dict(self.params), "breaks": list(self.breaks), "max_crashes": self.max_crashes}


# --------------------------------------------------------------- protocol


@dataclass(frozen=True, kw_only=True)
class ProtocolSpec:
    """Everything known about a protocol; the engine needs nothing else."""

    name: str
    title: str
    summary: str
    theory: str
    roles: tuple[str, ...]
    params: tuple[Param, ...]
    table: TransitionTable
    topology: Callable[[Mapping[str, Any]], dict[str, str]]
    """Given checked parameters, return every node name and its role, in placement order."""
    initial_state: Callable[[Context], State]
    invariants: tuple[Invariant, ...]
    scenarios: tuple[Scenario, ...]
    summarize: Callable[[Mapping[str, Any]], dict[str, Any]]
    """Given the trace so far (events, final), return protocol-specific figures."""
    explore_params: Mapping[str, Any] = field(default_factory=dict)
    """The explorer's small model: parameters it uses unless the user sets them (as TLA+
    models use small constants), chosen so an exhaustive search of a small configuration ends."""
    explore_crashes: int = 0
    crash_roles: tuple[str, ...] | None = None
    """The roles whose nodes the failure model lets crash (the explorer crashes no other), None for every role:
    a protocol that takes its database and broker as durable and always up says so here."""
    """Crashes (each with recovery at any later point) the small model allows on one path, when a foil
    needs one to show (a replica that forgets): ``manage.py explore`` uses it unless told otherwise."""
    foils: tuple[Foil, ...] = ()
    """What the small model must catch (tests/sim/test_foils.py searches each)."""
    clean: tuple[Mapping[str, Any], ...] = ({},)
    """Settings of the small model whose search must end with no safety violation (``{}``: the small
    model itself); empty when no configuration is meant to be safe (a naive counter)."""
    facts: Mapping[str, Any] = field(default_factory=dict)
    """Rules of the protocol its panels draw, as JSON-ready data (the breaker's states and edges), so that
    the browser reads them from the catalogue entry (``facts``) instead of keeping a copy."""
    figures: Mapping[str, str] = field(default_factory=dict)
    """Labels of the protocol's own summary figures (identifier -> English label), beside the ones families
    share in protocols/figures.py; ``protocols.figures.labels()`` gathers both."""
    estimate: Estimator | None = None
    """Given resolved parameters, about how many events a fault-free run logs and why (protocols/budget.py
    has the building blocks): a session whose estimate exceeds the event budget is refused up front.
    tests/protocols/test_event_budget.py requires one of every protocol, within its calibration factor."""
    symmetry: Callable[[Mapping[str, Any]], tuple[tuple[str, ...], ...]] | None = None
    """Given checked parameters, the groups of interchangeable nodes (same role, same parameters,
    handlers that treat them alike): the explorer merges worlds that differ only by a renaming
    within a group. None (or no group) when no two nodes are interchangeable."""

    def param(self, name: str) -> Param:
        """Return a parameter by name, or raise a ParameterError listing the known ones."""
        for p in self.all_params():
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.all_params())
        raise ParameterError(f"{self.name} has no parameter {name!r}; known: {known}")

    def all_params(self) -> tuple[Param, ...]:
        """Return the protocol's own parameters followed by the network's."""
        from protocols.sim.network import NETWORK_PARAMS

        return self.params + NETWORK_PARAMS

    def scenario(self, name: str) -> Scenario:
        """Return a scenario by name, or raise a ParameterError listing the known ones."""
        for s in self.scenarios:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.scenarios)
        raise ParameterError(f"{self.name} has no scenario {name!r}; known: {known}")

    def resolve_params(
        self, given: Mapping[str, Any], scenario: str | None = None
    ) -> dict[str, Any]:
        """Merge defaults, the scenario's overrides and the user's values; check each."""
        if not isinstance(given, Mapping):
            raise ParameterError("params must be an object of NAME: VALUE")
        values = {p.name: p.default for p in self.all_params()}
        if scenario is not None:
            for name, raw in self.scenario(scenario).params.items():
                values[name] = self.param(name).parse(raw)
        for name, raw in given.items():
            values[name] = self.param(name).parse(raw)
        return values

    def findings(self) -> dict[str, str]:
        """Return every finding template of the protocol's invariants: id -> English template."""
        return {fid: text for inv in self.invariants for fid, text in inv.findings.items()}

    def finding_words(self) -> list[str]:
        """Return the words its findings' word fields (``Invariant.word_fields``) may hold, each once, sorted:
        every phase of its transition table and what its invariants add (``Invariant.words``); none without
        word fields."""
        if not any(inv.word_fields for inv in self.invariants):
            return []
        phases = {phase for row in self.table.diagram() for phase in (row["from"], *row["to"]) if phase != "*"}
        return sorted(phases | {word for inv in self.invariants for word in inv.words})

    def declared_finding_words(self) -> list[str]:
        """Return the words its invariants add to its phases (``Invariant.words``), sorted: each is said as a finding
        word, even where a phase of another protocol is written the same (a breaker's ``open``)."""
        return sorted({word for inv in self.invariants if inv.word_fields for word in inv.words})

    def finding_word_fields(self) -> dict[str, list[str]]:
        """Return, by finding id, the fields of its data that hold a word (those its template shows)."""
        fields = {}
        for inv in self.invariants:
            for fid, template in inv.findings.items():
                shown = sorted(set(inv.word_fields) & blanks(template))
                if shown:
                    fields[fid] = shown
        return fields

    def describe(self) -> dict[str, Any]:
        """Return the JSON-ready catalogue entry for this protocol."""
        return {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "theory": self.theory,
            "roles": list(self.roles),
            "params": [p.describe() for p in self.all_params()],
            "scenarios": [s.describe() for s in self.scenarios],
            "invariants": [i.describe() for i in self.invariants],
            "findings": self.findings(),
            "finding_words": self.finding_words(),
            "finding_word_fields": self.finding_word_fields(),
            "facts": dict(self.facts),
            "transitions": self.table.diagram(),
            "states": states.export(self.name),
            "explore_params": dict(self.explore_params),
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Where a package's protocols stand in the catalogue: their chapter (one of ``protocols.CHAPTERS``),
    the package's place in that chapter, and its specs in teaching order. Each protocol package sets
    ``CATALOGUE`` in its ``__init__``; ``protocols.REGISTRY`` finds them, so a new protocol is registered
    by its own package."""

    chapter: str
    place: int
    specs: tuple[ProtocolSpec, ...]
