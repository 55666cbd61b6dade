# ruff: noqa: RUF001  (the Chinese sentences below hold full-width commas)
"""Findings are data; their words are templates in English and Chinese, filled at the edge.

Every invariant declares the findings it may report (id -> English
template); a violation event carries ``{"id", "data"}``. These tests run every
scenario of every protocol and put each finding it reports into words in
both languages, as the command line and the page do: no finding may show a
raw id, an unfilled ``{blank}`` or an English sentence on the Chinese side.
The same holds for every declared template (filled with its own blank names),
for the compare page's figure labels and preset titles, and for the
Invariants tab's kinds.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from dashboard.views import catalogue_entry, compare_strings
from protocols import REGISTRY
from protocols.comparisons import PRESETS
from protocols.figures import labels
from protocols.findings import blanks, fill, violation_text
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace
from tests.helpers import run_manage

CJK = re.compile(r"[\u3400-\u9fff]")
BLANK = re.compile(r"\{\w+\}")
SEEDS = (0, 1)
"""Two seeds per scenario: a finding that only some orders show still gets its turn."""
KEYS = json.loads((Path(settings.BASE_DIR) / "static" / "js" / "i18n-keys.json").read_text(encoding="utf-8"))


@cache
def runs() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Return (protocol, trace) for every scenario (and the plain run) of every protocol, at each seed."""
    found = []
    for name, spec in REGISTRY.items():
        for scenario in (None, *(s.name for s in spec.scenarios)):
            for seed in SEEDS:
                engine = Engine(spec, {}, seed=seed, scenario=scenario)
                engine.run()
                found.append((name, build_trace(engine)))
    return tuple(found)


def findings_shown() -> list[tuple[str, dict[str, Any]]]:
    return [(name, v) for name, trace in runs() for v in trace["violations"]]


def assert_words(text: str, finding: dict[str, Any], chinese: bool) -> None:
    assert text != finding["id"], f"raw id {finding['id']!r} shown instead of words"
    assert not BLANK.search(text), f"unfilled blank in {text!r}"
    if chinese:
        assert CJK.search(text), f"{finding['id']}: no Chinese in {text!r}"


def test_the_scenarios_show_findings_of_most_protocols() -> None:
    shown = {name for name, _ in findings_shown()}
    assert len(shown) >= 10, shown


def test_every_finding_of_every_scenario_reads_in_english_and_chinese() -> None:
    for name, violation in findings_shown():
        templates = REGISTRY[name].findings()
        finding = violation["finding"]
        assert finding["id"] in templates, f"{name}: {finding['id']} has no template"
        assert blanks(templates[finding["id"]]) <= set(finding["data"]), f"{name}: {finding} lacks a datum"
        assert_words(violation_text(templates, violation), finding, chinese=False)
        with translation.override("zh-hans"):
            assert_words(violation_text(templates, violation, gettext), finding, chinese=True)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_declared_template_has_a_chinese_twin_with_the_same_blanks(name: str) -> None:
    for fid, template in REGISTRY[name].findings().items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fid), fid
        with translation.override("zh-hans"):
            chinese = gettext(template)
        assert chinese != template and CJK.search(chinese), f"{fid}: not translated"
        assert blanks(chinese) == blanks(template), f"{fid}: the translation's blanks differ"
        data = {blank: blank.upper() for blank in blanks(template)}
        assert not BLANK.search(fill(chinese, data)) and not BLANK.search(fill(template, data))


def test_an_id_means_one_template_in_every_protocol() -> None:
    seen: dict[str, str] = {}
    for spec in REGISTRY.values():
        for fid, template in spec.findings().items():
            assert seen.setdefault(fid, template) == template, f"{fid} has two templates"


def test_the_page_gets_the_templates_in_its_language() -> None:
    with translation.override("zh-hans"):
        entry = catalogue_entry(REGISTRY["two-phase-commit"])
    assert CJK.search(entry["findings"]["commit-without-yes"])
    assert blanks(entry["findings"]["commit-without-yes"]) == {"committed", "node"}


def test_the_command_line_writes_findings_in_english_or_chinese() -> None:
    run = ("simulate", "two-phase-commit", "--scenario", "majority-bug", "--format", "text")
    english = run_manage(*run).stdout
    assert "VIOLATION of commit-needs-all-yes: coordinator committed although p3 never voted yes" in english
    chinese = run_manage(*run, "--lang", "zh-hans").stdout
    assert "违反 commit-needs-all-yes：coordinator 已提交，尽管 p3 从未投赞成票" in chinese


def test_every_summary_figure_has_a_label_in_both_languages() -> None:
    figures = {name for _, trace in runs() for name in trace["summary"]}
    known = labels()
    assert figures <= set(known), f"figures without a label (figures.py or spec.figures): {figures - set(known)}"
    with translation.override("zh-hans"):
        translated = compare_strings()["figures"]
    untranslated = [name for name in known if not CJK.search(translated[name])]
    assert untranslated == []


def test_every_preset_title_is_translated() -> None:
    with translation.override("zh-hans"):
        titles = {p["name"]: gettext(p["title"]) for p in PRESETS}
    assert all(CJK.search(title) for title in titles.values()), titles


def test_the_invariants_tab_names_every_kind_of_invariant() -> None:
    kinds = {inv.kind for spec in REGISTRY.values() for inv in spec.invariants}
    assert kinds == {"state", "transition", "history", "liveness"}
    assert all(f"invariants.kind.{kind}" in KEYS for kind in kinds)
