"""Run the whole suite the way CI does.

Steps, each of which fails the run: lint (ruff), type check (mypy strict on
protocols/), pytest on SQLite (everything: pure, Django, live stack, browser),
the front end's own tests with Node's runner, and, where a PostgreSQL server
answers, the Django tests that use the database and the live tests again on
PostgreSQL. A pytest run that collects no test fails too (pytest's exit status
5 is not success).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PURE = ("tests/protocols", "tests/sim")
"""Test folders that touch no server: safe to spread over processes."""

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/protolab_ci"
"""The CI machine's PostgreSQL (trust auth); pytest-django creates and drops test_protolab_ci."""


def step(title: str, argv: list[str], env: dict[str, str] | None = None) -> None:
    """Run one step; stop the whole run with its status if it fails."""
    print(f"\n=== {title}: {' '.join(argv)}", flush=True)
    status = subprocess.call(argv, cwd=ROOT, env={**os.environ, **(env or {})})
    if status != 0:
        print(f"=== {title} failed with status {status}", flush=True)
        sys.exit(status or 1)


def postgres_url() -> str | None:
    """Return a PostgreSQL URL to test against, if DATABASE_URL names one or the local server answers."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        return given
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2):
            return POSTGRES_URL
    except Exception:  # No server, no role, no driver: the SQLite run is the whole run.
        return None


def main() -> None:
    """Lint, type-check, then run every test suite."""
    pytest_args = sys.argv[1:]
    step("ruff", [str(VENV_BIN / "ruff"), "check", "."])
    step("mypy (protocols/, strict)", [str(VENV_BIN / "mypy")])
    sqlite = {"DATABASE_URL": ""}  # Settings fall back to SQLite in the test var dir.
    # The pure tests (protocols, engine, checker, explorer: about 2,000, CPU-bound, no server) run in
    # parallel on every core; the rest start servers of their own and run one at a time.
    step("pytest (pure, in parallel)", [sys.executable, "-m", "pytest", "-n", "auto",
                                        *PURE, *pytest_args], sqlite)
    step("pytest (SQLite: web, live stack, browser)",
         [sys.executable, "-m", "pytest", *(f"--ignore={path}" for path in PURE), *pytest_args], sqlite)
    if (ROOT / "package.json").exists():
        node = shutil.which("node")
        if node is None:
            print("=== node is missing: make test installs it (apt nodejs)", flush=True)
            sys.exit(1)
        step("node --test (front-end modules)", [node, "--test", "static/js/tests/"])
    url = postgres_url()
    if url:
        # Only what reaches the database: tests pytest-django lets at it (the others could not touch it, it
        # refuses them) and the live stack's, whose servers use it. The 95 others (findings, i18n, the hub,
        # the lesson library, generated files) would run the same code on either database.
        step("pytest (PostgreSQL)", [sys.executable, "-m", "pytest", "-m", "(django_db or live) and not browser",
                                     "tests/dashboard", "tests/live/test_live_session.py",
                                     "tests/live/test_two_hosts.py", *pytest_args],
             {"DATABASE_URL": url})
    else:
        print("\n=== no PostgreSQL answers: the SQLite run stands alone", flush=True)


if __name__ == "__main__":
    main()
