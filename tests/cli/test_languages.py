"""Every table and export the command line prints reads in Chinese with ``--lang zh-hans``.

Each is rendered in both languages: the English is the protocols' own words, the Chinese must
hold no raw key (``phase.prepared``, an unfilled ``{blank}``) and no English word but the run's
own identifiers: what the trace, the report or the table's data says (node, message, invariant
and parameter names, a protocol's notes, which are its data, not catalogue texts), and a short
allow-list of units and marks. A word of the catalogue left in English fails, naming the word
and the line it is on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dashboard.language import language
from dashboard.management.commands.explore import describe
from protocols import REGISTRY
from protocols.figures import labels as figure_labels
from protocols.sim import explore_table
from protocols.sim.compare import compare, parse_run, table
from protocols.sim.engine import Engine
from protocols.sim.explorer import explore
from protocols.sim.export import render
from protocols.sim.export_text import finding_words
from protocols.sim.trace import build_trace
from protocols.sim.words import ENGLISH, width
from tests.dashboard.test_i18n import PO, parse_po
from tests.helpers import run_manage

ZH = "zh-hans"
WORD = re.compile(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]|[A-Za-z]")
CJK = re.compile(r"[\u3400-\u9fff]")
RAW_KEY = re.compile(r"\b(?:phase|role|figure|services|question|follow|sharded)\.[\w.-]+")
BLANK = re.compile(r"\{\w+\}")
MERMAID_LOST = re.compile(r"-x(?=\w)")
"""Mermaid's crossed arrow, ``src-xdst``: syntax, not a word."""
ALLOWED = {
    "ms", "s", "x", "xx",  # units, and the text format's mark of a lost message
    "participant", "sequenceDiagram", "Note", "over", "as",  # Mermaid's syntax
    "event", "host", "clock", "S",  # ShiViz's parsing regex
    "python", "manage", "py", "simulate", "replay", "max", "states", "json", "tmp",  # a command to type
    "p50", "p99", "PX", "NX",  # in figure labels and findings: names, not words
}
"""Words a Chinese rendering may hold that are not the run's data."""


def words(value: Any) -> set[str]:
    """Return every word of a JSON-like value: its keys, its strings, written as the renderings write them."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return set(WORD.findall(text))


def trace_words(trace: Mapping[str, Any]) -> set[str]:
    """Return the words of a trace's data: everything but its captions, which are catalogue texts."""
    data = words({**trace, "events": [e for e in trace["events"] if e["kind"] != "caption"]})
    # english_left reads Mermaid's crossed arrow (-x) out of every line: a name such as expiry-xfetch reads "fetch".
    data |= {w for d in data for w in WORD.findall(MERMAID_LOST.sub(" ", f"-{d}"))}
    return data | {w.upper() for w in data}  # A message's type and a client's request are written in capitals.


@cache
def translated_words() -> frozenset[str]:
    """Return the Latin words the Chinese catalogue itself keeps (COMMIT, TTL, GC): no English left behind."""
    entries = parse_po(PO.read_text(encoding="utf-8"))
    return frozenset(w for e in entries[1:] for w in WORD.findall(e["str"]))


def english_left(text: str, allowed: Iterable[str]) -> list[str]:
    """Return each line of ``text`` holding an English word that is neither allowed nor data, with the words."""
    known = set(allowed) | ALLOWED | translated_words()
    found = []
    for line in text.splitlines():
        left = sorted(w for w in WORD.findall(MERMAID_LOST.sub(" ", line)) if w not in known)
        if left or RAW_KEY.search(line) or BLANK.search(line):
            found.append(f"{left} in {line!r}")
    return found


