"""docs/protocols.md is current: the catalogue `manage.py protocols --markdown` prints, then the explorer's table.

The table (`manage.py explore --all --markdown`) takes minutes to compute, so
only the rows of the protocols whose search is fast are searched again here;
every figure of theirs but the seconds must be what the page says.
"""

from __future__ import annotations

import re
from pathlib import Path

from protocols import REGISTRY
from protocols.sim.explore_table import TABLE_START, markdown_row, row, rows, without_time
from tests.helpers import run_manage

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"
REGENERATE = ("python manage.py protocols --markdown > docs/protocols.md && "
              "python manage.py explore --all --markdown >> docs/protocols.md")

FAST = ("service-invocation", "counter-naive", "counter-bft")
"""Protocols whose small model and foils are searched in about a second each."""


def _sections() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    assert TABLE_START in text, f"docs/protocols.md has no explorer table: {REGENERATE}"
    catalogue, table = text.split(TABLE_START, 1)
    return catalogue, TABLE_START + table


def test_the_catalogue_page_is_current() -> None:
    done = run_manage("protocols", "--markdown")
    assert done.returncode == 0, done.stderr
    catalogue, _ = _sections()
    assert catalogue == done.stdout, f"docs/protocols.md is stale: {REGENERATE}"
    for name in REGISTRY:
        assert f"### `{name}`" in done.stdout


def test_the_explorer_table_lists_every_protocol() -> None:
    _, table = _sections()
    for name in REGISTRY:
        assert f"| `{name}` |" in table, f"{name} is missing from the table: {REGENERATE}"


def test_the_fast_rows_of_the_explorer_table_are_current() -> None:
    _, table = _sections()
    lines = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| `")}
    for name in FAST:
        fresh = markdown_row(row(REGISTRY[name]), with_time=False)
        assert without_time(lines[f"| `{name}`"]) == without_time(fresh), f"stale row: {REGENERATE}"


def _table_rows() -> dict[str, list[str]]:
    _, table = _sections()
    return {line.split(" | ")[0][3:-1]: line.split(" | ") for line in table.splitlines() if line.startswith("| `")}


def test_the_table_lists_every_correct_configuration_searched_to_a_clean_end() -> None:
    # The page's claim, issue 14: every correct configuration completes clean within the default budget.
    table = _table_rows()
    for name, spec in REGISTRY.items():
        cells = table[name]
        if {} in spec.clean:
            assert cells[3:5] == ["yes", "yes"], f"{name}: the small model is declared correct: {cells[2:5]}"
        said = cells[-1].removesuffix(" |")
        for params in spec.clean:
            if params:
                setting = ", ".join(f"{k}={v}" for k, v in params.items())
                assert re.search(re.escape(setting) + r": [0-9,]+ worlds, complete, clean\b", said), (name, said)


def test_searching_the_rows_side_by_side_gives_the_same_rows() -> None:
    specs = [REGISTRY[name] for name in ("counter-naive", "service-invocation")]
    apart = [without_time(markdown_row(entry)) for entry in rows(specs, jobs=2)]
    assert apart == [without_time(markdown_row(row(spec))) for spec in specs]
    assert "idempotency=False: `at-most-once` at" in apart[1] and "retry_budget=1: " in apart[1]
