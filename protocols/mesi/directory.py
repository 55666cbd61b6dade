"""The directory and memory: who holds each line, and the line's value when no cache owns it.

Per line the directory keeps ``st`` (I: no copies; S: ``sharers`` may hold
it; EM: one ``owner`` holds it in E or M, the directory cannot tell which),
and memory keeps the value. It serves requests per line *one transaction at
a time*: while a GetS or GetM is in progress (``busy``) later requests for
that line wait in the line's ``queue``. A transaction ends when the
requester sends Unblock (it has its data and every Inv-Ack), and, for a
GetS that was forwarded to an owner, when the owner's copy of the data has
reached memory. Because of that, every Inv and Fwd of a transaction has been
handled before the next one on the line starts, whatever the network does to
message order: the transient states stay few, and the protocol is correct
without FIFO links.

Requests:

- GetS: I -> Data from memory (E in MESI, S in MSI); S -> Data, add a sharer;
  EM -> Fwd-GetS to the owner, who sends Data to the requester and to memory.
- GetM: I -> Data; S -> Inv to every other sharer and Data with the number of
  Inv-Acks to expect; EM -> Fwd-GetM to the owner, who sends the data.
- PutM/PutE (an owner evicts): memory takes PutM's value; Put-Ack. A Put from
  a cache that lost ownership in a race meanwhile is acknowledged and
  otherwise ignored (its data went to the new holder with the Fwd).

Memory writes are forced to the durable log, so memory survives a crash of
the directory; who holds what does not. ``directory=broken`` forgets to send
Inv on GetM (and tells the writer to expect no acks): the checker catches it.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Send, State

REQUESTS = ("GetS", "GetM", "PutM", "PutE")
BUG_NOTE = "the deliberate bug: ownership granted without invalidating the sharers"


def directory_initial() -> dict[str, Any]:
    """Return the directory at boot: every line Invalid, memory empty (every value None)."""
    return {"phase": "serving", "lines": {}, "memory": {}, "seen": {}, "strays": 0}


def _line(state: State, key: str) -> dict[str, Any]:
    return state["lines"].get(key) or {"st": "I", "owner": None, "sharers": [], "busy": None, "queue": []}


def _stray(state: State, text: str) -> Outcome:
    return {**state, "strays": state["strays"] + 1}, [Note(text="stray: " + text)]


def directory_request(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A cache's GetS, GetM, PutM or PutE: serve it, or queue it while its line is busy."""
    message = event.message
    body = message.body
    tid = body.get("tid", 0)
    if tid <= state["seen"].get(message.src, 0):
        return _stray(state, f"{message.type} from {message.src} seen before (a duplicate)")
    state = {**state, "seen": {**state["seen"], message.src: tid}}
    req = {"kind": message.type, "src": message.src, "tid": tid, "key": body["key"], "value": body.get("value")}
    line = _line(state, req["key"])
    if line["busy"] is not None:
        line = {**line, "queue": [*line["queue"], req]}
        note = Note(text=f"{req['key']} is busy with {line['busy']['req']}'s {line['busy']['kind']}: "
                         f"{message.src}'s {message.type} waits")
        return _put_line(state, req["key"], line), [note]
    return _run(ctx, state, req)


def _put_line(state: State, key: str, line: dict[str, Any]) -> dict[str, Any]:
    return {**state, "lines": {**state["lines"], key: line}}


def _run(ctx: Context, state: State, req: dict[str, Any]) -> Outcome:
    """Serve requests for one line until it is busy or its queue is empty."""
    effects: list[Effect] = []
    key = req["key"]
    while True:
        state, more = _serve(ctx, state, req)
        effects += more
        line = _line(state, key)
        if line["busy"] is not None or not line["queue"]:
            return state, effects
        req = line["queue"][0]
        state = _put_line(state, key, {**line, "queue": line["queue"][1:]})


def _serve(ctx: Context, state: State, req: dict[str, Any]) -> Outcome:
    if req["kind"] == "GetS":
        return _get_s(ctx, state, req)
    if req["kind"] == "GetM":
        return _get_m(ctx, state, req)
    return _put(state, req)


def _data(state: State, req: dict[str, Any], acks: int = 0, excl: bool = False) -> Send:
    """Answer a request from memory (a memory read)."""
    value = state["memory"].get(req["key"])
    return Send(dest=req["src"], type="Data",
                body={"key": req["key"], "tid": req["tid"], "value": value, "acks": acks, "excl": excl})


def _busy(req: dict[str, Any], wait: list[str]) -> dict[str, Any]:
    return {"kind": req["kind"], "req": req["src"], "tid": req["tid"], "wait": wait}


