"""Creating, resetting, forking and reading sessions: the service behind the API and the websocket."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from dashboard import broadcast, classroom, controller, hotstate, stepper, trace_schema
from dashboard.models import Session, SessionCommand, SessionEvent, hash_token
from protocols import budget, get_protocol
from protocols.base import ParameterError, ProtocolError
from protocols.sim.engine import Engine
from protocols.sim.runtime import MAX_EVENTS_PER_RUN
from protocols.sim.trace import build_trace

SESSION_MAX_EVENTS = 200_000
"""Events one live session may reach: hours of classroom play, and still a loadable trace. Its
parameters may ask for at most ``protocols.budget.EVENT_BUDGET`` (checked at creation); this hard
limit leaves room for what faults, chaos and the controller's commands add."""

MAX_OWNER_LENGTH = 80


def create(spec_name: str, params: Mapping[str, Any] | None = None, *, seed: int = 0,
           scenario: str | None = None, faults: list[dict[str, Any]] | None = None, chaos: float = 0.0,
           owner: str = "", max_events: int = SESSION_MAX_EVENTS, plan_complete: bool = False,
           ) -> tuple[Session, str]:
    """Check the inputs by building the engine, store the session and its boot; return it and its control token."""
    spec = get_protocol(spec_name)
    if not isinstance(params, Mapping | None):
        raise ParameterError("params must be an object of NAME: VALUE")
    if not isinstance(owner, str) or len(owner) > MAX_OWNER_LENGTH:
        raise ParameterError(f"owner must be a name of at most {MAX_OWNER_LENGTH} characters")
    if not isinstance(faults, list | None):
        raise ParameterError("faults must be a list of fault objects")
    if not isinstance(chaos, int | float) or isinstance(chaos, bool):
        raise ParameterError("chaos must be a number from 0 to 1")
    max_events = min(max_events, MAX_EVENTS_PER_RUN)
    check_budget(spec.name, params, scenario)
    engine = Engine(spec, params or {}, seed=seed, scenario=scenario or None, faults=faults or [],
                    chaos=float(chaos), max_events=max_events, record=False, scenario_faults=not plan_complete)
    for index, fault in enumerate(faults or [] if not plan_complete else []):
        problem = trace_schema.fault_problem(fault)  # What the engine let through must still fit the trace.
        if problem is not None:
            raise ParameterError(f"fault {index + 1}: {problem} (docs/trace-format.md)")
    token = secrets.token_urlsafe(24)
    session = Session.objects.create(
        protocol=spec.name, params=engine.params, seed=seed, scenario=scenario or "", faults=engine.faults,
        chaos=float(chaos), max_events=max_events, owner=owner, control_token_hash=hash_token(token))
    stepper.boot(session)
    return session, token


def check_budget(spec_name: str, params: Mapping[str, Any] | None, scenario: str | None = None) -> None:
    """Refuse parameters whose run would exceed a session's event budget (a ParameterError saying why)."""
    spec = get_protocol(spec_name)
    budget.check(spec, spec.resolve_params(params or {}, scenario or None))


def may_control(session: Session, token: Any) -> bool:
    """Say whether a presented control token is this session's (constant-time)."""
    return isinstance(token, str) and hmac.compare_digest(hash_token(token), session.control_token_hash)


def reset(session: Session) -> int:
    """Start the session over as a new generation; history stays in the database."""
    with transaction.atomic():
        Session.objects.filter(id=session.id).update(generation=session.generation + 1, status="live", failure="")
    session.refresh_from_db()
    hotstate.forget(session.id)
    stepper.boot(session)
    broadcast.status(session.id, {"status": "live", "reset": True, "generation": session.generation})
    return session.generation


