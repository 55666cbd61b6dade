"""Who steps next: one step in flight per session, commands in arrival order, play paced by the engine.

Users' commands join the session's queue in Redis; :func:`kick` takes the
session's in-flight lock, picks the next command (a queued one first, else an
auto step while playing), routes it to the worker queue of the node it
concerns and hands it to a runner. The step's task releases the lock and
kicks again. Play is paced by the engine's own schedule: the wait before an
auto step is the virtual time until the next due entry divided by the speed
(short countdowns only, never long ETAs, which collide with the broker's
visibility timeout); idle gaps are compressed to at most MAX_PACE_S.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from dashboard import broadcast, hotstate, stepper
from dashboard.models import Session

MAX_PACE_S = 2.0
"""Longest wait between two auto steps, whatever the virtual gap."""

MAX_DELIVERIES = 3
"""A step delivered more often than this (its worker keeps dying) fails the session instead of looping."""

STALL_S = 5.0
"""A dispatched step that has not finished after this long is sent again (see _redispatch_if_stalled)."""

PACED_BATCH_STEPS = 50
"""Paced play: most auto steps one task runs to catch up with its schedule (the ones already due)."""

CATCH_UP_SLACK_S = 0.005
"""Paced play: a step due this soon after the task runs counts as due (rounding, not running early)."""

MAX_QUEUED_COMMANDS = 1000
"""Commands waiting per session; beyond this a controller is flooding and is refused."""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

_TAKE = """
-- KEYS: inflight, failed, hot, queue, play, pace.
-- ARGV: new token, lock TTL, the token the caller holds ('' if none), a command to queue first ('' if none),
-- the queue's limit. Returns {-1} if the queue is full, {0} if another step holds the lock, else
-- {1, failed, hot, next queued command, play, pace}, '' standing for a missing value.
if ARGV[4] ~= '' then
  if redis.call('llen', KEYS[4]) >= tonumber(ARGV[5]) then return {-1} end
  redis.call('rpush', KEYS[4], ARGV[4])
