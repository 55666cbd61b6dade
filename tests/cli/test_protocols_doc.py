"""docs/protocols.md is what `manage.py protocols --markdown` prints: every registered protocol, current."""

from __future__ import annotations

from pathlib import Path

from protocols import REGISTRY
from tests.helpers import run_manage

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"


def test_the_catalogue_page_is_current():
    done = run_manage("protocols", "--markdown")
    assert done.returncode == 0, done.stderr
    assert DOC.read_text(encoding="utf-8") == done.stdout, (
        "docs/protocols.md is stale: run python manage.py protocols --markdown > docs/protocols.md")
    for name in REGISTRY:
        assert f"### `{name}`" in done.stdout
