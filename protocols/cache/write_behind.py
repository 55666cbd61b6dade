"""Write-behind cache: a write is acknowledged from the cache, queued, and drained to the database in batches.

Theory of operation
-------------------
Roles: clients ``c1..cN``, caches ``cache1..cacheM`` and the database
``db``. Reads are as in write-through (a hit from the cache, a miss read from
the database and kept), except that a key with a write still queued is
answered from the queue. A write is stored in the cache (dirty), appended to
the cache's *write queue* and acknowledged at once. A *writer* drains the
queue to the database in *batches*: a batch leaves when ``batch_size`` writes
are queued, or when the ``age`` timer, set when a write enters an empty queue,
fires ``max_age_ms`` later (if a batch is still in flight then, the queue is
*overdue* and leaves the moment that batch is confirmed; writes a full batch
left behind keep the timer, so they leave no later). No handler reads the
clock: the rule is timers and counts only. The writer
has two phases, ``idle`` (nothing in flight) and ``flushing`` (one batch on
its way, resent every ``timeout_ms`` until the database confirms it, at most
``MAX_RETRIES`` times in a row; then the next write, taken or refused, wakes
it to try again). The database applies a batch's writes in the
batch's order, forcing each to its log, then answers.

*Coalescing*: a write to a key already queued replaces the queued one and
moves to the queue's end, so only the newest value of a key is sent (the
batch record counts the writes it folded in). Moving to the end keeps one
cache's writes in acknowledgement order; replacing in place would let a batch
apply key B's newer write before key A's older one.

*The queue* is ``queue=volatile`` (memory only: a cache crash loses every
write it had acknowledged and not yet delivered, the ``lost-write`` findings
name each one) or ``queue=durable`` (an append-only log: each queued write is
forced with ``Persist`` before its acknowledgement, each confirmed batch is
marked done, and after a crash the cache replays the log and queues again
what the database had not confirmed). Every write carries the cache's
incarnation and a sequence number; the database remembers the highest it
applied from each cache and skips a write at or below it, so a resent or
replayed batch is applied once. The incarnation is the one number a volatile
cache keeps durable (a boot counter).

*Back-pressure*: a cache holds at most ``max_queue`` unconfirmed writes
(queued and in flight). Past that it stops acknowledging and answers
``busy``, a definite error (the write was not taken), instead of writing
through: the client learns the database is behind, and nothing acknowledged
waits in a queue that cannot drain.

How it differs: *write-through* acknowledges only once the database has the
write (nothing acknowledged is ever only in a cache). *Write-back*
(``cache-write-back``) also acknowledges from the cache, but keeps the newest
value of each key as a dirty *entry* that a periodic flush or an eviction
writes back one key at a time, with key ownership so only one cache holds a
key dirty. Write-behind keeps a *queue of writes* instead, drained in order
and in batches, with no ownership: two caches may both queue a key, and
their batches reach the database in whatever order they leave, so another
reader of the database can see key B's newer write while key A's older one
still waits in the other cache (``write-order``). The price of acknowledging
early is the window between the acknowledgement and the database's apply
(summary: ``ack_to_db_max_ms``, ``ack_to_db_p50_ms``).

Failure model: crash-recovery nodes; caches keep their queue only with
``queue=durable``; the database keeps its log; lossy, reordering network;
partitions. Invariants: ``lost-write``, ``stale-read``, ``write-order``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Effect,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    State,
    Transition,
)
from protocols.cache import detectors, estimate, scenarios, summary
from protocols.cache import table as t
from protocols.cache import write_behind_db as wdb
from protocols.cache.client import initial_client
from protocols.cache.common import (
    CACHE,
    COMMON_PARAMS,
    DB,
    DB_NODE,
    empty_cache,
    fill_allowed,
    put_entry,
    raise_seen,
    reply_to,
)
from protocols.cache.db import echo_of
from protocols.cache.policy import policy_spec
from protocols.cache.proxy import cache_get, drop_victim, make_room
from protocols.spec import Foil, Param

MAX_BATCH = 32
"""Writes one batch carries: a batch travels as one message the views draw with its keys."""

MAX_QUEUE = 64
"""Unconfirmed writes one cache may hold: its state travels to the browser on every change."""

MAX_RETRIES = 3
"""Resends of one batch in a row before the writer waits for new traffic (so a run with the database down
ends). Each resend the explorer may fire at any moment multiplies its worlds: 8 made the small model's
durable search 27,311 worlds, 3 makes it 3,961."""

IDLE, FLUSHING = "idle", "flushing"


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return a node's boot state by role."""
    if ctx.role == CACHE:
        return {**empty_cache(), "phase": IDLE, "queue": [], "batch": [], "tries": 0, "overdue": False,
                "inc": 1, "seq": 0}
    return wdb.initial_state(ctx) if ctx.node == DB_NODE else initial_client(ctx)


