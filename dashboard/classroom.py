"""A class around a session: join codes, the teacher's view, the audience, students' sandboxes, the end.

Everything here lives beside the session's event log, never in it (the trace
stays byte-identical): the teacher's view and the audience in Redis, join
codes, sandboxes and the end of class in the database.

- **Join code**: six letters from an alphabet without look-alikes, typed in
  any case; ``/j/<code>`` resolves to the watcher link.
- **View**: what the controller's page shows (live or a seq, tab, selection,
  space-time zoom, a spotlight, a sandbox on the projector), versioned by a
  counter so a follower applies each change once and in order.
- **Audience**: one Redis hash per session, a field per socket. A field names
  the web process holding the socket; a process refreshes its heartbeat key
  every few seconds, so the sockets of a process that was killed stop being
  counted when its heartbeat expires.
- **Sandboxes**: forks a student makes of the class ("Try it yourself"),
  throttled per client and capped per class; swept some time after the class
  ends unless their student kept them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import secrets
import threading
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from dashboard import broadcast, controller, hotstate, hub, limits
from dashboard.models import Session

JOIN_ALPHABET = "ACDEFHJKMNPRTUVWXY"
"""No B/8, G/6, I/L/1, O/Q/0, S/5, Z/2: a code read off a projector is typed right the first time."""

JOIN_CODE_LENGTH = 6
"""18**6 = 34 million codes: a collision is retried, a guess is hopeless."""

PROCESS_TTL_S = 10
"""A web process whose heartbeat is older than this is gone; its sockets leave the audience."""

HEARTBEAT_S = 3.0
"""How often a web process says it is alive."""

AUDIENCE_EVERY_S = 1.0
"""How often a teacher's page is told the audience (only when it changed): counts exact within 2 s."""

# Limits (settings, from the environment): PROTOLAB_MAX_SANDBOXES, students' forks one class session may
# have (200: a lecture hall, with room to spare); PROTOLAB_FORKS_PER_MINUTE, forks one client address may
# make a minute (6: a student retrying, never a script filling the database); PROTOLAB_SANDBOX_TTL_S, how
# long the sandboxes of an ended class stay unless kept (a day).

MAX_NAME_LENGTH = 40

PROCESS_ID = uuid.uuid4().hex[:12]
"""This web process, as the audience names it."""

ANIMALS = ("otter", "panda", "heron", "lynx", "koala", "falcon", "badger", "gecko", "crane", "ibex",
           "marten", "orca", "puffin", "quokka", "tapir", "walrus", "yak", "zebra", "beaver", "dingo")
"""Anonymous students are named after an animal (the page translates the word)."""


class ClassroomError(Exception):
    """A classroom request that cannot be met: ``code`` for the API, ``status`` for HTTP."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# ------------------------------------------------------------ join codes


def new_join_code() -> str:
    """Return a random join code."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """Return a typed code in its stored form, or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != JOIN_CODE_LENGTH or any(c not in JOIN_ALPHABET for c in code):
        return None
    return code


def ensure_join_code(session: Session) -> str:
    """Return the session's join code, giving it one first if it has none."""
    while not session.join_code:
        code = new_join_code()
        try:
            with transaction.atomic():
                if Session.objects.filter(id=session.id, join_code__isnull=True).update(join_code=code):
                    session.join_code = code
                else:
                    session.refresh_from_db(fields=["join_code"])
        except IntegrityError:  # Another session has it: draw again.
            continue
    return session.join_code


def resolve(text: str) -> Session | None:
    """Return the session a typed join code names, or None."""
    code = normalise_code(text)
    return Session.objects.filter(join_code=code).first() if code else None


# ------------------------------------------------------------ the teacher's view


_STORE_VIEW = """
-- KEYS: the view's counter, the view, the session's channel. ARGV: the view's JSON without its closing brace.
local v = redis.call('incr', KEYS[1])
local view = ARGV[1] .. (ARGV[1] == '{' and '' or ',') .. '"v":' .. v .. '}'
redis.call('set', KEYS[2], view)
redis.call('publish', KEYS[3], '{"type":"lab.view","view":' .. view .. '}')
return v
"""
"""Number, store and publish a view in one round trip (three took a third of a view's cost under load)."""