end
local held = redis.call('get', KEYS[1])
if held and held ~= ARGV[3] then return {0} end
redis.call('set', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return {1, redis.call('get', KEYS[2]) or '', redis.call('get', KEYS[3]) or '', redis.call('lpop', KEYS[4]) or '',
        redis.call('get', KEYS[5]) or '', redis.call('get', KEYS[6]) or ''}
"""
"""Queue a command, take (or keep) the in-flight lock and read what the next plan needs, in one round
trip: a step's latency is mostly round trips (before: five, from queueing to planning; bench/live.py)."""


@dataclass(frozen=True)
class Plan:
    """One step to run: which session, which step, what command, on which worker queue, when."""

    session_id: str
    generation: int
    step: int
    command: dict[str, Any]
    batch: int
    queue: int
    countdown: float
    token: str
    pace: dict[str, float] | None = None
    """Paced play's schedule (wall, virtual, speed): the task runs every step already due by it."""


class Runner(Protocol):
    """Carries a plan to wherever steps run (this process, or a Celery worker)."""

    def dispatch(self, plan: Plan) -> None: ...


def set_play(session_id: str, playing: bool | None = None, speed: float | None = None) -> dict[str, Any]:
    """Change play or speed: in the database (durable), then in Redis (the working copy); return the new state."""
    state = play_state(session_id)
    if playing is not None:
        state["playing"] = playing
    if speed is not None:
        state["speed"] = speed
    Session.objects.filter(id=session_id).update(playing=state["playing"], speed=state["speed"])
    return hotstate.store_play(session_id, state["playing"], state["speed"])


def play_state(session_id: str) -> dict[str, Any]:
    """Return whether the session plays and how fast: Redis's copy, or the database's when Redis lost it."""
    raw = hotstate.client().get(hotstate.key(session_id, "play"))
    return hotstate.decode_play(raw) if raw else _restore_play(session_id)


def _restore_play(session_id: str) -> dict[str, Any]:
    """Put the durable play state back in Redis (after a restart) and return it."""
    row = Session.objects.filter(id=session_id).values("playing", "speed").first()
    if row is None:
        return hotstate.decode_play(None)
    return hotstate.store_play(session_id, row["playing"], row["speed"])


def resume_all(runner: Runner) -> int:
    """Kick every live session the database says is playing (a worker starting after Redis came back)."""
    resumed = 0
    for session_id in Session.objects.filter(playing=True, status="live", ended_at__isnull=True) \
            .values_list("id", flat=True):
        kick(session_id, runner)
        resumed += 1
    return resumed


def submit(session_id: str, command: dict[str, Any], runner: Runner) -> bool:
    """Queue a validated command behind any others and dispatch if nothing is in flight; False if the queue is full."""
    return _advance(session_id, runner, enqueue=json.dumps(command, sort_keys=True))


def kick(session_id: str, runner: Runner, held: str = "") -> None:
    """Dispatch the session's next step unless one is already in flight.

    ``held``: the in-flight token of the step that just finished, handed
    over to the next plan without being released in between.
    """
    _advance(session_id, runner, held=held)


def _advance(session_id: str, runner: Runner, held: str = "", enqueue: str = "") -> bool:
    r = hotstate.client()
    keys = [hotstate.key(session_id, name) for name in ("inflight", "failed", "hot", "queue", "play", "pace")]
    while True:
        token = f"{secrets.token_hex(8)}@{time.time():.3f}"  # When the lock was taken travels with it.
        taken, *state = _take_script()(keys=keys, args=[token, hotstate.INFLIGHT_TTL_S, held, enqueue,
                                                        MAX_QUEUED_COMMANDS], client=r)
        held = enqueue = ""
        if taken < 0:
            return False
        if not taken:
            if _redispatch_if_stalled(session_id, runner):
                continue  # An orphaned lock was cleared: take it now.
            return True  # A step is in flight; its task will kick again.
        plan = _next_plan(session_id, token, *(value or None for value in state))
        if plan is not None:
            _remember(plan)
            runner.dispatch(plan)
            return True
        release(session_id, token)
        if not r.llen(keys[3]):
            return True  # Nothing arrived while we held the lock.


_take: Any = None


def _take_script() -> Any:
    """Return the lock-and-read script (sent by its hash; loaded again if Redis restarted and forgot it)."""
    global _take
    if _take is None:
        _take = hotstate.client().register_script(_TAKE)
    return _take


def _remember(plan: Plan) -> None:
    """Note the dispatched plan and when, so that a lost task message can be sent again."""
    record = {"plan": plan_to_args(plan), "at": time.time()}
    hotstate.client().set(hotstate.key(plan.session_id, "plan"), json.dumps(record), ex=hotstate.INFLIGHT_TTL_S)


def _redispatch_if_stalled(session_id: str, runner: Runner) -> bool:
    """Unstick a session whose step has not finished after STALL_S; say whether its lock was cleared.

    Two ways a step gets stuck, both measured here: its broker message is
    lost (a task published while Redis restarts, before the workers
    re-declare their queues), so the step is sent again (steps are
    idempotent, a second copy of one that ran changes nothing); or the
    process that took the lock died before it dispatched anything (a worker
    SIGKILLed inside the previous step's kick), so the orphaned lock is
    cleared and the caller takes it afresh.
    """
    r = hotstate.client()
    held = r.get(hotstate.key(session_id, "inflight"))
    if held is None:
        return False
    token = held.decode()
    taken_at = float(token.rpartition("@")[2] or 0)
    raw = r.get(hotstate.key(session_id, "plan"))
    record = json.loads(raw) if raw else None
    if record is not None and record["plan"]["token"] == token:
        if time.time() - record["at"] >= STALL_S:
            _remember(Plan(**record["plan"]))
            runner.dispatch(Plan(**record["plan"]))
        return False
    if time.time() - taken_at < STALL_S:
        return False  # Taken a moment ago: its plan is on the way.
    release(session_id, token)
    return True


def release(session_id: str, token: str) -> None:
    """Release the in-flight lock if this plan still holds it."""
    r = hotstate.client()
    r.eval(_RELEASE, 1, hotstate.key(session_id, "inflight"), token)


def _next_plan(session_id: str, token: str, failed: bytes | None, hot_raw: bytes | None, raw: bytes | None,
               play_raw: bytes | None, pace_raw: bytes | None = None) -> Plan | None:
    # The database is asked only when Redis has lost the hot state (a step's latency is round trips).
    r = hotstate.client()
    hot = hotstate.decode_hot(hot_raw)
    if failed or hot is None:
        session = Session.objects.filter(id=session_id).first()
        if failed or session is None or session.status == "failed":
            r.delete(hotstate.key(session_id, "queue"))
            return None
        hot = stepper.hot_or_rebuild(session)
    # A stale generation (a reset racing this plan) is harmless: apply_step answers "stale".
    generation = hot["generation"]
    batch, countdown, pace = 1, 0.0, None
    if raw is not None:
        command = json.loads(raw)
    else:
        play = hotstate.decode_play(play_raw) if play_raw else _restore_play(session_id)
        if not play["playing"] or hot["done"]:
            return None
        command = {"cmd": "step"}
        if play["speed"] == hotstate.MAX_SPEED:
            batch = stepper.MAX_BATCH_STEPS
        elif hot["next_due"] is not None:
            countdown, pace = _schedule(session_id, hot, play["speed"], json.loads(pace_raw) if pace_raw else None)
            batch = PACED_BATCH_STEPS
    node = _node_concerned(command, hot)
    queue = hot["placement"].get(node, 0) if node else 0
    return Plan(session_id=session_id, generation=generation, step=hot["step"] + 1, command=command,
                batch=batch, queue=queue, countdown=countdown, token=token, pace=pace)


def _countdown(session_id: str, hot: dict[str, Any], speed: float, pace: dict[str, Any] | None) -> float:
    """Return how long to wait before the next auto step (see :func:`_schedule`)."""
    return _schedule(session_id, hot, speed, pace)[0]


def _schedule(session_id: str, hot: dict[str, Any], speed: float,
              pace: dict[str, Any] | None) -> tuple[float, dict[str, Any]]:
    """Return how long to wait before the next auto step, against the session's schedule (not its last
    step), and the schedule.

    The schedule is an anchor: the wall time at which virtual time ``virtual`` was (or is) due. Counting
    each wait from the end of the previous step instead adds every step's own latency to every gap: a
    sandbox at 5 steps/s kept 81-94 % of its pace that way (bench/classroom.py). A new anchor is laid when
    there is none, the speed changed, an idle gap must be compressed to MAX_PACE_S, or the session fell
    more than MAX_PACE_S behind (it then goes on from now rather than rushing to catch up).
    """
    now = time.time()
    due = hot["next_due"]
    if pace is not None and pace["speed"] == speed:
        wait = pace["wall"] + (due - pace["virtual"]) / speed / 1000.0 - now
        if -MAX_PACE_S <= wait <= MAX_PACE_S:
            return max(0.0, wait), pace
    wait = min(MAX_PACE_S, max(0, due - hot["now"]) / speed / 1000.0)
    pace = {"wall": now + wait, "virtual": due, "speed": speed}
    hotstate.client().set(hotstate.key(session_id, "pace"), json.dumps(pace), ex=3600)
    return wait, pace


def due_by(pace: dict[str, Any], at: float) -> float:
    """Return the virtual time (ms) the schedule ``pace`` has reached at wall time ``at``."""
    return pace["virtual"] + (at - pace["wall"]) * pace["speed"] * 1000.0


def _node_concerned(command: dict[str, Any], hot: dict[str, Any]) -> str | None:
    """Return the node whose worker should run this step."""
    if "node" in command:
        return str(command["node"])
    if "id" in command:
        for entry in hot["pending"]:
            if entry["id"] == command["id"]:
                return str(entry["node"])
        return None
    if command["cmd"] == "step":
        return hot.get("next_node") or None
    return None


def execute(plan: Plan, runner: Runner) -> dict[str, Any]:
    """Run a dispatched plan (in whichever process got it), then hand the in-flight lock to the next plan."""
    r = hotstate.client()
    tries_key = hotstate.key(plan.session_id, f"tries:{plan.generation}:{plan.step}")
    tries, _ = r.pipeline(transaction=False).incr(tries_key).expire(tries_key, 3600).execute()
    try:
        if tries > MAX_DELIVERIES:
            if Session.objects.filter(id=plan.session_id).exists():
                stepper.fail(plan.session_id, f"step {plan.step} was delivered {tries} times; its worker keeps dying")
            return {"result": "failed"}
        if plan.pace is not None and plan.countdown and not _still_playing(plan):
            return {"result": "skipped"}  # Paused while this auto step waited.
        until = due_by(plan.pace, time.time() + CATCH_UP_SLACK_S) if plan.pace is not None else None
        result = stepper.apply_step(plan.session_id, plan.generation, plan.step, plan.command, batch=plan.batch,
                                    until=until)
        if result["result"] == "refused":
            broadcast.send(plan.session_id, {"type": "lab.error", "code": result["code"],
                                             "message": result["message"], "command": plan.command})
        return result
    finally:
        kick(plan.session_id, runner, held=plan.token)


def _still_playing(plan: Plan) -> bool:
    return bool(play_state(plan.session_id)["playing"])


def plan_to_args(plan: Plan) -> dict[str, Any]:
    """Return a plan as plain JSON values, for a Celery task's arguments."""
    return asdict(plan)
