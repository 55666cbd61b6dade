"""Ways to print a trace: JSON, a readable transcript, ShiViz, Mermaid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.sim.trace import dumps

FORMATS = ("json", "text", "shiviz", "mermaid")


def render(trace: Mapping[str, Any], fmt: str) -> str:
    """Return the trace in one of FORMATS."""
    if fmt == "json":
        return dumps(trace)
    if fmt == "text":
        return "\n".join(f"{e['seq']:>5} {e['time']:>6}ms {e['kind']:<10} {e.get('node', '')}"
                         for e in trace["events"]) + "\n"
    raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
