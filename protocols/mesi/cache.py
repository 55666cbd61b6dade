"""The cache controller: per-line MESI (or MSI) states, one transaction at a time.

Each cache holds lines ``{key: {"st": state, "v": value}}``; a key that is
absent is Invalid. Stable states: M (modified: the only copy, dirty,
writable), E (exclusive: the only copy, clean; a write upgrades it to M
without a message), S (shared: readable, others may read too), I. Transient
states, named as in Sorin, Hill and Wood's Primer (``XY_Z``: was X, going to
Y, waiting for Z): IS_D, IM_AD, IM_A, SM_AD, SM_A, MI_A, EI_A, SI_A, II_A.

The controller serves its clients one request at a time (others queue): a
hit answers at once; a miss first evicts the least recently used line if the
cache is full (silently for S, with PutM/PutE and a wait for Put-Ack for M
or E), then sends GetS or GetM to the directory and waits. The node's phase
is the transaction it waits on: ``ready``, ``evicting``, or the transient
state of the line it is fetching. Whatever the phase, the directory may
invalidate or forward any *other* line: Inv, Fwd-GetS and Fwd-GetM are
answered in every phase.

Every request carries a transaction id ``tid`` (the cache's epoch times a
million plus a counter, so a recovered cache never reuses one); answers
(Data, Inv-Ack, Put-Ack) name it, and an answer for no current transaction
is a stray: counted in ``strays`` and ignored. In the protocol's own model
(a reliable network, no crashes) there are none; the tests insist on it.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Send, State

DIRECTORY = "dir"
CACHE_PHASES = ("ready", "evicting", "IS_D", "IM_AD", "IM_A", "SM_AD", "SM_A")
OWNED = ("M", "E")
RESIDENT = ("S", "E", "M")
"""Stable states that hold a copy and count against the capacity."""

EPOCH_SPAN = 1_000_000
"""Transaction ids are ``epoch * EPOCH_SPAN + counter``: a million transactions per incarnation."""


def cache_initial() -> dict[str, Any]:
    """Return a cache at boot: empty, ready, epoch 1."""
    return {"phase": "ready", "lines": {}, "lru": [], "cur": None, "queue": [], "txn": None,
            "epoch": 1, "seq": 0, "strays": 0, "recovered": False}


# ----------------------------------------------------------------- lines


def line_of(state: State, key: str) -> tuple[str, Any]:
    """Return a line's (state, value); an absent line is ("I", None)."""
    line = state["lines"].get(key)
    return (line["st"], line["v"]) if line else ("I", None)


def _with_line(state: State, key: str, st: str, value: Any) -> dict[str, Any]:
    """Return the state with one line set (Invalid removes it) and the LRU order updated."""
    lines = dict(state["lines"])
    lru = [k for k in state["lru"] if k != key]
    if st == "I":
        lines.pop(key, None)
    else:
        lines[key] = {"st": st, "v": value}
        lru.append(key)  # Most recently used last.
    return {**state, "lines": lines, "lru": lru}


def _stray(state: State, text: str) -> Outcome:
    return {**state, "strays": state["strays"] + 1}, [Note(text="stray: " + text)]


def _reply(req: dict[str, Any], value: Any, hit: bool) -> Send:
    return Send(dest=req["client"], type=req["op"] + "_ok", in_reply_to=req["mid"],
                body={"key": req["key"], "value": value, "n": req["n"], "hit": hit})


