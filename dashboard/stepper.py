"""The one adapter between the engine and the outside: load, step, persist, publish.

Both runners (in-process and Celery) call :func:`apply_step`; nothing here
knows any protocol. A step is idempotent per (session, generation, step):
a redelivered task finds its step already in the database and does nothing.
Order of writes, so that a kill at any point loses nothing: the database
first (command and events in one transaction, dashboard/eventlog.py), then
the broadcast and the Redis hot state in one round trip (the broadcast may
be lost: clients detect the gap and resync).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import OrderedDict
from typing import Any

from django.db.models import QuerySet

from dashboard import broadcast, eventlog, hotstate
from dashboard.models import Session, SessionCommand
from protocols import get_protocol
from protocols.base import ProtocolError
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine

log = logging.getLogger(__name__)

ENGINE_CACHE_SIZE = 32
"""Engines a process keeps warm; others are rebuilt from the database on demand."""

MAX_BATCH_STEPS = int(os.environ.get("PROTOLAB_MAX_BATCH", "200"))
"""Auto steps one task may run at maximum speed before yielding to queued commands
(PROTOLAB_MAX_BATCH=1 gives one step per task, as the live benchmark measures)."""

_cache: OrderedDict[tuple[str, int], Engine] = OrderedDict()


def where() -> str:
    """Return where this step runs: host and process, as shown to the user."""
    return f"{os.environ.get('PROTOLAB_WORKER_NAME', 'web')}@{socket.gethostname()}:{os.getpid()}"


def placement(engine: Engine, workers: int) -> dict[str, int]:
    """Place each node on a worker queue, round robin in placement order."""
    return {node: index % max(1, workers) for index, node in enumerate(engine.roles)}


def fresh_engine(session: Session) -> tuple[Engine, list[dict[str, Any]]]:
    """Build a session's engine at step 0; return it and its boot events."""
    inputs = session.engine_inputs()
    spec = get_protocol(inputs.pop("protocol"))
    engine = Engine(spec, inputs.pop("params"), record=False, scenario_faults=False, **inputs)
    return engine, engine.drain()


def load_engine(session: Session, before_step: int | None = None) -> Engine:
    """Return the session's engine at its latest stored step (cached, caught up from the database).

    ``before_step``: the step about to run. A cached engine behind it is
    caught up with the commands stored since (steps alternate between the
    workers hosting the nodes, so a worker's engine is often a step or two
    behind). An engine is cached only after its step is stored and dropped
    on any failure, so a cached engine is never ahead of the database.
    """
    cache_key = (session.id, session.generation)
    engine = _cache.pop(cache_key, None)
    stored = SessionCommand.objects.filter(session=session, generation=session.generation)
    if engine is None or before_step is None or engine.step_no >= before_step:
        engine = _unless_ahead(session, engine, stored)
    for command in stored.filter(step__gt=engine.step_no).order_by("step").values_list("command", flat=True):
        engine.apply(command)
    _cache[cache_key] = engine
    while len(_cache) > ENGINE_CACHE_SIZE:
        _cache.popitem(last=False)
    return engine


def _unless_ahead(session: Session, engine: Engine | None, stored: QuerySet[SessionCommand]) -> Engine:
    """Return ``engine`` unless it is missing or ahead of the stored commands; then a fresh one."""
    last = stored.order_by("-step").values_list("step", flat=True).first() or 0
    if engine is None or engine.step_no > last:
        engine, _ = fresh_engine(session)
    return engine


def forget_engine(session_id: str, generation: int) -> None:
    """Drop a cached engine (after a failed write, so the next step reloads from the database)."""
    _cache.pop((session_id, generation), None)


def apply_step(session_id: str, generation: int, step: int, command: dict[str, Any],
               batch: int = 1, ran_on: str | None = None, until: float | None = None) -> dict[str, Any]:
    """Apply one command (or up to ``batch`` auto steps) as steps ``step``...; persist and publish.

    ``until``: paced play's bound, in virtual ms: after the first auto step, the batch goes on only
    while the next one is due by then (a session that fell behind its schedule catches up in one task,
    in one transaction and one frame, instead of one task per step).

    A warm engine exactly one step behind is used without reading the session
    row: whether the session is still this generation and not failed is
    checked inside the write's transaction instead (bench/live.py: the
    query was an eighth of a step).
    """
    engine = _current_engine(session_id, generation, step)
    if engine is None:
        session = Session.objects.filter(id=session_id).first()
        if session is None or session.generation != generation or session.status == "failed":
            return _stale(session_id, session is not None and session.status == "failed")
        engine = load_engine(session, before_step=step)
    try:
        return _apply(engine, session_id, generation, step, command, batch, ran_on, until)
    except BaseException:
        # Whatever went wrong, the cached engine may be ahead of the database: never trust it again.
        forget_engine(session_id, generation)
        raise


