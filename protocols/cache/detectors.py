"""Anomaly detectors for the cache family, checked from the outside on the event log.

* ``stale-read`` (history): a read returned a value older than a write
  acknowledged before the read began. "Older" is strict: the returned value's
  write was acknowledged before the newer write was even invoked, so no
  linearization can excuse it. A value whose write was never acknowledged is
  given the benefit of the doubt. The finding points at the answer the
  client received and says how long the value had been overwritten (its age).
* ``lost-write`` (history): an acknowledged write is nowhere any more (not
  in the database, in no cache, in no message on its way to the database)
  and nothing newer replaced it. It can only happen when something holding
  the last copy dies: a cache crashes with dirty data, or a message carrying
  it is dropped; the finding points at that event (if the acknowledgement
  arrives only later, it is reported then, still pointing at the cause).
* ``ack-implies-db`` (history): once a write is acknowledged, the database
  has it (or a newer value), and never goes back to an older version.
* ``single-dirty-copy`` (state): no key is dirty in two running caches.
* ``write-order`` (history): a client that has read a value must not then
  read, for another key, a value older than a write acknowledged before the
  first value's write was invoked. Write A acknowledged, then write B
  invoked: whoever sees B must see A (or newer), the guarantee a single
  ordered queue (or the database itself) gives and two write-behind queues
  draining at their own pace do not. Every such read is also a stale read;
  this finding names the reordering: which write was seen, which older one
  was missing. Only acknowledged writes count, and only reads (a client's
  own write is not "seen"); the reader's horizon is the latest invocation
  among the writes it has read.

The cores (:func:`stale_reads`, :func:`lost_writes`) return plain records, so
the summary counts exactly what the checker reports.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from typing import Any

from protocols.cache.history import WRITE_CARRIERS, call_of, clients_memory, is_cache, observe, show
from protocols.spec import Finding, Invariant, NodeView

# ----------------------------------------------------------- stale reads


def stale_reads(event: Mapping[str, Any], memo: dict[str, Any]) -> list[dict[str, Any]]:
    """Feed one event; return a record for each stale read it completes."""
    op = observe(event, memo)
    if op is None or not op["ok"]:
        return []
    key = op["key"]
    writes = memo.setdefault("acked", {}).setdefault(key, [])
    acked_at = memo.setdefault("acked_s1", {}).setdefault(key, [])
    if op["op"] == "write":
        writes.append([op["value"], op["s0"], op["s1"], op["t1"], op["client"]])
        acked_at.append(op["s1"])
        memo.setdefault("ack_of", {})[op["value"]] = op["s1"]
        return []
    value = op["value"]
    since = 0 if value is None else memo.get("ack_of", {}).get(value)
    if since is None:
        return []  # Its write was never acknowledged: it may take effect late; not provably stale.
    # Writes are kept in acknowledgement order; one invoked after `since` was acknowledged after it too,
    # so the search starts there (a bisection keeps long histories cheap).
    for i in range(bisect.bisect_right(acked_at, since), len(writes)):
        newer, s0, s1, t1, writer = writes[i]
        if s1 > op["s0"]:
            break
        if s0 > since:
            return [{"client": op["client"], "key": key, "value": value, "newer": newer, "writer": writer,
                     "age_ms": op["t1"] - t1, "src": op["src"], "answer": op["answer"]}]
    return []


def _stale_memory(memo: dict[str, Any]) -> dict[str, Any]:
    """What decides a stale read to come: each acknowledged write's invocation and acknowledgement only.

    Its value, time and writer only fill the finding; the calls :func:`observe` notes are never read here.
    """
    view = clients_memory(memo)
    view.pop("calls", None)
    if "acked" in view:
        view["acked"] = {key: [[s0, s1] for _, s0, s1, *_ in writes] for key, writes in view["acked"].items()}
    return view


def _stale_check(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    for r in stale_reads(event, memo):
        yield Finding(nodes=tuple(n for n in (r["client"], r["src"]) if n), cause_seq=r["answer"], id="stale-read",
                      data={"client": r["client"], "key": r["key"], "value": show(r["value"]), "src": str(r["src"]),
                            "writer": r["writer"], "newer": show(r["newer"]), "age_ms": r["age_ms"]})


# ----------------------------------------------------------- lost writes


def _alive(memo: Mapping[str, Any], key: str, value: Any) -> bool:
    """Say whether a written value still exists: in the database, a dirty cache entry, a message, a write
    queue or a cache's durable log (write-behind)."""
    if value in memo.get("db", {}).get(key, {}):
        return True
    if any(d.get(key) == value for d in memo.get("dirty", {}).values()):
        return True
    if any(k == key and v == value for k, v in memo.get("flight", {}).values()):
        return True
    kept = [*memo.get("held", {}).values(), *memo.get("logged", {}).values(), *memo.get("batches", {}).values()]
    return any(k == key and v == value for pairs in kept for k, v, *_ in pairs)