def _new_txn(state: State, kind: str, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    seq = state["seq"] + 1
    txn = {"kind": kind, "key": key, "tid": state["epoch"] * EPOCH_SPAN + seq, "acks": None, "from": [],
           "data": False}
    return {**state, "seq": seq, "txn": txn}, txn


# -------------------------------------------------------- client requests


def cache_request(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A client's read or write: serve it now when ready, else queue it behind the current one."""
    message = event.message
    req = {"client": message.src, "mid": message.msg_id, "op": message.type, "key": message.body["key"],
           "value": message.body.get("value"), "n": message.body.get("n")}
    if state["phase"] != "ready":
        return {**state, "queue": [*state["queue"], req]}, ()
    return serve(ctx, state, req)


def serve(ctx: Context, state: State, req: dict[str, Any]) -> Outcome:
    """Serve one request in phase ready: a hit answers, a miss starts a transaction."""
    key = req["key"]
    st, value = line_of(state, key)
    if req["op"] == "read" and st in RESIDENT:
        return _with_line(state, key, st, value), [_reply(req, value, hit=True)]
    if req["op"] == "write" and st in OWNED:
        effects: list[Effect] = [] if st == "M" else [Note(text=f"{key}: E to M without a message")]
        return _with_line(state, key, "M", req["value"]), [*effects, _reply(req, req["value"], hit=True)]
    state = {**state, "cur": req}
    if st == "S":  # A write to a shared line: ask for ownership, keep the copy meanwhile.
        state, txn = _new_txn(state, "GetM", key)
        state = _with_line(state, key, "SM_AD", value)
        return {**state, "phase": "SM_AD"}, [Send(dest=DIRECTORY, type="GetM", body={"key": key, "tid": txn["tid"]})]
    resident = [k for k in state["lru"] if state["lines"][k]["st"] in RESIDENT]
    notes: list[Effect] = []
    if len(resident) >= ctx.params["capacity"]:
        victim = resident[0]
        vst, vvalue = line_of(state, victim)
        if vst == "S":
            notes.append(Note(text=f"evict {victim} (shared, clean): dropped without a message"))
            state = _with_line(state, victim, "I", None)
        else:
            return _evict(state, victim, vst, vvalue)
    outcome_state, miss = _issue_miss(state)
    return outcome_state, [*notes, *miss]


def _evict(state: State, victim: str, st: str, value: Any) -> Outcome:
    """Give an owned victim back to the directory; the miss waits for the Put-Ack."""
    kind = "PutM" if st == "M" else "PutE"
    state, txn = _new_txn(state, kind, victim)
    state = _with_line(state, victim, "MI_A" if st == "M" else "EI_A", value)
    body: dict[str, Any] = {"key": victim, "tid": txn["tid"]}
    if kind == "PutM":
        body["value"] = value
    note = Note(text=f"evict {victim} ({st}): {kind} to the directory, then wait for Put-Ack")
    return {**state, "phase": "evicting"}, [note, Send(dest=DIRECTORY, type=kind, body=body)]


def _issue_miss(state: State) -> Outcome:
    """Ask the directory for the current request's line: GetS to read, GetM to write."""
    req = state["cur"]
    kind, transient = ("GetS", "IS_D") if req["op"] == "read" else ("GetM", "IM_AD")
    state, txn = _new_txn(state, kind, req["key"])
    state = _with_line(state, req["key"], transient, None)
    return {**state, "phase": transient}, [Send(dest=DIRECTORY, type=kind, body={"key": req["key"], "tid": txn["tid"]})]


def _finish(ctx: Context, state: State, effects: list[Effect]) -> Outcome:
    """The transaction is over: become ready and serve what queued meanwhile, hits at once."""
    state = {**state, "phase": "ready", "cur": None, "txn": None}
    while state["queue"] and state["phase"] == "ready":
        req, rest = state["queue"][0], state["queue"][1:]
        state, more = serve(ctx, {**state, "queue": rest}, req)
        effects += more
    return state, effects


# ----------------------------------------------------------- answers


def cache_data(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Data for the line being fetched: complete a read, or count the acks a write still needs."""
    body = event.message.body
    txn = state["txn"]
    if txn is None or body.get("tid") != txn["tid"] or txn["data"]:
        return _stray(state, f"Data for {body.get('key')} answers no transaction of this cache")
    key = txn["key"]
    if state["phase"] == "IS_D":
        st = "E" if body.get("excl") else "S"
        state = _with_line(state, key, st, body["value"])
        effects: list[Effect] = [Send(dest=DIRECTORY, type="Unblock", body={"key": key, "tid": txn["tid"]}),
                                 _reply(state["cur"], body["value"], hit=False)]
        return _finish(ctx, state, effects)
    txn = {**txn, "data": True, "acks": body.get("acks", 0)}
    state = _with_line({**state, "txn": txn}, key, state["phase"], body["value"])
    return _maybe_own(ctx, state)


def cache_inv_ack(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A sharer has dropped its copy for this cache's GetM; count it (once per sharer)."""
    body, src = event.message.body, event.message.src
    txn = state["txn"]
    if txn is None or txn["kind"] != "GetM" or body.get("tid") != txn["tid"]:
        return _stray(state, f"Inv-Ack from {src} answers no GetM of this cache")
    if src in txn["from"]:
        return _stray(state, f"a second Inv-Ack from {src}")
    state = {**state, "txn": {**txn, "from": sorted([*txn["from"], src])}}
    return _maybe_own(ctx, state)


def _maybe_own(ctx: Context, state: State) -> Outcome:
    """With the data and every ack in, the line is M: perform the write, unblock, answer."""
    txn = state["txn"]
    key = txn["key"]
    if not txn["data"]:
        return state, ()
    if len(txn["from"]) < txn["acks"]:
        waiting = "IM_A" if state["phase"] in ("IM_AD", "IM_A") else "SM_A"
        _, value = line_of(state, key)
        return {**_with_line(state, key, waiting, value), "phase": waiting}, ()
    req = state["cur"]
    state = _with_line(state, key, "M", req["value"])
    effects: list[Effect] = [Send(dest=DIRECTORY, type="Unblock", body={"key": key, "tid": txn["tid"]}),
                             _reply(req, req["value"], hit=False)]
    return _finish(ctx, state, effects)


def cache_put_ack(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The directory has taken the evicted line back: forget it and fetch what the client asked for."""
    body = event.message.body
    txn = state["txn"]
    if txn is None or txn["kind"] not in ("PutM", "PutE") or body.get("tid") != txn["tid"]:
        return _stray(state, f"Put-Ack for {body.get('key')} answers no eviction of this cache")
    state = _with_line({**state, "txn": None}, txn["key"], "I", None)
    return _issue_miss(state)


def cache_stray(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """An answer that fits no transaction in this phase: stale or duplicated, so ignored."""
    return _stray(state, f"{event.message.type} from {event.message.src} in phase {state['phase']}")


# ------------------------------------------------- the directory's demands


def cache_inv(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Drop a shared copy for another cache's GetM and acknowledge to that cache."""
    body = event.message.body
    key, requester = body["key"], body["req"]
    st, _ = line_of(state, key)
    ack = Send(dest=requester, type="Inv-Ack", body={"key": key, "tid": body["tid"]})
    if st in OWNED or st in ("MI_A", "EI_A", "IM_A", "SM_A"):
        return _stray(state, f"Inv for {key} while {st}: the directory never invalidates an owner")
    if st == "S":
        return _with_line(state, key, "I", None), [ack]
    if st == "SM_AD":  # Lost the race to another writer: keep waiting, now without a copy.
        return {**_with_line(state, key, "IM_AD", None), "phase": "IM_AD"}, [ack]
    if st == "SI_A":
        return _with_line(state, key, "II_A", None), [ack]
    return state, [ack]  # I, IS_D, IM_AD, II_A: the copy is already gone (a silent eviction).


def cache_fwd(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Another cache wants the line this one owns: send it the data, downgrade or give it up."""
    message = event.message
    body = message.body
    key, requester, tid = body["key"], body["req"], body["tid"]
    st, value = line_of(state, key)
    shared = message.type == "Fwd-GetS"
    if st not in ("M", "E", "MI_A", "EI_A"):
        return _lost_owner(state, key, requester, tid, shared, st)
    dirty = st in ("M", "MI_A")
    effects: list[Effect] = [Send(dest=requester, type="Data",
                                  body={"key": key, "tid": tid, "value": value, "acks": 0})]
    if shared:
        effects.append(Send(dest=DIRECTORY, type="Data",
                            body={"key": key, "tid": tid, "value": value, "dirty": dirty}))
        after = "S" if st in OWNED else "SI_A"
    else:
        after = "I" if st in OWNED else "II_A"
    return _with_line(state, key, after, value), effects


def _lost_owner(state: State, key: str, requester: str, tid: int, shared: bool, st: str) -> Outcome:
    """Forwarded a line this cache does not own: after a crash it had one and lost it; say so."""
    if not state["recovered"]:
        return _stray(state, f"Fwd for {key} while {st}: not the owner")
    effects: list[Effect] = [
        Note(text=f"{key}: owned before the crash, its data is lost"),
        Send(dest=requester, type="Data", body={"key": key, "tid": tid, "value": None, "acks": 0, "lost": True}),
    ]
    if shared:
        effects.append(Send(dest=DIRECTORY, type="Data",
                            body={"key": key, "tid": tid, "value": None, "dirty": False, "lost": True}))
    return state, effects


# -------------------------------------------------------------- life


def cache_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Come back empty in a new epoch (so no transaction id repeats); every line was lost."""
    epoch = 2 + sum(1 for r in event.durable if "epoch" in r)
    state = {**cache_initial(), "epoch": epoch, "recovered": True}
    return state, [Persist(record={"epoch": epoch}), Note(text=f"recovered empty, epoch {epoch}")]
