"""The OpenAPI document at /api/schema describes every /api/ route, and Schemathesis fuzzes every operation.

The fuzz runs in process: Schemathesis loads the document from the lab's own
WSGI application and sends each case to it (no socket). Each operation gets a
few positive and negative cases (FUZZ_EXAMPLES), derandomized so a run is
repeatable; its checks: no 5xx, statuses, content types and bodies as
documented, and bodies that break the schema refused. Path parameters, control
and lesson tokens are now and then swapped for those of a real session, lesson
and finished search made for the test, so cases reach past the 404s and 403s.

``POST /api/sessions/<id>/explore`` is fuzzed too, but its search process is
stubbed: the job is recorded (slots and limits as usual) and then at once
marked failed, so no process starts and no slot stays taken.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import URLPattern, get_resolver
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.config import SchemathesisConfig

from dashboard import controller, explore_jobs, lessons, openapi, questions, sessions
from dashboard.runners import InProcessRunner
from protocols import get_protocol
from protocols.sim.explorer import explore, params_of_run

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ_EXAMPLES = int(os.environ.get("PROTOLAB_FUZZ_EXAMPLES", "6"))
"""Cases per operation: the 21 operations take seconds; raise it by hand (PROTOLAB_FUZZ_EXAMPLES=80) to dig deeper."""

BROKEN = {"participants": 3, "variant": "majority-commit"}
"""A coordinator the explorer catches at once: its search has counterexamples to open."""

KNOWN: dict[str, str] = {}
"""Ids and tokens of the real session, lesson and search of the current test (filled by the `known` fixture)."""

CONFIG = SchemathesisConfig.from_dict({
    "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "allow-x00": True},
    # The coverage phase alone sends dozens of boundary cases per operation; the fuzzing phase is the bound.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    # A schema cannot say which scenarios a protocol has or where a session's log ends: valid-looking
    # bodies get 400s that are right. Bodies that break the schema must still be refused.
    "checks": {"positive_data_acceptance": {"enabled": False}},
})
APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema", APP, config=CONFIG)


def sometimes(value: Any, known: str) -> st.SearchStrategy[Any]:
    """Draw the generated value or, if the test made one, the real id or token."""
    return st.sampled_from([value, KNOWN[known]]) if known in KNOWN else st.just(value)


PATH_KNOWN = {"session_id": "session", "slug": "slug", "job": "job"}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    names = [n for n in path_parameters or {} if n in PATH_KNOWN]
    if not names:
        return st.just(path_parameters)
    assert path_parameters is not None
    return st.tuples(*(sometimes(path_parameters[n], PATH_KNOWN[n]) for n in names)).map(
        lambda drawn: {**path_parameters, **dict(zip(names, drawn, strict=True))})


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    if isinstance(body, dict) and isinstance(body.get("control_token"), str):
        return sometimes(body["control_token"], "token").map(lambda token: {**body, "control_token": token})
    return st.just(body)


@schema.hook
def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    for name, known in (("X-Control-Token", "token"), ("X-Lesson-Token", "lesson_token")):
        if headers and isinstance(headers.get(name), str):
            return sometimes(headers[name], known).map(lambda value, name=name: {**headers, name: value})
    return st.just(headers)


def stub_spawn(job: str) -> None:
    """Stand in for the search process: record the job as failed at once (no process, the slot freed)."""
    record = explore_jobs._load(job)
    assert record is not None
    explore_jobs._finish({**record, "status": "failed", "error": "stubbed by the fuzz test"})


@pytest.fixture
def known(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make a played session, a lesson of it and a finished search of a broken protocol; publish their ids."""
    session, token = sessions.create("two-phase-commit", BROKEN, seed=2, owner="Ada")
    for _ in range(3):
        controller.submit(session.id, {"cmd": "step"}, InProcessRunner())
    questions.ask(session, {"kind": "free", "prompt": "Who decides?", "options": ["coordinator", "anyone"],
                            "answer": 0})
    lesson, lesson_token = lessons.save_from_session(session, "Fuzzed")
    spec = get_protocol("two-phase-commit")  # A small search in this process: counterexamples to open.
    report = explore(spec, params_of_run(spec, session.params), seed=2, max_states=300)
    job = f"fuzz-{secrets.token_hex(6)}"
    explore_jobs._finish({"job": job, "status": "done", "report": report.to_json()})
    monkeypatch.setattr(explore_jobs, "_spawn", stub_spawn)
    KNOWN.update(session=session.id, token=token, slug=lesson.slug, lesson_token=lesson_token, job=job)
    yield KNOWN
    KNOWN.clear()
    assert not explore_jobs._children, "the fuzz started a search process"


