"""The reader's language for the command line's tables and the exports: the words around a protocol's texts.

protocols/ speaks English and knows nothing of Django. A table or an export
takes a :class:`Language` and writes every word through it: ``gettext`` (and
``pgettext`` for a word that means more than one thing, such as "closed") with
the English text written at the call, so ``makemessages`` extracts each text
from the one place that uses it (a text kept in a table of constants is marked
with :func:`gettext_noop`). ``label`` looks a word up among the page's own
labels (static/js/i18n-keys.json: ``phase.<phase>``, ``role.<role>``), so a
phase reads the same in a download as on the page.

:data:`ENGLISH` changes nothing: the English output is what it always was.
Another language is built at the edge (dashboard/language.py) from Django's
translations; tests/cli/test_languages.py renders every table and export in
both languages and finds no English word left in the Chinese.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from protocols.findings import LIST_SEPARATOR, fill


def gettext_noop(text: str) -> str:
    """Mark ``text`` for translation where it is kept, not said (a table of words); return it unchanged."""
    return text


def _same(text: str) -> str:
    return text


def _same_in(context: str, text: str) -> str:
    return text


@dataclass(frozen=True, kw_only=True)
class Language:
    """One language's words: ``translate`` and ``translate_in`` (with a context) map English to it."""

    code: str = "en"
    translate: Callable[[str], str] = _same
    translate_in: Callable[[str, str], str] = _same_in
    labels: Mapping[str, str] = field(default_factory=dict)
    """The page's labels in this language, by key (``phase.prepared`` -> "已准备"); empty in English."""

    def gettext(self, text: str, /, **data: Any) -> str:
        """Return ``text`` in this language with its ``{name}`` blanks filled from ``data``."""
        return fill(self.translate(text), data) if data else self.translate(text)

    def pgettext(self, context: str, text: str, /, **data: Any) -> str:
        """Return ``text``, as meant in ``context``, in this language, its blanks filled from ``data``."""
        said = self.translate_in(context, text)
        return fill(said, data) if data else said

    def finding_words(self, words: Iterable[str], declared: Iterable[str] = ()) -> dict[str, str]:
        """Return the words a protocol's findings hold as data (``ProtocolSpec.finding_words``) in this language:
        a phase as the page's label says it (``phase.<word>``); a word an invariant declares
        (``ProtocolSpec.declared_finding_words``), or a phase without a label, in the context "finding value"."""
        declared = set(declared)
        return {word: (self.label(f"phase.{word}", "") if word not in declared else "")
                or self.translate_in("finding value", word) for word in words}

    def list_separator(self) -> str:
        """Return what stands between a list's items in a finding, in this language (", " in English)."""
        return self.translate_in("finding list", LIST_SEPARATOR)

    def label(self, key: str, default: str) -> str:
        """Return the page's label ``key`` in this language, or ``default`` (always, in English)."""
        return self.labels.get(key, default)

    def phase(self, value: Any, default: str) -> str:
        """Return a phase as the page names it in this language, or ``default`` (always, in English)."""
        return self.label(f"phase.{value}", default) if isinstance(value, str) else default


def width(text: str) -> int:
    """Return how many terminal columns ``text`` takes: two for a wide (CJK) character, one for others."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """Return ``text`` padded with spaces to ``columns`` terminal columns (``str.ljust`` for narrow text)."""
    return text + " " * max(0, columns - width(text))


ENGLISH = Language()
"""The protocols' own language: every word as written."""