def _get_s(ctx: Context, state: State, req: dict[str, Any]) -> Outcome:
    key, src = req["key"], req["src"]
    line = _line(state, key)
    owner = line["owner"]
    if line["st"] == "EM" and owner != src:
        fwd = Send(dest=owner, type="Fwd-GetS", body={"key": key, "req": src, "tid": req["tid"]})
        line = {**line, "st": "S", "owner": None, "sharers": sorted({owner, src}),
                "busy": _busy(req, ["Data", "Unblock"])}
        return _put_line(state, key, line), [fwd]
    effects: list[Effect] = []
    if line["st"] == "EM":  # The owner asks again: it crashed and lost the line.
        effects.append(Note(text=f"{src} owned {key} and asks for it again: its copy was lost"))
        line = {**line, "st": "I", "owner": None}
    if line["st"] == "I" and ctx.params["variant"] == "mesi":
        line = {**line, "st": "EM", "owner": src, "sharers": [], "busy": _busy(req, ["Unblock"])}
        return _put_line(state, key, line), [*effects, _data(state, req, excl=True)]
    line = {**line, "st": "S", "sharers": sorted({*line["sharers"], src}), "busy": _busy(req, ["Unblock"])}
    return _put_line(state, key, line), [*effects, _data(state, req)]


def _get_m(ctx: Context, state: State, req: dict[str, Any]) -> Outcome:
    key, src, tid = req["key"], req["src"], req["tid"]
    line = _line(state, key)
    owner = line["owner"]
    busy = _busy(req, ["Unblock"])
    if line["st"] == "EM" and owner != src:
        fwd = Send(dest=owner, type="Fwd-GetM", body={"key": key, "req": src, "tid": tid})
        return _put_line(state, key, {**line, "owner": src, "busy": busy}), [fwd]
    others = [s for s in line["sharers"] if s != src] if line["st"] == "S" else []
    effects: list[Effect] = []
    if ctx.params["directory"] == "broken" and others:
        effects.append(Note(text=BUG_NOTE))
        others = []
    effects += [Send(dest=s, type="Inv", body={"key": key, "req": src, "tid": tid}) for s in others]
    effects.append(_data(state, req, acks=len(others)))
    line = {**line, "st": "EM", "owner": src, "sharers": [], "busy": busy}
    return _put_line(state, key, line), effects


def _put(state: State, req: dict[str, Any]) -> Outcome:
    """An owner gives its line back: PutM's value goes to memory; a stale Put is only acknowledged."""
    key, src = req["key"], req["src"]
    line = _line(state, key)
    ack = Send(dest=src, type="Put-Ack", body={"key": key, "tid": req["tid"]})
    if line["st"] == "EM" and line["owner"] == src:
        line = {**line, "st": "I", "owner": None}
        if req["kind"] == "PutM":
            state = _write_memory(state, key, req["value"])
        return _put_line(state, key, line), [*_memory_effects(req), ack]
    sharers = [s for s in line["sharers"] if s != src]
    st = "I" if line["st"] == "S" and not sharers else line["st"]
    note = Note(text=f"{src}'s {req['kind']} for {key} is stale (it lost the line in a race): acknowledged only")
    return _put_line(state, key, {**line, "st": st, "sharers": sharers}), [note, ack]


def _write_memory(state: State, key: str, value: Any) -> dict[str, Any]:
    return {**state, "memory": {**state["memory"], key: value}}


def _memory_effects(req: dict[str, Any]) -> list[Effect]:
    if req["kind"] != "PutM":
        return []
    return [Persist(record={"key": req["key"], "value": req["value"]})]


# -------------------------------------------------- ends of transactions


def directory_data(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The old owner's copy of a line it downgraded (Fwd-GetS): write it to memory if dirty."""
    body, src = event.message.body, event.message.src
    key = body.get("key", "")
    line = _line(state, key)
    busy = line["busy"]
    if busy is None or busy["tid"] != body.get("tid") or "Data" not in busy["wait"]:
        return _stray(state, f"Data for {key} from {src} belongs to no transaction in progress")
    effects: list[Effect] = []
    if body.get("dirty"):
        state = _write_memory(state, key, body["value"])
        effects.append(Persist(record={"key": key, "value": body["value"]}))
    return _progress(ctx, state, key, "Data", effects)


def directory_unblock(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The requester has everything it needs: its transaction on the line is over."""
    body, src = event.message.body, event.message.src
    key = body.get("key", "")
    busy = _line(state, key)["busy"]
    if busy is None or busy["tid"] != body.get("tid") or busy["req"] != src or "Unblock" not in busy["wait"]:
        return _stray(state, f"Unblock for {key} from {src} belongs to no transaction in progress")
    return _progress(ctx, state, key, "Unblock", [])


def _progress(ctx: Context, state: State, key: str, got: str, effects: list[Effect]) -> Outcome:
    """Tick off what the busy line waited for; when nothing is left, serve the queue."""
    line = _line(state, key)
    busy = line["busy"]
    wait = [w for w in busy["wait"] if w != got]
    if wait:
        return _put_line(state, key, {**line, "busy": {**busy, "wait": wait}}), effects
    line = {**line, "busy": None}
    state = _put_line(state, key, line)
    if not line["queue"]:
        return state, effects
    req = line["queue"][0]
    state = _put_line(state, key, {**line, "queue": line["queue"][1:]})
    state, more = _run(ctx, state, req)
    return state, [*effects, *more]


def directory_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild memory from the log; who held which line is forgotten."""
    memory: dict[str, Any] = {}
    for record in event.durable:
        memory[record["key"]] = record["value"]
    note = Note(text="recovered: memory from the log; the directory forgot every sharer and owner")
    return {**directory_initial(), "memory": memory}, [note]
