"""The browser tests' traces (static/js/tests/fixtures/) are what the engine produces today.

The Node tests read these files instead of running the engine; a fixture
that drifted from the engine would let them pass on a log the lab can no
longer produce. Each fixture keeps a subset of a trace's fields, in the
layout it was written with. After a deliberate change to a protocol,
regenerate them all with ``.venv/bin/python -m tests.sim.test_browser_fixtures``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from protocols import get_protocol
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace

FIXTURES = Path(__file__).resolve().parents[2] / "static" / "js" / "tests" / "fixtures"


def fixture_paths() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def replay(saved: dict[str, Any]) -> dict[str, Any]:
    """Run the fixture's protocol, parameters, seed, scenario and faults again; keep the fixture's fields."""
    faults = saved.get("faults")
    engine = Engine(get_protocol(saved["protocol"]), saved["params"], seed=saved["seed"],
                    scenario=saved.get("scenario"), faults=faults or [],
                    scenario_faults=faults is None,  # A saved plan already holds the scenario's faults.
                    chaos=saved.get("chaos", 0.0))
    engine.run()
    trace = build_trace(engine)
    return {name: trace[name] for name in saved}


def render(data: dict[str, Any], like: str) -> str:
    """Encode ``data`` in the layout of the text ``like`` (indentation, separators, final newline)."""
    indent = re.match(r"\{\n( +)\"", like)
    tight = re.match(r'\{"[^"]*":[^ ]', like) is not None
    text = json.dumps(data, indent=len(indent.group(1)) if indent else None, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":") if tight else None)
    return text + ("\n" if like.endswith("\n") else "")


def test_there_are_fixtures() -> None:
    assert len(fixture_paths()) >= 10


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.name)
def test_a_browser_fixture_is_what_the_engine_produces(path: Path) -> None:
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert replay(saved) == saved, f"{path.name} is stale: regenerate (see this module's docstring)"


def regenerate() -> None:
    for path in fixture_paths():
        raw = path.read_text(encoding="utf-8")
        path.write_text(render(replay(json.loads(raw)), raw), encoding="utf-8")
        print(f"wrote {path.name}")


if __name__ == "__main__":
    regenerate()