def store_view(session_id: str, view: dict[str, Any]) -> dict[str, Any]:
    """Save the controller's view (validated by dashboard/wsproto.py), numbered; publish it; return it."""
    body = json.dumps(view, ensure_ascii=False, separators=(",", ":"))[:-1]
    v = hotstate.client().eval(_STORE_VIEW, 3, hotstate.key(session_id, "view-v"), hotstate.key(session_id, "view"),
                               hub.channel(session_id), body)
    return {**view, "v": int(v)}


def load_view(session_id: str) -> dict[str, Any] | None:
    """Return the controller's last view, or None (none yet, or Redis lost it)."""
    raw = hotstate.client().get(hotstate.key(session_id, "view"))
    return json.loads(raw) if raw else None


# ------------------------------------------------------------ the audience


def anonymous_name(client_id: str) -> str:
    """Return the animal an anonymous client is called after (stable for its client id)."""
    return ANIMALS[int.from_bytes(client_id.encode(), "big") % len(ANIMALS)] if client_id else ANIMALS[0]


_members: dict[tuple[str, str], str] = {}
"""This process's sockets as counted ((session, socket) -> record): the heartbeat writes them again, so a
count lost to a Redis restart or a late heartbeat comes back by itself (tests/live/test_audience.py)."""

_members_lock = threading.Lock()
"""Held while the records are written: a socket leaving between the heartbeat's reading of ``_members``
and its write would otherwise be counted again, for good (a churn of 100 sockets showed one)."""


def enter(session_id: str, conn: str, member: dict[str, Any]) -> None:
    """Count a socket in the session's audience (or update how it is counted)."""
    record = json.dumps({**member, "proc": PROCESS_ID}, ensure_ascii=False)
    with _members_lock:
        _members[(session_id, conn)] = record
        hotstate.client().hset(hotstate.key(session_id, "audience"), conn, record)


def leave(session_id: str, conn: str) -> None:
    """Stop counting a socket."""
    with _members_lock:
        _members.pop((session_id, conn), None)
        hotstate.client().hdel(hotstate.key(session_id, "audience"), conn)


def heartbeat() -> None:
    """Say this web process is alive, and write its sockets' records again (one round trip)."""
    with _members_lock:
        pipe = hotstate.client().pipeline(transaction=False)
        pipe.set(f"{settings.PROTOLAB_PREFIX}:webproc:{PROCESS_ID}", "1", ex=PROCESS_TTL_S)
        for (session_id, conn), record in _members.items():
            pipe.hset(hotstate.key(session_id, "audience"), conn, record)
        pipe.execute()


async def keep_alive() -> None:
    """Run the heartbeat of this web process forever (started once per event loop, see ensure_heartbeat)."""
    while True:
        with contextlib.suppress(RedisError, OSError):
            await asyncio.to_thread(heartbeat)
        await asyncio.sleep(HEARTBEAT_S)


_beats: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}


def ensure_heartbeat() -> None:
    """Start this event loop's heartbeat task if it is not running."""
    loop = asyncio.get_running_loop()
    task = _beats.get(loop)
    if task is None or task.done():
        _beats[loop] = loop.create_task(keep_alive(), name="classroom-heartbeat")


def audience(session_id: str) -> dict[str, Any]:
    """Return who watches the session: counts and members (students first), dropping dead processes' sockets."""
    r = hotstate.client()
    key = hotstate.key(session_id, "audience")
    raw = r.hgetall(key)
    records = {conn.decode(): json.loads(value) for conn, value in raw.items()}
    procs = sorted({rec["proc"] for rec in records.values()})
    alive = dict(zip(procs, r.mget([f"{settings.PROTOLAB_PREFIX}:webproc:{p}" for p in procs]), strict=True))
    dead = [conn for conn, rec in records.items() if alive.get(rec["proc"]) is None]
    if dead:
        r.hdel(key, *dead)
    members = [rec for conn, rec in sorted(records.items()) if conn not in dead and rec.get("role") != "controller"]
    following = sum(1 for m in members if m.get("following"))
    brief = [{"name": m.get("name") or "", "animal": m.get("animal") or "", "following": bool(m.get("following"))}
             for m in members]
    brief.sort(key=lambda m: (not m["following"], m["name"] or "~", m["animal"]))
    return {"connected": len(members), "following": following, "detached": len(members) - following,
            "members": brief[:MAX_MEMBERS_LISTED]}


