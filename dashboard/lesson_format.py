"""Lessons as data: the JSON a lesson is, checked and replayed without a database or a web server.

A lesson is a session prefix (protocol, parameters, seed, scenario, the whole
fault plan, chaos, and the commands of its steps) plus notes pinned to seqs and
questions asked between steps. Nothing in it is taken on trust: ``replay``
re-runs the commands headless (protocols.sim.engine), and every generated
question is asked again of the replayed engine at its seq, so a file whose
answers do not follow from its inputs is refused, as a trace whose events do
not follow is. The format is in docs/lessons.md.

A *text* (a title, a note) is a string, or an object with one string per
language (``{"en": ..., "zh-hans": ...}``): the page shows its own language.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dashboard import trace_schema
from protocols import get_protocol
from protocols.base import ParameterError, ProtocolError
from protocols.sim import questions as engine_questions
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace

FORMAT = "protolab-lesson"
FORMAT_VERSION = 1
"""Bumped when a field changes meaning; a server reads only its own version."""

LANGUAGES = ("en", "zh-hans")

MAX_COMMANDS = 2000
"""Steps a lesson may hold: a lesson is minutes of a run, not hours (its trace is replayed on each load)."""
MAX_NOTES = 200
MAX_QUESTIONS = 200
MAX_TEXT = 1000
"""Characters of one note in one language: a paragraph."""
MAX_TITLE = 120

FIELDS = {"format", "version", "slug", "title", "summary", "protocol", "params", "seed", "scenario", "faults",
          "chaos", "max_events", "commands", "notes", "questions"}
QUESTION_FIELDS = {"seq", "kind", "data", "options", "answer", "steps", "detail", "prompt"}
FREE = "free"


class LessonError(ValueError):
    """A lesson that cannot be made from this data; the message says what is wrong."""


def check_text(value: Any, what: str, limit: int = MAX_TEXT, required: bool = True) -> str | dict[str, str]:
    """Return a valid text (a string, or one string per known language), or raise saying what is wrong."""
    if isinstance(value, str):
        if len(value) > limit or (required and not value.strip()):
            raise LessonError(f"{what} must be a text of 1 to {limit} characters")
        return value
    if isinstance(value, Mapping) and value and set(value) <= set(LANGUAGES) and "en" in value:
        return {lang: str(check_text(text, f"{what} ({lang})", limit, required)) for lang, text in value.items()}
    raise LessonError(f"{what} must be a string, or an object with an 'en' string (and 'zh-hans')")


def english(text: str | Mapping[str, str]) -> str:
    """Return a text's English (a plain string is what the teacher typed)."""
    return text if isinstance(text, str) else text["en"]


def lesson_engine(lesson: Mapping[str, Any]) -> Engine:
    """Build the engine at step 0 from a lesson's inputs (its fault plan is already whole)."""
    try:
        spec = get_protocol(lesson["protocol"])
        return Engine(spec, lesson["params"], seed=lesson["seed"], scenario=lesson["scenario"] or None,
                      faults=lesson["faults"], chaos=lesson["chaos"], max_events=lesson["max_events"],
                      scenario_faults=False)
    except (ParameterError, KeyError, TypeError, ValueError) as exc:
        raise LessonError(f"the lesson's inputs are refused: {exc}") from None


def replay(lesson: Mapping[str, Any], verify: bool = True) -> Engine:
    """Re-run a lesson's commands headless; with ``verify``, ask each generated question again at its seq.

    Raise LessonError if a command is refused, a question is not between two
    steps, or its options and answer are not what the engine computes there.
    """
    engine = lesson_engine(lesson)
    waiting = sorted(enumerate(lesson["questions"]), key=lambda pair: pair[1]["seq"])
    ends = [engine.seq]
    waiting = _ask_here(engine, waiting, verify)
    for index, command in enumerate(lesson["commands"]):
        try:
            engine.apply(command)
        except (CommandError, ProtocolError) as exc:
            raise LessonError(f"command {index + 1} ({json.dumps(command)[:80]}) is refused: {exc}") from None
        ends.append(engine.seq)
        waiting = _ask_here(engine, waiting, verify)
    if waiting:
        index, question = waiting[0]
        raise LessonError(f"question {index + 1}: seq {question['seq']} is not where a step ends "
                          f"(steps end at {', '.join(map(str, ends[:12]))}{' ...' if len(ends) > 12 else ''})")
    late = [n for n, note in enumerate(lesson["notes"]) if note["seq"] > engine.seq]
    if late:
        raise LessonError(f"note {late[0] + 1}: seq {lesson['notes'][late[0]]['seq']} is past the lesson's "
                          f"last event ({engine.seq})")
    return engine


