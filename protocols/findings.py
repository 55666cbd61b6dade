"""Findings rendered in words: a template, filled from a finding's data, in the reader's language.

A violation event carries its finding as data (``{"id": ..., "data": {...}}``);
the words are the invariant's template (``Invariant.findings``), English, with
``{field}`` blanks. Whoever shows a finding fills the template of its language:
the command line here (English, or a translation looked up by the caller), the
browser in ``static/js/findings.js`` by the same rule (a list is written with
", " between its items, a number as the compare table writes a figure; a blank
with no field stays as written, which the tests forbid). Nothing here knows a language: ``translate`` maps an English
template to another language's (Django's gettext at the edge), and ``words`` the values that are words
(``Invariant.words``: an outcome, a phase) to theirs; any other value is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

BLANK = re.compile(r"\{(\w+)\}")
"""A blank in a template: ``{name}``, filled from the finding's data."""


def blanks(template: str) -> set[str]:
    """Return the names of a template's blanks."""
    return set(BLANK.findall(template))


def show(value: Any, words: Mapping[str, str] | None = None) -> str:
    """Write one datum as a template shows it: a list with ", " between its items, a number as a figure.

    A number is written as the compare table writes a figure (``format_value``: a whole float as an
    int, others to three significant digits), which the browser's ``formatValue`` matches. A text
    that ``words`` holds is written as it says (a word in the reader's language).
    """
    if isinstance(value, list | tuple):
        return ", ".join(show(v, words) for v in value)
    if isinstance(value, float):
        from protocols.sim.compare import format_value  # Here: the engine imports this module.

        return format_value(value)
    if words and isinstance(value, str):
        return words.get(value, value)
    return str(value)


def fill(template: str, data: Mapping[str, Any], words: Mapping[str, str] | None = None) -> str:
    """Fill a template's blanks from ``data``; a blank without a datum stays as written."""
    return BLANK.sub(lambda m: show(data[m.group(1)], words) if m.group(1) in data else m.group(0), template)


def render(templates: Mapping[str, str], finding: Mapping[str, Any],
           translate: Callable[[str], str] | None = None, words: Mapping[str, str] | None = None) -> str:
    """Return a finding (``{"id", "data"}``) in words: its template, translated if asked, filled (its word
    values as ``words`` gives them)."""
    template = templates.get(finding["id"])
    if template is None:
        return str(finding["id"])  # A finding of another version of the protocol: its id is all we can say.
    return fill(translate(template) if translate else template, finding.get("data", {}), words)


def violation_text(templates: Mapping[str, str], event: Mapping[str, Any],
                   translate: Callable[[str], str] | None = None, words: Mapping[str, str] | None = None) -> str:
    """Return what a violation event says went wrong, in words."""
    return render(templates, event["finding"], translate, words)