MAX_MEMBERS_LISTED = 300
"""Members named in one audience frame: a lecture hall; the counts stay exact beyond it."""


# ------------------------------------------------------------ sandboxes


def check_fork_allowed(parent: Session, client_address: str, sandbox: bool) -> None:
    """Refuse a fork that is over its client's rate or (for a sandbox) over its class's cap."""
    try:
        limits.take("fork", client_address, settings.PROTOLAB_FORKS_PER_MINUTE, "forks")
    except limits.Throttled as exc:
        raise ClassroomError("rate_limited", exc.message, status=429) from None
    cap = settings.PROTOLAB_MAX_SANDBOXES
    if sandbox and Session.objects.filter(forked_from=parent.id, sandbox=True).count() >= cap:
        raise ClassroomError("too_many_sandboxes", f"this class already has {cap} sandboxes; ask the teacher",
                             status=409)


def sandboxes(session_id: str) -> list[dict[str, Any]]:
    """Return the class's sandboxes, newest last: student, where it was forked, where it is, what it broke."""
    rows = list(Session.objects.filter(forked_from=session_id, sandbox=True).order_by("created")
                .values("id", "owner", "fork_seq", "status")[:settings.PROTOLAB_MAX_SANDBOXES])
    hots = hotstate.client().mget([hotstate.key(row["id"], "hot") for row in rows]) if rows else []
    out = []
    for row, raw in zip(rows, hots, strict=True):
        hot = hotstate.decode_hot(raw) or {}
        verdicts = hot.get("verdicts") or {}
        broken = sorted(name for name, verdict in verdicts.items() if verdict == "violated")
        out.append({"id": row["id"], "owner": row["owner"], "fork_seq": row["fork_seq"], "status": row["status"],
                    "seq": hot.get("seq"), "done": hot.get("done"), "violations": broken})
    return out


def keep(session: Session) -> None:
    """Keep a sandbox past the end of its class (its student asked)."""
    Session.objects.filter(id=session.id).update(sandbox=False)


# ------------------------------------------------------------ the end of class


def end(session: Session) -> str:
    """End the class: stop play, note when, tell every page; return the time (ISO 8601)."""
    ended = session.ended_at or timezone.now()
    Session.objects.filter(id=session.id, ended_at__isnull=True).update(ended_at=ended)
    session.ended_at = ended
    play = controller.set_play(session.id, playing=False)
    broadcast.status(session.id, {"play": play, "ended": ended.isoformat()})
    return ended.isoformat()


SWEEP_EVERY_S = 600
"""The lab sweeps by itself at most this often, when a sandbox is made (also: manage.py sweep_sandboxes)."""


def sweep_now_and_then() -> None:
    """Sweep unless another process swept in the last SWEEP_EVERY_S (one Redis key decides)."""
    if hotstate.client().set(f"{settings.PROTOLAB_PREFIX}:swept", "1", nx=True, ex=SWEEP_EVERY_S):
        sweep()


def sweep(now: datetime.datetime | None = None) -> int:
    """Delete sandboxes older than PROTOLAB_SANDBOX_TTL_S of classes that ended as long ago (not kept); say how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=settings.PROTOLAB_SANDBOX_TTL_S)
    ended = Session.objects.filter(ended_at__lt=cutoff).values_list("id", flat=True)
    doomed = list(Session.objects.filter(sandbox=True, forked_from__in=list(ended), created__lt=cutoff)
                  .values_list("id", flat=True))
    for session_id in doomed:
        hotstate.forget(session_id)
    Session.objects.filter(id__in=doomed).delete()
    return len(doomed)
