"""Findings rendered in words: a template, filled from a finding's data, in the reader's language.

A violation event carries its finding as data (``{"id": ..., "data": {...}}``);
the words are the invariant's template (``Invariant.findings``), English, with
``{field}`` blanks. Whoever shows a finding fills the template of its language:
the command line here (English, or a translation looked up by the caller), the
browser in ``static/js/findings.js`` by the same rule (a list is written with
", " between its items, a number as the compare table writes a figure; a blank
with no field stays as written, which the tests forbid). Nothing here knows a language: ``translate`` maps an English
template to another language's (Django's gettext at the edge), and ``words`` the values of the fields a
protocol says hold words (``Invariant.word_fields``: an outcome, a phase) to theirs; any other value is
shown as recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

BLANK = re.compile(r"\{(\w+)\}")
"""A blank in a template: ``{name}``, filled from the finding's data."""


def blanks(template: str) -> set[str]:
    """Return the names of a template's blanks."""
    return set(BLANK.findall(template))


LIST_SEPARATOR = ", "
"""What stands between a list's items in English; another language says its own (Chinese: 、)."""


def show(value: Any, separator: str = LIST_SEPARATOR) -> str:
    """Write one datum as a template shows it: a list with ``separator`` between its items, a number as a figure.

    A number is written as the compare table writes a figure (``format_value``: a whole float as an
    int, others to three significant digits), which the browser's ``formatValue`` matches.
    """
    if isinstance(value, list | tuple):
        return separator.join(show(v, separator) for v in value)
    if isinstance(value, float):
        from protocols.sim.compare import format_value  # Here: the engine imports this module.

        return format_value(value)
    return str(value)


def said(value: Any, words: Mapping[str, str]) -> Any:
    """Return a word field's value in the reader's words (``words``: English -> theirs); a list item by item."""
    if isinstance(value, list | tuple):
        return [said(v, words) for v in value]
    return words.get(value, value) if isinstance(value, str) else value


def fill(template: str, data: Mapping[str, Any], separator: str = LIST_SEPARATOR) -> str:
    """Fill a template's blanks from ``data``; a blank without a datum stays as written."""
    return BLANK.sub(lambda m: show(data[m.group(1)], separator) if m.group(1) in data else m.group(0), template)


def render(templates: Mapping[str, str], finding: Mapping[str, Any],
           translate: Callable[[str], str] | None = None, words: Mapping[str, str] | None = None,
           word_fields: Mapping[str, Sequence[str]] | None = None, separator: str = LIST_SEPARATOR) -> str:
    """Return a finding (``{"id", "data"}``) in words: its template, translated if asked, filled.

    The fields ``word_fields`` names for its id hold words (a phase, an outcome), said as ``words`` says
    them; every other datum is shown as recorded; a list's items stand apart by ``separator``.
    """
    template = templates.get(finding["id"])
    if template is None:
        return str(finding["id"])  # A finding of another version of the protocol: its id is all we can say.
    data = finding.get("data", {})
    if words and word_fields and finding["id"] in word_fields:
        data = {**data, **{name: said(data[name], words) for name in word_fields[finding["id"]] if name in data}}
    return fill(translate(template) if translate else template, data, separator)


def violation_text(templates: Mapping[str, str], event: Mapping[str, Any],
                   translate: Callable[[str], str] | None = None, words: Mapping[str, str] | None = None,
                   word_fields: Mapping[str, Sequence[str]] | None = None, separator: str = LIST_SEPARATOR) -> str:
    """Return what a violation event says went wrong, in words."""
    return render(templates, event["finding"], translate, words, word_fields, separator)
