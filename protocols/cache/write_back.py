"""Write-back cache: a write is acknowledged from the cache and reaches the database later.

Theory of operation
-------------------
Roles: clients ``c1..cN``, caches ``cache1..cacheM`` and the database
``db``. Reads are as in write-through (hit from the cache, miss read from
the database and kept). A write is stored in the cache as *dirty* and
acknowledged at once: fast, and many writes to one key cost the database
one write. Dirty values go to the database later, by a periodic ``flush``
every ``flush_interval_ms`` (the entry stays dirty until the database
confirms, and is sent again if it does not, for up to ``flush_rounds`` rounds
without any confirmation), or when the entry is evicted to make room
(``capacity``): it leaves with its value, and the key's ownership.

Only one cache may hold a key dirty. A cache that wants to write a key it
does not own *claims* it from the database, which keeps a directory of
owners (see ``write_back_db``): the database recalls the key from its current
owner, which sends back its dirty value, before granting it. Values carry
the owner's ``(epoch, seq)``, so a late or duplicated flush never overwrites
a newer value.

The price: the cache holds the only copy of an acknowledged write until it
is flushed; an evicted or recalled value travels in a single message, and if
the network loses that message the write is gone. A cache node's data is
volatile, so a crash loses it too: the
``cache-crash-loses-dirty`` scenario crashes a cache that holds dirty keys,
and the checker reports each acknowledged write that is now nowhere
(``lost-write``). Run write-through's ``cache-crash`` on the same seed and
fault plan to see nothing lost. And the database lags the caches: another
cache's read miss gets the old value from the database (a ``stale-read``).

Failure model: crash-recovery nodes, caches keep nothing durable, the
database keeps its log (data and directory); lossy, reordering network;
partitions. Invariants: ``single-dirty-copy``, ``stale-read``, ``lost-write``.
"""

from __future__ import annotations

from typing import Any

from protocols.base import ANY_PHASE, Context, Effect, Outcome, Receive, Send, SetTimer, State, Transition
from protocols.cache import detectors, estimate, scenarios
from protocols.cache import table as t
from protocols.cache import write_back_db as wdb
from protocols.cache.client import initial_client
from protocols.cache.common import CACHE, COMMON_PARAMS, DB, DB_NODE, empty_cache, put_entry, touch
from protocols.cache.db import db_read
from protocols.cache.policy import policy_spec
from protocols.cache.proxy import make_read_ok, make_room
from protocols.spec import Foil, Param

MAX_QUEUED = 8
"""Writes one cache holds for a key while it waits for ownership; more are refused at once."""

MAX_IDLE_FLUSHES = 5
"""Flush rounds without any confirmation before a cache stops retrying (so a run with the database down ends),
unless ``flush_rounds`` says otherwise."""

WRITE_THEN_READ = "c1: w k0; c2: r k0"
"""The small model's workload: c1's write is acknowledged from cache1 while it is dirty there, and c2 reads
through cache2, from the database: the stale read; a crash of cache1 before its flush: the lost write."""


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return a node's boot state by role."""
    if ctx.role == CACHE:
        return {**empty_cache(), "claims": {}, "recalled": {}, "flushing": False, "idle": 0}
    return wdb.initial_wb_db(ctx) if ctx.node == DB_NODE else initial_client(ctx)


def wb_evict(ctx: Context, state: State, key: str) -> tuple[dict[str, Any], list[Effect]]:
    """Evict an entry; an owned one leaves with its dirty value and gives its ownership back."""
    entry = state["entries"][key]
    effects: list[Effect] = []
    if entry.get("own"):
        body = {"key": key, "ep": entry["ep"], "seq": entry["seq"], "release": True}
        if entry.get("dirty"):
            body["value"] = entry["v"]
        effects.append(Send(dest=DB_NODE, type="flush", body=body))
    entries = {k: v for k, v in state["entries"].items() if k != key}
    return {**state, "entries": entries, "lru": [k for k in state["lru"] if k != key]}, effects


def arm_flush(ctx: Context, state: State) -> tuple[dict[str, Any], list[Effect]]:
    """Make sure a flush round is coming (dirty data must not wait for ever)."""
    if state["flushing"]:
        return {**state, "idle": 0}, []
    return {**state, "flushing": True, "idle": 0}, [
        SetTimer(name="flush", delay_ms=ctx.params["flush_interval_ms"])]


def ack(dest: str, key: str, n: Any, req: str | None) -> Send:
    """Return the acknowledgement of a client's write."""
    return Send(dest=dest, type="put_ok", body={"key": key, "n": n}, in_reply_to=req)