def _superseded(memo: Mapping[str, Any], key: str, acked_at: int) -> bool:
    """Say whether a surviving value of ``key`` was written after ``acked_at`` (so the loss is invisible)."""
    survivors = [memo.get("cur", {}).get(key)] + [d.get(key) for d in memo.get("dirty", {}).values()]
    for value in survivors:
        call = call_of(memo, value) if value is not None else None
        if call is not None and call > acked_at:
            return True
    return False


def _judge(memo: dict[str, Any], key: str, value: Any, cause: int, node: str, how: list[str]) -> list[dict[str, Any]]:
    """A value may have died at ``cause``: report it if acknowledged, else remember it until it is."""
    if _alive(memo, key, value):
        return []
    acked_at = memo.get("acked_at", {}).get(value)
    if acked_at is None:
        memo.setdefault("doomed", {})[value] = [key, cause, node, how]
        return []
    if _superseded(memo, key, acked_at):
        return []
    return [{"key": key, "value": value, "cause": cause, "node": node, "how": how}]


def _track_node_state(event: Mapping[str, Any], memo: dict[str, Any]) -> None:
    node, state = event["node"], event["state"]
    if is_cache(node):
        before = memo.setdefault("dirty", {}).get(node, {})
        after = {k: e["v"] for k, e in state.get("entries", {}).items() if e.get("dirty")}
        memo["dirty"][node] = after
        if "queue" in state:  # Write-behind: every unconfirmed write, queued or in flight, is a copy.
            memo.setdefault("held", {})[node] = [[r["key"], r["value"]] for r in [*state["batch"], *state["queue"]]]
        # Dirty values that just left the cache (evicted, recalled) are on their way in a message
        # sent by the same handler; a crash before it is sent loses them, so keep them in view.
        memo.setdefault("left", {})[node] = {k: v for k, v in before.items() if k not in after}
    elif node == "db":
        seen, cur = memo.setdefault("db", {}), memo.setdefault("cur", {})
        for key, cell in state.get("data", {}).items():
            if cur.get(key) != cell["v"]:
                cur[key] = cell["v"]
                seen.setdefault(key, {})[cell["v"]] = cell["ver"]