def fork(session: Session, upto_seq: int, owner: str = "", sandbox: bool = False) -> tuple[Session, str]:
    """Start a new session whose log is this one's up to the step holding ``upto_seq``.

    ``sandbox``: a student's own copy of a class session, listed on the teacher's page.
    """
    step = (SessionEvent.objects.filter(session=session, generation=session.generation, seq__lte=upto_seq)
            .order_by("-seq").values_list("step", flat=True).first()) or 0
    commands = list(SessionCommand.objects.filter(session=session, generation=session.generation, step__lte=step)
                    .order_by("step").values_list("command", flat=True))
    child, token = create(session.protocol, session.params, seed=session.seed, faults=session.faults,
                          chaos=session.chaos, owner=owner or session.owner, max_events=session.max_events,
                          scenario=session.scenario or None, plan_complete=True)
    Session.objects.filter(id=child.id).update(forked_from=session.id, fork_seq=upto_seq, sandbox=sandbox)
    child.refresh_from_db()
    _replay_into(child, commands)
    return child, token


def from_commands(spec_name: str, params: Mapping[str, Any], *, seed: int, commands: list[dict[str, Any]],
                  owner: str = "") -> tuple[Session, str]:
    """Start a new session and apply ``commands`` to it at once (an explorer's counterexample, say).

    A command the protocol fails on (a counterexample of kind ``exception``)
    ends the replay and fails the session, with the protocol's message.
    """
    child, token = create(spec_name, params, seed=seed, owner=owner, plan_complete=True)
    _replay_into(child, commands)
    return child, token


def _replay_into(child: Session, commands: list[dict[str, Any]]) -> None:
    """Apply commands to a new session's engine; store them, their events and the hot state after them."""
    engine = stepper.load_engine(child)
    replayed: list[dict[str, Any]] = []
    failure = ""
    for command in commands:
        before = engine.step_no
        try:
            events = engine.apply(command)
        except ProtocolError as exc:
            failure = f"protocol error at step {before + 1}: {exc}"
            break
        if engine.step_no > before:
            SessionCommand.objects.create(session=child, generation=child.generation, step=before + 1,
                                          command=command)
            replayed += events
    SessionEvent.objects.bulk_create(
        SessionEvent(session=child, generation=child.generation, seq=e["seq"], step=e["step"],
                     payload={**e, "ran_on": stepper.where()}) for e in replayed)
    if failure:
        stepper.forget_engine(child.id, child.generation)  # Part-way through a failing step: not to be trusted.
        stepper.fail(child.id, failure)
        return
    hotstate.store(child.id, hotstate.snapshot(engine, child.generation,
                                               stepper.placement(engine, stepper._workers())))


def events_after(session: Session, after_seq: int, limit: int) -> list[dict[str, Any]]:
    """Return up to ``limit`` stored events of the current generation with seq > after_seq."""
    rows = (SessionEvent.objects.filter(session=session, generation=session.generation, seq__gt=after_seq)
            .order_by("seq").values_list("payload", flat=True)[:limit])
    return list(rows)


def trace(session: Session) -> dict[str, Any]:
    """Return the session's trace in the same format as ``manage.py simulate``."""
    engine = stepper.load_engine(session)
    events = events_after(session, 0, SESSION_MAX_EVENTS + 1)
    data = build_trace(engine, events)
    data["session"] = trace_session_info(session)
    return data


def trace_session_info(session: Session) -> dict[str, Any]:
    """Return what a trace says of the session it comes from (and the teacher's notes, if any)."""
    info: dict[str, Any] = {"id": session.id, "generation": session.generation, "owner": session.owner,
                            "forked_from": session.forked_from or None, "fork_seq": session.fork_seq}
    notes = [{"seq": n.seq, "text": n.text} for n in session.notes.filter(generation=session.generation)
             .order_by("seq", "id")]
    if notes:  # The teacher's notes travel with the trace, beside the log (never events in it).
        info["notes"] = notes
    return info


