"""docs/trace.schema.json, read once, for what the lab checks against it at run time.

A user's fault plan is checked against the schema's ``fault`` after the engine
has accepted it: the engine alone took plans the schema refuses (``offset_ms:
true``, a ``groups`` of nulls on a crash), and the trace of such a session did
not match the schema it is documented by (found by the API's fuzz test).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

PATH = Path(__file__).resolve().parent.parent / "docs" / "trace.schema.json"


@cache
def schema() -> dict[str, Any]:
    """Return the trace schema."""
    loaded: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def _fault_validator() -> Draft202012Validator:
    return Draft202012Validator({"$ref": "#/$defs/fault", "$defs": schema()["$defs"]})


def fault_problem(fault: Any) -> str | None:
    """Return what is wrong with one fault by the trace schema, or None."""
    error = best_match(_fault_validator().iter_errors(fault))
    if error is None:
        return None
    where = "".join(f"[{p!r}]" for p in error.absolute_path)
    return f"{where} {error.message}".strip()
