"""The files derived from the registry are current (python -m dashboard.generated --write writes them)."""

from __future__ import annotations

import re

from dashboard import generated
from protocols import REGISTRY


def test_generated_files_are_current():
    assert generated.stale() == [], "run: python -m dashboard.generated --write"


def test_a_protocols_table_file_is_named_after_it_and_says_that_name():
    folder = generated.TABLES_JS.parent
    for name in REGISTRY:
        path = folder / f"{name}.js"
        if not path.exists():
            continue  # Drawn by generic.js until someone writes its table.
        text = path.read_text(encoding="utf-8")
        assert re.search(rf"name: '{re.escape(name)}'|cacheTable\('{re.escape(name)}'\)", text), path


def test_the_browser_map_is_not_written_by_hand_any_more():
    index = (generated.TABLES_JS.parent / "index.js").read_text(encoding="utf-8")
    assert "from './tables.js'" in index
    assert not any(f"'./{name}.js'" in index for name in REGISTRY)