def lost_writes(event: Mapping[str, Any], memo: dict[str, Any]) -> list[dict[str, Any]]:
    """Feed one event; return a record for each acknowledged write it shows to be lost."""
    found: list[dict[str, Any]] = []
    op = observe(event, memo)
    if op is not None and op["ok"] and op["op"] == "write":
        memo.setdefault("acked_at", {})[op["value"]] = op["s1"]
        doomed = memo.get("doomed", {}).pop(op["value"], None)
        if doomed is not None:
            found += _judge(memo, doomed[0], op["value"], *doomed[1:])
    kind = event["kind"]
    if kind == "state":
        _track_node_state(event, memo)
    elif kind in ("send", "duplicate"):
        message = event["message"]
        if message["type"] in WRITE_CARRIERS and "value" in message["body"]:
            memo.setdefault("flight", {})[message["msg_id"]] = [message["body"]["key"], message["body"]["value"]]
        elif message["type"] == "batch":
            memo.setdefault("batches", {})[message["msg_id"]] = [[w["key"], w["value"]]
                                                                 for w in message["body"]["writes"]]
    elif kind == "persist":
        _track_log(event, memo)
    elif kind == "deliver":
        memo.get("flight", {}).pop(event["message"]["msg_id"], None)
        memo.get("batches", {}).pop(event["message"]["msg_id"], None)
    elif kind == "drop":
        carried = memo.get("flight", {}).pop(event["message"]["msg_id"], None)
        how = ["in-lost-message", event["message"]["type"]]
        if carried is not None:
            found += _judge(memo, carried[0], carried[1], event["seq"], event["src"], how)
        for key, value in memo.get("batches", {}).pop(event["message"]["msg_id"], []):
            found += _judge(memo, key, value, event["seq"], event["src"], how)
    elif kind == "crash" and is_cache(event["node"]):
        held = {**memo.get("left", {}).pop(event["node"], {}), **memo.get("dirty", {}).pop(event["node"], {})}
        queued = memo.get("held", {}).pop(event["node"], [])
        for key, value in sorted(held.items()) + [(k, v) for k, v in queued if held.get(k) != v]:
            found += _judge(memo, key, value, event["seq"], event["node"], ["at-crashed-cache", ""])
    elif kind == "crash" and event["node"] == "db":
        memo["db_crash"] = event["seq"]
    elif kind == "recover" and event["node"] == "db":
        found += _db_recovered(event, memo)
    elif kind == "send" and is_cache(event["node"]):
        memo.get("left", {}).pop(event["node"], None)  # What left was sent on (or was clean).
    return found


def _track_log(event: Mapping[str, Any], memo: dict[str, Any]) -> None:
    """Keep a write-behind cache's durable queue in view: queued writes until the database confirms them."""
    node, record = event["node"], event["record"]
    if not is_cache(node):
        return
    logged = memo.setdefault("logged", {}).setdefault(node, [])
    if record.get("type") == "queued":
        logged.append([record["key"], record["value"], record["inc"], record["seq"]])
    elif record.get("type") == "done":
        upto = [record["inc"], record["seq"]]
        memo["logged"][node] = [r for r in logged if [r[2], r[3]] > upto]


def _db_recovered(event: Mapping[str, Any], memo: dict[str, Any]) -> list[dict[str, Any]]:
    """The database holds what its log holds: judge values it showed but never forced."""
    kept: dict[str, dict[Any, int]] = {}
    for record in event["durable"]:
        if record.get("type") == "write":
            kept.setdefault(record["key"], {})[record["value"]] = record["ver"]
    before, memo["db"] = memo.get("db", {}), kept
    memo["cur"] = {key: max(values, key=lambda v: values[v]) for key, values in kept.items()}
    found = []
    for key, values in sorted(before.items()):
        for value in values:
            if value not in kept.get(key, {}):
                found += _judge(memo, key, value, memo.get("db_crash", event["seq"]), "db", ["in-db-memory", ""])
    return found


