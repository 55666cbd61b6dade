"""Predict, then reveal: questions about what a running session does next, answered by the engine.

A teacher pauses and asks the class what happens next; every answer here is
computed by stepping a copy of the engine (``Engine.clone``) in auto order, the
order Play and Step follow, so it is never guessed and never hard-coded, and
asking changes nothing in the session (its trace stays byte-identical).

Kinds (each a function below; ``candidates`` lists what may be asked now):

- ``next-event``: which pending message or timer is handled next.
- ``phase-after``: node X's phase after the next N steps.
- ``invariant-after``: will invariant Y still hold after the next N steps
  (and if not, the event that breaks it).
- ``value-after``: the value of one of node X's state fields after N steps
  (a counter's value, a cache entry, a breaker's state), the options being
  the values that field takes in the copy's near future and its present.

A question is data: a ``kind``, the ``data`` its prompt template needs,
``options`` (each an object a page can label), the index of the ``answer``,
the ``steps`` Reveal plays, and ``detail`` (what the copy saw, shown at the
reveal). Prompts are templates rendered at the edge in the page's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from protocols.base import ANY_PHASE, STAY

if TYPE_CHECKING:
    from protocols.sim.engine import Engine

KINDS = ("next-event", "phase-after", "invariant-after", "value-after")

MAX_STEPS = 30
"""Steps a question may look ahead: a prediction about the next half minute of a lesson, not the run."""

MAX_OPTIONS = 6
"""Choices shown to a class: more do not fit a phone, nor a student's attention."""


class QuestionError(ValueError):
    """A question that cannot be asked here (no such node, nothing pending, a bad step count)."""


@dataclass(frozen=True)
class Question:
    """One question with its computed answer (``answer`` indexes ``options``)."""

    kind: str
    data: dict[str, Any]
    options: list[dict[str, Any]]
    answer: int
    steps: int
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the question as plain JSON values."""
        return asdict(self)


def ask(engine: Engine, kind: str, **args: Any) -> Question:
    """Ask one question of the world ``engine`` is in (which is not changed)."""
    asks: dict[str, Callable[..., Question]] = {
        "next-event": next_event, "phase-after": phase_after, "invariant-after": invariant_after,
        "value-after": value_after}
    if kind not in asks:
        raise QuestionError(f"unknown question kind {kind!r}; known: {', '.join(KINDS)}")
    try:
        return asks[kind](engine, **args)
    except TypeError as exc:
        raise QuestionError(f"{kind}: {exc}") from None


def next_event(engine: Engine) -> Question:
    """Which pending message or timer is handled next (in auto order)."""
    ready = [entry for entry in engine.pending_list() if not entry.get("held") and not entry.get("paused")]
    if len(ready) < 2:
        raise QuestionError("next-event: fewer than two messages or timers are pending")
    handled = _handled_next(engine)
    if handled is None:
        raise QuestionError("next-event: the next step handles no message or timer")
    nearest = ready[:MAX_OPTIONS]
    if handled not in {entry["id"] for entry in nearest}:
        nearest = [*nearest[:MAX_OPTIONS - 1], *(e for e in ready if e["id"] == handled)]
    options = sorted((_entry_option(entry) for entry in nearest), key=lambda o: _id_key(o["id"]))
    answer = next(i for i, option in enumerate(options) if option["id"] == handled)
    return Question(kind="next-event", data={}, options=options, answer=answer, steps=1)


def phase_after(engine: Engine, node: str, steps: int) -> Question:
    """Node ``node``'s phase after the next ``steps`` steps."""
    rt = _node(engine, node)
    _check_steps(steps)
    twin, events = _look_ahead(engine, steps)
    final = str(twin.nodes[node].state.get("phase"))
    phases = _phases(engine, engine.roles[node])
    seen = [str(e["state"].get("phase")) for e in events if e.get("kind") == "state" and e.get("node") == node]
    options = _choose([final, str(rt.state.get("phase")), *seen], phases)
    return Question(kind="phase-after", data={"node": node, "steps": steps},
                    options=[{"phase": p} for p in options], answer=options.index(final), steps=steps,
                    detail={"path": _dedupe(seen)})


def invariant_after(engine: Engine, invariant: str, steps: int) -> Question:
    """Will ``invariant`` still hold after the next ``steps`` steps; if not, which event breaks it."""
    names = [i.name for i in engine.spec.invariants]
    if invariant not in names:
        raise QuestionError(f"invariant-after: no invariant {invariant!r}; known: {', '.join(names)}")
    if engine.checker.verdicts().get(invariant) == "violated":
        raise QuestionError(f"invariant-after: {invariant} is already violated")
    _check_steps(steps)
    _, events = _look_ahead(engine, steps)
    broken = next((e for e in events if e.get("kind") == "violation" and e.get("invariant") == invariant), None)
    detail = {} if broken is None else {"seq": broken["seq"], "cause_seq": broken.get("cause_seq")}
    return Question(kind="invariant-after", data={"invariant": invariant, "steps": steps},
                    options=[{"holds": True}, {"holds": False}], answer=0 if broken is None else 1,
                    steps=steps, detail=detail)


