"""docs/comparisons.md is current: each table is what its command prints today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import run_manage

DOC = Path(__file__).resolve().parents[2] / "docs" / "comparisons.md"
BLOCK = re.compile(r"```\n\$ python manage\.py (compare [^\n]+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_holds_tables() -> None:
    assert len(blocks()) >= 6


@pytest.mark.parametrize(("command", "table"), blocks(), ids=lambda x: x.split()[1] if x.startswith("compare") else "")
def test_each_table_is_what_its_command_prints(command: str, table: str) -> None:
    done = run_manage(*command.split())
    assert done.returncode == 0, done.stderr
    assert done.stdout == table, f"docs/comparisons.md is stale: run `python manage.py {command}`"