def describe(session: Session) -> dict[str, Any]:
    """Return the public status of a session (no token)."""
    hot = stepper.hot_or_rebuild(session)
    play = controller.play_state(session.id)
    return {
        "id": session.id, "protocol": session.protocol, "params": session.params, "seed": session.seed,
        "scenario": session.scenario or None, "owner": session.owner, "status": session.status,
        "failure": session.failure or None, "generation": session.generation, "created": session.created.isoformat(),
        "forked_from": session.forked_from or None, "fork_seq": session.fork_seq, "sandbox": session.sandbox,
        "join_code": classroom.ensure_join_code(session),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "seq": hot["seq"], "step": hot["step"], "now": hot["now"],
        "done": hot["done"], "playing": play["playing"], "speed": play["speed"], "verdicts": hot["verdicts"],
        "nodes": hot["nodes"], "placement": hot["placement"], "explore": _latest_search(session.id),
    }


def _latest_search(session_id: str) -> dict[str, str] | None:
    from dashboard import explore_jobs  # It creates sessions from counterexamples: imported here, not at the top.

    return explore_jobs.latest(session_id)


SUMMARY_MIN_AGE_S = 2.0
"""A summary is computed again at most this often per session, however many pages poll it."""

SUMMARY_COST_FACTOR = 5
"""... and at most every 5x as long as the last computation took: a 40,000-event session's summary
(a replay of its whole log) then costs at most a fifth of a core however many pollers ask."""


def summary(session: Session) -> dict[str, Any]:
    """Return the session's summary figures at (or a moment before) its newest event, from Redis when fresh.

    Summaries are functions of the whole log (each protocol's ``summarize``), so they are computed from
    the trace; this keeps the answer for the seq it was computed at and computes again only when the
    log moved on and the last computation is old enough, or the run has ended (its final figures are
    always exact); one process at a time (a Redis lock).
    """
    r = hotstate.client()
    key = hotstate.key(session.id, "summary")
    raw = r.get(key)
    cached = json.loads(raw) if raw else None
    hot = stepper.hot_or_rebuild(session)
    now = time.time()
    fresh_enough = hot["done"] is False and now - (cached or {"at": 0})["at"] < (cached or {"wait": 0})["wait"]
    if cached is not None and cached["generation"] == session.generation and (
            cached["body"]["seq"] == hot["seq"] or fresh_enough or not r.set(key + ":lock", "1", nx=True, ex=60)):
        return dict(cached["body"])
    try:
        body = _compute_summary(session, trace(session), now)
    finally:
        r.delete(key + ":lock")
    return body


def exact_summary(session: Session, engine: Engine) -> dict[str, Any]:
    """Return the summary body at the engine's very seq: the cached one if it is at that seq, else computed.

    For a trace served a chunk at a time (dashboard/trace_stream.py): the log is in memory only while
    its figures are computed, and they are cached for the next export and for the compare page.
    """
    raw = hotstate.client().get(hotstate.key(session.id, "summary"))
    cached = json.loads(raw) if raw else None
    if cached is not None and cached["generation"] == session.generation and cached["body"]["seq"] == engine.seq:
        return dict(cached["body"])
    now = time.time()
    return _compute_summary(session, build_trace(engine, events_after(session, 0, engine.seq)), now)


def _compute_summary(session: Session, data: dict[str, Any], now: float) -> dict[str, Any]:
    """Return a trace's summary body and cache it, with how long before it may be computed again."""
    body = {"id": session.id, "protocol": session.protocol, "scenario": session.scenario or None,
            "seq": len(data["events"]), "summary": data["summary"], "verdicts": data["verdicts"],
            "quiescent": data["quiescent"]}
    cost = time.time() - now  # ``now``: when the computation began.
    hotstate.client().set(hotstate.key(session.id, "summary"), json.dumps(
        {"generation": session.generation, "at": now, "body": body,
         "wait": max(SUMMARY_MIN_AGE_S, SUMMARY_COST_FACTOR * cost)}), ex=3600)
    return body
