"""The OpenAPI 3.1 document of the HTTP API, served at ``GET /api/schema``.

The document is built from the code it describes wherever the code holds the
fact: paths and their parameters from the routes in dashboard/urls.py (by
route name), the fields of each request body from the views' own field sets
(``CREATE_FIELDS`` and the like: every body schema is closed, as the API
refuses unknown fields), the protocol names from the registry, the limits
from their named constants, and the trace from docs/trace.schema.json. What
the code cannot say (what each field means, which statuses an operation can
give) is written here, once per operation. tests/dashboard/test_openapi.py
keeps it true: every /api/ route is in it, and Schemathesis fuzzes every
operation against it (no 5xx; every answer matches its schema).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, get_resolver
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from dashboard import (
    api,
    api_compare,
    api_explore,
    api_exports,
    explore_jobs,
    lesson_format,
    lessons,
    sessions,
    trace_schema,
)
from protocols import REGISTRY

SEED_MAX = 2**63 - 1

STATUS_WORDS = {
    400: "Bad input: the message says what is wrong and what is allowed.",
    403: "The token sent is not the one this needs.",
    404: "No such session, lesson or search.",
    409: "The request conflicts with the state of things (a slot taken, a cap reached, an answer given).",
    413: "The body is larger than the limit.",
    415: "The body is not sent as application/json.",
    429: "Too many of these from one client address a minute.",
    503: "The server cannot do this now.",
}
CONVERTERS = {"str": {"type": "string", "pattern": "^[^/]+$"},
              "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}}
"""Django path converter -> the schema of the text it matches."""


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: tuple[str, ...] | str = "all", closed: bool = True) -> dict[str, Any]:
    """Return an object schema; ``required='all'`` requires every property."""
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": sorted(properties) if required == "all" else sorted(required)}
    if closed:
        schema["additionalProperties"] = False
    return schema


def body(fields: set[str], properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a closed request body over exactly the fields the view allows (a mismatch is a bug here)."""
    if set(properties) != fields:
        raise AssertionError(f"documented fields {sorted(properties)} differ from the view's {sorted(fields)}")
    return {"required": True, "content": {"application/json": {"schema": obj(properties, required)}}}


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def op(summary: str, ok: dict[int, dict[str, Any]], errors: tuple[int, ...], request: dict[str, Any] | None = None,
       query: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """Return one operation: its successes, its documented errors (each the error body), its body and query."""
    responses: dict[str, Any] = {str(status): answer for status, answer in ok.items()}
    for status in errors:
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if request is not None:
        operation["requestBody"] = request
    if query:
        operation["parameters"] = list(query)
    return operation


def header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string"}}


FORMAT_QUERY = {"name": "format", "in": "query", "required": False, "description": "json (the default) or csv",
                "schema": {"enum": ["json", "csv"]}}
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
ANY_OBJECT = {"type": "object"}
TEXT = {"description": "A string, or one string per language ({'en': ..., 'zh-hans': ...}).",
        "anyOf": [STRING, {"type": "object", "additionalProperties": STRING}]}
CSV = {"text/csv": {"schema": STRING}}
CREATED = {"id": STRING, "control_token": STRING, "url": {"type": "string", "format": "uri"}, "ws": STRING}
"""What every created session answers (dashboard/api.py created_body)."""


def schemas() -> dict[str, Any]:
    """Return the named schemas: the error body, what every created thing answers, and the trace's parts."""
    verdicts = {"type": "object", "additionalProperties": {"enum": ["holds", "violated"]}}
    named: dict[str, Any] = {
        "Error": obj({"error": STRING, "message": STRING}),
        "Created": obj(CREATED),
        "LessonCreated": obj({"slug": STRING, "url": {"type": "string", "format": "uri"}, "lesson_token": STRING}),
        "Verdicts": verdicts,
        "Brief": obj({"id": STRING, "protocol": STRING, "scenario": NULLABLE_STRING, "owner": STRING,
                      "status": STRING, "created": {"type": "string", "format": "date-time"}}),
        "Status": obj({
            "id": STRING, "protocol": STRING, "params": ANY_OBJECT, "seed": INTEGER, "scenario": NULLABLE_STRING,
            "owner": STRING, "status": STRING, "failure": NULLABLE_STRING, "generation": INTEGER,
            "created": {"type": "string", "format": "date-time"}, "forked_from": NULLABLE_STRING,
            "fork_seq": {"type": ["integer", "null"]}, "sandbox": {"type": "boolean"}, "join_code": NULLABLE_STRING,
            "ended_at": {"type": ["string", "null"]}, "seq": INTEGER, "step": INTEGER, "now": {"type": "number"},
            "done": {"type": "boolean"}, "playing": {"type": "boolean"}, "speed": {"type": "number"},
            "verdicts": ref("Verdicts"), "nodes": ANY_OBJECT, "placement": ANY_OBJECT,
            "explore": {"anyOf": [{"type": "null"}, ref("Announcement")]}}),
        "Announcement": obj({"job": STRING, "url": STRING}),
        "Report": obj({
            "protocol": STRING, "params": ANY_OBJECT, "elapsed_s": NUMBER, "states_per_s": NUMBER,
            **dict.fromkeys(("seed", "max_states", "max_drops", "max_crashes", "states", "expanded", "transitions",
                             "max_depth"), INTEGER),
            "complete": BOOLEAN, "clean": BOOLEAN, "stopped": {"enum": ["complete", "max-states"]},
            "counterexamples": {"type": "array", "items": obj({
                "kind": STRING, "category": {"enum": ["safety", "liveness", "illustrative"]}, "name": STRING,
                "text": STRING, "nodes": {"type": "array", "items": STRING}, "depth": INTEGER,
                "commands": {"type": "array", "items": ANY_OBJECT},
                # A violation's finding as its event carries it, for a reader of another language.
                "finding": obj({"id": STRING, "data": ANY_OBJECT})},
                required=("kind", "category", "name", "text", "nodes", "depth", "commands"))}}),
        "Search": obj({"job": STRING, "status": {"enum": ["running", "done", "failed"]}, "report": ref("Report"),
                       "error": STRING}, required=("job", "status")),
        "LessonFile": lesson_file(),
    }
    named.update(trace_schemas())
    return named


def lesson_file() -> dict[str, Any]:
    """Return the schema of a lesson's JSON file (docs/lessons.md); the import checks everything else."""
    array = {"type": "array", "items": ANY_OBJECT}
    properties = {"format": {"const": lesson_format.FORMAT}, "version": {"const": lesson_format.FORMAT_VERSION},
                  "slug": STRING, "title": TEXT, "summary": TEXT, "protocol": STRING, "params": ANY_OBJECT,
                  "seed": INTEGER, "scenario": NULLABLE_STRING, "faults": array, "chaos": {"type": "number"},
                  "max_events": INTEGER, "commands": array, "notes": array, "questions": array}
    if set(properties) != lesson_format.FIELDS:
        raise AssertionError("the lesson file's documented fields differ from lesson_format.FIELDS")
    return obj(properties, required=("format", "version"))


def trace_schemas() -> dict[str, Any]:
    """Return docs/trace.schema.json as named schemas: ``Trace`` and each of its $defs as ``trace_NAME``."""
    text = json.dumps(trace_schema.schema()).replace('"#/$defs/', '"#/components/schemas/trace_')
    schema = json.loads(text)
    defs = schema.pop("$defs")
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return {"Trace": schema, **{f"trace_{name}": part for name, part in defs.items()}}


def operations() -> dict[str, dict[str, Any]]:
    """Return every operation by route name (dashboard/urls.py) and method."""
    return {**session_operations(), **compare_and_explore_operations(), **lesson_operations()}


CREATED_ANSWER = {201: json_response(ref("Created"), "Created: its id, control token and addresses.")}
BODY_ERRORS = (400, 413, 415)
FAULTS = {"type": ["array", "null"], "items": ref("trace_fault")}
OWNER = {"type": "string", "maxLength": sessions.MAX_OWNER_LENGTH}


def session_operations() -> dict[str, dict[str, Any]]:
    """Return this document, the catalogue and the operations on sessions (create, list, read, fork...)."""
    return {
        "api-schema": {"get": op("This document.", {200: json_response(ANY_OBJECT, "The OpenAPI document.")}, ())},
        "api-protocols": {"get": op("The protocol catalogue.", {200: json_response(
            obj({"protocols": {"type": "array", "items": obj(
                {"name": {"enum": sorted(REGISTRY)}, "title": STRING, "params": {"type": "array"}},
                closed=False)}}), "Every protocol: parameters, scenarios, invariants, transitions.")}, ())},
        "api-sessions": {
            "get": op("The 20 newest sessions.", {200: json_response(
                obj({"sessions": {"type": "array", "items": ref("Brief")}}), "Newest first.")}, ()),
            "post": op("Create a session.", CREATED_ANSWER, (*BODY_ERRORS, 429), body(api.CREATE_FIELDS, {
                "protocol": {"enum": sorted(REGISTRY)}, "params": {"type": ["object", "null"]},
                "seed": {"type": "integer", "minimum": 0, "maximum": SEED_MAX},
                "scenario": NULLABLE_STRING, "faults": FAULTS,
                "chaos": {"type": "number", "minimum": 0, "maximum": 1}, "owner": OWNER}, required=("protocol",)))},
        "api-session": {"get": op("A session's status.", {200: json_response(ref("Status"), "Its status.")}, (404,))},
        "api-trace": {"get": op("A session's trace (as manage.py simulate --format json).", {200: json_response(
            ref("Trace"), "The trace, with its session's id, generation, owner and notes.")}, (404,))},
        "api-fork": {"post": op("Start a new session from this one's log up to the step holding seq.", CREATED_ANSWER,
                                (*BODY_ERRORS, 404, 409, 429), body(api.FORK_FIELDS, {
                                    "seq": {"type": "integer", "minimum": 0}, "owner": OWNER,
                                    "sandbox": {"type": "boolean"}}, required=("seq",)))},
        "api-keep": {"post": op("Keep a student's sandbox past the end of its class.", {200: json_response(
            obj({"id": STRING, "kept": {"const": True}}), "Kept.")}, (*BODY_ERRORS, 403, 404),
            body({"control_token"}, {"control_token": STRING}))},
        "api-questions": {"get": op("The class's questions, answers and votes (the controller only).", {200: {
            "description": "JSON, or CSV with ?format=csv.", "content": {
                "application/json": {"schema": obj({"session": STRING, "questions": {"type": "array"},
                                                    "notes": {"type": "array"}})}, **CSV}}}, (400, 403, 404),
            query=(FORMAT_QUERY, header("X-Control-Token", "The session's control token.")))},
        "api-summary": {"get": op("A session's summary figures at its newest event.", {200: json_response(obj({
            "id": STRING, "protocol": STRING, "scenario": NULLABLE_STRING, "seq": INTEGER, "summary": ANY_OBJECT,
            "verdicts": ref("Verdicts"), "quiescent": {"type": "boolean"}}), "Its figures.")}, (404,))},
    }


def compare_and_explore_operations() -> dict[str, dict[str, Any]]:
    """Return compare side by side, the explorer's three operations and a session's trace as a file."""
    return {
        "api-compare": {"post": op("Start one session per run, side by side.", {201: json_response(obj({
            "sessions": {"type": "array", "items": obj({**CREATED, "label": STRING})},
            "url": {"type": "string", "format": "uri"}}), "One session per run and the compare page.")},
            (*BODY_ERRORS, 429), body(api_compare.COMPARE_FIELDS, {
                "runs": {"type": "array", "items": STRING, "minItems": 2, "maxItems": api_compare.MAX_SIDE_BY_SIDE},
                "preset": STRING, "params": {"type": ["object", "null"]},
                "seed": {"type": "integer", "minimum": 0, "maximum": SEED_MAX}, "owner": OWNER}))},
        "api-explore-start": {"post": op("Start a search of this session's protocol (the controller only).", {
            202: json_response(ref("Announcement"), "Started: follow it at url.")},
            (*BODY_ERRORS, 403, 404, 409, 429, 503), body(api_explore.START_FIELDS, {
                "control_token": STRING,
                "max_states": {"type": "integer", "minimum": 1, "maximum": explore_jobs.WEB_MAX_STATES},
                "max_drops": {"type": "integer", "minimum": 0, "maximum": explore_jobs.WEB_MAX_FAULTS},
                "max_crashes": {"type": "integer", "minimum": 0, "maximum": explore_jobs.WEB_MAX_FAULTS}},
                required=("control_token",)))},
        "api-explore": {"get": op("A search: running, done with its report, or failed with why.", {
            200: json_response(ref("Search"), "Its state.")}, (404,))},
        "api-explore-open": {"post": op("Start a live session holding one counterexample's steps.", CREATED_ANSWER,
                                        (*BODY_ERRORS, 404, 409), body(api_explore.OPEN_FIELDS, {
                                            "counterexample": {"type": "integer", "minimum": 0}, "owner": OWNER}))},
        "api-export": {"parameters": [{"name": "fmt", "in": "path", "required": True,
                                       "schema": {"enum": list(api_exports.DOWNLOADS)}},
                                      {"name": "lang", "in": "query", "required": False,
                                       "schema": {"enum": list(api_exports.LANGUAGES)}}],
                       "get": op("A session's trace as a file: text, shiviz, mermaid or json.", {200: {
            "description": "The file.", "content": {"text/plain": {"schema": STRING},
                                                    "application/json": {"schema": ref("Trace")}}}}, (400, 404))},
    }


def lesson_operations() -> dict[str, dict[str, Any]]:
    """Return the operations on lessons: save, import, read, answer, results, export."""
    return {
        "api-lesson-save": {"post": op("Save the session so far as a lesson (the controller only).", {
            201: json_response(ref("LessonCreated"), "Saved.")}, (*BODY_ERRORS, 403, 404, 409),
            body({"control_token", "title"}, {"control_token": STRING, "title": TEXT}))},
        "api-lesson-import": {"post": op("Create a lesson here from an exported file.", {
            201: json_response(ref("LessonCreated"), "Imported.")}, (*BODY_ERRORS, 409), {
                "required": True, "content": {"application/json": {"schema": ref("LessonFile")}}})},
        "api-lesson": {"get": op("A lesson as a student loads it (no answers).", {200: json_response(obj({
            "slug": STRING, "title": TEXT, "summary": TEXT, "protocol": STRING, "scenario": NULLABLE_STRING,
            "trace": ref("Trace"), "notes": {"type": "array"}, "questions": {"type": "array"}}), "The lesson.")},
            (404,))},
        "api-lesson-answers": {"post": op("Answer one question (once); the right answer is revealed.", {
            200: json_response(obj({"question": INTEGER, "choice": INTEGER, "correct": {}, "detail": {}}),
                               "Recorded: the right answer and why."),
            409: json_response(obj({"error": STRING, "message": STRING, "question": INTEGER, "choice": INTEGER,
                                    "correct": {}, "detail": {}}, required=("error", "message")),
                               "Answered already (the first answer stands), or no free link.")},
            (*BODY_ERRORS, 404, 429), body({"question", "choice", "voter"}, {
                "question": {"type": "integer", "minimum": 0}, "choice": {"type": "integer", "minimum": 0},
                "voter": {"type": "string", "minLength": 1, "maxLength": lessons.MAX_VOTER_LENGTH}},
                required=("question", "choice", "voter")))},
        "api-lesson-results": {"get": op("Everyone's answers in aggregate (the lesson token's holder).", {200: {
            "description": "JSON, or CSV with ?format=csv.", "content": {
                "application/json": {"schema": obj({"slug": STRING, "title": TEXT, "students": INTEGER,
                                                    "questions": {"type": "array"}})}, **CSV}}}, (400, 403, 404),
            query=(FORMAT_QUERY, header("X-Lesson-Token", "The lesson token given when it was saved.")))},
        "api-lesson-export": {"get": op("The lesson as one JSON file.", {200: json_response(
            ref("LessonFile"), "The file, answers included.")}, (404,))},
    }


def openapi_path(route: str) -> tuple[str, list[dict[str, Any]]]:
    """Return a Django route's OpenAPI path and its path parameters."""
    parameters = []
    for converter, name in re.findall(r"<(\w+):(\w+)>", route):
        parameters.append({"name": name, "in": "path", "required": True, "schema": dict(CONVERTERS[converter])})
    return "/" + re.sub(r"<\w+:(\w+)>", r"{\1}", route), parameters


def api_routes() -> dict[str, str]:
    """Return every route under /api/ in dashboard/urls.py by name."""
    return {p.name: str(p.pattern) for p in get_resolver().url_patterns
            if isinstance(p, URLPattern) and str(p.pattern).startswith("api/") and p.name}


@cache
def document() -> dict[str, Any]:
    """Return the OpenAPI document of every /api/ route."""
    described = operations()
    routes = api_routes()
    missing = set(routes) - set(described)
    if missing:
        raise AssertionError(f"routes under /api/ without a description here: {sorted(missing)}")
    paths: dict[str, Any] = {}
    for name, route in routes.items():
        path, parameters = openapi_path(route)
        item = dict(described[name])
        narrower = {p["name"]: p for p in item.pop("parameters", [])}  # A route's own, closer description.
        parameters = [narrower.get(p["name"], p) for p in parameters]
        paths[path] = {**({"parameters": parameters} if parameters else {}), **item}
    responses = {f"E{status}": json_response(ref("Error"), words) for status, words in STATUS_WORDS.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Protocol Lab HTTP API", "version": "1",
                 "description": "Sessions, traces, forks, compare, the explorer and lessons. Every error is "
                                "{error, message}; request bodies are closed (unknown fields are refused)."},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": paths,
        "components": {"schemas": schemas(), "responses": responses},
    }


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer a path no route matches: the error body under /api/ (as documented), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return api.error(404, "no_route", f"no API operation at {request.path!r}; see /api/schema")
    return page_not_found(request, exception)


@require_GET
def schema_view(request: HttpRequest) -> HttpResponse:
    """Return the OpenAPI document."""
    return JsonResponse(document())