def value_after(engine: Engine, node: str, field: str, steps: int) -> Question:
    """The value of ``node``'s state field ``field`` after the next ``steps`` steps."""
    rt = _node(engine, node)
    if field == "phase" or field not in rt.state:
        raise QuestionError(f"value-after: node {node} has no field {field!r} (phase: ask phase-after)")
    _check_steps(steps)
    _, events = _look_ahead(engine, min(MAX_STEPS, steps * 2))
    # Distractors are values the field really takes: now, on the way, and a little after.
    later = [e["state"].get(field) for e in events if e.get("kind") == "state" and e.get("node") == node]
    final = _at(engine, node, field, steps)
    values = _dedupe([_text(final), _text(rt.state.get(field)), *(_text(v) for v in later)])
    if len(values) < 2:
        raise QuestionError(f"value-after: {node}.{field} takes no other value soon; nothing to choose from")
    options = sorted(values[:MAX_OPTIONS])
    if _text(final) not in options:
        options = sorted([_text(final), *options[:MAX_OPTIONS - 1]])
    return Question(kind="value-after", data={"node": node, "field": field, "steps": steps},
                    options=[{"value": v} for v in options], answer=options.index(_text(final)), steps=steps)


def candidates(engine: Engine) -> list[dict[str, Any]]:
    """Return the questions that can be asked now, as ``{"kind", **args}`` (each answerable by ``ask``)."""
    found: list[dict[str, Any]] = []
    ready = [e for e in engine.pending_list() if not e.get("held") and not e.get("paused")]
    if len(ready) >= 2 and _handled_next(engine) is not None:
        found.append({"kind": "next-event"})
    for name, rt in engine.nodes.items():
        if rt.up and len(_phases(engine, engine.roles[name])) >= 2:
            found.append({"kind": "phase-after", "node": name, "steps": 3})
    verdicts = engine.checker.verdicts()
    found += [{"kind": "invariant-after", "invariant": i.name, "steps": 10}
              for i in engine.spec.invariants if verdicts.get(i.name) != "violated"]
    return found


# ------------------------------------------------------------------ helpers


def _look_ahead(engine: Engine, steps: int) -> tuple[Engine, list[dict[str, Any]]]:
    """Step a copy ``steps`` times in auto order; return it and the events it made."""
    twin = engine.clone()
    events: list[dict[str, Any]] = []
    for _ in range(steps):
        if twin.done:
            break
        events += [dict(e) for e in twin.step()]
    return twin, events


def _at(engine: Engine, node: str, field: str, steps: int) -> Any:
    twin, _ = _look_ahead(engine, steps)
    return twin.nodes[node].state.get(field)


def _handled_next(engine: Engine) -> str | None:
    """Return the id of the pending message or timer the next auto step handles (None: a fault, or nothing)."""
    _, events = _look_ahead(engine, 1)
    for event in events:
        if event.get("kind") == "timer":
            return str(event["id"])
        if event.get("kind") in ("deliver", "drop") and isinstance(event.get("message"), dict):
            return str(event["message"]["msg_id"])
    return None


def _entry_option(entry: dict[str, Any]) -> dict[str, Any]:
    """Describe a pending entry as a choice, without its due time (that would give the answer away)."""
    if entry.get("message") is not None:
        m = entry["message"]
        return {"id": entry["id"], "kind": "message", "type": m["type"], "src": m["src"], "dst": m["dest"]}
    return {"id": entry["id"], "kind": "timer", "timer": entry.get("timer"), "node": entry["node"]}


def _id_key(ident: str) -> tuple[str, int]:
    digits = "".join(c for c in ident if c.isdigit())
    return ident.rstrip("0123456789"), int(digits or 0)


def _node(engine: Engine, node: str) -> Any:
    if node not in engine.nodes:
        raise QuestionError(f"no node {node!r}; nodes: {', '.join(engine.nodes)}")
    return engine.nodes[node]


def _check_steps(steps: Any) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise QuestionError(f"steps is a whole number from 1 to {MAX_STEPS}")


def _phases(engine: Engine, role: str) -> list[str]:
    """Return the phases the transition table gives a role, in table order."""
    phases: list[str] = []
    for row in engine.spec.table.rows:
        if row.role == role:
            phases += [p for p in (row.phase, *row.to) if p not in (ANY_PHASE, STAY)]
    return _dedupe(phases)


def _choose(first: list[str], pool: list[str]) -> list[str]:
    """Return up to MAX_OPTIONS choices: ``first`` ones (the answer leads), then the rest of ``pool``, sorted."""
    chosen = _dedupe([*first, *pool])[:MAX_OPTIONS]
    return sorted(chosen)


def _dedupe(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _text(value: Any) -> str:
    """Return a state value as the text a choice shows (JSON for structures, stable key order)."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