def _ask_here(engine: Engine, waiting: list[tuple[int, dict[str, Any]]], verify: bool,
              ) -> list[tuple[int, dict[str, Any]]]:
    """Check the questions asked at the engine's seq; return those still ahead."""
    while waiting and waiting[0][1]["seq"] <= engine.seq:
        index, question = waiting.pop(0)
        if question["seq"] < engine.seq:
            waiting.insert(0, (index, question))
            break
        if verify and question["kind"] != FREE:
            fresh = _ask(engine, question["kind"], question["data"], f"question {index + 1}")
            stored = {k: question[k] for k in ("options", "answer", "steps", "detail")}
            if json.dumps(stored, sort_keys=True) != json.dumps({k: fresh[k] for k in stored}, sort_keys=True):
                raise LessonError(f"question {index + 1} ({question['kind']} at seq {question['seq']}): its options "
                                  "or answer are not what the engine computes there")
    return waiting


def _ask(engine: Engine, kind: str, args: Mapping[str, Any], what: str) -> dict[str, Any]:
    try:
        return engine_questions.ask(engine, kind, **args).to_json()
    except engine_questions.QuestionError as exc:
        raise LessonError(f"{what}: {exc}") from None


def trace_of(lesson: Mapping[str, Any]) -> dict[str, Any]:
    """Return the lesson's trace (as ``manage.py simulate`` writes one), replayed from its commands."""
    return build_trace(replay(lesson, verify=False))


