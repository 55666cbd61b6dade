"""The lock service: one lock, granted as a lease with a time to live and a fencing token.

Theory of operation
-------------------
Phases: ``free``, ``held`` and ``recovering``. State: ``leases`` (the lease
table: at most one entry ``{client, token, until}``, ``until`` on the lock's
own clock), ``last_token`` (the last token issued) and, once a lease has
left the table, ``ended`` (``{client, token, how}``: the last lease to end
and how, ``released`` or ``expired``; the panels read it instead of guessing
from the cause). A crash ends the lease in the table with the table itself:
the engine's ``crash`` event says so, and the recovered lock holds no ``ended``.

- ``acquire`` when free: issue ``last_token + 1``, force it to the log
  (so tokens keep increasing across a crash), start the lease timer and
  answer ``grant {token, lease_ms}``.
- ``acquire`` from the holder (its grant was lost, or it asks again): grant
  again with the same token and the time left. From anyone else: ``busy
  {retry_ms}``, the time left on the lease.
- ``release`` with the current token, or the lease timer: the lock is free.
  Nobody is told; waiting clients ask again (no queue, so every grant answers
  a request and the client can bound when its lease began).
- ``recover``: the lease table is gone with the crash, so the service does not
  know who may still believe they hold the lock. It waits one whole lease
  (``recovering``, answering ``busy``) before it grants again.

What it cannot promise: a lease is time on *two* clocks. The lock expires it
by its clock; the holder trusts it by its own. A holder that is paused, or
whose clock runs slow, may act after the lock has granted the lease to
someone else. Only the store can stop such a write: fencing.
"""

from __future__ import annotations

from typing import Any

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Note,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    State,
    Transition,
)

LEASE_TIMER = "lease"
GRACE_TIMER = "grace"


def initial_lock_state() -> dict[str, Any]:
    """Return the lock service's boot state: free, no token issued yet."""
    return {"phase": "free", "leases": [], "last_token": 0}


def _answer(event: Receive, type_: str, body: dict[str, Any]) -> Send:
    message = event.message
    return Send(dest=message.src, type=type_, body={"req": message.body.get("req"), **body},
                in_reply_to=message.msg_id)


def _ended(lease: dict[str, Any], how: str) -> dict[str, Any]:
    """Return the record of how a lease left the table (``released`` or ``expired``)."""
    return {"client": lease["client"], "token": lease["token"], "how": how}


def lock_grant(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The lock is free: issue the next token, force it, start the lease and grant it."""
    lease_ms = ctx.params["lease_ms"]
    client, token = event.message.src, state["last_token"] + 1
    lease = {"client": client, "token": token, "until": now + lease_ms}
    state = {**state, "phase": "held", "leases": [lease], "last_token": token}
    return state, [
        Persist(record={"type": "token", "token": token}),
        SetTimer(name=LEASE_TIMER, delay_ms=lease_ms),
        _answer(event, "grant", {"token": token, "lease_ms": lease_ms}),
    ]


def lock_busy(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The lock is held: the holder is granted again (time left); anyone else is told to wait."""
    lease = state["leases"][0]
    left = max(0, lease["until"] - now)
    if event.message.src == lease["client"]:
        return state, [_answer(event, "grant", {"token": lease["token"], "lease_ms": left})]
    return state, [_answer(event, "busy", {"retry_ms": max(1, left)})]


def lock_release(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The holder gives the lock back (a release with an older token changes nothing)."""
    lease = state["leases"][0]
    if event.message.body.get("token") != lease["token"]:
        return state, ()
    return {**state, "phase": "free", "leases": [], "ended": _ended(lease, "released")}, [
        CancelTimer(name=LEASE_TIMER),
        Note(text=f"{lease['client']} releases the lock (token {lease['token']})"),
    ]


def lock_expire(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The lease ran out by the lock's clock: the lock is free, whatever the holder believes."""
    lease = state["leases"][0]
    return {**state, "phase": "free", "leases": [], "ended": _ended(lease, "expired")}, [
        Note(text=f"{lease['client']}'s lease (token {lease['token']}) expires by the lock's clock"),
    ]


def lock_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Take the last token from the log; wait one lease before granting, as the table is lost."""
    tokens = [int(r["token"]) for r in event.durable if r.get("type") == "token"]
    lease_ms = ctx.params["lease_ms"]
    state = {**state, "phase": "recovering", "leases": [], "last_token": max(tokens, default=0),
             "grace_until": now + lease_ms}
    return state, [
        SetTimer(name=GRACE_TIMER, delay_ms=lease_ms),
        Note(text=f"lock recovers (last token {state['last_token']}); it waits one lease before granting"),
    ]


def lock_wait_grace(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Still waiting out a lease after a crash: tell the asker when to come back."""
    return state, [_answer(event, "busy", {"retry_ms": max(1, state["grace_until"] - now)})]


def lock_grace_over(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Every lease granted before the crash has expired: the lock is free again."""
    return {key: value for key, value in state.items() if key != "grace_until"} | {"phase": "free"}, [
        Note(text="every lease from before the crash has run out: the lock is free")]


def lock_rows() -> list[Transition]:
    """Return the lock service's rows of a transition table."""
    late = "a release that arrives after the lease ended (expired, or lost with a crash) changes nothing"
    return [
        Transition(role="lock", phase="free", on="start", to=("free",), why="the lock waits for requests"),
        Transition(role="lock", phase="free", on="msg:acquire", to=("held",), handler=lock_grant),
        Transition(role="lock", phase="free", on="msg:release", to=("free",), why=late),
        Transition(role="lock", phase="held", on="msg:acquire", to=("held",), handler=lock_busy),
        Transition(role="lock", phase="held", on="msg:release", to=("held", "free"), handler=lock_release),
        Transition(role="lock", phase="held", on="timer:lease", to=("free",), handler=lock_expire),
        Transition(role="lock", phase="recovering", on="msg:acquire", to=("recovering",), handler=lock_wait_grace),
        Transition(role="lock", phase="recovering", on="msg:release", to=("recovering",), why=late),
        Transition(role="lock", phase="recovering", on="timer:grace", to=("free",), handler=lock_grace_over),
        Transition(role="lock", phase=ANY_PHASE, on="recover", to=("recovering",), handler=lock_recover),
    ]
