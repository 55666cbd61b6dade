"""Shared test helpers: the trace schema check and a way to run manage.py for real."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

try:
    import jsonschema_rs
except ImportError:  # requirements-dev.txt brings it (schemathesis needs it); without it, only the slow check.
    jsonschema_rs = None

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "docs" / "trace.schema.json"

MANAGE_TIMEOUT_S = 60
"""A headless run takes well under a second; a minute means something hangs."""


@functools.cache
def trace_validator() -> Draft202012Validator:
    """Return the validator for docs/trace.schema.json, loaded and checked once."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@functools.cache
def fast_trace_validator() -> Any | None:
    """Return jsonschema-rs's validator for docs/trace.schema.json, or None where it is not installed."""
    if jsonschema_rs is None:
        return None
    return jsonschema_rs.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def trace_errors(trace: Any) -> list[str]:
    """Return every schema error of a trace as 'path: message', best first.

    jsonschema-rs answers first: some 250 times faster (a millisecond for a 1,500-event trace, against a
    second of CPU, most of the time of many protocol tests). A trace it refuses is judged again by
    jsonschema, the reference, whose words the errors are; test_trace_schema checks that both refuse every
    hand-broken trace, so the fast answer never lets through what the reference would refuse there.
    """
    fast = fast_trace_validator()
    if fast is not None and fast.is_valid(trace):
        return []
    validator = trace_validator()
    errors = list(validator.iter_errors(trace))
    if not errors:
        return []
    first = best_match(errors)
    ordered = [first] + [e for e in errors if e is not first]
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in ordered]


def assert_valid_trace(trace: Mapping[str, Any]) -> None:
    """Fail with the schema's own words unless ``trace`` matches docs/trace.schema.json."""
    # Round-trip through JSON first: the schema describes the file, not Python objects (tuples).
    errors = trace_errors(json.loads(json.dumps(trace)))
    assert not errors, "trace does not match docs/trace.schema.json:\n  " + "\n  ".join(errors[:10])


def python() -> str:
    """Return the project virtualenv's interpreter, or this one if there is no .venv."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run_manage(*args: str, timeout: float = MANAGE_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run ``python manage.py ARGS...`` from the project root; capture text output, never raise on status."""
    return subprocess.run(
        [python(), "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def words(finding: Any) -> str:
    """Return a finding (a ``Finding`` or a violation event) in English, as the command line writes it."""
    from protocols import REGISTRY
    from protocols.findings import render

    data = finding.as_dict() if hasattr(finding, "as_dict") else finding["finding"]
    # One id has one template in every protocol (tests/dashboard/test_findings.py keeps it so).
    return render({fid: text for spec in REGISTRY.values() for fid, text in spec.findings().items()}, data)