def wb_put(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Write into an owned entry and acknowledge at once; otherwise queue the write and claim the key."""
    body, src, req = event.message.body, event.message.src, event.message.msg_id
    key = body["key"]
    entry = state["entries"].get(key)
    if entry is not None and entry.get("own"):
        entry = {**entry, "v": body["value"], "dirty": True, "seq": entry["seq"] + 1}
        state = {**state, "entries": {**state["entries"], key: entry}, "lru": touch(state, key)}
        state, armed = arm_flush(ctx, state)
        return state, [ack(src, key, body["n"], req), *armed]
    waiting = state["claims"].get(key, {"q": [], "t": None})
    if len(waiting["q"]) >= MAX_QUEUED:
        return state, [Send(dest=src, type="error", in_reply_to=req,
                            body={"key": key, "n": body["n"], "code": "too-many-waiting", "definite": True})]
    effects: list[Effect] = []
    stale_claim = waiting["t"] is None or now - waiting["t"] >= ctx.params["timeout_ms"]
    if stale_claim:  # Claim once; again only if the first may have been lost.
        effects.append(Send(dest=DB_NODE, type="claim", body={"key": key, "tok": req}))
    queued = {"q": [*waiting["q"], [src, body["n"], req, body["value"]]],
              "t": now if stale_claim else waiting["t"]}
    return {**state, "claims": {**state["claims"], key: queued}}, effects


def wb_grant(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Ownership granted: apply the queued writes (dirty), acknowledge them, arm the flush.

    A grant can be stale: overtaken by a newer one, or by a recall of its
    epoch that arrived first (the network reorders), or meant for this cache
    before it crashed (its ``tok`` names no write waiting now). Taking a stale
    grant would make a second dirty copy, so it is refused.
    """
    body = event.message.body
    key, epoch, token = body["key"], body["ep"], body.get("tok")
    entry = state["entries"].get(key)
    owned = entry is not None and bool(entry.get("own"))
    waiting = state["claims"].get(key)
    if owned and entry is not None and entry["ep"] >= epoch:
        return state, ()  # Overtaken by a newer grant.
    if epoch <= state["recalled"].get(key, 0):
        if waiting is None:
            return state, ()
        # Recalled before it arrived: the database has moved on. Claim again for the waiting writes.
        waiting = {**waiting, "t": now}
        return {**state, "claims": {**state["claims"], key: waiting}}, [
            Send(dest=DB_NODE, type="claim", body={"key": key, "tok": waiting["q"][-1][2]})]
    if waiting is not None and any(req == token for _, _, req, _ in waiting["q"]):
        return _take(ctx, state, key, epoch, entry if owned else None, waiting["q"])
    if owned and entry is not None:  # A re-grant (a duplicated claim): take the new epoch.
        return {**state, "entries": {**state["entries"], key: {**entry, "ep": epoch}}}, ()
    if waiting is not None:
        return state, ()  # Meant for an earlier claim; the current one is on its way.
    # Nobody waits (this cache crashed since it claimed): give the key straight back.
    return state, [Send(dest=DB_NODE, type="flush", body={"key": key, "ep": epoch, "seq": 0, "release": True})]


def _take(ctx: Context, state: State, key: str, epoch: int, entry: Any, queue: list[Any]) -> Outcome:
    """Become the owner: store the last queued value dirty, acknowledge every queued write."""
    seq = entry["seq"] if entry is not None else 0
    state = {**state, "claims": {k: v for k, v in state["claims"].items() if k != key}}
    state, effects = make_room(ctx, state, key, wb_evict)
    state = put_entry(state, key, {"v": queue[-1][3], "dirty": True, "own": True, "ep": epoch,
                                   "seq": seq + len(queue)})
    effects += [ack(client, key, n, req) for client, n, req, _ in queue]
    state, more = arm_flush(ctx, state)
    return state, effects + more


def wb_claim_fail(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Ownership refused: the queued writes fail, definitely (none was applied)."""
    body = event.message.body
    key, code = body["key"], body.get("code", "ownership-refused")
    queue = state["claims"].get(key, {"q": []})["q"]
    if not any(req == body.get("tok") for _, _, req, _ in queue):
        return state, ()  # The answer to an earlier claim (before a crash, or already granted).
    claims = {k: v for k, v in state["claims"].items() if k != key}
    return {**state, "claims": claims}, [
        Send(dest=client, type="error", in_reply_to=req,
             body={"key": key, "n": n, "code": code, "definite": True})
        for client, n, req, _ in queue]


def wb_recall(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database takes the key back: send the dirty value with it and drop the entry."""
    key, epoch = event.message.body["key"], event.message.body["ep"]
    entry = state["entries"].get(key)
    body: dict[str, Any] = {"key": key, "ep": epoch, "seq": 0}
    # Remember the epoch: a grant of it still on its way must not be taken (see wb_grant).
    state = {**state, "recalled": {**state["recalled"], key: max(epoch, state["recalled"].get(key, 0))}}
    if entry is not None and entry.get("own") and entry["ep"] <= epoch:
        body["seq"] = entry["seq"]
        if entry.get("dirty"):
            body["value"] = entry["v"]
        entries = {k: v for k, v in state["entries"].items() if k != key}
        state = {**state, "entries": entries, "lru": [k for k in state["lru"] if k != key]}
    return state, [Send(dest=DB_NODE, type="recall_ok", body=body, in_reply_to=event.message.msg_id)]


def wb_flush_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Write every dirty entry back; keep them dirty until the database confirms."""
    dirty = sorted(k for k, e in state["entries"].items() if e.get("dirty"))
    effects: list[Effect] = [
        Send(dest=DB_NODE, type="flush", body={"key": k, "value": state["entries"][k]["v"],
                                                "ep": state["entries"][k]["ep"],
                                                "seq": state["entries"][k]["seq"], "release": False})
        for k in dirty]
    idle = state["idle"] + 1
    if dirty and idle < ctx.params["flush_rounds"]:
        effects.append(SetTimer(name="flush", delay_ms=ctx.params["flush_interval_ms"]))
        return {**state, "idle": idle}, effects
    return {**state, "flushing": False, "idle": 0}, effects


def wb_flush_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database has a flushed value: the entry is clean, unless written again since."""
    body = event.message.body
    entry = state["entries"].get(body["key"])
    if entry is None or not entry.get("own") or entry["ep"] != body["ep"] or entry["seq"] != body["seq"]:
        return {**state, "idle": 0}, ()  # Evicted, recalled or rewritten since: nothing to mark.
    entry = {**entry, "dirty": False, "ver": body["ver"]}
    return {**state, "entries": {**state["entries"], body["key"]: entry}, "idle": 0}, ()


def rows() -> list[Transition]:
    """Return write-back's whole table."""
    s = "serving"
    cache = [
        Transition(role=CACHE, phase=s, on="msg:put", to=(s,), handler=wb_put),
        Transition(role=CACHE, phase=s, on="msg:grant", to=(s,), handler=wb_grant),
        Transition(role=CACHE, phase=s, on="msg:claim_fail", to=(s,), handler=wb_claim_fail),
        Transition(role=CACHE, phase=s, on="msg:recall", to=(s,), handler=wb_recall),
        Transition(role=CACHE, phase=s, on="timer:flush", to=(s,), handler=wb_flush_timer),
        Transition(role=CACHE, phase=s, on="msg:flush_ok", to=(s,), handler=wb_flush_ok),
    ]
    db = [
        Transition(role=DB, phase="up", on="start", to=("up",), why="the database starts empty and waits"),
        Transition(role=DB, phase="up", on="msg:db_read", to=("up",), handler=db_read),
        Transition(role=DB, phase="up", on="msg:claim", to=("up",), handler=wdb.wb_claim),
        Transition(role=DB, phase="up", on="msg:recall_ok", to=("up",), handler=wdb.wb_recall_ok),
        Transition(role=DB, phase="up", on="msg:flush", to=("up",), handler=wdb.wb_flush),
        Transition(role=DB, phase="up", on="timer:recall", to=("up",), handler=wdb.wb_recall_timer),
        Transition(role=DB, phase=ANY_PHASE, on="recover", to=("up",), handler=wdb.wb_db_recover),
    ]
    return t.client_rows(t.PROXY_ANSWERS) + t.proxy_cache_rows(make_read_ok(wb_evict)) + cache + db


TABLE = t.build(rows())

PARAMS = (
    *COMMON_PARAMS,
    Param(name="flush_interval_ms", kind="int", default=100, min=1, max=60_000,
          help="How often a cache writes its dirty entries back to the database."),
    Param(name="flush_rounds", kind="int", default=MAX_IDLE_FLUSHES, min=1, max=20,
          help="How many flush rounds a cache sends while the database confirms none, before it waits for the "
               "next write (1 for a single round: a smaller model for the explorer)."),
)

SPEC = policy_spec(
    name="cache-write-back",
    title="Write-back cache",
    summary="Writes are acknowledged from the cache and flushed later; a cache crash loses dirty writes.",
    theory=__doc__ or "",
    params=PARAMS,
    table=TABLE,
    initial_state=initial_state,
    invariants=(detectors.SINGLE_DIRTY, detectors.STALE_READ, detectors.LOST_WRITE),
    scenarios=scenarios.WRITE_BACK,
    # The price of acknowledging from the cache: a crash before the flush loses the write. And nothing
    # keeps two caches' copies in step: the other cache serves an old one. No configuration is clean.
    # One flush round: each round the timer may fire before the last one's flush is confirmed (the search
    # fires timers at any time) adds a flush and its answer to every order; five rounds made the model
    # 34,150 worlds without a crash, and past the default budget with one. Nothing is dropped in the
    # small model, so one round reaches the database as five would.
    explore_script=WRITE_THEN_READ,
    explore_extra={"flush_rounds": 1},
    explore_crashes=1,  # The lost write needs the crash: `manage.py explore cache-write-back` finds both.
    foils=(Foil(params={}, breaks=("stale-read",)), Foil(params={}, breaks=("lost-write",), max_crashes=1)),
    clean=(),
    estimate=estimate.write_back,
)