@cache
def runs() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Return (protocol, trace) of every scenario and the plain run of every protocol, and a chaotic run of one."""
    found = []
    for name, spec in REGISTRY.items():
        for scenario in (None, *(s.name for s in spec.scenarios)):
            engine = Engine(spec, {}, seed=0, scenario=scenario)
            engine.run()
            found.append((name, build_trace(engine)))
    chaotic = Engine(REGISTRY["two-phase-commit"], {"loss_probability": 0.2, "duplicate_probability": 0.2},
                     seed=3, chaos=0.2)
    chaotic.run()
    found.append(("two-phase-commit", build_trace(chaotic)))
    return tuple(found)


@pytest.mark.parametrize("fmt", ["text", "shiviz", "mermaid"])
def test_every_export_of_every_scenario_reads_in_chinese(fmt: str) -> None:
    zh = language(ZH)
    problems = []
    for name, trace in runs():
        spec = REGISTRY[name]
        chinese = render(trace, fmt, spec, zh)
        assert chinese != render(trace, fmt, spec, ENGLISH) and CJK.search(chinese)
        allowed = trace_words(trace) | {name}
        problems += [f"{name}@{trace['scenario']}: {p}" for p in english_left(chinese, allowed)]
    assert not problems, "\n".join(problems[:40])


def test_every_finding_of_every_scenario_says_its_words_in_chinese() -> None:
    # The fields a protocol says hold words (an outcome, a phase: Invariant.word_fields) are said in the reader's
    # language like the template around them; only the other data (names, numbers) stay as the run wrote them.
    zh = language(ZH)
    problems, said, lists = [], 0, 0
    for name, trace in runs():
        spec = REGISTRY[name]
        known, fields = set(spec.finding_words()), spec.finding_word_fields()
        for event in trace["events"]:
            if event["kind"] != "violation":
                continue
            data, worded = event["finding"]["data"], fields.get(event["finding"]["id"], [])
            for field in worded:  # A word the vocabulary lacks could not be translated.
                values = data[field] if isinstance(data[field], list) else [data[field]]
                problems += [f"{name}: {field}={v!r} is not among its finding words" for v in values if v not in known]
            names = words({k: v for k, v in data.items() if k not in worded})
            chinese = finding_words(event, spec, zh)
            left = english_left(chinese, names | {event["invariant"]})
            listed = [v for v in data.values() if isinstance(v, list) and len(v) > 1]
            if listed:  # A list's items as Chinese separates them: p2、p3.
                lists += 1
                problems += [f"{name}: {chinese!r} lacks 、" for v in listed if "、".join(map(str, v)) not in chinese]
            problems += [f"{name}@{trace['scenario']}: {p}" for p in left]
            said += bool(worded)
    assert not problems, "\n".join(problems[:40])
    assert said >= 3  # Scenarios whose findings hold words: three-phase commit's, the saga's, TCC's.
    assert lists >= 1


def test_the_compare_table_reads_in_chinese() -> None:
    runs_ = [parse_run(text, REGISTRY.__getitem__) for text in
             ("counter-naive", "counter-locked", "g-counter", "lock-lease@process-pause-fenced",
              "service-invocation@retry-storm", "two-phase-commit", "cache-write-back")]
    rows = compare(runs_, {})
    chinese, english = table(rows, language(ZH)), table(rows, ENGLISH)
    assert chinese != english and CJK.search(chinese)
    data = words([{k: v for k, v in row.items() if k != "summary"} for row in rows])
    data |= words([list(row["summary"].values()) for row in rows])
    assert not english_left(chinese, data), "\n".join(english_left(chinese, data))
    for name in figure_labels():  # A figure is named by its label in Chinese, never by its identifier.
        assert f"\n{name} " not in chinese


def test_the_compare_table_lines_up_chinese_columns() -> None:
    """A Chinese label takes two columns a character in a terminal: the next column still starts in line."""
    rows = compare([parse_run("counter-naive", REGISTRY.__getitem__), parse_run("g-counter", REGISTRY.__getitem__)],
                   {"clients": 2})
    header, rule, *lines = table(rows, language(ZH)).splitlines()
    first = len(rule.split("  ")[0])
    for line in [header, *lines]:
        label = re.split(r"\s{2,}", line)[0]
        assert width(label) + len(line[len(label):]) - len(line[len(label):].lstrip(" ")) == first + 2, line


@cache
def explored() -> tuple[Any, list[Path]]:
    spec = REGISTRY["counter-naive"]
    report = explore(spec)
    return report, [Path(f"/tmp/counter-naive-{i}.json") for i, _ in enumerate(report.counterexamples)]


def test_the_explore_report_reads_in_chinese() -> None:
    spec = REGISTRY["counter-naive"]
    report, files = explored()
    assert report.counterexamples  # A naive counter loses updates: the report has findings to say.
    chinese = describe(spec, report, files, language(ZH))
    assert chinese != describe(spec, report, files, ENGLISH) and CJK.search(chinese)
    data = words(report.params) | words([c.finding for c in report.counterexamples]) | {spec.name}
    data |= {c.name for c in report.counterexamples} | words([str(f) for f in files])
    assert not english_left(chinese, data), "\n".join(english_left(chinese, data))


@pytest.mark.parametrize("name", ["counter-naive", "service-invocation"])  # The second has correct configurations.
def test_the_explore_all_rows_read_in_chinese(name: str) -> None:
    spec = REGISTRY[name]
    entry = explore_table.row(spec)
    chinese = explore_table.plain(entry, language(ZH))
    assert chinese != explore_table.plain(entry, ENGLISH) and CJK.search(chinese)
    assert len(chinese.splitlines()) == 2 + len(entry.foils) + len(entry.correct)
    data = words(dict(spec.explore_params)) | words([f.setting for f in entry.foils]) | {spec.name}
    data |= {name for foil in entry.foils for name, _ in foil.depths} | words([c.setting for c in entry.correct])
    assert not english_left(chinese, data), "\n".join(english_left(chinese, data))


def test_the_commands_take_lang() -> None:
    done = run_manage("simulate", "two-phase-commit", "--scenario", "majority-bug", "--lang", ZH, "--format", "mermaid")
    assert done.returncode == 0, done.stderr
    assert "违反" in done.stdout and "VIOLATION" not in done.stdout
    done = run_manage("compare", "counter-naive", "g-counter", "--lang", ZH)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("指标")
    done = run_manage("compare", "counter-naive", "--lang", "fr")
    assert done.returncode != 0 and "invalid choice" in done.stderr


def test_the_check_finds_english_where_it_is_left() -> None:
    """The check itself: the English rendering of a run fails it, naming words of the catalogue."""
    name, trace = runs()[0]
    english = render(trace, "text", REGISTRY[name], ENGLISH)
    left = " ".join(english_left(english, trace_words(trace) | {name}))
    assert "happen" in left and "defaults" in left
