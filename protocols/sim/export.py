"""Ways to print a trace: JSON, a readable transcript, ShiViz, Mermaid.

Every format is a pure function of the trace (with its protocol's spec and the
reader's language), so a saved trace file renders exactly as the run that
produced it. JSON is the canonical form (the one ``--replay`` reads back); the
others are for people and for other tools, in English or in the reader's
language (protocols/sim/words.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from protocols.sim.export_mermaid import render_mermaid
from protocols.sim.export_shiviz import render_shiviz
from protocols.sim.export_text import render_text
from protocols.sim.trace import dumps
from protocols.sim.words import ENGLISH, Language
from protocols.spec import ProtocolSpec

Renderer = Callable[[Mapping[str, Any], ProtocolSpec | None, Language], str]

RENDERERS: dict[str, Renderer] = {
    "json": lambda trace, spec, lang: dumps(trace),  # The canonical form: data, in no language.
    "text": render_text,
    "shiviz": render_shiviz,
    "mermaid": render_mermaid,
}

FORMATS = tuple(RENDERERS)


def render(trace: Mapping[str, Any], fmt: str, spec: ProtocolSpec | None = None, lang: Language = ENGLISH) -> str:
    """Return the trace in one of FORMATS, its words in ``lang``.

    ``spec`` is the trace's protocol (the caller looks it up: nothing under protocols/sim/ imports the
    registry); it gives the title, the parameters' defaults and the findings' templates.
    """
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return renderer(trace, spec, lang)
