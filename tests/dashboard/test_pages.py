"""The pages: the landing page's catalogue and form, the session page's contract with app.js, 404s, Chinese."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.utils.html import escape

from dashboard import sessions
from dashboard.protocol_texts import ui_keys
from protocols import REGISTRY

pytestmark = pytest.mark.django_db(transaction=True)

LAB_ATTRIBUTES = {"data-session-id", "data-ws-url", "data-role-hint", "data-protocol", "data-owner", "data-lang"}


class Page(HTMLParser):
    """The parts of a page the tests look at: elements by id, script tags in order, inputs, links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.text_of: dict[str, str] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.stylesheets: list[str] = []
        self.html_lang = None
        self._open_id: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if "id" in attributes:
            self.by_id[attributes["id"]] = {"tag": tag, **attributes}
        if tag == "script":
            self.scripts.append(attributes)
            self._open_id = attributes.get("id")
            if self._open_id:
                self.text_of[self._open_id] = ""
        if tag in ("input", "select") and attributes.get("name"):
            self.inputs.setdefault(attributes["name"], attributes)
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])

    def handle_data(self, data):
        if self._open_id:
            self.text_of[self._open_id] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._open_id = None

    def json(self, element_id: str):
        assert self.by_id[element_id]["type"] == "application/json"
        return json.loads(self.text_of[element_id])


@pytest.fixture
def session():
    session, _ = sessions.create("two-phase-commit", {}, seed=5, scenario="vote-no-abort", owner="Ada <b>")
    return session


def chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


# ------------------------------------------------------------------ landing