# ------------------------------------------------------------------ the document


def api_routes() -> set[str]:
    """Return every route under api/ in dashboard/urls.py, as an OpenAPI path."""
    return {openapi.openapi_path(str(p.pattern))[0] for p in get_resolver().url_patterns
            if isinstance(p, URLPattern) and str(p.pattern).startswith("api/")}


def test_every_api_route_is_in_the_document_and_nothing_else(client):
    served = client.get("/api/schema")
    assert served.status_code == 200 and served["Content-Type"] == "application/json"
    document = served.json()
    assert document == json.loads(json.dumps(openapi.document()))
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == api_routes()
    assert "/api/sessions/{session_id}/explore" in document["paths"]  # The routes were read, not an empty set.
    for path, item in document["paths"].items():
        operations = {m: o for m, o in item.items() if m != "parameters"}
        assert operations, path
        for method, operation in operations.items():
            assert operation["responses"], (method, path)


def test_every_schema_in_it_is_valid_json_schema_and_every_body_is_closed():
    document = openapi.document()
    for name, part in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(part), name
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            if "$ref" in body:
                body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            assert body["additionalProperties"] is False, (method, path)


def test_the_error_body_is_the_one_every_error_has(client):
    error = openapi.document()["components"]["schemas"]["Error"]
    reply = client.get("/api/sessions/nope")
    assert reply.status_code == 404
    Draft202012Validator(error).validate(reply.json())


