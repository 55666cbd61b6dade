"""Helpers that start the real lab (Celery workers and Daphne on this run's own Redis prefix).

The fixtures built on them live in tests/conftest.py, defined once: a fixture defined in
two conftest files is two fixtures, and two session-scoped stacks on one prefix would
steal each other's tasks.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dashboard.stack import Stack, free_port


def live_database(var: Path, suffix: str) -> str:
    """Return the database URL for a live stack: its own SQLite file, or its own PostgreSQL database.

    On PostgreSQL (DATABASE_URL names one) a fresh database is created for the stack and
    dropped when the test run ends; the stack's processes migrate it themselves.
    """
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{var / 'lab.sqlite3'}"
    import atexit

    import psycopg

    base, _, _ = given.rpartition("/")
    name = f"protolab_live_{suffix}_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return f"{base}/{name}"


def make_stack(var: Path, redis_url: str, suffix: str, workers: int = 2) -> Stack:
    """Return (not started) a stack with its own prefix, database and logs under ``var``."""
    env = {
        "PROTOLAB_PREFIX": f"{os.environ['PROTOLAB_PREFIX']}-{suffix}",
        "PROTOLAB_VAR_DIR": str(var),
        "PROTOLAB_RUNNER": "celery",
        "DATABASE_URL": live_database(var, suffix),
    }
    return Stack(redis_url=redis_url, port=free_port(), workers=workers, env=env, log_dir=var / "log")


class Http:
    """JSON over HTTP to a stack."""

    def __init__(self, stack: Stack) -> None:
        self.base = f"http://127.0.0.1:{stack.port}"
        self.origin = self.base

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def create(self, **body: Any) -> dict[str, Any]:
        status, data = self.call("POST", "/api/sessions", body)
        assert status == 201, data
        data["ws"] = data["ws"].replace("localhost", "127.0.0.1")
        return data

    def trace(self, session_id: str) -> dict[str, Any]:
        status, data = self.call("GET", f"/api/sessions/{session_id}/trace")
        assert status == 200, data
        return data