def _lost_check(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    for r in lost_writes(event, memo):
        how, message = r["how"]
        yield Finding(nodes=(r["node"],), cause_seq=r["cause"], id=f"lost-write-{how}",
                      data={"key": r["key"], "value": show(r["value"]), "node": r["node"], "message": message})


# ----------------------------------------------------------- write order


def write_orders(event: Mapping[str, Any], memo: dict[str, Any]) -> list[dict[str, Any]]:
    """Feed one event; return a record for each read that misses a write ordered before one the reader saw."""
    op = observe(event, memo)
    if op is None or not op["ok"]:
        return []
    key = op["key"]
    if op["op"] == "write":
        memo.setdefault("acked", {}).setdefault(key, []).append([op["value"], op["s0"], op["s1"], op["client"]])
        memo.setdefault("ack_of", {})[op["value"]] = op["s1"]
        return []
    value = op["value"]
    seen = memo.setdefault("horizon", {}).setdefault(op["client"], {})
    found = []
    since = 0 if value is None else memo.get("ack_of", {}).get(value)
    others = [(s0, k, v) for k, (s0, v) in seen.items() if k != key]
    if since is not None and others:
        s0, seen_key, seen_value = max(others)
        for newer, w0, w1, writer in memo.get("acked", {}).get(key, []):
            if w1 < s0 and w0 > since:
                found.append({"client": op["client"], "key": key, "value": value, "newer": newer, "writer": writer,
                              "seen_key": seen_key, "seen_value": seen_value, "answer": op["answer"],
                              "src": op["src"]})
                break
    call = None if value is None else memo.get("calls", {}).get(value)  # Kept as the checker's Seq: ranked.
    if call is not None and call > seen.get(key, [-1])[0]:
        seen[key] = [call, value]
    return found


def _order_check(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    for r in write_orders(event, memo):
        yield Finding(nodes=tuple(n for n in (r["client"], r["src"]) if n), cause_seq=r["answer"], id="write-order",
                      data={"client": r["client"], "key": r["key"], "value": show(r["value"]), "writer": r["writer"],
                            "newer": show(r["newer"]), "seen_key": r["seen_key"],
                            "seen_value": show(r["seen_value"])})


# ------------------------------------------------------ ack implies db


def _ack_memory(memo: dict[str, Any]) -> dict[str, Any]:
    """What decides ``ack-implies-db`` to fail: the database's values and floors; the calls are never read."""
    view = clients_memory(memo)
    view.pop("calls", None)
    return view


def _ack_check(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    op = observe(event, memo)
    if event["kind"] == "state" and event["node"] == "db":
        floor = memo.setdefault("floor", {})
        seen = memo.setdefault("db", {})
        for key, cell in event["state"].get("data", {}).items():
            seen.setdefault(key, {})[cell["v"]] = cell["ver"]
        if event.get("cause") == "recover":
            data = event["state"].get("data", {})
            for key, version in sorted(floor.items()):
                if data.get(key, {}).get("ver", 0) < version:
                    yield Finding(nodes=("db",), cause_seq=event["seq"], id="db-recovered-older",
                                  data={"key": key, "version": version})
    if op is None or not op["ok"] or op["op"] != "write":
        return
    version = memo.get("db", {}).get(op["key"], {}).get(op["value"])
    if version is None:
        yield Finding(nodes=(op["client"], "db"), cause_seq=op["answer"], id="acked-not-in-db",
                      data={"client": op["client"], "key": op["key"], "value": show(op["value"])})
        return
    floor = memo.setdefault("floor", {})
    floor[op["key"]] = max(floor.get(op["key"], 0), version)


# --------------------------------------------------------- single dirty


def _single_dirty(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    holders: dict[str, list[str]] = {}
    for node, view in views.items():
        if view.role != "cache" or not view.up:
            continue  # A crashed cache's last state stays in its view, but its data is gone.
        for key, entry in view.state.get("entries", {}).items():
            if entry.get("dirty"):
                holders.setdefault(key, []).append(node)
    for key, nodes in sorted(holders.items()):
        if len(nodes) > 1:
            yield Finding(nodes=tuple(sorted(nodes)), id="two-dirty-copies", data={"key": key, "nodes": sorted(nodes)})


STALE_READ = Invariant(
    name="stale-read", kind="history", check=_stale_check, memory=_stale_memory,
    description="No read returns a value older than a write acknowledged before the read began.",
    findings={"stale-read": "{client} read {key} = {value} from {src}, but {writer}'s write {key} = {newer} had been "
                            "acknowledged {age_ms} ms before: a stale read, {age_ms} ms old"})
LOST_WRITE = Invariant(
    name="lost-write", kind="history", check=_lost_check, memory=clients_memory,
    description="No acknowledged write disappears from the database and every cache without being overwritten.",
    findings={
        "lost-write-in-lost-message": "the acknowledged write {key} = {value} is lost: its only copy was in a "
                                      "{message} message from {node} that never arrived, and neither the database "
                                      "nor any cache has it or anything newer",
        "lost-write-at-crashed-cache": "the acknowledged write {key} = {value} is lost: its only copy was at {node}, "
                                       "which crashed, and neither the database nor any cache has it or anything "
                                       "newer",
        "lost-write-in-db-memory": "the acknowledged write {key} = {value} is lost: its only copy was in the "
                                   "database's memory, which crashed before forcing it to its log, and neither the "
                                   "database nor any cache has it or anything newer"})
ACK_IMPLIES_DB = Invariant(
    name="ack-implies-db", kind="history", check=_ack_check, memory=_ack_memory,
    description="An acknowledged write is in the database (or a newer value is), and stays there.",
    findings={"db-recovered-older": "the database recovered {key} at an older version than an acknowledged write "
                                    "(version {version})",
              "acked-not-in-db": "{client}'s write {key} = {value} was acknowledged, but the database never had it"})
WRITE_ORDER = Invariant(
    name="write-order", kind="history", check=_order_check, memory=clients_memory,
    description="A client that saw a write sees every write acknowledged before that one was invoked.",
    findings={"write-order": "{client} read {seen_key} = {seen_value}, then {key} = {value}; but {writer}'s write "
                             "{key} = {newer} had been acknowledged before {seen_key} = {seen_value} was written: "
                             "the two writes became visible out of order"})
SINGLE_DIRTY = Invariant(
    name="single-dirty-copy", kind="state", check=_single_dirty,
    description="At most one cache holds a key dirty.",
    findings={"two-dirty-copies": "{key} is dirty in {nodes} at once"})


# ------------------------------------------------------------- stampede


def db_reads_in_flight(event: Mapping[str, Any], memo: dict[str, Any]) -> list[dict[str, Any]]:
    """Feed one event; return a record when a second database read of a key leaves for one cache's clients.

    A read is in flight from its ``db_read`` (which names the cache it missed at, ``via``) until the
    database answers it, the network drops it, or the database crashes with it queued. ``memo["peak"]``
    keeps the most reads of one key in flight at once for one cache. One record per herd: the next
    comes only once every read of the herd has ended."""
    kind = event["kind"]
    flights: dict[str, list[list[str]]] = memo.setdefault("herd_flight", {})
    message = event.get("message") or {}
    if kind == "send" and message.get("type") == "db_read" and "via" in message.get("body", {}):
        body = message["body"]
        where = f"{body['via']}/{body['key']}"
        flight = flights.setdefault(where, [])
        flight.append([message["msg_id"], message["src"]])
        memo["peak"] = max(memo.get("peak", 0), len(flight))
        reported = memo.setdefault("herd_reported", [])
        if len(flight) < 2 or where in reported:
            return []
        reported.append(where)
        return [{"cache": body["via"], "key": body["key"], "client": message["src"], "first": flight[0][1],
                 "seq": event["seq"]}]
    ended: set[str] = set()
    if kind == "send" and message.get("type") == "db_read_ok" and message.get("in_reply_to"):
        ended = {message["in_reply_to"]}
    elif kind == "drop" and message.get("type") == "db_read":
        ended = {message["msg_id"]}
    elif kind == "crash" and event.get("node") == "db":
        ended = {m for flight in flights.values() for m, _ in flight}
    if ended:
        for where in list(flights):
            flights[where] = [f for f in flights[where] if f[0] not in ended]
            if not flights[where]:
                del flights[where]
                memo["herd_reported"] = [w for w in memo.get("herd_reported", []) if w != where]
    return []


def _stampede_check(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    for r in db_reads_in_flight(event, memo):
        nodes = tuple(dict.fromkeys((r["first"], r["client"], r["cache"])))
        yield Finding(nodes=nodes, cause_seq=r["seq"], id="stampede",
                      data={"cache": r["cache"], "key": r["key"], "client": r["client"], "first": r["first"]})


STAMPEDE = Invariant(
    name="stampede", kind="history", check=_stampede_check,
    description="At most one database read of a key is in flight at once for the clients of one cache.",
    findings={"stampede": "{client} missed {key} at {cache} and read the database while {first}'s read of {key} "
                          "was still in flight: a stampede, the database queries the same key again"})