def documented(path: str, method: str, status: int) -> Draft202012Validator:
    """Return a validator for an operation's documented JSON answer (its $refs resolved in the document)."""
    document = openapi.document()
    answer = document["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


def test_real_objects_answer_as_documented(client, known):
    """Not left to chance: each GET of a real session, lesson and finished search matches its schema."""
    readers = ["/api/protocols", "/api/sessions", "/api/sessions/{session_id}", "/api/sessions/{session_id}/trace",
               "/api/sessions/{session_id}/summary", "/api/explore/{job}", "/api/lessons/{slug}",
               "/api/lessons/{slug}/export", "/api/sessions/{session_id}/export/{fmt}"]
    headers = {"HTTP_X_CONTROL_TOKEN": known["token"], "HTTP_X_LESSON_TOKEN": known["lesson_token"]}
    readers += ["/api/sessions/{session_id}/questions", "/api/lessons/{slug}/results"]
    for path in readers:
        url = path.format(session_id=known["session"], slug=known["slug"], job=known["job"], fmt="json")
        reply = client.get(url, **headers)
        assert reply.status_code == 200, (url, reply.content[:200])
        documented(path, "get", 200).validate(json.loads(reply.content))
    assert client.get(f"/api/explore/{known['job']}").json()["report"]["counterexamples"]
    answer = f"/api/lessons/{known['slug']}/answers"
    for status in (200, 409):  # Answered, then answered again (the first answer stands).
        reply = client.post(answer, {"question": 0, "choice": 1, "voter": "v1"}, content_type="application/json")
        assert reply.status_code == status, reply.content
        documented("/api/lessons/{slug}/answers", "post", status).validate(reply.json())


def json_posts() -> list[str]:
    """Return the path of every operation that takes a JSON body, with made-up ids."""
    return [path.format(session_id="nope", job="nope", slug="nope")
            for path, item in openapi.document()["paths"].items() if "requestBody" in item.get("post", {})]


@pytest.mark.parametrize("raw", ["[" * 30_000, '{"a":' * 12_000, '{"seed": NaN}', '{"chaos": Infinity}',
                                 b"\xff\xfe{}"], ids=["deep-list", "deep-object", "nan", "infinity", "not-utf8"])
def test_no_json_body_gets_a_server_error(client, raw):
    """Bodies no generator builds (too deep for the parser, JSON's missing constants): a 400 on every POST."""
    error = Draft202012Validator(openapi.document()["components"]["schemas"]["Error"])
    for path in json_posts():
        reply = client.post(path, raw, content_type="application/json")
        assert reply.status_code == 400, (path, reply.content[:200])
        error.validate(reply.json())
        assert reply.json()["error"] == "bad_json", path


@pytest.mark.parametrize("raw", ['{"owner": "Ada\\u0000"}', '{"a\\u0000": 1}', '{"params": {"votes": ["\\u0000"]}}'],
                         ids=["in-a-value", "in-a-key", "nested"])
def test_a_nul_character_in_a_body_is_refused_on_every_post(client, raw):
    """PostgreSQL stores no text holding NUL: it was a 500 there (an owner, a voter, a title)."""
    for path in json_posts():
        reply = client.post(path, raw, content_type="application/json")
        assert reply.status_code == 400 and "NUL" in reply.json()["message"], (path, reply.content[:200])


def test_a_nul_character_in_a_path_is_a_documented_404(client):
    """A session id holding NUL reached a query, a 500 on PostgreSQL; ids are URL-safe tokens, so no route matches."""
    document = openapi.document()
    for path, item in document["paths"].items():
        if "{" not in path:
            continue
        url = path.format(session_id="a%00b", job="a%00b", slug="a%00b", fmt="text")
        for method, operation in item.items():
            if method == "parameters":
                continue
            reply = client.generic(method.upper(), url, "{}", content_type="application/json")
            assert reply.status_code == 404 and "404" in operation["responses"], (method, url, reply.content[:200])
            assert reply.json()["error"] in {"no_route", "no_session", "no_job", "no_report", "no_lesson"}


@pytest.mark.parametrize("url", ["/sessions/a%00b/", "/sessions/a%00b/qr.svg", "/compare/?s=a%00b,b"])
def test_a_nul_character_in_a_page_address_is_a_404_too(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("fault", [{"action": "clock", "node": "p1", "at_ms": 5, "offset_ms": True},
                                   {"action": "crash", "node": "p1", "at_ms": 5, "groups": [None]}])
def test_a_fault_plan_the_trace_schema_refuses_is_refused(client, fault):
    """The engine took these (found by the fuzz); the session's trace then broke docs/trace.schema.json."""
    body = {"protocol": "two-phase-commit", "faults": [fault]}
    reply = client.post("/api/sessions", json.dumps(body), content_type="application/json")
    assert reply.status_code == 400 and reply.json()["message"].startswith("fault 1:"), reply.content
    fine = {**fault, "offset_ms": 3} if "offset_ms" in fault else {k: v for k, v in fault.items() if k != "groups"}
    reply = client.post("/api/sessions", json.dumps({**body, "faults": [fine]}), content_type="application/json")
    assert reply.status_code == 201, reply.content
    trace = client.get(f"/api/sessions/{reply.json()['id']}/trace").json()
    documented("/api/sessions/{session_id}/trace", "get", 200).validate(trace)


def test_a_path_no_route_matches_gets_the_error_body_under_api_only(client):
    reply = client.get("/api/sessions/x/nothing-here")
    assert reply.status_code == 404 and reply.json()["error"] == "no_route"
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


# ------------------------------------------------------------------ the fuzz


def test_the_fuzz_covers_every_operation_but_the_document_itself():
    """Schemathesis leaves out the path it loaded the document from; that GET takes no input, tested above."""
    fuzzed = {result.ok().label for result in schema.get_all_operations()}
    described = {f"{method.upper()} {path}" for path, item in openapi.document()["paths"].items()
                 for method in item if method != "parameters"}
    assert fuzzed == described - {"GET /api/schema"}


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzz_every_operation(case, known):
    case.call_and_validate()
