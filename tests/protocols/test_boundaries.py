"""No protocol family imports another: what two families share lives in protocols/common/.

A family is a package under protocols/ whose ``__init__.py`` sets a
``CATALOGUE``. Its modules may import the non-family parts of protocols/
(base, spec, sim, common, findings, figures, states, budget, ...) and
themselves, never a sibling family: a sibling's client, detector or summary
that another family needs is a shared part, and belongs in common.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"


def sets_catalogue(init: Path) -> bool:
    """Return whether a package's ``__init__.py`` assigns ``CATALOGUE`` at module level."""
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "CATALOGUE" for t in targets):
            return True
    return False


FAMILIES = sorted(init.parent.name for init in PROTOCOLS.glob("*/__init__.py") if sets_catalogue(init))


def imported_packages(source: str, package: tuple[str, ...]) -> set[str]:
    """Return the packages directly under protocols/ that a module of ``package`` imports.

    ``package`` is the module's place below protocols/ (``("crdt",)`` for
    protocols/crdt/clients.py), which relative imports are resolved against.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(("protocols", *package)[: len(package) + 2 - node.level]) if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            # ``from protocols import crdt`` and ``from .. import crdt`` name the package as an alias.
            modules = [[*module, alias.name] for alias in node.names] if len(module) == 1 else [module]
        else:
            continue
        found.update(parts[1] for parts in modules if len(parts) > 1 and parts[0] == "protocols")
    return found


def imports_of(path: Path) -> set[str]:
    """Return ``imported_packages`` of a module file under protocols/."""
    return imported_packages(path.read_text(encoding="utf-8"), path.relative_to(PROTOCOLS).parent.parts)


MODULES = [pytest.param(family, path, id=str(path.relative_to(PROTOCOLS)))
           for family in FAMILIES for path in sorted((PROTOCOLS / family).rglob("*.py"))]


@pytest.mark.parametrize(("family", "path"), MODULES)
def test_no_family_imports_another(family: str, path: Path) -> None:
    siblings = (imports_of(path) & set(FAMILIES)) - {family}
    assert not siblings, (f"protocols/{path.relative_to(PROTOCOLS)} imports the families {sorted(siblings)}; "
                          "move what they share to protocols/common/")


@pytest.mark.parametrize("path", sorted((PROTOCOLS / "common").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PROTOCOLS)))
def test_the_shared_parts_import_no_family(path: Path) -> None:
    families = imports_of(path) & set(FAMILIES)
    assert not families, f"protocols/{path.relative_to(PROTOCOLS)} imports the families {sorted(families)}"


def test_every_family_is_seen() -> None:
    assert {"bft", "crdt", "hashring", "invocation", "mesh", "mesi", "sharded", "twophase"} <= set(FAMILIES)
    assert "common" not in FAMILIES and "sim" not in FAMILIES


@pytest.mark.parametrize("source", [
    "from protocols.crdt import clients\n",
    "from protocols.crdt.clients import acknowledged_and_issued\n",
    "import protocols.crdt.summary\n",
    "from protocols import crdt\n",
    "from ..crdt.detectors import read_within_bounds\n",
    "from .. import crdt\n",
    "def late():\n    from protocols.crdt import summary\n",
])
def test_the_check_sees_a_sibling_import(source: str) -> None:
    assert "crdt" in imported_packages(source, ("bft",))


@pytest.mark.parametrize("source", [
    "from protocols.common import rng\n",
    "from protocols.base import Send\n",
    "from . import states\n",
    "from .table import TABLE\n",
    "from protocols import states\n",
    "from .. import spec\n",
])
def test_the_check_lets_shared_parts_through(source: str) -> None:
    assert not imported_packages(source, ("bft",)) & (set(FAMILIES) - {"bft"})
