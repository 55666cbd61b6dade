"""Appending a step to a session's durable log: one transaction, checked against the session row.

A step's commands and events are written with plain SQL from their
already-encoded JSON (the same text the watchers receive), in one
transaction that first reads the session row: a step of an older
generation (a reset won the race) or of a failed session writes nothing.
Through the ORM, the row read and the two ``bulk_create`` calls cost
about a third of a live step (bench/live.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from django.db import IntegrityError, connection, transaction

from dashboard.models import Session, SessionCommand, SessionEvent

Outcome = Literal["stored", "duplicate", "stale", "failed"]


def append(session_id: str, generation: int, commands: Sequence[dict[str, Any]],
           events: Sequence[dict[str, Any]], texts: Sequence[str]) -> Outcome:
    """Store a step's commands and events (``texts``: each event as JSON); say what happened.

    ``duplicate``: the step is already stored (a redelivered task).
    ``stale``: the session is gone or has moved to a newer generation.
    ``failed``: the session has failed; nothing more is written to it.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_session_row(), [session_id])
            row = cursor.fetchone()
            if row is None or row[0] != generation:
                return "stale"
            if row[1] == "failed":
                return "failed"
            if commands:
                cursor.executemany(_insert(SessionCommand, ("session_id", "generation", "step", "command")),
                                   [(session_id, generation, c["step"], json.dumps(c["command"])) for c in commands])
            if events:
                cursor.executemany(_insert(SessionEvent, ("session_id", "generation", "seq", "step", "payload")),
                                   [(session_id, generation, e["seq"], e["step"], text)
                                    for e, text in zip(events, texts, strict=True)])
    except IntegrityError:
        return "duplicate"
    return "stored"


def _insert(model: type[Any], columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    # PostgreSQL keeps JSON fields as jsonb: the encoded text is cast there; SQLite stores it as it is.
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    values = ", ".join("%s" + (json_cast if column in ("command", "payload") else "") for column in columns)
    return f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES ({values})"


def _session_row() -> str:
    # Under PostgreSQL's FOR SHARE a reset waits for this step's write; SQLite's write transaction
    # (IMMEDIATE, dashboard/settings.py) already holds the database's one write lock.
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    return f"SELECT generation, status FROM {connection.ops.quote_name(Session._meta.db_table)} WHERE id = %s{lock}"
