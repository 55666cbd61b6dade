"""The command line and the browser write a figure alike: format_value (Python) and formatValue (JS).

The compare table is written twice, by ``manage.py compare`` and by the
compare page, from one rule that each language implements
(protocols/sim/compare.py says it). static/js/tests/format-cases.json holds
the rule's edge cases (halves, thousands, tiny numbers, JSON); here both
implementations write those and a few thousand seeded random numbers, and
must write the same text.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from protocols.sim.compare import format_value

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "static" / "js" / "tests" / "format-cases.json"
NODE = shutil.which("node")
SCRIPT = """
import { formatValue } from './static/js/compare-table.js';
import { readFileSync } from 'node:fs';
const values = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(values.map(formatValue)));
"""


def cases() -> list[list[Any]]:
    return list(json.loads(CASES.read_text(encoding="utf-8"))["cases"])


def in_the_browser(values: list[Any]) -> list[str]:
    """Return what the browser's formatValue writes for each value (run by Node on the same JSON)."""
    assert NODE is not None
    done = subprocess.run([NODE, "--input-type=module", "-e", SCRIPT], input=json.dumps(values), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    return list(json.loads(done.stdout))


def test_python_writes_every_case_as_the_cases_say() -> None:
    assert [format_value(value) for value, _ in cases()] == [text for _, text in cases()]


@pytest.mark.skipif(NODE is None, reason="node is missing (make test installs it)")
def test_python_and_the_browser_write_the_same_text() -> None:
    draw = random.Random(18)
    values: list[Any] = [value for value, _ in cases()]
    values += [draw.uniform(-2000, 2000) for _ in range(1500)]
    values += [draw.uniform(0, 1) * 10 ** draw.randint(-8, 6) for _ in range(1500)]
    values += [round(draw.uniform(0, 1200), draw.randint(1, 3)) for _ in range(1500)]  # Halves and near-halves.
    values = json.loads(json.dumps(values))  # What a browser receives: the figures' JSON.
    python = [format_value(value) for value in values]
    browser = in_the_browser(values)
    differ = [(v, p, b) for v, p, b in zip(values, python, browser, strict=True) if p != b]
    assert differ == [], f"{len(differ)} values written differently, e.g. {differ[:5]}"


FILL = """
import { renderFinding } from './static/js/findings.js';
import { readFileSync } from 'node:fs';
const cases = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(([templates, finding, vocabulary]) =>
  renderFinding(finding, templates, vocabulary))));
"""


@pytest.mark.skipif(NODE is None, reason="node is missing (make test installs it)")
def test_python_and_the_browser_fill_a_findings_template_alike() -> None:
    """The command line (protocols/findings.py) and the page (static/js/findings.js) put a finding in words alike."""
    from protocols import REGISTRY
    from protocols.findings import blanks, render

    cases: list[list[Any]] = []
    for spec in REGISTRY.values():
        for fid, template in spec.findings().items():
            names = sorted(blanks(template))
            data = {name: [f"{name}1", 2] if i % 3 == 0 else i * 1.5 for i, name in enumerate(names)}
            cases.append([{fid: template}, {"id": fid, "data": data}, None])
    cases.append([{"f": "{a} and {missing}"}, {"id": "f", "data": {"a": "x"}}, None])  # A blank without its datum.
    # The fields a protocol says hold words are written in the reader's words; a name, a number, any other field not.
    vocabulary = {"words": {"committed": "已提交", "aborted": "已中止"}, "fields": {"f": ["outcome", "others"]}}
    cases.append([{"f": "{who} {outcome}, {others}: {n}"},
                  {"id": "f", "data": {"who": "committed", "outcome": "aborted", "others": ["committed", "p1", 3],
                                       "n": 2.5}}, vocabulary])
    cases.append([{"f": "{outcome}"}, {"id": "f", "data": {"outcome": "prepared"}}, vocabulary])
    cases.append([{"g": "{outcome}"}, {"id": "g", "data": {"outcome": "aborted"}}, vocabulary])  # Not its field.
    chinese = {**vocabulary, "separator": "、"}  # A list's items as Chinese separates them.
    cases.append([{"f": "{others} {outcome}"}, {"id": "f", "data": {"others": ["p2", "p3"], "outcome": "aborted"}},
                  chinese])
    assert NODE is not None
    done = subprocess.run([NODE, "--input-type=module", "-e", FILL], input=json.dumps(cases), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    filled = json.loads(done.stdout)
    python = [render(templates, finding, None, *((vocabulary["words"], vocabulary["fields"],
                                                  vocabulary.get("separator", ", ")) if vocabulary else ()))
              for templates, finding, vocabulary in cases]
    assert filled == python
    assert filled[-4:] == ["committed 已中止, 已提交, p1, 3: 2.5", "prepared", "aborted", "p2、p3 已中止"]
