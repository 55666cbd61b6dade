"""A lease lock with fencing tokens, and the pauses and slow clocks that defeat leases alone.

Theory of operation
-------------------
Roles: the lock service ``lock``, the ``store`` (an append-only log) and
clients ``c1..cN``. Each client performs ``writes_per_client`` writes, each
under the lock: ``acquire`` (answered ``grant {token, lease_ms}`` or
``busy``), do ``work_ms`` of work, check the lease *by its own clock*, then
append its operation's id to the store (``write {op, token}``), and on
``write_ok`` release the lock. Client phases: ``thinking -> acquiring ->
holding -> committing -> writing -> thinking ... -> done``. ``committing`` is
the instant between the lease check and the write leaving the client: where
the garbage-collection pause of the classic story strikes.

The lock service (see ``lock_service``) expires a lease after ``lease_ms``
by *its* clock and then grants the lock to the next client with a higher
token. A holder that is paused after its check (``process-pause``), or whose
clock runs slow so that its lease seems to last longer (``clock-skew``),
writes after its lease has passed to someone else. Two clients then believe
they hold the lock (``one-believer-at-a-time`` flags it).

``fencing=on``: every write carries the lease's token, and the store refuses
one lower than the highest it has seen (``stale_token``); the refused client
takes the lock again and redoes its write. ``fencing=off``: the store takes
every write; the stale one lands, and ``stale-write-accepted`` flags it.

Failure model: crash-recovery (the lock's last token, the store's log and
the clients' operation numbers are durable), pauses, clock skew, a network
that delays, loses, duplicates and reorders.
"""

from __future__ import annotations

from typing import Any

from protocols.base import (
    CancelTimer,
    Context,
    Note,
    Outcome,
    Receive,
    Send,
    SetTimer,
    State,
    Transition,
    TransitionTable,
)
from protocols.budget import contended
from protocols.counters import client as cl
from protocols.counters import lock_client as lc
from protocols.counters import store as st
from protocols.counters.invariants import CLIENTS_FINISH, LOCK_INVARIANTS
from protocols.counters.lock_service import initial_lock_state, lock_rows
from protocols.counters.params import (
    ACQUIRES_PARAM,
    LEASE_PARAM,
    MAX_OPS_PER_CLIENT,
    RETRY_PARAM,
    STORE,
    THINK_PARAM,
    TRIES_PARAM,
    clients_param,
)
from protocols.counters.scenarios import LEASE_SCENARIOS
from protocols.counters.summary import summarize
from protocols.spec import Foil, Param, ProtocolSpec

COMMIT_DELAY_MS = 1
"""From the lease check to the write leaving the client, on the client's clock: short, but not atomic."""

CLIENT_PHASES = ("thinking", "acquiring", "holding", "committing", "writing", "done")

PARAMS = (
    clients_param(2, "take the lock and write"),
    Param(name="writes_per_client", kind="int", default=2, min=0, max=MAX_OPS_PER_CLIENT,
          help="How many writes each client makes, each under the lock."),
    THINK_PARAM,
    Param(name="work_ms", kind="int", default=40, min=0, max=60_000,
          help="How long a holder works (by its own clock) between getting the lock and writing."),
    LEASE_PARAM,
    Param(name="fencing", kind="choice", default="on", choices=("on", "off"),
          help="'on': the store refuses a write whose token is lower than the highest it has seen."),
    RETRY_PARAM,
    TRIES_PARAM,
    ACQUIRES_PARAM,
)


def begin_write(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Thinking is over: number the write and ask for the lock."""
    state, effects = cl.begin_op(ctx, state)
    return lc.start_acquiring(ctx, state, effects, now)


def granted(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The lock is this client's: work for ``work_ms`` by its own clock before writing."""
    holding = lc.take_grant(state, event)
    if holding is None:
        return state, ()  # It answers an older request; the lock grants again when asked again.
    return {**holding, "phase": "holding"}, [CancelTimer(name=cl.RETRY),
                                             SetTimer(name="work", delay_ms=ctx.params["work_ms"])]


def check_lease(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Work done: check the lease by this client's own clock; write if it holds, else start over."""
    left = lc.lease_left(state, now)
    if not lc.lease_valid(state, now):
        return lc.lease_lost(ctx, state, now, f"{ctx.node}'s lease (token {state['token']}) ran out by its own "
                                              "clock: take the lock again")
    return {**state, "phase": "committing"}, [
        Note(text=f"{ctx.node}: by my clock my lease (token {state['token']}) has {left} ms left; writing"),
        SetTimer(name="write", delay_ms=COMMIT_DELAY_MS),
    ]


def send_write(ctx: Context, state: State, event: Any = None, now: int = 0) -> Outcome:
    """Send the write, with the lease's token (the store uses it only with fencing on)."""
    body = {"op": cl.current_op(ctx, state), "token": state["token"]}
    state = {**state, "phase": "writing", "tries": state["tries"] + 1}
    return state, [Send(dest=STORE, type="write", body=body),
                   SetTimer(name=cl.RETRY, delay_ms=ctx.params["retry_ms"])]


def write_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No acknowledgement: write again, or release and give the write up."""
    return lc.ask_again_or_release(ctx, state, "write", send_write)


C, NEXT, RETRIED = lc.C, lc.NEXT, lc.RETRIED

TABLE = TransitionTable([
    *lc.acquiring_rows(begin_write, granted, holding="holding"),
    Transition(role=C, phase="holding", on="timer:work", to=("committing", *RETRIED), handler=check_lease),
    Transition(role=C, phase="committing", on="timer:write", to=("writing",), handler=send_write),
    *lc.writing_rows(write_retry, CLIENT_PHASES, late=()),
    *lock_rows(),
    *st.store_rows("log"),
])


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "store":
        return st.initial_store_state("log", tokens=True)
    if ctx.role == "lock":
        return initial_lock_state()
    return cl.initial_client_state(dict(lc.LEASE_FIELDS))


SPEC = ProtocolSpec(
    estimate=contended(12, 25, "writes_per_client"),
    name="lock-lease",
    title="Lease lock and fencing tokens",
    summary="A lock with a time to live: a paused or slow-clocked holder writes after its lease passed to "
            "someone else, unless the store fences it out by token.",
    theory=__doc__ or "",
    roles=("client", "lock", "store"),
    params=PARAMS,
    table=TABLE,
    topology=lc.topology,
    initial_state=initial_state,
    invariants=(*LOCK_INVARIANTS, CLIENTS_FINISH),
    scenarios=LEASE_SCENARIOS,
    summarize=summarize,
    # One request for the lock per write: a client told "busy" gives its write up. Each further request
    # is another timer the search may fire at any moment, and two already make the search endless.
    explore_params={"clients": 2, "writes_per_client": 1, "think_ms": 0, "work_ms": 0, "max_tries": 1,
                    "max_acquires": 1},
    foils=(Foil(params={"fencing": "off"}, breaks=("stale-write-accepted",)),),
)
