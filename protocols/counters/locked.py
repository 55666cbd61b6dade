"""The naive counter made correct: a fenced lease lock around every read-modify-write.

Theory of operation
-------------------
Roles: clients ``c1..cN`` (the same names and workload parameters as
``counter-naive``, so ``manage.py compare`` runs both on one workload and
seed), the lock service ``lock`` and the ``store``.

An increment: take the lock (``acquire``, answered ``grant {token}`` or
``busy``); ``read {token}``; check the lease by the client's own clock; if it
still holds, ``write {value + 1, token}``; on ``write_ok`` release the lock.
Client phases: ``thinking -> acquiring -> reading -> writing -> thinking ...
-> done``.

Why the lock alone is not enough: a lease is trusted by the holder's clock,
so a paused holder, or one whose clock runs slow, may write after the lock
has granted the lease to someone else, and overwrite that client's increment.
Fencing closes the gap: the store remembers the highest token it has seen,
*on reads as well as writes* (a new holder's read must already shut out the
old holder's write, or the old write could land between the new holder's
read and write), and refuses a lower one with a definite ``stale_token``
error. A refused client has lost its lease: it releases, takes the lock again
and redoes the increment from a fresh read. An expired lease at the check
does the same.

Guarantee: no acknowledged increment is lost, whatever the pauses, clock
skews, crashes and network faults (``lost-update`` and
``stale-write-accepted`` hold). ``one-believer-at-a-time`` may still break:
two clients can believe they hold the lock; fencing makes that harmless.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Outcome, Receive, Send, SetTimer, State, Transition, TransitionTable
from protocols.budget import contended
from protocols.counters import client as cl
from protocols.counters import lock_client as lc
from protocols.counters import store as st
from protocols.counters.invariants import CLIENTS_FINISH, LOCK_INVARIANTS, LOST_UPDATE
from protocols.counters.lock_service import initial_lock_state, lock_rows
from protocols.counters.params import ACQUIRES_PARAM, COUNTER_PARAMS, LEASE_PARAM, STORE
from protocols.counters.scenarios import LOCKED_SCENARIOS
from protocols.counters.summary import summarize
from protocols.spec import ProtocolSpec

CLIENT_PHASES = ("thinking", "acquiring", "reading", "writing", "done")

def send_read(ctx: Context, state: State) -> Outcome:
    """Read the counter under the lease's token (which shuts out older holders at the store)."""
    state = {**state, "phase": "reading", "tries": state["tries"] + 1}
    return state, [Send(dest=STORE, type="read", body={"token": state["token"], "op": cl.current_op(ctx, state)}),
                   SetTimer(name=cl.RETRY, delay_ms=ctx.params["retry_ms"])]


def send_write(ctx: Context, state: State) -> Outcome:
    """Write the value read plus one, fenced by the lease's token."""
    body = {"value": state["value"] + 1, "op": cl.current_op(ctx, state), "read": state["read"],
            "token": state["token"]}
    state = {**state, "phase": "writing", "tries": state["tries"] + 1}
    return state, [Send(dest=STORE, type="write", body=body),
                   SetTimer(name=cl.RETRY, delay_ms=ctx.params["retry_ms"])]


def begin_increment(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Thinking is over: number the increment and ask for the lock."""
    state, effects = cl.begin_op(ctx, state)
    return lc.start_acquiring(ctx, {**state, "value": None, "read": None}, effects, now)


def granted(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The lock is this client's: read the counter under its token."""
    holding = lc.take_grant(state, event)
    if holding is None:
        return state, ()  # It answers an older request; the lock grants again when asked again.
    return send_read(ctx, holding)


def got_value(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The value arrived: if the lease still holds by this client's clock, write value + 1."""
    message = event.message
    if message.body.get("token") != state["token"]:
        return state, ()  # Read under an earlier lease: another holder may have written since.
    if message.body.get("op") != cl.current_op(ctx, state):
        # A late answer to this client's previous increment, under the same token (the lock grants a
        # holder that asks again its lease again): its value is from before that increment's write.
        return state, ()
    state = {**state, "tries": 0, "value": int(message.body["value"]), "read": message.in_reply_to}
    if not lc.lease_valid(state, now):
        return lc.lease_lost(ctx, state, now, f"{ctx.node}'s lease (token {state['token']}) ran out by its own "
                                              "clock before it could write: take the lock again")
    return send_write(ctx, state)


def read_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No value yet: ask again, or release the lock and give the increment up."""
    return lc.ask_again_or_release(ctx, state, "read", send_read)


def write_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No acknowledgement: write again (the token still fences it), or give the increment up."""
    return lc.ask_again_or_release(ctx, state, "write", send_write)


C, NEXT, RETRIED = lc.C, lc.NEXT, lc.RETRIED

TABLE = TransitionTable([
    *lc.acquiring_rows(begin_increment, granted, holding="reading"),
    Transition(role=C, phase="reading", on="msg:read_ok", to=("reading", "writing", *RETRIED), handler=got_value),
    Transition(role=C, phase="reading", on="timer:retry", to=("reading", *NEXT), handler=read_retry),
    *lc.writing_rows(write_retry, CLIENT_PHASES, late=("read_ok",)),
    *lock_rows(),
    *st.store_rows("register"),
])


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "store":
        return st.initial_store_state("register", tokens=True)
    if ctx.role == "lock":
        return initial_lock_state()
    return cl.initial_client_state({**lc.LEASE_FIELDS, "value": None, "read": None})


SPEC = ProtocolSpec(
    estimate=contended(12, 25, "increments_per_client"),
    name="counter-locked",
    title="Counter under a fenced lease lock",
    summary="The naive counter made correct: each read-modify-write holds a lease, and the store fences "
            "out stale holders by token.",
    theory=__doc__ or "",
    roles=("client", "lock", "store"),
    params=(*COUNTER_PARAMS, LEASE_PARAM, ACQUIRES_PARAM),
    table=TABLE,
    topology=lc.topology,
    initial_state=initial_state,
    invariants=(LOST_UPDATE, *LOCK_INVARIANTS, CLIENTS_FINISH),
    scenarios=LOCKED_SCENARIOS,
    summarize=summarize,
    # One request for the lock per increment (see lock-lease): some 11,000 worlds.
    explore_params={"clients": 2, "increments_per_client": 1, "think_ms": 0, "max_tries": 1, "max_acquires": 1},
)
