"""docs/protocols.md is current: the catalogue `manage.py protocols --markdown` prints, then the explorer's table.

The table (`manage.py explore --all --markdown`) takes minutes to compute, so
only the rows of the protocols whose search is fast are searched again here;
every figure of theirs but the seconds must be what the page says.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from dashboard.explore_all import rows
from protocols import REGISTRY, get_protocol
from protocols.base import ParameterError
from protocols.sim.explore_table import TABLE_START, markdown_row, row, without_time
from tests.helpers import run_manage

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"
REGENERATE = ("python manage.py protocols --markdown > docs/protocols.md && "
              "python manage.py explore --all --jobs 2 --markdown >> docs/protocols.md")

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


COLUMNS = 8
"""| protocol | model | worlds | complete | clean | seconds | foils | correct configurations |"""


def _table_rows() -> dict[str, list[str]]:
    _, table = _sections()
    found = {line.split(" | ")[0][3:-1]: line.split(" | ") for line in table.splitlines() if line.startswith("| `")}
    for name, cells in found.items():
        assert len(cells) == COLUMNS, f"{name}: {len(cells)} columns, not {COLUMNS}: {REGENERATE}"
    return found


def test_the_table_lists_every_correct_configuration_searched_to_a_clean_end() -> None:
    # The page's claim, issue 14: every correct configuration completes clean within the default budget.
    table = _table_rows()
    for name, spec in REGISTRY.items():
        cells = table[name]
        if {} in spec.clean:
            assert cells[3:5] == ["yes", "yes"], f"{name}: the small model is declared correct: {cells[2:5]}"
        said = cells[-1].removesuffix(" |")
        if not spec.clean:
            assert said == "none: not meant to be safe", (name, said)
        for params in spec.clean:
            if params:
                setting = ", ".join(f"{k}={v}" for k, v in params.items())
                pattern = r"(?:^|; )" + re.escape(setting) + r": [0-9,]+ worlds, complete, clean\b"
                assert re.search(pattern, said), (name, said)


def test_every_small_model_is_searched_to_the_end() -> None:
    # Issue 14: `manage.py explore NAME` with no flag completes, whatever it finds.
    table = _table_rows()
    assert [name for name, cells in table.items() if cells[3] != "yes"] == []


def test_searching_the_rows_side_by_side_gives_the_same_rows() -> None:
    specs = [REGISTRY[name] for name in ("counter-naive", "service-invocation")]
    apart = [without_time(markdown_row(entry)) for entry in rows(specs, jobs=2, find=get_protocol)]
    assert apart == [without_time(markdown_row(row(spec))) for spec in specs]
    assert "idempotency=False: `at-most-once` at" in apart[1] and "retry_budget=1: " in apart[1]
    assert apart[0].endswith("| none: not meant to be safe |")  # A naive counter declares nothing correct.


def test_only_registered_protocols_are_searched_in_other_processes() -> None:
    # A worker finds its protocol by name: a changed spec must not be searched as the registry's.
    changed = replace(REGISTRY["counter-naive"], explore_params={"clients": 1})
    assert next(rows([changed], jobs=2)).protocol == "counter-naive"  # One spec: no pool, its own search.
    with pytest.raises(ParameterError, match="only protocols found by name"):
        next(rows([changed, REGISTRY["service-invocation"]], jobs=2, find=get_protocol))
    with pytest.raises(ParameterError, match="needs a way to find each protocol"):
        next(rows([REGISTRY["counter-naive"], REGISTRY["service-invocation"]], jobs=2))


@pytest.mark.parametrize("argv, said", [
    (("--all", "--jobs", "0"), "argument --jobs: 0 is not from 1 to 16"),
    (("--all", "--jobs", "many"), "argument --jobs: 'many' is not a whole number"),
    (("counter-naive", "--jobs", "2"), "--jobs is for --all"),
])
def test_a_bad_jobs_flag_is_refused_in_one_line(argv: tuple[str, ...], said: str) -> None:
    done = run_manage("explore", *argv)
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
