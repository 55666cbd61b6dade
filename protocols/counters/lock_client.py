"""The client side of the lease lock: acquire, trust the lease by one's own clock, release.

Theory of operation
-------------------
A client asks the lock service (``acquire {req}``; ``req`` numbers its
requests) and notes *its own* clock reading when it sent the request
(``sent_at``). A ``grant {token, lease_ms}`` answering its latest request
gives it a lease until ``sent_at + lease_ms`` on its own clock: the lease
began at the lock no earlier than the request left, so with clocks that run
at the same rate this ends no later than the lock's. A grant answering an
older request is ignored (the client asks again and the lock re-grants with
the time left). ``busy {retry_ms}`` means someone else holds the lock: the
client waits a jittered part of that time and asks again.

Before it acts on its lease the client checks it, by its own clock
(``now`` is the node's local, possibly skewed, time), keeping a small margin.
That check is the whole weakness of leases: a client that is paused right
after it, or whose clock runs slow, acts on a lease the lock has already
given to someone else. It then releases with its token; a release, or any
grant it no longer wants, is answered by no one.

Limits: ``max_acquires`` requests per operation (at most
:data:`MAX_ACQUIRES_PER_OP`), and ``max_tries`` unanswered ones in a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from protocols.base import (
    ANY_PHASE,
    STAY,
    CancelTimer,
    Context,
    Effect,
    Handler,
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
from protocols.common.rng import Stream
from protocols.counters import client as cl
from protocols.counters.client import RETRY, current_op, finish_op, gave_up_text, out_of_tries
from protocols.counters.params import LOCK, STORE, client_names

MAX_ACQUIRES_PER_OP = 64
"""The most acquire requests per operation (busy answers included) before a client gives the operation up:
the ``max_acquires`` parameter's default and ceiling."""

EPOCH_SPAN = 1_000_000
"""After a restart, request numbers are ``epoch * EPOCH_SPAN + counter`` (as the hash ring's caches number
theirs), so a recovered client never takes a grant meant for a request of an earlier life for its own."""

CHECK_MARGIN_MS = 2
"""A lease with this little time left (by the holder's clock) is treated as expired: the write still has
to leave the client."""

LEASE_FIELDS: dict[str, Any] = {"req": 0, "acquires": 0, "sent_at": None, "token": None, "lease_until": None}
"""What a lock client adds to its state; ``token`` and ``lease_until`` are set only while it holds a lease."""

