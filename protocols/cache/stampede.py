"""Cache stampede: a hot key expires under load, and every miss goes to the database at once.

Theory of operation
-------------------
Roles: clients ``c1..cN`` all read one hot key ``k0`` again and again;
caches ``cache1..cacheM`` hold it for ``ttl_ms``; the database ``db`` answers
one slow query (``query_ms``) at a time (``stampede_db``). Fills are
cache-aside: a client that misses reads the database itself, then sends the
value to its cache (``fill``), which keeps it for ``ttl_ms``. Expiry is a
timer (``ttl``); only xfetch also records when it is due, for its readers.

The cache's phase is the hot key's: ``empty``, ``filling`` (one fetch is
owned), ``fresh`` (within its TTL) and ``stale`` (expired but kept, and listed in
``expired``, which the cache-state panel reads). Without a
remedy (``remedy=none``) a cache never leaves ``empty``/``fresh``: every read
that arrives between the expiry and the first fill misses, and each of those
clients reads the database, the *stampede* (the thundering herd). Remedies:

* ``single-flight`` (request coalescing, per cache): the first miss is
  answered ``miss`` and the cache turns ``filling``; later reads are held
  (``waiters``) and answered with the value of that one fill. There is no
  give-up timer: a timer may fire while the fetch is still running, and a
  second fetch would be the very herd the remedy exists to stop. A client
  always delivers its fill, even one for a read it gave up. The price: a
  fill lost on the way strands the waiters until their own timeouts.
* ``lease`` (memcached leases): the first miss gets a lease token and
  fetches; while the lease is out, other readers get the expired value if
  the cache kept one (``stale``, counted as stale reads served) or ``retry``
  (they ask again ``retry_ms`` later). Only a fill carrying the current
  token is taken. A lease lasts ``lease_ms``: a fetcher that dies does not
  block the key for ever, but a fetch slower than the lease lets a second
  one start.
* ``xfetch`` (probabilistic early recomputation, Vattani, Chierichetti
  and Lowenstein, VLDB 2015): a fill carries ``delta``, how long its
  database read took (measured by the reader, queueing included), and the
  cache keeps it with the value's ``expiry`` (the fill's time plus
  ``ttl_ms``) and hands both out with every hit. A reader that hits draws
  ``u`` from its own seeded stream and recomputes early when
  ``now - delta * beta * ln(u) >= expiry``: it reads the database as if it
  had missed (``early``) and fills before the TTL runs out, while the others
  keep hitting. The closer the expiry and the slower the query, the likelier;
  nobody waits for anyone. There is no coalescing: cold misses, or an expiry
  that no reader refreshed in time, are a herd as without a remedy; and the
  readers that hit while the first early read runs still see the old expiry
  and draw too (with frequent reads and ``beta`` 1, about e - 1 = 1.7 more of
  them on average), so the herd is small, often two or three, not one.

``warm`` starts every cache with the hot key, fresh for ``ttl_ms`` (as if
filled just before; under xfetch with ``delta`` a query and a mean round
trip, ``query_ms + delay_ms_min + delay_ms_max``): the herd a
cold start sends, which XFetch does not address, is then left out, and only
the expiries remain.

Failure model: crash-recovery nodes; caches keep nothing durable; lossy,
reordering network. Invariant: ``stampede`` (history): at most one database
read of a key in flight at once for the clients of one cache.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from protocols.base import (
    ANY_PHASE,
    CancelTimer,
    Context,
    Effect,
    Outcome,
    Receive,
    Send,
    SetTimer,
    State,
    Transition,
)
from protocols.cache import client as cl
from protocols.cache import detectors, estimate, scenarios, summary
from protocols.cache import stampede_db as sdb
from protocols.cache import table as t
from protocols.cache.common import CACHE, CLIENT, COMMON_PARAMS, DB, DB_NODE, parse_script
from protocols.cache.policy import policy_spec
from protocols.common.rng import Stream
from protocols.spec import Foil, Param

HOT_KEY = "k0"
EMPTY, FILLING, FRESH, STALE = "empty", "filling", "fresh", "stale"
ANSWERS = ("get_ok", "retry")
REMEDIES = ("none", "single-flight", "xfetch", "lease")
XFETCH_FIELDS = ("delta", "expiry")
"""What an xfetch entry keeps beside its value, and what every hit hands the reader."""
"""What a cache answers a client; the database's ``db_read_ok`` has rows of its own."""


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return a node's boot state by role."""
    if ctx.role == CACHE:
        return {"phase": EMPTY, "entries": {}, "expired": [], "waiters": [], "token": 0}
    return sdb.initial_state(ctx) if ctx.node == DB_NODE else cl.initial_client(ctx)


