"""Ready-made lessons: small definitions in lessons/*.json, built into whole lessons by the engine.

A definition names the run (protocol, parameters, seed, scenario), how many
auto steps the lesson plays, notes per seq in English and Chinese, and the
questions to ask at chosen seqs (a kind of protocols/sim/questions.py and its
arguments). ``build`` plays the steps, asks each question of the engine where
the lesson stops, and returns the lesson with its commands and every answer
computed, never written by hand. ``manage.py lessons --load`` stores them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dashboard.lesson_format import FORMAT, FORMAT_VERSION, LessonError, check, check_text
from protocols import get_protocol
from protocols.base import ParameterError
from protocols.sim import questions as engine_questions
from protocols.sim.engine import Engine

LIBRARY = Path(__file__).resolve().parent.parent / "lessons"
DEFINITION_FIELDS = {"title", "summary", "protocol", "params", "seed", "scenario", "steps", "notes", "questions"}


def names() -> list[str]:
    """Return the names of the ready-made lessons, in the order the landing page lists them."""
    return [path.stem for path in sorted(LIBRARY.glob("*.json"), key=_order)]


def _order(path: Path) -> tuple[int, str]:
    return int(json.loads(path.read_text(encoding="utf-8")).get("order", 99)), path.stem


def definition(name: str) -> dict[str, Any]:
    """Return one ready-made lesson's definition as written."""
    data: dict[str, Any] = json.loads((LIBRARY / f"{name}.json").read_text(encoding="utf-8"))
    data.pop("order", None)
    return data


def build(name: str) -> dict[str, Any]:
    """Play a definition's steps, ask its questions where it says; return the whole lesson (checked)."""
    spec_data = definition(name)
    unknown = set(spec_data) - DEFINITION_FIELDS
    if unknown:
        raise LessonError(f"{name}: unknown fields {sorted(unknown)}")
    try:
        engine = Engine(get_protocol(spec_data["protocol"]), spec_data.get("params", {}), seed=spec_data["seed"],
                        scenario=spec_data.get("scenario"))
    except ParameterError as exc:
        raise LessonError(f"{name}: {exc}") from None
    asks = sorted(spec_data["questions"], key=lambda q: q["seq"])
    questions: list[dict[str, Any]] = []
    reveal_ends: list[tuple[int, int]] = []
    for _ in range(spec_data["steps"] + 1):
        while asks and asks[0]["seq"] == engine.seq:
            spec = dict(asks.pop(0))
            seq, kind = spec.pop("seq"), spec.pop("kind")
            try:
                question = engine_questions.ask(engine, kind, **spec).to_json()
            except engine_questions.QuestionError as exc:
                raise LessonError(f"{name}: question at seq {seq}: {exc}") from None
            questions.append({"seq": seq, **question, "prompt": ""})
            reveal_ends.append((seq, engine.step_no + question["steps"]))
        if engine.step_no == spec_data["steps"] or engine.done:
            break
        engine.step()
    if asks:
        raise LessonError(f"{name}: question at seq {asks[0]['seq']}: no step of the lesson ends there")
    for seq, end in reveal_ends:
        if end > engine.step_no:
            raise LessonError(f"{name}: the question at seq {seq} looks past the lesson's last step; play more steps")
    lesson = {
        "format": FORMAT, "version": FORMAT_VERSION, "title": check_text(spec_data["title"], f"{name}: title"),
        "summary": check_text(spec_data.get("summary", ""), f"{name}: summary", required=False),
        "protocol": engine.spec.name, "params": spec_data.get("params", {}), "seed": engine.seed,
        "scenario": engine.scenario or "", "faults": engine.faults, "chaos": engine.chaos,
        "max_events": engine.max_events, "commands": list(engine.commands),
        "notes": spec_data["notes"], "questions": questions,
    }
    return check(lesson)
