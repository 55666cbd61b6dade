"""A session's trace as JSON, streamed from the database a chunk of events at a time.

A trace is small apart from its events (a cache event is about 1 KB of
JSON), and its events are rows in the database. Built whole, a 35,000-event
trace held 243 MB of Python objects and rendering it as JSON peaked at 690 MB
(docs/performance.md, "Trace exports"); served whole it also held the 46 MB
body twice (text, then bytes). Here the trace's other fields are built once
(the engine's final state and verdicts, the summary), the JSON text around
the event list is laid out with placeholders for the two lists that hold
events (``events`` and ``violations``), and the events are read from the
database in seq order, ``ROWS_PER_CHUNK`` at a time, each encoded exactly as
``json.dumps`` encodes it inside the whole trace, so the bytes are the same as
before (``tests/dashboard/test_trace_stream.py`` compares them).

The summary is a function of the whole log, so it comes from the summary
cache (``sessions.summary``) when that holds this very seq, and is otherwise
computed once, with the log in memory for that moment only, and cached for
the next export and for the compare page.

Under ASGI the chunks are an async iterator (each read and encoded in the
sync thread): Django would otherwise read a sync iterator whole before
sending a byte.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from dashboard import sessions, stepper
from dashboard.models import Session, SessionEvent
from protocols.sim.trace import build_trace

ROWS_PER_CHUNK = 500
"""Events read and encoded at a time: about half a megabyte of a cache trace."""

STREAM_FROM_EVENTS = 2_000
"""A shorter log (about 2 MB of JSON at most) is sent in one piece: streaming it would only add chunks."""

_MARK = "\x00stream\x00"
"""Stands for a list of events in the laid-out text; no trace holds a NUL in a key or a value it writes."""


class _Style:
    """One of the two encodings a trace is served in, and how a list of events is written in it."""

    def __init__(self, pretty: bool) -> None:
        self.pretty = pretty

    def dumps(self, value: Any) -> str:
        """Encode a whole value as this style encodes the trace."""
        if self.pretty:  # protocols.sim.trace.dumps: the export's canonical file.
            return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)
        return json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder)  # JsonResponse(sort_keys=True)

    def placeholder(self) -> str:
        """Return how a one-item list holding the mark is written at the trace's top level."""
        return f"[\n  {json.dumps(_MARK)}\n ]" if self.pretty else f"[{json.dumps(_MARK)}]"

    def item(self, event: dict[str, Any]) -> str:
        """Encode one event as it is written inside a top-level list."""
        text = self.dumps(event)
        return text.replace("\n", "\n  ") if self.pretty else text  # Two levels deeper than on its own.

    def open(self, first: bool) -> str:
        """Return what comes before an item: the list's bracket or the separator."""
        if self.pretty:
            return "[\n  " if first else ",\n  "
        return "[" if first else ", "

    def close(self, empty: bool) -> str:
        """Return what ends the list."""
        if empty:
            return "[]"
        return "\n ]" if self.pretty else "]"


def response(request: HttpRequest, session: Session, pretty: bool, content_type: str) -> HttpResponse:
    """Return the session's trace as JSON (``pretty``: the export's file), streamed when its log is long."""
    style = _Style(pretty)
    head, middle, tail, last = _layout(session, style)
    ending = "\n" if pretty else ""
    if last < STREAM_FROM_EVENTS:
        parts = _parts(session, style, head, middle, tail + ending, last)
        return HttpResponse("".join(parts), content_type=content_type)
    if isinstance(request, ASGIRequest):
        stream = StreamingHttpResponse(_async_parts(session, style, head, middle, tail + ending, last),
                                       content_type=content_type)
    else:
        stream = StreamingHttpResponse(_parts(session, style, head, middle, tail + ending, last),
                                       content_type=content_type)
    return stream


def _layout(session: Session, style: _Style) -> tuple[str, str, str, int]:
    """Return the trace's text before, between and after its two lists of events, and its last seq."""
    engine = stepper.load_engine(session)
    last = engine.seq
    figures = sessions.exact_summary(session, engine)
    data = build_trace(engine, [])
    data.update(summary=figures["summary"], events=[_MARK], violations=[_MARK])
    data["session"] = sessions.trace_session_info(session)
    text = style.dumps(data)
    mark = style.placeholder()
    head, middle, tail = text.split(mark)  # "events" sorts before "violations": in that order.
    return head, middle, tail, last


def _chunks(session: Session, last: int) -> Iterator[list[dict[str, Any]]]:
    """Yield the stored events of the current generation up to ``last``, in seq order, a chunk at a time."""
    after = 0
    while after < last:
        rows = list(SessionEvent.objects.filter(session=session, generation=session.generation, seq__gt=after,
                                                seq__lte=last).order_by("seq").values_list("payload", flat=True)
                    [:ROWS_PER_CHUNK])
        if not rows:
            return
        yield rows
        after = rows[-1]["seq"]


def _encoded(style: _Style, rows: list[dict[str, Any]], first: bool, found: list[dict[str, Any]]) -> str:
    """Encode a chunk of events as part of the ``events`` list; keep its violations in ``found``."""
    found.extend(e for e in rows if e["kind"] == "violation")
    return "".join(style.open(first and index == 0) + style.item(e) for index, e in enumerate(rows))


def _parts(session: Session, style: _Style, head: str, middle: str, tail: str, last: int) -> Iterator[str]:
    yield head
    found: list[dict[str, Any]] = []
    empty = True
    for rows in _chunks(session, last):
        yield _encoded(style, rows, empty, found)
        empty = False
    yield style.close(empty)
    yield middle + _list(style, found) + tail


def _list(style: _Style, items: list[dict[str, Any]]) -> str:
    if not items:
        return style.close(True)
    return "".join(style.open(i == 0) + style.item(e) for i, e in enumerate(items)) + style.close(False)


async def _async_parts(session: Session, style: _Style, head: str, middle: str, tail: str,
                       last: int) -> AsyncIterator[str]:
    """The same parts, each chunk read and encoded in the sync thread, never on the event loop."""
    parts = _parts(session, style, head, middle, tail, last)
    step: Callable[[], str | None] = lambda: next(parts, None)  # noqa: E731
    while True:
        part = await sync_to_async(step)()
        if part is None:
            return
        yield part