def test_landing_shows_every_protocol_and_scenario(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for spec in REGISTRY.values():
        assert escape(spec.title) in html and escape(spec.summary) in html
        for scenario in spec.scenarios:
            assert f'data-scenario="{scenario.name}"' in html
            assert escape(scenario.description) in html
    assert "deterministic simulator" in html


def test_landing_form_has_an_input_per_parameter_with_its_bounds(client):
    page = Page(client.get("/").content.decode())
    spec = REGISTRY["two-phase-commit"]
    for param in spec.all_params():
        field = page.inputs[param.name]
        if param.min is not None:
            assert float(field["min"]) == param.min and float(field["max"]) == param.max
    assert page.inputs["variant"]["data-kind"] == "choice"
    assert page.inputs["fifo"]["type"] == "checkbox"
    assert {"protocol", "scenario", "seed", "owner"} <= set(page.inputs)
    catalogue = page.json("landing-catalogue")
    assert [entry["name"] for entry in catalogue] == list(REGISTRY)
    assert set(page.json("landing-i18n")) >= {"starting", "start_failed", "watch", "no_sessions"}
    assert page.scripts[-1] == {"type": "module", "src": "/static/js/landing.js"}
    assert "/static/css/landing.css" in page.stylesheets


def test_landing_in_chinese(client):
    html = chinese(client).get("/").content.decode()
    page = Page(html)
    assert page.html_lang == "zh-hans"
    assert "两阶段提交" in html and "启动会话" in html and "协议实验室" in html
    assert "Two-phase commit" not in html
    assert page.json("landing-catalogue")[0]["scenarios"][0]["description"].startswith("每个参与者")


def test_accept_language_chooses_chinese_without_a_query_parameter(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").content.decode()
    assert "两阶段提交" in html
    assert "Two-phase commit" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()


def test_the_language_switch_sets_the_cookie_and_returns_to_the_page(client):
    html = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in html and 'value="zh-hans"' in html
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/sessions/x/"})
    assert response.status_code == 302 and response["Location"] == "/sessions/x/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "两阶段提交" in client.get("/").content.decode()


def test_static_files_are_served_without_a_cdn(client):
    response = client.get("/static/js/landing.js")
    try:
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"//")
    finally:
        response.close()


# ------------------------------------------------------------------ session page


def test_session_page_keeps_the_contract_with_app_js(client, session):
    response = client.get(f"/sessions/{session.id}/")
    assert response.status_code == 200
    page = Page(response.content.decode())
    lab = page.by_id["lab"]
    assert lab["tag"] == "main" and set(lab) >= LAB_ATTRIBUTES  # The page's one main landmark (axe).
    assert lab["data-session-id"] == session.id
    assert lab["data-ws-url"] == f"ws://testserver/ws/sessions/{session.id}/"
    assert lab["data-role-hint"] in ("controller", "watcher")
    assert lab["data-protocol"] == "two-phase-commit"
    assert lab["data-owner"] == "Ada <b>"  # Unescaped by the parser: it was escaped in the page.
    assert lab["data-lang"] == "en"
    assert "Ada <b>" not in response.content.decode()
    strings = page.json("lab-i18n")
    assert set(strings) == set(ui_keys()) and all(isinstance(v, str) and v for v in strings.values())
    catalogue = page.json("lab-catalogue")
    assert catalogue["name"] == "two-phase-commit" and catalogue["title"] == "Two-phase commit"
    assert catalogue["finding_list_separator"] == ", "
    assert {"params", "scenarios", "invariants", "transitions", "caption_translations"} <= set(catalogue)
    english = [c.text for s in REGISTRY["two-phase-commit"].scenarios for c in s.captions]
    assert catalogue["caption_translations"] == {text: text for text in english}
    sources = [s.get("src") for s in page.scripts if s.get("src")]
    assert sources.index("/static/vendor/d3/d3.v7.min.js") < sources.index("/static/js/app.js")
    assert next(s for s in page.scripts if s.get("src") == "/static/js/app.js")["type"] == "module"
    assert "type" not in next(s for s in page.scripts if s.get("src") == "/static/vendor/d3/d3.v7.min.js")
    assert "/static/css/lab.css" in page.stylesheets


def test_session_page_over_https_uses_wss(client, session):
    page = Page(client.get(f"/sessions/{session.id}/", secure=True).content.decode())
    assert page.by_id["lab"]["data-ws-url"] == f"wss://testserver/ws/sessions/{session.id}/"


def test_session_page_never_shows_the_control_token(client):
    session, token = sessions.create("two-phase-commit", {}, seed=1)
    assert token not in client.get(f"/sessions/{session.id}/").content.decode()


def test_session_page_json_blocks_survive_hostile_text(client):
    session, _ = sessions.create("two-phase-commit", {}, seed=1, owner="</script><script>alert(1)</script>")
    html = client.get(f"/sessions/{session.id}/").content.decode()
    assert "<script>alert(1)" not in html
    assert Page(html).by_id["lab"]["data-owner"] == "</script><script>alert(1)</script>"


def test_session_page_in_chinese_translates_the_catalogue_and_captions(client, session):
    html = chinese(client).get(f"/sessions/{session.id}/").content.decode()
    page = Page(html)
    lab = page.by_id["lab"]
    assert lab["data-lang"] == "zh-hans" and page.html_lang == "zh-hans"
    catalogue = page.json("lab-catalogue")
    assert catalogue["title"] == "两阶段提交"
    assert catalogue["invariants"][0]["description"].startswith("不会有")
    translations = catalogue["caption_translations"]
    english = "A participant votes no: one no is enough to abort the whole transaction."
    assert translations[english].startswith("一个参与者投了反对票")
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in value) for value in translations.values())
    scenario = next(s for s in catalogue["scenarios"] if s["name"] == "vote-no-abort")
    assert scenario["captions"][0]["text"] == translations[english]
    strings = page.json("lab-i18n")  # Completeness is test_i18n's job; here: the page carries the Chinese.
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in v) for v in strings.values())
    assert "协议实验室" in html
    # The words a finding's data may hold (phases here): in Chinese, as the page labels each phase.
    words = catalogue["finding_words"]
    assert set(words) == set(REGISTRY["two-phase-commit"].finding_words())
    assert words["aborted"] == strings["phase.aborted"]
    assert catalogue["finding_list_separator"] == "、"  # "p2、p3", not "p2, p3", in a Chinese finding.
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in value) for value in words.values())


def test_every_word_a_finding_may_hold_has_its_chinese(client):
    # Words that are not phases (a saga's end, TCC's actions, a breaker's state) are translated in their own
    # context, "finding value"; a phase reads as the page's label. A breaker's "open" is not the phase "open".
    for name in ("saga-orchestrated", "tcc", "service-invocation"):
        session, _ = sessions.create(name, {}, seed=1)
        page = Page(chinese(client).get(f"/sessions/{session.id}/").content.decode())
        catalogue = page.json("lab-catalogue")
        words = catalogue["finding_words"]
        assert set(words) == set(REGISTRY[name].finding_words()) and words, name
        assert catalogue["finding_word_fields"] == REGISTRY[name].finding_word_fields()
        english = [word for word, said in words.items() if not any("\u4e00" <= ch <= "\u9fff" for ch in said)]
        assert english == [], (name, english)
        if name == "service-invocation":
            assert (words["open"], words["half-open"]) == ("断开", "半开")


def test_unknown_session_is_a_404_page(client):
    response = client.get("/sessions/no-such-id/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No such session" in html and "no-such-id" in html and 'href="/"' in html
    assert "没有这个会话" in chinese(client).get("/sessions/no-such-id/").content.decode()


def test_unknown_address_uses_the_same_404_page(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