def held(state: State, key: str) -> dict[str, Any] | None:
    """Return the newest unconfirmed write of ``key`` (queued, else in flight), or None."""
    for record in reversed([*state["batch"], *state["queue"]]):
        if record["key"] == key:
            return dict(record)
    return None


def unconfirmed(state: State) -> int:
    """Return how many writes the cache holds that the database has not confirmed."""
    return len(state["queue"]) + len(state["batch"])


def enqueue(state: State, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the queue with ``record`` at its end, folding in a queued write of the same key."""
    queue = [dict(r) for r in state["queue"]]
    old = next((r for r in queue if r["key"] == record["key"]), None)
    folded = 0 if old is None else old["folded"] + 1
    return [r for r in queue if r["key"] != record["key"]] + [{**record, "folded": folded}]


def batch_body(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a batch message's body: its writes in queue order."""
    return {"writes": [{k: r[k] for k in ("key", "value", "inc", "seq", "folded")} for r in records]}


def send_batch(ctx: Context, state: State) -> Outcome:
    """Take the oldest ``batch_size`` queued writes and send them as one batch; the writer is flushing.

    Writes left behind are younger than the age timer's: it stays armed for them (a batch that leaves
    early is harmless). Left behind by an overdue batch, whose timer has fired, they get a new one.
    """
    size = ctx.params["batch_size"]
    batch, rest = list(state["queue"][:size]), list(state["queue"][size:])
    effects: list[Effect] = [Send(dest=DB_NODE, type="batch", body=batch_body(batch)),
                             SetTimer(name="retry", delay_ms=ctx.params["timeout_ms"])]
    if not rest:
        effects.insert(0, CancelTimer(name="age"))
    elif state["overdue"]:
        effects.append(SetTimer(name="age", delay_ms=ctx.params["max_age_ms"]))
    state = {**state, "phase": FLUSHING, "queue": rest, "batch": batch, "tries": 0, "overdue": False}
    return state, effects


def due(ctx: Context, state: State) -> bool:
    """Say whether the queue must leave now: full, or overdue (its age timer fired while a batch was out)."""
    queue = state["queue"]
    return bool(queue) and (len(queue) >= ctx.params["batch_size"] or bool(state["overdue"]))


def busy(event: Receive) -> Send:
    """Return the back-pressure answer: the write was not taken."""
    body = event.message.body
    return Send(dest=event.message.src, type="error", in_reply_to=event.message.msg_id,
                body={"key": body["key"], "n": body["n"], "code": "busy", "definite": True})


def wbh_put(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Queue a client's write (forced first if the queue is durable), acknowledge it, maybe send a batch."""
    body = event.message.body
    key, value = body["key"], body["value"]
    coalesces = any(r["key"] == key for r in state["queue"])
    if not coalesces and unconfirmed(state) >= ctx.params["max_queue"]:
        return wake(ctx, state, [busy(event)])
    seq = state["seq"] + 1
    record = {"key": key, "value": value, "inc": state["inc"], "seq": seq}
    was_empty = not state["queue"]
    state, effects = make_room(ctx, {**state, "seq": seq, "queue": enqueue(state, record)}, key, drop_victim)
    state = put_entry(state, key, {"v": value, "dirty": True})
    if ctx.params["queue"] == "durable":
        effects.append(Persist(record={"type": "queued", "key": key, "value": value, "inc": state["inc"],
                                       "seq": seq}))
    effects.append(Send(dest=event.message.src, type="put_ok", body={"key": key, "n": body["n"]},
                        in_reply_to=event.message.msg_id))
    if state["phase"] == IDLE and due(ctx, state):
        state, more = send_batch(ctx, state)
        return state, [*effects, *more]
    if was_empty:  # The age timer follows the oldest queued write (in flight ones are the retry's).
        effects.append(SetTimer(name="age", delay_ms=ctx.params["max_age_ms"]))
    return wake(ctx, state, effects)


def wake(ctx: Context, state: State, effects: list[Effect]) -> Outcome:
    """A writer that gave up resending its batch tries again on new traffic (a write, taken or refused busy)."""
    if state["phase"] == FLUSHING and state["tries"] >= MAX_RETRIES:
        return resend(ctx, {**state, "tries": 0}, effects)
    return state, effects


def resend(ctx: Context, state: State, effects: Sequence[Effect] = ()) -> Outcome:
    """Send the batch in flight again; keep resending until it is confirmed, ``MAX_RETRIES`` times at most."""
    more: list[Effect] = [Send(dest=DB_NODE, type="batch", body=batch_body(state["batch"]))]
    tries = state["tries"] + 1
    if tries < MAX_RETRIES:
        more.append(SetTimer(name="retry", delay_ms=ctx.params["timeout_ms"]))
    return {**state, "tries": tries}, [*effects, *more]


def wbh_age(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The oldest queued write has come of age: send a batch now, or right after the one in flight."""
    if not state["queue"]:
        return state, ()
    if state["phase"] == FLUSHING:
        return {**state, "overdue": True}, ()
    return send_batch(ctx, state)


def wbh_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No confirmation in time: send the same batch again (the database applies it once)."""
    return resend(ctx, state)


def wbh_batch_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database applied the batch in flight: mark its entries clean, log it done, go on draining."""
    body = event.message.body
    batch = state["batch"]
    if not batch or [batch[-1]["inc"], batch[-1]["seq"]] != body["upto"]:
        return state, ()  # A duplicate, or the answer to a batch sent before a crash and replayed since.
    entries, seen = dict(state["entries"]), dict(state["seen"])
    queued = {r["key"] for r in state["queue"]}
    for record in batch:
        key, version = record["key"], body["vers"].get(record["key"])
        entry = entries.get(key)
        if entry is not None and key not in queued and entry["v"] == record["value"]:
            entries[key] = {"v": entry["v"]} if version is None else {"v": entry["v"], "ver": version}
        if version is not None:
            seen[key] = max(seen.get(key, 0), version)
    state = {**state, "phase": IDLE, "batch": [], "tries": 0, "entries": entries, "seen": seen}
    effects: list[Effect] = [CancelTimer(name="retry")]
    if ctx.params["queue"] == "durable":
        effects.append(Persist(record={"type": "done", "inc": body["upto"][0], "seq": body["upto"][1]}))
    if due(ctx, state):
        state, more = send_batch(ctx, state)
        effects += more
    return state, effects


def wbh_get(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer from the cache, or from the queue if the key's entry was evicted, else read the database."""
    key = event.message.body["key"]
    record = held(state, key)
    if key in state["entries"] or record is None:
        return cache_get(ctx, state, event, now)
    reply = {"key": key, "value": record["value"], "ver": None, "hit": True, "n": event.message.body["n"]}
    return state, [Send(dest=event.message.src, type="get_ok", body=reply, in_reply_to=event.message.msg_id)]


def wbh_read_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Pass the database's answer on; keep it only if no write of the key is waiting here (that is newer)."""
    body = event.message.body
    key, echo = body["key"], echo_of(body)
    effects: list[Effect] = []
    if held(state, key) is None and key not in state["entries"] and fill_allowed(state, key, body["ver"]):
        state, effects = make_room(ctx, state, key, drop_victim)
        state = raise_seen(put_entry(state, key, {"v": body["value"], "ver": body["ver"]}), key, body["ver"])
    reply = {"key": key, "value": body["value"], "ver": body["ver"], "hit": False, "n": echo["n"]}
    effects.append(Send(dest=echo["client"], type="get_ok", body=reply, in_reply_to=reply_to(echo)))
    return state, effects


def wbh_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Come back as a new incarnation; with a durable queue, queue again what the database never confirmed."""
    boots = [int(r["inc"]) for r in event.durable if r.get("type") == "boot"]
    inc = max(boots, default=1) + 1
    state = {**state, "inc": inc}
    effects: list[Effect] = [Persist(record={"type": "boot", "inc": inc})]
    if ctx.params["queue"] != "durable":
        return state, effects
    done = max(([int(r["inc"]), int(r["seq"])] for r in event.durable if r.get("type") == "done"), default=[0, 0])
    for r in event.durable:
        if r.get("type") == "queued" and [int(r["inc"]), int(r["seq"])] > done:
            record = {"key": r["key"], "value": r["value"], "inc": r["inc"], "seq": r["seq"]}
            state = {**state, "queue": enqueue(state, record)}
            state = put_entry(state, r["key"], {"v": r["value"], "dirty": True})
    state, more = (send_batch(ctx, state) if state["queue"] else (state, ()))  # Replayed writes are overdue.
    return state, [*effects, *more]


def rows() -> list[Transition]:
    """Return write-behind's whole table: the shared client rows, the cache's writer, the database."""
    cache: list[Transition] = [
        Transition(role=CACHE, phase=IDLE, on="start", to=(IDLE,), why="a cache starts empty and waits for requests"),
        Transition(role=CACHE, phase=IDLE, on="recover", to=(IDLE, FLUSHING), handler=wbh_recover),
        Transition(role=CACHE, phase=IDLE, on="msg:put", to=(IDLE, FLUSHING), handler=wbh_put),
        Transition(role=CACHE, phase=FLUSHING, on="msg:put", to=(FLUSHING,), handler=wbh_put),
        Transition(role=CACHE, phase=IDLE, on="timer:age", to=(IDLE, FLUSHING), handler=wbh_age),
        Transition(role=CACHE, phase=FLUSHING, on="timer:age", to=(FLUSHING,), handler=wbh_age),
        Transition(role=CACHE, phase=FLUSHING, on="timer:retry", to=(FLUSHING,), handler=wbh_retry),
        Transition(role=CACHE, phase=FLUSHING, on="msg:batch_ok", to=(IDLE, FLUSHING), handler=wbh_batch_ok),
        Transition(role=CACHE, phase=IDLE, on="msg:batch_ok", to=(IDLE,),
                   why="a duplicate confirmation, or one for a batch sent before a crash: nothing is in flight"),
    ]
    for phase in (IDLE, FLUSHING):
        cache += [Transition(role=CACHE, phase=phase, on="msg:get", to=(phase,), handler=wbh_get),
                  Transition(role=CACHE, phase=phase, on="msg:db_read_ok", to=(phase,), handler=wbh_read_ok)]
    db = [
        Transition(role=DB, phase="up", on="start", to=("up",), why="the database starts empty and waits"),
        Transition(role=DB, phase="up", on="msg:db_read", to=("up",), handler=wdb.db_read),
        Transition(role=DB, phase="up", on="msg:batch", to=("up",), handler=wdb.apply_batch),
        Transition(role=DB, phase=ANY_PHASE, on="recover", to=("up",), handler=wdb.recover),
    ]
    return t.client_rows(t.PROXY_ANSWERS) + cache + db


TABLE = t.build(rows())

PARAMS = (
    *COMMON_PARAMS,
    Param(name="queue", kind="choice", default="volatile", choices=("volatile", "durable"),
          help="Where the write queue lives: in memory (lost with a cache crash) or in an append-only log "
               "the cache replays after a crash."),
    Param(name="batch_size", kind="int", default=4, min=1, max=MAX_BATCH,
          help="A batch leaves for the database once this many writes are queued."),
    Param(name="max_age_ms", kind="int", default=50, min=1, max=60_000,
          help="A batch also leaves once its oldest write has waited this long."),
    Param(name="max_queue", kind="int", default=16, min=1, max=MAX_QUEUE,
          help="Unconfirmed writes a cache holds at most; past that it answers 'busy' instead of acknowledging."),
)

SPEC = policy_spec(
    name="cache-write-behind",
    title="Write-behind cache",
    summary="Writes are acknowledged from the cache and queued, then drained to the database in batches, only "
            "the newest value of a key (coalesced). Unlike write-through, the database gets a write after it is "
            "acknowledged, so a cache crash loses a volatile queue (a durable one is replayed); unlike "
            "write-back, which flushes dirty entries key by key under ownership, each cache keeps an ordered "
            "queue and no ownership, so two caches' batches can reach the database out of order.",
    theory=__doc__ or "",
    params=PARAMS,
    table=TABLE,
    initial_state=initial_state,
    invariants=(detectors.LOST_WRITE, detectors.STALE_READ, detectors.WRITE_ORDER),
    scenarios=scenarios.WRITE_BEHIND,
    # One client, one cache, one write and a crash: a volatile queue loses the acknowledged write when the
    # cache crashes before its batch leaves; a durable one never does. A second write (to show coalescing)
    # or a second client takes the durable search past 50,000 worlds.
    explore_caches=1,
    explore_clients=1,
    explore_script="c1: w k0",
    explore_crashes=1,
    foils=(Foil(params={"queue": "volatile"}, breaks=("lost-write",), max_crashes=1),),
    clean=({"queue": "durable"},),
    summarize=summary.write_behind,
    figures=summary.WRITE_BEHIND_FIGURES,
    estimate=estimate.write_behind,
)
