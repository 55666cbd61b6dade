"""Client operations read back from the event log: when each began and ended, what it saw.

The detectors, the summary and the linearizability check all need the same
history: for every client operation its invocation (the client's ``state``
event showing a new ``op``) and its completion (the ``state`` event showing
that ``op`` as ``last``), with the event that answered it (the ``deliver``
just before). Order is by ``seq``, which totally orders the simulated world,
so "a precedes b" is exact; times (``t0``, ``t1``) are for ages in ms.

:func:`observe` is incremental and keeps everything in a JSON-ish ``memo``,
as history invariants must; :func:`unfinished` runs it over a whole log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_CLIENT = re.compile(r"c\d+$")

WRITE_CARRIERS = frozenset(("db_write", "flush", "recall_ok"))
"""Message types that carry a written value towards the database."""


def is_client(node: Any) -> bool:
    """Say whether a node name is a client's (``c1``, ``c2``...)."""
    return isinstance(node, str) and _CLIENT.match(node) is not None


def is_cache(node: Any) -> bool:
    """Say whether a node name is a cache's."""
    return isinstance(node, str) and node.startswith("cache")


def observe(event: Mapping[str, Any], memo: dict[str, Any]) -> dict[str, Any] | None:
    """Feed one event; return a client operation when this event ends it (answered, timed out or crashed)."""
    node = event.get("node")
    if not is_client(node):
        return None
    mine = memo.setdefault("clients", {}).setdefault(node, {"pending": None, "answer": None, "src": None})
    kind = event["kind"]
    if kind == "deliver":
        mine["answer"], mine["src"] = event["seq"], event["src"]
        return None
    if kind == "crash":
        pending, mine["pending"] = mine["pending"], None
        if pending is None:
            return None
        return {**pending, "ok": False, "definite": False, "why": "crash", "s1": None, "t1": None}
    if kind != "state":
        return None
    state = event["state"]
    done = None
    last, pending = state.get("last"), mine["pending"]
    if pending is not None and last is not None and last.get("n") == pending["n"]:
        mine["pending"] = None
        done = {**pending, "ok": bool(last.get("ok")), "definite": bool(last.get("definite")),
                "why": last.get("why"), "hit": last.get("hit"), "s1": event["seq"], "t1": event["time"],
                "answer": mine["answer"], "src": mine["src"]}
        if pending["op"] == "read":
            done["value"] = last.get("value")
    op = state.get("op")
    if op is not None and (mine["pending"] is None or mine["pending"]["n"] != op["n"]):
        mine["pending"] = {"client": node, "n": op["n"], "op": op["op"], "key": op["key"],
                           "value": op.get("value"), "s0": event["seq"], "t0": event["time"]}
        if op["op"] == "write":
            memo.setdefault("calls", {})[op["value"]] = event["seq"]
    return done


def clients_memory(memo: Mapping[str, Any]) -> dict[str, Any]:
    """Return a memo less what :func:`observe` keeps only to describe an operation once it ends.

    A client's last answer (``answer``, the seq of the delivery; ``src``, who sent it) and an
    operation's start time (``t0``) reach a check only in the operation it hands on, and no check
    decides anything on them: they fill a finding's text and cause. What decides whether and how an
    operation ends (its number, kind, key, value, start) stays. The explorer's fingerprint keeps this
    view of a check's memo (``Invariant.memory``), so two orders that differ only in who answered
    last are one world.
    """
    clients = memo.get("clients")
    if not clients:
        return dict(memo)
    ongoing = {node: None if mine["pending"] is None else {k: v for k, v in mine["pending"].items() if k != "t0"}
               for node, mine in clients.items()}
    return {**memo, "clients": ongoing}


def call_of(memo: Mapping[str, Any], value: Any) -> int | None:
    """Return the seq at which the write of ``value`` was invoked, if it was seen."""
    call = memo.get("calls", {}).get(value)
    return None if call is None else int(call)


def unfinished(events: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (ended operations, operations still in progress at the end of the log)."""
    memo: dict[str, Any] = {}
    ended = []
    for event in events:
        op = observe(event, memo)
        if op is not None:
            ended.append(op)
    pending = [c["pending"] for c in memo.get("clients", {}).values() if c["pending"] is not None]
    return ended, pending


def show(value: Any) -> str:
    """Return a value as the views write it (None, never written, as an empty-set sign)."""
    return "∅" if value is None else str(value)
