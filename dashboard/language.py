"""The reader's language at the edge: Django's translations behind the protocols' ``Language``.

protocols/sim/words.py says every word of the command line's tables and of the
exports through a ``Language``; this module builds one from the zh_Hans
catalogue (locale/), the same catalogue the pages use: its words, the page's
labels (static/js/i18n-keys.json, each with its gettext context when it has one)
and the summary figures' labels. English is ``ENGLISH``, the protocols' own words.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, pgettext, pgettext_lazy

from dashboard.protocol_texts import ui_contexts, ui_keys
from protocols.figures import labels as figure_labels
from protocols.sim.words import ENGLISH, Language

LANGUAGES = ("en", "zh-hans")
"""What ``--lang`` and an export's ``?lang=`` offer: the lab's two languages."""

LIST_SEPARATOR = pgettext_lazy("finding list", ", ")
"""Marked for makemessages: ``Language.list_separator`` looks it up (Chinese: 、)."""


def ui_strings() -> dict[str, str]:
    """Return the browser's UI strings (static/js/i18n-keys.json) in the active language.

    A key whose English word means more than one thing ("closed": a breaker's state, a question's)
    is looked up in its context (the keys file's ``_contexts``), so each meaning has its translation.
    """
    contexts = ui_contexts()
    return {key: pgettext(contexts[key], english) if key in contexts else gettext(english)
            for key, english in ui_keys().items()}


def language(code: str) -> Language:
    """Return the ``Language`` of ``code`` (one of LANGUAGES) for protocols/sim's tables and exports."""
    if code not in LANGUAGES:
        raise ValueError(f"language {code!r} is not one of {', '.join(LANGUAGES)}")
    if code == "en":
        return ENGLISH

    def translate(text: str) -> str:
        with translation.override(code):
            return gettext(text)

    def translate_in(context: str, text: str) -> str:
        with translation.override(code):
            return pgettext(context, text)

    with translation.override(code):
        labels = ui_strings()
        labels.update({f"figure.{name}": gettext(text) for name, text in figure_labels().items()})
    return Language(code=code, translate=translate, translate_in=translate_in, labels=labels)