def student_view(lesson: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the questions as a student first sees them: no answer, no detail."""
    return [{"index": i, **{k: q[k] for k in ("seq", "kind", "data", "options", "steps", "prompt")}}
            for i, q in enumerate(lesson["questions"])]


# ------------------------------------------------------------ checking a lesson's JSON


def check(data: Any) -> dict[str, Any]:
    """Return a clean lesson from untrusted JSON (an imported file), replayed and verified; else raise."""
    if not isinstance(data, Mapping):
        raise LessonError("a lesson is a JSON object")
    if data.get("format") != FORMAT:
        raise LessonError(f"this is not a lesson file: 'format' must be {FORMAT!r}")
    if data.get("version") != FORMAT_VERSION:
        raise LessonError(f"this server reads lesson files of version {FORMAT_VERSION}; the file is version "
                          f"{data.get('version')!r}: export it again from a server of the same version")
    unknown = set(data) - FIELDS
    if unknown:
        raise LessonError(f"unknown fields {sorted(unknown)}; allowed {sorted(FIELDS)}")
    lesson = _check_inputs(data)
    lesson["commands"] = _check_list(data.get("commands"), "commands", MAX_COMMANDS)
    for index, command in enumerate(lesson["commands"]):
        if not isinstance(command, Mapping):
            raise LessonError(f"command {index + 1} must be an object with a 'cmd'")
    lesson["notes"] = [_check_note(n, i) for i, n in enumerate(_check_list(data.get("notes"), "notes", MAX_NOTES))]
    questions = _check_list(data.get("questions"), "questions", MAX_QUESTIONS)
    lesson["questions"] = [_check_question(q, i) for i, q in enumerate(questions)]
    replay(lesson)
    return lesson


def _check_inputs(data: Mapping[str, Any]) -> dict[str, Any]:
    title = check_text(data.get("title"), "title", MAX_TITLE)
    summary = check_text(data.get("summary", ""), "summary", MAX_TEXT, required=False)
    seed, chaos, max_events = data.get("seed", 0), data.get("chaos", 0.0), data.get("max_events", 100_000)
    if not isinstance(data.get("protocol"), str):
        raise LessonError("'protocol' must name a protocol")
    if not isinstance(data.get("params", {}), Mapping):
        raise LessonError("'params' must be an object of NAME: VALUE")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise LessonError("'seed' must be a whole number")
    if not isinstance(data.get("scenario") or "", str):
        raise LessonError("'scenario' must be a scenario's name or null")
    if not isinstance(data.get("faults", []), list):
        raise LessonError("'faults' must be a list of fault objects")
    for index, fault in enumerate(data.get("faults", [])):
        problem = trace_schema.fault_problem(fault)  # Its trace must fit the schema (dashboard/trace_schema.py).
        if problem is not None:
            raise LessonError(f"fault {index + 1}: {problem}")
    if isinstance(chaos, bool) or not isinstance(chaos, int | float):
        raise LessonError("'chaos' must be a number from 0 to 1")
    if isinstance(max_events, bool) or not isinstance(max_events, int):
        raise LessonError("'max_events' must be a whole number")
    return {"format": FORMAT, "version": FORMAT_VERSION, "title": title, "summary": summary,
            "protocol": data["protocol"], "params": dict(data.get("params", {})),
            "seed": seed, "scenario": data.get("scenario") or "", "faults": list(data.get("faults", [])),
            "chaos": float(chaos), "max_events": max_events}


def _check_list(value: Any, what: str, limit: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit:
        raise LessonError(f"'{what}' must be a list of at most {limit}")
    return value


def _seq(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LessonError(f"{what}: 'seq' must be a whole number from 0")
    return value


def _check_note(note: Any, index: int) -> dict[str, Any]:
    what = f"note {index + 1}"
    if not isinstance(note, Mapping) or set(note) != {"seq", "text"}:
        raise LessonError(f"{what} must be an object with 'seq' and 'text'")
    return {"seq": _seq(note["seq"], what), "text": check_text(note["text"], what)}


def _check_question(question: Any, index: int) -> dict[str, Any]:
    what = f"question {index + 1}"
    if not isinstance(question, Mapping) or set(question) != QUESTION_FIELDS:
        raise LessonError(f"{what} must be an object with exactly {sorted(QUESTION_FIELDS)}")
    kind, options, answer, steps = question["kind"], question["options"], question["answer"], question["steps"]
    if kind not in (*engine_questions.KINDS, FREE):
        raise LessonError(f"{what}: unknown kind {kind!r}; known: {', '.join((*engine_questions.KINDS, FREE))}")
    if not isinstance(question["data"], Mapping) or not isinstance(question["detail"], Mapping):
        raise LessonError(f"{what}: 'data' and 'detail' must be objects")
    if not isinstance(options, list) or not 2 <= len(options) <= engine_questions.MAX_OPTIONS \
            or not all(isinstance(o, Mapping) for o in options):
        raise LessonError(f"{what}: 'options' must be a list of 2 to {engine_questions.MAX_OPTIONS} objects")
    if not (answer is None and kind == FREE) and (isinstance(answer, bool) or not isinstance(answer, int)
                                                  or not 0 <= answer < len(options)):
        raise LessonError(f"{what}: 'answer' must be the index of one of its options")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= engine_questions.MAX_STEPS:
        raise LessonError(f"{what}: 'steps' must be a whole number from 0 to {engine_questions.MAX_STEPS}")
    prompt = question["prompt"]
    if not isinstance(prompt, str) or len(prompt) > MAX_TITLE * 3 or (kind == FREE and not prompt.strip()):
        raise LessonError(f"{what}: 'prompt' must be a string (the question's words, for a free question)")
    if kind == FREE and not all(set(o) == {"text"} and isinstance(o["text"], str) for o in options):
        raise LessonError(f"{what}: a free question's options are objects with a 'text'")
    return {"seq": _seq(question["seq"], what), "kind": kind, "data": dict(question["data"]),
            "options": [dict(o) for o in options], "answer": answer, "steps": steps,
            "detail": dict(question["detail"]), "prompt": prompt}


def export(lesson: Mapping[str, Any], slug: str) -> dict[str, Any]:
    """Return the one JSON file a lesson is exported as (answers included)."""
    return {"format": FORMAT, "version": FORMAT_VERSION, "slug": slug,
            **{k: lesson[k] for k in ("title", "summary", "protocol", "params", "seed", "scenario", "faults",
                                      "chaos", "max_events", "commands", "notes", "questions")}}
