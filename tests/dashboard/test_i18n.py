"""The Chinese translation is complete, consistent with its sources, and compiled.

CI has no gettext tools, so nothing here runs msgfmt or xgettext: the .po is
parsed in Python, the committed .mo is read with Python's gettext module and
must hold exactly the .po's translations, and the strings the sources mark
for translation are found the way makemessages finds them (Django's
templatize for templates, the AST for Python).
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

from dashboard import protocol_texts

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
DASHBOARD = Path(settings.BASE_DIR) / "dashboard"

CJK = re.compile(r"[\u3400-\u9fff]|^、$")
"""A Chinese translation holds a Chinese character, or is the Chinese list comma alone (a list's separator)."""
PERCENT = re.compile(r"%\((\w+)\)[sd]")
BRACES = re.compile(r"\{(\w+)\}")
LITERAL = r"""(u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")"""
GETTEXT_CALL = re.compile(rf"\b(p?gettext)\({LITERAL}(?:, {LITERAL})?\)")
"""A gettext call in templatize's output: gettext('msgid') or pgettext('context', 'msgid')."""
GETTEXT_NAMES = {"gettext", "gettext_lazy", "gettext_noop", "_", "pgettext", "pgettext_lazy"}


def parse_po(text: str) -> list[dict]:
    """Return the .po's entries (header included, obsolete ones left out): ctx, id, str, flags."""
    entries, entry, field = [], None, None
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if entry is not None and field is not None:  # Obsolete (#~) entries have no live msgid.
                entries.append(entry)
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        entry = entry or {"ctx": None, "id": "", "str": "", "flags": set()}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgctxt ", "msgid ", "msgstr ")):
            keyword, _, literal = line.partition(" ")
            field = {"msgctxt": "ctx", "msgid": "id", "msgstr": "str"}[keyword]
            entry[field] = ast.literal_eval(literal)
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            raise AssertionError(f"unexpected .po line (plural forms are not used here): {line!r}")
    return entries


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def translations(entries) -> dict[tuple[str | None, str], str]:
    return {(e["ctx"], e["id"]): e["str"] for e in entries if e["id"]}


def template_strings() -> set[tuple[str | None, str]]:
    """Return (context, msgid) of every string the templates mark, as makemessages sees them."""
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        for name, first, second in GETTEXT_CALL.findall(templatize(path.read_text(encoding="utf-8"))):
            first = ast.literal_eval(first.lstrip("u"))
            if name == "pgettext":
                found.add((first, ast.literal_eval(second.lstrip("u"))))
            else:
                found.add((None, first))
    return found


def python_strings() -> set[tuple[str | None, str]]:
    """Return (context, msgid) of every literal passed to a gettext function in dashboard/."""
    found = set()
    for path in DASHBOARD.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name in GETTEXT_NAMES and literals:
                found.add((literals[0], literals[1]) if name.startswith("pgettext") else (None, literals[0]))
    return found


def test_the_header_names_the_language_and_is_not_fuzzy(entries):
    header = entries[0]
    assert header["id"] == "" and "fuzzy" not in header["flags"]
    assert "Language: zh_Hans" in header["str"] and "charset=UTF-8" in header["str"]


def test_every_entry_is_translated_into_chinese(entries):
    untranslated = [e["id"] for e in entries[1:] if not e["str"] or "fuzzy" in e["flags"]]
    assert not untranslated, f"translate these (and drop their fuzzy flags): {untranslated}"
    not_chinese = [e["id"] for e in entries[1:] if not CJK.search(e["str"])]
    assert not not_chinese


def test_translations_keep_their_placeholders(entries):
    for e in entries[1:]:
        assert sorted(PERCENT.findall(e["str"])) == sorted(PERCENT.findall(e["id"])), e["id"]
        assert sorted(BRACES.findall(e["str"])) == sorted(BRACES.findall(e["id"])), e["id"]


def test_the_compiled_mo_holds_exactly_the_po(translations):
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}
    expected = {(f"{ctx}\x04{msgid}" if ctx else msgid): text for (ctx, msgid), text in translations.items()}
    assert catalog == expected, "the .mo is stale: run manage.py compilemessages -l zh_Hans --ignore=.venv"


def test_every_template_string_is_in_the_po(translations):
    found = template_strings()
    assert {(None, "Protocol Lab"), (None, "Start a session")} <= found  # The extraction itself works.
    missing = found - set(translations)
    assert not missing, f"run makemessages and translate: {sorted(missing, key=str)}"


def test_every_dashboard_string_is_in_the_po(translations):
    found = python_strings()
    assert ("session status", "live") in found
    missing = found - set(translations)
    assert not missing, f"run makemessages and translate: {sorted(missing, key=str)}"


def test_the_extraction_lists_match_the_registry_and_the_keys_file():
    assert list(protocol_texts.PROTOCOL_TEXTS) == protocol_texts.registry_texts(), (
        "protocol texts changed: run python -m dashboard.protocol_texts --write, then makemessages")
    source = Path(protocol_texts.__file__).read_text(encoding="utf-8")
    assert source[source.rindex(protocol_texts.BEGIN):] == protocol_texts.render_generated(), (
        "static/js/i18n-keys.json changed: run python -m dashboard.protocol_texts --write, then makemessages")


def test_every_protocol_and_ui_text_has_a_translation(translations):
    texts = [(None, text) for text in protocol_texts.registry_texts()] + protocol_texts.ui_texts()
    missing = [text for text in texts if not translations.get(text)]
    assert not missing


def test_a_word_of_two_meanings_has_a_translation_for_each():
    """ "closed" is a breaker's state and a question's: each its own context, each its own Chinese."""
    contexts = protocol_texts.ui_contexts()
    assert contexts["services.breakers.closed"] != contexts["question.state.closed"]
    keys = protocol_texts.ui_keys()
    assert keys["services.breakers.closed"] == keys["question.state.closed"] == "closed"
    from django.utils import translation

    from dashboard.language import ui_strings

    with translation.override("zh-hans"):
        strings = ui_strings()
    assert strings["services.breakers.closed"] == "闭合" and strings["question.state.closed"] == "已截止"
    assert strings["follow.close"] != strings["question.close"]
    assert all(key in keys for key in contexts), "a context for a key the keys file does not have"