# ---------------------------------------------------------------- client


def st_think(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Read the hot key at this client's cache, bounded by a timeout."""
    n = state["n"] + 1
    op = {"n": n, "op": "read", "key": HOT_KEY}
    state = {**state, "phase": "waiting", "n": n, "op": op, "step": "cache"}
    return state, [Send(dest=cl.my_cache(ctx), type="get", body={"key": HOT_KEY, "n": n}),
                   SetTimer(name="timeout", delay_ms=ctx.params["timeout_ms"])]


def st_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A hit (fresh, stale or coalesced) ends the read; a miss reads the database; retry waits a little."""
    body = event.message.body
    if not cl.current(state, event) or state["step"] != "cache":
        return state, ()
    if event.message.type == "retry":
        return {**state, "step": "retry"}, [SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])]
    early = False
    if body["hit"] and "expiry" in body:
        early, state = recompute_early(ctx, state, body, now)
    if body["hit"] and not early:
        return cl.finish(ctx, state, {"value": body["value"], "ok": True, "hit": True})
    echo = {"n": state["op"]["n"], "via": cl.my_cache(ctx),
            **{k: body[k] for k in ("lease", "flight") if k in body}}
    if ctx.params["remedy"] == "xfetch":  # The reader times its read, so the fill can tell the cache delta.
        echo = {**echo, "sent": now, **({"early": True} if early else {})}
    return {**state, "step": "db"}, [
        Send(dest=DB_NODE, type="db_read", body={"key": HOT_KEY, "via": cl.my_cache(ctx), "echo": echo})]


def recompute_early(ctx: Context, state: State, body: Mapping[str, Any], now: int) -> tuple[bool, State]:
    """Draw XFetch's coin: recompute when ``now - delta * beta * ln(u) >= expiry``, ``u`` from this client's stream.

    The stream is the client's workload stream, seeded by its start draw (the stampede's reads are all of
    ``k0``, so it draws nothing else); ``1 - random()`` keeps ``u`` in (0, 1]."""
    stream = Stream(state["rng"])
    head_start = body["delta"] * ctx.params["beta"] * -math.log(1.0 - stream.random())
    return body["expiry"] - now <= head_start, {**state, "rng": stream.state}


def st_db_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Fill the cache with what the database answered (even for a read given up), and end the read."""
    body = event.message.body
    echo = body["echo"]
    fill = {"key": body["key"], "value": body["value"], "ver": body["ver"],
            **{k: echo[k] for k in ("lease", "flight") if k in echo}}
    if "sent" in echo:  # xfetch: how long the recomputation took, queueing at the database included.
        fill["delta"] = now - echo["sent"]
    effects: list[Effect] = [Send(dest=echo["via"], type="fill", body=fill)]
    if state["phase"] != "waiting" or not cl.current(state, event) or state["step"] != "db":
        return state, effects
    state, more = cl.finish(ctx, state, {"value": body["value"], "ok": True, "hit": False})
    return state, [*effects, *more]


