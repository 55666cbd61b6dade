"""Ways to print a trace: JSON, a readable transcript, ShiViz, Mermaid.

Every format is a pure function of the trace, so a saved trace file renders
exactly as the run that produced it. JSON is the canonical form (the one
``--replay`` reads back); the others are for people and for other tools.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from protocols.sim.export_mermaid import render_mermaid
from protocols.sim.export_shiviz import render_shiviz
from protocols.sim.export_text import render_text
from protocols.sim.trace import dumps

RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "json": dumps,
    "text": render_text,
    "shiviz": render_shiviz,
    "mermaid": render_mermaid,
}

FORMATS = tuple(RENDERERS)


def render(trace: Mapping[str, Any], fmt: str) -> str:
    """Return the trace in one of FORMATS."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return renderer(trace)
