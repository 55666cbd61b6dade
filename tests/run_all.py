"""Run the whole suite the way CI does: lint, then every pytest suite.

A failing step fails the run; a pytest run that collects no test fails too
(pytest's exit status 5 is not success).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def step(title: str, argv: list[str]) -> None:
    """Run one step; stop the whole run with its status if it fails."""
    print(f"\n=== {title}: {' '.join(argv)}", flush=True)
    status = subprocess.call(argv, cwd=ROOT)
    if status != 0:
        print(f"=== {title} failed with status {status}", flush=True)
        sys.exit(status or 1)


def main() -> None:
    """Lint, type-check the pure core, then run the tests."""
    step("ruff", [str(VENV_BIN / "ruff"), "check", "."])
    step("mypy (protocols/, strict)", [str(VENV_BIN / "mypy")])
    step("pytest", [sys.executable, "-m", "pytest", *sys.argv[1:]])


if __name__ == "__main__":
    main()
