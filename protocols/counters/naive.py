"""A naive shared counter: read, add one, write back, and watch increments get lost.

Theory of operation
-------------------
Roles: clients ``c1..cN`` and one ``store`` holding an integer register.
Each client performs ``increments_per_client`` increments, thinking a
jittered while between them (seeded by its start draw). An increment is two
round trips: ``read`` (answered ``read_ok {value}``), then ``write {value + 1}``
(answered ``write_ok``). The store applies every write, forcing it to its log
before it acknowledges.

Phases of a client: ``thinking -> reading -> writing -> thinking ... ->
done``. A client that hears nothing within ``retry_ms`` asks again, and gives
the increment up after a few silences.

Failure model: crash-recovery nodes (the store's value and each client's
operation numbers survive in their logs); a network that delays, loses,
duplicates and reorders.

What goes wrong, by design: the read and the write are separate steps. Two
clients that read the same value both write value + 1, and one increment
vanishes: a *lost update*, although both clients were told ``write_ok``. The
``lost-update`` detector follows which increments the value contains and
points at the write that overwrote an acknowledged one. Compare with
``counter-locked`` on the same seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import ANY_PHASE, Context, Outcome, Receive, Send, SetTimer, State, Transition, TransitionTable
from protocols.budget import contended
from protocols.counters import client as cl
from protocols.counters import store as st
from protocols.counters.invariants import CLIENTS_FINISH, LOST_UPDATE
from protocols.counters.params import COUNTER_PARAMS, STORE, client_names
from protocols.counters.scenarios import NAIVE_SCENARIOS
from protocols.counters.summary import summarize
from protocols.spec import Foil, ProtocolSpec

CLIENT_PHASES = ("thinking", "reading", "writing", "done")
NEXT = ("thinking", "done")
"""Where a client goes when an increment ends: think before the next one, or stop."""


def send_read(ctx: Context, state: State) -> Outcome:
    """Ask the store for the counter's value."""
    state = {**state, "phase": "reading", "tries": state["tries"] + 1}
    return state, [Send(dest=STORE, type="read", body={"op": cl.current_op(ctx, state)}),
                   SetTimer(name=cl.RETRY, delay_ms=ctx.params["retry_ms"])]


def send_write(ctx: Context, state: State) -> Outcome:
    """Write back the value read plus one, naming the read it is based on."""
    body = {"value": state["value"] + 1, "op": cl.current_op(ctx, state), "read": state["read"]}
    state = {**state, "phase": "writing", "tries": state["tries"] + 1}
    return state, [Send(dest=STORE, type="write", body=body),
                   SetTimer(name=cl.RETRY, delay_ms=ctx.params["retry_ms"])]


def begin_increment(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Thinking is over: number the increment and read the counter."""
    state, effects = cl.begin_op(ctx, state)
    state, sends = send_read(ctx, {**state, "value": None, "read": None})
    return state, [*effects, *sends]


def got_value(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The value arrived: write it back plus one (nothing stops another client doing the same)."""
    message = event.message
    if message.body.get("op") != cl.current_op(ctx, state):
        return state, ()  # A late answer to an earlier increment's read: its value may be old.
    state = {**state, "tries": 0, "value": int(message.body["value"]), "read": message.in_reply_to}
    return send_write(ctx, state)


def read_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No value yet: ask again, or give the increment up."""
    if cl.out_of_tries(ctx, state):
        return cl.finish_op(ctx, state, [], cl.gave_up_text(ctx, state, "read"))
    return send_read(ctx, state)


def written(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The store acknowledged this increment: think, then the next one."""
    if event.message.body.get("op") != cl.current_op(ctx, state):
        return state, ()  # A late acknowledgement of an earlier increment.
    return cl.finish_op(ctx, state, [])


def write_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No acknowledgement: write the same value again, or give the increment up."""
    if cl.out_of_tries(ctx, state):
        return cl.finish_op(ctx, state, [], cl.gave_up_text(ctx, state, "write"))
    return send_write(ctx, state)


LATE = "a late or duplicated answer to a request this client has finished with"
C = "client"

TABLE = TransitionTable([
    Transition(role=C, phase="thinking", on="start", to=NEXT, handler=cl.client_start),
    Transition(role=C, phase="thinking", on="timer:think", to=("reading",), handler=begin_increment),
    Transition(role=C, phase="reading", on="msg:read_ok", to=("reading", "writing"), handler=got_value),
    Transition(role=C, phase="reading", on="timer:retry", to=("reading", *NEXT), handler=read_retry),
    Transition(role=C, phase="writing", on="msg:write_ok", to=("writing", *NEXT), handler=written),
    Transition(role=C, phase="writing", on="timer:retry", to=("writing", *NEXT), handler=write_retry),
    Transition(role=C, phase=ANY_PHASE, on="msg:read_ok", to=CLIENT_PHASES, why=LATE),
    Transition(role=C, phase=ANY_PHASE, on="msg:write_ok", to=CLIENT_PHASES, why=LATE),
    Transition(role=C, phase=ANY_PHASE, on="recover", to=NEXT, handler=cl.client_recover),
    *st.store_rows("register"),
])


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (so their start draws match the other counters'), then the store."""
    return {**{name: "client" for name in client_names(params["clients"])}, STORE: "store"}


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == "store":
        return st.initial_store_state("register", tokens=False)
    return cl.initial_client_state({"value": None, "read": None})


SPEC = ProtocolSpec(
    estimate=contended(3.5, 20, "increments_per_client"),
    name="counter-naive",
    title="Naive counter (read-modify-write)",
    summary="Clients read a shared counter, add one and write it back: concurrent increments are lost.",
    theory=__doc__ or "",
    roles=("client", "store"),
    params=COUNTER_PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=(LOST_UPDATE, CLIENTS_FINISH),
    scenarios=NAIVE_SCENARIOS,
    summarize=summarize,
    explore_params={"clients": 2, "increments_per_client": 1, "think_ms": 0, "max_tries": 1},
    # Every configuration of two clients can lose an update: that is the lesson.
    foils=(Foil(params={}, breaks=("lost-update",)),),
    clean=(),
)