def _current_engine(session_id: str, generation: int, step: int) -> Engine | None:
    engine = _cache.get((session_id, generation))
    if engine is None or engine.step_no != step - 1:
        return None
    _cache.move_to_end((session_id, generation))  # In use: the last one the cache would let go.
    return engine


def _stale(session_id: str, failed: bool) -> dict[str, Any]:
    if failed:
        hotstate.mark_failed(session_id)  # Redis may have lost the mark: planning must stop again.
    return {"result": "stale"}


def _apply(engine: Engine, session_id: str, generation: int, step: int, command: dict[str, Any], batch: int,
           ran_on: str | None, until: float | None = None) -> dict[str, Any]:
    if engine.step_no >= step:
        return {"result": "duplicate"}  # A redelivered task: this step is already stored.
    commands: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    try:
        for index in range(max(1, min(batch, MAX_BATCH_STEPS))):
            if engine.done and command["cmd"] == "step":
                break
            if index and until is not None and not _due_by(engine, until):
                break
            before = engine.step_no
            events += engine.apply(command)
            if engine.step_no > before:  # Recorded by the engine: it changed the world.
                commands.append({"step": engine.step_no, "command": command})
            if command["cmd"] != "step":
                break
    except CommandError as exc:
        forget_engine(session_id, generation)  # The engine refused before changing anything; be sure.
        return {"result": "refused", "code": exc.code, "message": exc.text}
    except ProtocolError as exc:
        forget_engine(session_id, generation)
        fail(session_id, f"protocol error at step {step}: {exc}")
        return {"result": "failed", "message": str(exc)}
    stamp = ran_on or where()
    for event in events:
        event["ran_on"] = stamp
    texts = [broadcast.encode(event) for event in events]  # Once, for the database and the watchers.
    outcome = eventlog.append(session_id, generation, commands, events, texts)
    if outcome != "stored":
        forget_engine(session_id, generation)
        return _stale(session_id, outcome == "failed") if outcome != "duplicate" else {"result": "duplicate"}
    hot = hotstate.snapshot(engine, generation, placement(engine, _workers()))
    # Watchers first, in the same round trip as the hot state: the log is safe in the database, and
    # the first event of a step is what a class waits for (bench/live.py (a)).
    broadcast.events(session_id, generation, events, hot, then_store_hot=True, texts=texts)
    if engine.done:
        Session.objects.filter(id=session_id, status="live").update(status="done")
    return {"result": "applied", "events": len(events), "seq": engine.seq}


def _due_by(engine: Engine, until: float) -> bool:
    """Say whether the engine's next auto step is due by virtual time ``until``."""
    upcoming = hotstate.next_auto(engine)
    return upcoming is not None and upcoming[0] <= until


def boot(session: Session) -> dict[str, Any]:
    """Store a new session's boot events (step 0) and its first hot state."""
    engine, events = fresh_engine(session)
    stamp = where()
    for event in events:
        event["ran_on"] = stamp
    eventlog.append(session.id, session.generation, [], events, [broadcast.encode(e) for e in events])
    _cache[(session.id, session.generation)] = engine
    hot = hotstate.snapshot(engine, session.generation, placement(engine, _workers()))
    hotstate.store(session.id, hot)
    return hot


def hot_or_rebuild(session: Session) -> dict[str, Any]:
    """Return hot state, rebuilding it from the database if Redis lost it."""
    hot = hotstate.load(session.id)
    if hot is None or hot.get("generation") != session.generation:
        engine = load_engine(session)
        hot = hotstate.snapshot(engine, session.generation, placement(engine, _workers()))
        hotstate.store(session.id, hot)
    return hot


def fail(session_id: str, why: str) -> None:
    """Mark a session failed and tell its watchers."""
    log.error("session %s failed: %s", session_id, why)
    Session.objects.filter(id=session_id).update(status="failed", failure=why)
    hotstate.mark_failed(session_id)
    broadcast.status(session_id, {"status": "failed", "failure": why})


def _workers() -> int:
    from django.conf import settings

    return int(settings.PROTOLAB_WORKERS)
