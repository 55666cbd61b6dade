"""The pure core imports nothing of the outside world (STYLE habit 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
FORBIDDEN = {"django", "celery", "channels", "channels_redis", "asyncio", "random", "time", "datetime",
             "socket", "threading", "os", "subprocess", "redis", "secrets", "uuid"}
ALLOWED_EXCEPTIONS = {("sim/network.py", "random")}
"""The network owns the one seeded generator; nobody else may import random."""


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


SOURCES = sorted(PROTOCOLS.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PROTOCOLS)))
def test_protocol_code_imports_nothing_of_the_outside_world(path: Path) -> None:
    relative = str(path.relative_to(PROTOCOLS))
    bad = {m for m in imported_modules(path) & FORBIDDEN if (relative, m) not in ALLOWED_EXCEPTIONS}
    assert not bad, f"protocols/{relative} imports {sorted(bad)}"


def test_the_layering_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import random\nfrom django.db import models\n", encoding="utf-8")
    assert imported_modules(sample) & FORBIDDEN == {"random", "django"}


def test_there_is_code_to_check() -> None:
    assert len(SOURCES) > 5
