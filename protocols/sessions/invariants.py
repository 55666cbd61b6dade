"""What the sessions promise, checked from outside on the history, and the anomalies without them.

Each client's state records its latest operation's result (``last``): a
write's log position, a read's value, version (the log position of the write
it returns) and the applied position of the node that answered (``pos``).
The primary's durable log gives every write's position. From those alone:

- ``read-your-writes`` (safety, history; Terry et al. 1994): a read returns
  the session's last acknowledged write of the key, or a later one: its
  version is never below that write's position. A finding names the replica,
  how far it had applied, the session token the read carried and the write missed.
- ``monotonic-reads`` (safety, history): a read reflects every write an
  earlier read of the same session reflected: if an earlier read saw the log
  up to position p, a read of key k returns k's last write at or before p, or
  a later one. A finding names both reads' nodes and positions, and the write
  the later read went back before.
- ``clients-finish`` (liveness): with every node up and the network whole,
  every client finishes its operations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.common.cache_clients import CLIENTS_FINISH
from protocols.sessions.common import PRIMARY_NODE
from protocols.spec import Finding, Invariant


def _results(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], int]]:
    """Yield (client, result, seq of the answer) once for each operation a client finishes."""
    if event["kind"] == "deliver" and str(event["message"]["type"]) in ("read_ok", "write_ok"):
        memo.setdefault("answer", {})[str(event["node"])] = event["seq"]
    if event["kind"] == "persist" and event.get("node") == PRIMARY_NODE and event["record"].get("type") == "write":
        record = event["record"]
        memo.setdefault("log", {}).setdefault(str(record["key"]), []).append([int(record["pos"]), str(record["value"])])
    clients = {f"c{i}" for i in range(1, int(memo["params"]["clients"]) + 1)}
    if event["kind"] != "state" or event.get("node") not in clients:
        return
    last = event["state"].get("last")
    if not last or not last.get("ok"):
        return
    client = str(event["node"])
    done = memo.setdefault("done", {})
    if done.get(client) == last["n"]:
        return
    done[client] = last["n"]
    yield client, last, int(memo.get("answer", {}).get(client, event["seq"]))


def _token(result: Mapping[str, Any]) -> str:
    return str(result.get("token") or "∅")


def read_your_writes(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A read never returns a version older than the session's own last acknowledged write of the key."""
    for client, result, seq in _results(event, memo):
        mine = memo.setdefault("mine", {}).setdefault(client, {})
        key = str(result["key"])
        if result["op"] == "write":
            mine[key] = [int(result["pos"]), str(result["value"])]
            continue
        if key in mine and int(result["ver"]) < mine[key][0]:
            at = str(result["at"])
            yield Finding(nodes=(client, at), cause_seq=seq, id="missed-own-write",
                          data={"client": client, "key": key, "value": str(result["value"]),
                                "version": int(result["ver"]), "replica": at, "applied": int(result["pos"]),
                                "written": mine[key][1], "position": mine[key][0], "token": _token(result)})


def _last_write_upto(memo: dict[str, Any], key: str, position: int) -> list[Any] | None:
    found = None
    for pos, value in memo.get("log", {}).get(key, []):
        if pos <= position:
            found = [pos, value]
    return found


def monotonic_reads(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A read reflects every write an earlier read of the same session reflected."""
    for client, result, seq in _results(event, memo):
        if result["op"] != "read":
            continue
        seen = memo.setdefault("seen", {})
        key, at = str(result["key"]), str(result["at"])
        before = seen.get(client)
        if before is not None:
            missed = _last_write_upto(memo, key, before[0])
            if missed is not None and int(result["ver"]) < missed[0]:
                yield Finding(nodes=(client, at), cause_seq=seq, id="read-went-back",
                              data={"client": client, "key": key, "value": str(result["value"]),
                                    "version": int(result["ver"]), "replica": at, "applied": int(result["pos"]),
                                    "earlier": before[1], "seen": before[0], "missed": missed[1],
                                    "missed_version": missed[0], "token": _token(result)})
        if before is None or int(result["pos"]) > before[0]:
            seen[client] = [int(result["pos"]), at]


_CLAIMS: tuple[tuple[str, str, Any, str, dict[str, str]], ...] = (
    ("read-your-writes", "history", read_your_writes,
     "A session reads its own acknowledged writes: a read never returns a version of a key older than the "
     "session's last write of it.",
     {"missed-own-write": "{client} read {key} = {value} (version {version}) at {replica}, which had applied the "
                          "log to {applied}: it missed its own write {written} at position {position} "
                          "(session token {token})"}),
    ("monotonic-reads", "history", monotonic_reads,
     "A session's reads never go back in time: each reflects every write an earlier read of the session "
     "reflected.",
     {"read-went-back": "{client} read {key} = {value} (version {version}) at {replica}, which had applied the "
                        "log to {applied}; its earlier read at {earlier} had seen the log to {seen}, which holds "
                        "{missed} (version {missed_version}) (session token {token})"}),
)
"""Each claim: its name, its kind, its check, what it says and the findings it may report."""

INVARIANTS = (*(Invariant(name=name, kind=kind, check=check, description=text, findings=findings)
                for name, kind, check, text, findings in _CLAIMS), CLIENTS_FINISH)
