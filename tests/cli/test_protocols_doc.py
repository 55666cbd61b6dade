"""docs/protocols.md is current: the catalogue `manage.py protocols --markdown` prints, then the explorer's table.

The table (`manage.py explore --all --markdown`) takes minutes to compute, so
only the rows of the protocols whose search is fast are searched again here;
every figure of theirs but the seconds must be what the page says.
"""

from __future__ import annotations

import re
from pathlib import Path

from protocols import REGISTRY
from protocols.sim.explore_table import TABLE_START, markdown_row, row
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


def _without_seconds(line: str) -> str:
    cells = line.split(" | ")
    cells[5] = ""  # | protocol | model | worlds | complete | clean | seconds | foils |
    return re.sub(r"\s+", " ", " | ".join(cells))


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
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| `")}
    for name in FAST:
        fresh = markdown_row(row(REGISTRY[name]), with_time=False)
        assert _without_seconds(rows[f"| `{name}`"]) == _without_seconds(fresh), f"stale row: {REGENERATE}"