C = "client"
NEXT = ("thinking", "done")
"""Where a client goes when an operation ends: think before the next one, or stop."""
RETRIED = ("acquiring", *NEXT)
"""Where losing a lease leads: asking for the lock again (or giving up after too many requests)."""
LATE = "a late or duplicated answer to a request this client has finished with"


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (their start draws then match counter-naive's), then the lock and the store."""
    return {**{name: "client" for name in client_names(params["clients"])}, LOCK: "lock", STORE: "store"}


def acquiring_rows(begin: Handler, granted: Handler, holding: str) -> list[Transition]:
    """Rows of a client that thinks, then takes the lock (``begin``), then holds it in phase ``holding``."""
    return [
        Transition(role=C, phase="thinking", on="start", to=NEXT, handler=cl.client_start),
        Transition(role=C, phase="thinking", on="timer:think", to=RETRIED, handler=begin),
        Transition(role=C, phase="acquiring", on="msg:grant", to=("acquiring", holding), handler=granted),
        Transition(role=C, phase="acquiring", on="msg:busy", to=("acquiring",), handler=on_busy),
        Transition(role=C, phase="acquiring", on="timer:retry", to=RETRIED, handler=acquire_retry),
    ]


def writing_rows(write_retry: Handler, phases: tuple[str, ...], late: tuple[str, ...]) -> list[Transition]:
    """Rows of a client writing under its lease, then of whatever arrives late (``late``: more answer types)."""
    return [
        Transition(role=C, phase="writing", on="msg:write_ok", to=("writing", *NEXT), handler=written),
        Transition(role=C, phase="writing", on="msg:error", to=("writing", *RETRIED), handler=refused),
        Transition(role=C, phase="writing", on="timer:retry", to=("writing", *NEXT), handler=write_retry),
        Transition(role=C, phase=ANY_PHASE, on="msg:grant", to=(STAY,), handler=unwanted_grant,
                   why="a grant this client no longer waits for: give it back unless it is the lease held"),
        *(Transition(role=C, phase=ANY_PHASE, on=f"msg:{type_}", to=phases, why=LATE)
          for type_ in ("busy", *late, "write_ok", "error")),
        Transition(role=C, phase=ANY_PHASE, on="recover", to=NEXT, handler=recover),
    ]


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Go on as every counter client does, in a new epoch (forced first) that numbers requests afresh."""
    epoch = 1 + sum(1 for r in event.durable if r.get("type") == "restart")
    new, effects = cl.client_recover(ctx, {**state, "req": epoch * EPOCH_SPAN}, event, now)
    return new, [Persist(record={"type": "restart", "epoch": epoch}), *effects]


def start_acquiring(ctx: Context, state: State, effects: Sequence[Effect], now: int) -> Outcome:
    """Begin taking the lock for a new operation."""
    return send_acquire(ctx, {**state, "acquires": 0}, effects, now)


def send_acquire(ctx: Context, state: State, effects: Sequence[Effect], now: int) -> Outcome:
    """Ask the lock service for the lock (again), noting when by this client's clock."""
    if state["acquires"] >= ctx.params["max_acquires"]:
        return finish_op(ctx, state, effects, f"{ctx.node} gives up {current_op(ctx, state)}: "
                                              f"{state['acquires']} requests for the lock")
    req = state["req"] + 1
    state = {**state, "phase": "acquiring", "req": req, "sent_at": now, "tries": state["tries"] + 1,
             "acquires": state["acquires"] + 1, "token": None, "lease_until": None}
    return state, [*effects, Send(dest=LOCK, type="acquire", body={"req": req}),
                   SetTimer(name=RETRY, delay_ms=ctx.params["retry_ms"])]


def take_grant(state: State, event: Receive) -> dict[str, Any] | None:
    """Return the state holding the granted lease, or None if the grant answers an older request."""
    body = event.message.body
    if body.get("req") != state["req"]:
        return None
    return {**state, "tries": 0, "token": body["token"], "lease_until": state["sent_at"] + body["lease_ms"]}


def on_busy(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Someone else holds the lock: wait part of the time it has left, then ask again."""
    body = event.message.body
    if body.get("req") != state["req"]:
        return state, ()  # An answer to an older request; the latest one is still out.
    stream = Stream(state["stream"])
    left = max(1, int(body.get("retry_ms", 1)))
    wait = stream.between(max(1, left // 2), left) + 1
    return {**state, "tries": 0, "stream": stream.state}, [SetTimer(name=RETRY, delay_ms=wait)]


def acquire_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No answer (or the wait after busy is over): ask again, or give up after too many silences."""
    if out_of_tries(ctx, state):
        return finish_op(ctx, state, [], gave_up_text(ctx, state, "lock"))
    return send_acquire(ctx, state, [], now)


def lease_left(state: State, now: int) -> int:
    """Return how long the lease still lasts by this client's own clock."""
    return int(state["lease_until"]) - now if state["lease_until"] is not None else 0


def lease_valid(state: State, now: int) -> bool:
    """Say whether this client, by its own clock, still holds its lease (with a small margin)."""
    return lease_left(state, now) > CHECK_MARGIN_MS


def release(state: State) -> tuple[dict[str, Any], list[Effect]]:
    """Give the lock back and forget the lease."""
    effects: list[Effect] = []
    if state["token"] is not None:
        effects.append(Send(dest=LOCK, type="release", body={"token": state["token"]}))
    return {**state, "token": None, "lease_until": None}, effects


def lease_lost(ctx: Context, state: State, now: int, why: str) -> Outcome:
    """The lease is gone (expired by this client's clock, or fenced out): release and ask again."""
    state, effects = release(state)
    return send_acquire(ctx, {**state, "tries": 0}, [*effects, CancelTimer(name=RETRY), Note(text=why)], now)


def unwanted_grant(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A grant this client is not waiting for (late, duplicated): release it unless it is the one held."""
    token = event.message.body.get("token")
    if token == state.get("token"):
        return state, ()
    return state, [Send(dest=LOCK, type="release", body={"token": token})]


def written(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The write is in: release the lock, think, then the next operation."""
    if event.message.body.get("op") != current_op(ctx, state):
        return state, ()  # A late acknowledgement of an earlier write.
    state, effects = release(state)
    return finish_op(ctx, state, effects)


def refused(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Fenced out: the store has seen a newer token. Take the lock again and redo the operation."""
    body = event.message.body
    if body.get("op") != current_op(ctx, state) or body.get("token") != state["token"]:
        return state, ()  # A refusal of an earlier attempt.
    return lease_lost(ctx, state, now, f"the store refused token {body['token']} (it has seen "
                                       f"{body['max_token']}): {ctx.node} takes the lock again")


def ask_again_or_release(ctx: Context, state: State, asked: str,
                         ask: Callable[[Context, State], Outcome]) -> Outcome:
    """Ask the store again, or release the lock and give the operation up after ``max_tries`` silences."""
    if out_of_tries(ctx, state):
        state, effects = release(state)
        return finish_op(ctx, state, effects, gave_up_text(ctx, state, asked))
    return ask(ctx, state)
