"""The database of the stampede: one slow query at a time, so a herd of reads queues up.

The hot key's value is computed by a query that takes ``query_ms``. The
database runs one query at a time: a ``db_read`` that finds it ``idle``
starts the ``query`` timer; one that finds it ``busy`` waits in ``queue``.
When the timer fires the oldest read is answered and the next one starts.
The herd's cost is then plain in the figures: the n-th read of a stampede
waits n queries. Nobody writes in this model, so ``data`` never changes.

State: ``{"phase": "busy", "data": {"k0": {"v": "v1", "ver": 1}}, "queue": [{"src": "c1", ...}]}``.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Outcome, Receive, Send, SetTimer, State
from protocols.cache.db import read

IDLE, BUSY = "idle", "busy"

HOT_VALUE = {"k0": {"v": "v1", "ver": 1}}
"""What the database holds from the start: the hot key's value (the result of the slow query)."""


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return the database at boot: the hot key's value, no query running."""
    return {"phase": IDLE, "data": dict(HOT_VALUE), "queue": []}


def db_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Queue a read; start the query if none is running."""
    m = event.message
    waiting = {"src": m.src, "key": m.body["key"], "echo": dict(m.body.get("echo") or {}), "req": m.msg_id}
    queue = [*state["queue"], waiting]
    if state["phase"] == BUSY:
        return {**state, "queue": queue}, ()
    return {**state, "phase": BUSY, "queue": queue}, [SetTimer(name="query", delay_ms=ctx.params["query_ms"])]


def query_done(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Answer the oldest read; start the next query, or go idle."""
    head, rest = state["queue"][0], list(state["queue"][1:])
    value, version = read(state, head["key"])
    effects: list[Effect] = [Send(dest=head["src"], type="db_read_ok", in_reply_to=head["req"],
                                  body={"key": head["key"], "value": value, "ver": version, "echo": head["echo"]})]
    if rest:
        effects.append(SetTimer(name="query", delay_ms=ctx.params["query_ms"]))
    return {**state, "phase": BUSY if rest else IDLE, "queue": rest}, effects


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Come back idle: the queued reads died with the crash (their clients time out)."""
    return {**state, "phase": IDLE, "queue": []}, ()