def st_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Ask the cache again after a 'retry shortly'."""
    if state["step"] != "retry":
        return state, ()
    n = state["op"]["n"]
    return {**state, "step": "cache"}, [Send(dest=cl.my_cache(ctx), type="get", body={"key": HOT_KEY, "n": n})]


# ----------------------------------------------------------------- cache


def hit(event: Receive, entry: dict[str, Any], **extra: Any) -> Send:
    """Return a hit's answer to the reader of ``event`` (with xfetch, the entry's delta and expiry too)."""
    body = event.message.body
    reply = {"key": body["key"], "value": entry["v"], "ver": entry["ver"], "hit": True, "n": body["n"], **extra,
             **{k: entry[k] for k in XFETCH_FIELDS if k in entry}}
    return Send(dest=event.message.src, type="get_ok", body=reply, in_reply_to=event.message.msg_id)


def miss(event: Receive, **extra: Any) -> Send:
    """Return a miss's answer: the reader is to fetch from the database."""
    body = event.message.body
    return Send(dest=event.message.src, type="get_ok", in_reply_to=event.message.msg_id,
                body={"key": body["key"], "hit": False, "n": body["n"], **extra})


def st_get(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a read by phase and remedy: hit, miss, hold (single-flight), stale or retry (lease)."""
    phase, remedy = state["phase"], ctx.params["remedy"]
    entry = state["entries"].get(HOT_KEY)
    if phase == FRESH:
        return state, [hit(event, entry)]
    if remedy in ("none", "xfetch"):
        return state, [miss(event)]
    if remedy == "single-flight":
        if phase == FILLING:
            m = event.message
            waiter = {"client": m.src, "n": m.body["n"], "req": m.msg_id}
            return {**state, "waiters": [*state["waiters"], waiter]}, ()
        token = state["token"] + 1  # The flight's number: only its own fill ends it (not a duplicated old one).
        return {**state, "phase": FILLING, "token": token}, [miss(event, flight=token)]
    if phase == FILLING:
        if entry is not None:
            return state, [hit(event, entry, stale=True)]
        body = event.message.body
        return state, [Send(dest=event.message.src, type="retry", in_reply_to=event.message.msg_id,
                            body={"key": body["key"], "n": body["n"]})]
    token = state["token"] + 1
    return {**state, "phase": FILLING, "token": token}, [
        miss(event, lease=token), SetTimer(name="lease", delay_ms=ctx.params["lease_ms"])]


def st_fill(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Keep a fetched value for ttl_ms and answer the held readers; with leases, only the lease holder's."""
    body = event.message.body
    effects: list[Effect] = []
    if ctx.params["remedy"] == "lease":
        if state["phase"] != FILLING or body.get("lease") != state["token"]:
            return state, ()  # No lease out, or an expired one: refused.
        effects.append(CancelTimer(name="lease"))
    if ctx.params["remedy"] == "single-flight" and (state["phase"] != FILLING or body.get("flight") != state["token"]):
        return state, ()  # A fill of an earlier flight (a duplicated answer): the flight in hand is not over.
    entry = {"v": body["value"], "ver": body["ver"]}
    if ctx.params["remedy"] == "xfetch":
        entry = {**entry, "delta": body["delta"], "expiry": now + ctx.params["ttl_ms"]}
    for w in state["waiters"]:
        reply = {"key": body["key"], "value": entry["v"], "ver": entry["ver"], "hit": True, "n": w["n"]}
        effects.append(Send(dest=w["client"], type="get_ok", body=reply, in_reply_to=w["req"]))
    effects.append(SetTimer(name="ttl", delay_ms=ctx.params["ttl_ms"]))
    return {**state, "phase": FRESH, "entries": {HOT_KEY: entry}, "expired": [], "waiters": []}, effects


def warm_delta(params: Any) -> int:
    """Return the delta a warm xfetch entry starts with: a query and a mean round trip to the database."""
    return int(params["query_ms"] + params["delay_ms_min"] + params["delay_ms_max"])


def st_cache_start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Start empty, or (``warm``) with the hot key fresh for ttl_ms, as if it had just been filled."""
    if not ctx.params["warm"]:
        return state, ()
    entry: dict[str, Any] = dict(sdb.HOT_VALUE[HOT_KEY])
    if ctx.params["remedy"] == "xfetch":
        entry = {**entry, "delta": warm_delta(ctx.params), "expiry": now + ctx.params["ttl_ms"]}
    return {**state, "phase": FRESH, "entries": {HOT_KEY: entry}}, [
        SetTimer(name="ttl", delay_ms=ctx.params["ttl_ms"])]


def st_ttl(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The TTL ran out: drop the value, or keep it as stale (leases serve it while one reader refetches)."""
    if ctx.params["remedy"] == "lease":
        return {**state, "phase": STALE, "expired": [HOT_KEY]}, ()
    return {**state, "phase": EMPTY, "entries": {}}, ()


def st_lease_expired(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The lease holder never filled in time: the next miss gets a new lease."""
    return {**state, "phase": STALE if state["entries"] else EMPTY}, ()


def st_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A cache keeps nothing durable: it comes back empty (the engine reset its state)."""
    return state, ()


def rows() -> list[Transition]:
    """Return the stampede's whole table: clients, the hot key's phases at a cache, the slow database."""
    late = "a late answer to a read the client already gave up"
    client = [
        *t.client_rows(ANSWERS, think=st_think, answer=st_answer),
        Transition(role=CLIENT, phase="waiting", on="msg:db_read_ok", to=t.C_PHASES, handler=st_db_answer),
        Transition(role=CLIENT, phase="idle", on="msg:db_read_ok", to=("idle",), handler=st_db_answer),
        Transition(role=CLIENT, phase="done", on="msg:db_read_ok", to=("done",), handler=st_db_answer),
        Transition(role=CLIENT, phase="waiting", on="timer:retry", to=("waiting",), handler=st_retry),
        Transition(role=CLIENT, phase="idle", on="timer:retry", to=("idle",), why=late),
        Transition(role=CLIENT, phase="done", on="timer:retry", to=("done",), why=late),
    ]
    cache = [
        Transition(role=CACHE, phase=EMPTY, on="start", to=(EMPTY, FRESH), handler=st_cache_start),
        Transition(role=CACHE, phase=EMPTY, on="msg:get", to=(EMPTY, FILLING), handler=st_get),
        Transition(role=CACHE, phase=FILLING, on="msg:get", to=(FILLING,), handler=st_get),
        Transition(role=CACHE, phase=FRESH, on="msg:get", to=(FRESH,), handler=st_get),
        Transition(role=CACHE, phase=STALE, on="msg:get", to=(FILLING,), handler=st_get),
        Transition(role=CACHE, phase=EMPTY, on="msg:fill", to=(EMPTY, FRESH), handler=st_fill),
        Transition(role=CACHE, phase=FILLING, on="msg:fill", to=(FILLING, FRESH), handler=st_fill),
        Transition(role=CACHE, phase=FRESH, on="msg:fill", to=(FRESH,), handler=st_fill),
        Transition(role=CACHE, phase=STALE, on="msg:fill", to=(STALE,), handler=st_fill),
        Transition(role=CACHE, phase=FRESH, on="timer:ttl", to=(EMPTY, STALE), handler=st_ttl),
        Transition(role=CACHE, phase=FILLING, on="timer:lease", to=(EMPTY, STALE), handler=st_lease_expired),
        Transition(role=CACHE, phase=ANY_PHASE, on="recover", to=(EMPTY,), handler=st_recover),
    ]
    db = [
        Transition(role=DB, phase=sdb.IDLE, on="start", to=(sdb.IDLE,), why="the database starts idle and waits"),
        Transition(role=DB, phase=sdb.IDLE, on="msg:db_read", to=(sdb.BUSY,), handler=sdb.db_read),
        Transition(role=DB, phase=sdb.BUSY, on="msg:db_read", to=(sdb.BUSY,), handler=sdb.db_read),
        Transition(role=DB, phase=sdb.BUSY, on="timer:query", to=(sdb.IDLE, sdb.BUSY), handler=sdb.query_done),
        Transition(role=DB, phase=ANY_PHASE, on="recover", to=(sdb.IDLE,), handler=sdb.recover),
    ]
    return client + cache + db


TABLE = t.build(rows())


def _reads_only(value: str) -> str | None:
    try:
        script = parse_script(value)
    except ValueError as exc:
        return str(exc)
    bad = [f"{c}: {op} {k}" for c, steps in script.items() for op, k in steps if (op, k) != ("read", HOT_KEY)]
    return f"only reads of {HOT_KEY} here, not {', '.join(bad)}" if bad else None


def _param(name: str, **changes: Any) -> Param:
    base = next(p for p in COMMON_PARAMS if p.name == name)
    fields = {f: getattr(base, f) for f in ("name", "kind", "default", "help", "min", "max", "choices", "check")}
    return Param(**{**fields, **changes})


PARAMS = (
    _param("clients", default=6, help="How many clients read the hot key."),
    _param("keys", default=1, min=1, max=1, help="One hot key, k0."),
    _param("caches", default=1),
    _param("think_ms"),
    _param("ops_per_client", default=8, max=200, help="How many reads of the hot key each client makes."),
    _param("timeout_ms"),
    _param("script", check=_reads_only, help="Optional fixed reads instead of ops_per_client, e.g. "
                                             "'c1: r k0, r k0'."),
    Param(name="ttl_ms", kind="int", default=100, min=1, max=600_000, help="How long a filled value stays fresh."),
    Param(name="remedy", kind="choice", default="none", choices=REMEDIES,
          help="What a cache does about concurrent misses: nothing, coalesce them into one fetch, let readers "
               "recompute early at random as the expiry nears (XFetch), or give one reader a lease to fetch "
               "while the others retry or read the stale value."),
    Param(name="query_ms", kind="int", default=20, min=1, max=60_000,
          help="How long the database's query of the hot key takes; it runs one at a time."),
    Param(name="lease_ms", kind="int", default=200, min=1, max=60_000,
          help="With leases: how long a lease lasts before another reader may fetch."),
    Param(name="retry_ms", kind="int", default=10, min=1, max=60_000,
          help="With leases: how long a reader told 'retry' waits before asking again."),
    Param(name="beta", kind="float", default=1.0, min=0.0, max=10.0,
          help="With xfetch: how eagerly readers recompute before the expiry (1 is the paper's choice; "
               "larger is earlier, 0 never early)."),
    Param(name="warm", kind="bool", default=False,
          help="Start every cache with the hot key already cached, fresh for ttl_ms, so only the expiries "
               "show (a cold start is a herd that XFetch does not address)."),
)

SPEC = policy_spec(
    name="cache-stampede",
    title="Cache stampede and its remedies",
    summary="A hot key expires under many readers and every miss queries the database at once; single-flight "
            "coalesces the misses into one fetch per cache, XFetch lets one reader recompute at random just "
            "before the expiry while the others keep hitting, leases let one reader fetch while the others "
            "retry or read the stale value.",
    theory=__doc__ or "",
    params=PARAMS,
    table=TABLE,
    initial_state=initial_state,
    invariants=(detectors.STAMPEDE,),
    scenarios=scenarios.STAMPEDE,
    # Three readers, one cache, one read each: without a remedy the cold miss is already a herd (19,785
    # worlds, complete); single-flight's search completes in 4,032 worlds with no stampede. Leases are not
    # claimed clean: the explorer may expire a lease while its fetch still runs, and a second fetch starts.
    # Nor is XFetch, which only makes the herd unlikely: the explorer fires any timer at any point, so the TTL
    # may run out before any reader drew (warm: a herd in 7 steps; cold: the cold miss, 6 steps), and neither
    # search completes in 50,000 worlds (the entries' expiry times keep worlds apart). Its foil says so.
    explore_caches=1,
    explore_clients=3,
    foils=(Foil(params={"remedy": "none"}, breaks=("stampede",)),
           Foil(params={"remedy": "xfetch", "warm": True}, breaks=("stampede",))),
    clean=({"remedy": "single-flight"},),
    summarize=summary.stampede,
    figures=summary.STAMPEDE_FIGURES,
    estimate=estimate.stampede,
)
