"""What the hot-keys cluster guarantees, and what its lesson shows, checked from the outside.

- ``reads-see-acknowledged-writes`` (safety, history): a read a cache
  answers never returns a version of its key older than the newest write of
  that key acknowledged (its ``write_ok`` delivered to its writer) before the
  read was sent. The owner writes through to the database before it
  acknowledges, and with ``replicate`` it acknowledges a hot key's write only
  once every replica holds it (write to all); ``replica_sync=async``
  acknowledges first and breaks this (the foil).
- ``near-cache-stale-read`` (illustrative, history): a read answered from a
  client's near-cache returned an older version than a write acknowledged
  before it. That is the price of the near-cache, not a bug: the finding
  gives its age, the time since the newer write was acknowledged, which is
  under ``near_ttl_ms`` plus one network delay (tests/protocols/test_hotkeys.py
  checks the bound over seeds).
- ``overloaded-node`` (illustrative, history): in a window of ``WINDOW``
  client requests, one cache served more than ``overload_share`` of them:
  the hot key's node. Reported once per node.
- ``clients-finish`` (liveness, the coherence clients' own): every client
  finishes its operations (each ends, answered or given up after ``timeout_ms``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.common.cache_clients import CLIENTS_FINISH
from protocols.spec import Finding, Invariant

WINDOW = 40
"""Client requests the overload check judges together: enough that one request is not a share of 100%,
few enough that a short run has several windows."""
NOTHING = "∅"
"""How a value never written shows in a finding."""


def _shown(value: Any) -> str:
    return NOTHING if value is None else str(value)


def _acked(memo: dict[str, Any], key: str, newer_than: int) -> list[Any] | None:
    """Return the first write of ``key`` acknowledged so far with a version above ``newer_than``."""
    return next((a for a in memo.setdefault("acks", {}).get(key, []) if a[0] > newer_than), None)


def _observe(event: Mapping[str, Any], memo: dict[str, Any]) -> None:
    """Remember roles, acknowledged writes, and the newest acknowledged version when each read left."""
    kind = event["kind"]
    if kind == "start":
        memo.setdefault("roles", {})[event["node"]] = event["role"]
        return
    if kind not in ("send", "deliver"):
        return
    message = event["message"]
    body = message["body"]
    if kind == "deliver" and message["type"] == "write_ok":
        acks = memo.setdefault("acks", {}).setdefault(body["key"], [])
        if not any(a[0] == body["ver"] for a in acks):
            acks.append([body["ver"], _shown(body["value"]), event["time"]])
            acks.sort()
    if kind == "send" and message["type"] == "read" and memo.setdefault("roles", {}).get(event["src"]) == "client":
        newest = max((a[0] for a in memo.setdefault("acks", {}).get(body["key"], [])), default=0)
        memo.setdefault("reads", {})[f"{event['src']}/{body['n']}"] = newest


def _newest(memo: dict[str, Any]) -> dict[str, int]:
    """Return each key's newest acknowledged version: all of the acknowledgements that decides a verdict."""
    return {key: max(a[0] for a in acks) for key, acks in memo.get("acks", {}).items()}


def _reads_memory(memo: dict[str, Any]) -> dict[str, Any]:
    """What decides a stale read to come: the reads in flight with their floors, the newest versions acknowledged.

    When each write was acknowledged and its value only fill the finding.
    """
    return {"roles": memo.get("roles", {}), "reads": memo.get("reads", {}), "newest": _newest(memo)}


def _near_memory(memo: dict[str, Any]) -> dict[str, Any]:
    """What decides a stale near-cache read to come: the roles and the newest versions acknowledged."""
    return {"roles": memo.get("roles", {}), "newest": _newest(memo)}


def _window_memory(memo: dict[str, Any]) -> dict[str, Any]:
    """What decides an overloaded node to come: the window's counts so far and the nodes reported."""
    return {"window": memo.get("window", {}), "overloaded": memo.get("overloaded", [])}


def reads_see_acknowledged_writes(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A read a cache answers returns no version older than a write acknowledged before the read left."""
    _observe(event, memo)
    if event["kind"] != "deliver" or event["message"]["type"] != "read_ok":
        return
    body = event["message"]["body"]
    floor = memo.setdefault("reads", {}).pop(f"{event['dst']}/{body['n']}", None)
    if floor is None or body["ver"] >= floor:
        return  # A duplicate answer (judged the first time), or a fresh one.
    newer = _acked(memo, body["key"], body["ver"])
    if newer is not None:
            yield Finding(nodes=(event["dst"], event["src"]), id="stale-replica-read", cause_seq=event["seq"],
                      data={"client": event["dst"], "node": event["src"], "key": body["key"],
                            "value": _shown(body["value"]), "newer": newer[1], "age_ms": event["time"] - newer[2]})


def near_cache_stale_read(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Report each near-cache read older than a write acknowledged before it, with its age."""
    _observe(event, memo)
    if event["kind"] != "state" or memo.setdefault("roles", {}).get(event["node"]) != "client":
        return
    last = event["state"].get("last")
    if not last or last["via"] != "near" or event.get("cause") != "timer:think":
        return
    newer = _acked(memo, last["key"], last["ver"])
    if newer is not None:
        yield Finding(nodes=(event["node"],), id="near-cache-stale-read", cause_seq=event["seq"],
                      data={"client": event["node"], "key": last["key"], "value": _shown(last["value"]),
                            "newer": newer[1], "age_ms": event["time"] - newer[2]})


def overloaded_node(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Report, once, a cache that served more than ``overload_share`` of a window of client requests."""
    if event["kind"] != "deliver" or event["message"]["type"] not in ("read", "write"):
        return
    window = memo.setdefault("window", {})
    window[event["dst"]] = window.get(event["dst"], 0) + 1
    if sum(window.values()) < WINDOW:
        return
    memo["window"] = {}
    share = memo["params"]["overload_share"]
    node = max(sorted(window), key=lambda n: window[n])
    reported = memo.setdefault("overloaded", [])
    if window[node] > share * WINDOW and node not in reported:
        reported.append(node)
        yield Finding(nodes=(node,), id="overloaded-node", cause_seq=event["seq"],
                      data={"node": node, "served": window[node], "window": WINDOW,
                            "share_pct": round(100 * window[node] / WINDOW), "threshold_pct": round(100 * share)})


INVARIANTS = (
    Invariant(name="reads-see-acknowledged-writes", kind="history", check=reads_see_acknowledged_writes,
              memory=_reads_memory,
              description="A read a cache answers never returns a value older than a write of its key "
                          "acknowledged before the read was sent.",
              findings={"stale-replica-read": "{client} read {key} = {value} at {node}, but {newer} had been "
                                              "acknowledged {age_ms} ms before"}),
    Invariant(name="near-cache-stale-read", kind="history", check=near_cache_stale_read, illustrative=True,
              memory=_near_memory,
              description="A read served by a client's near-cache may be older than the last acknowledged "
                          "write, by at most the near-cache's TTL and one network delay.",
              findings={"near-cache-stale-read": "{client} read {key} = {value} from its near-cache, "
                                                 "{age_ms} ms after {newer} was acknowledged"}),
    Invariant(name="overloaded-node", kind="history", check=overloaded_node, illustrative=True,
              memory=_window_memory,
              description="No cache serves more than overload_share of a window of client requests.",
              findings={"overloaded-node": "{node} served {served} of {window} requests ({share_pct}%, over "
                                           "the {threshold_pct}% threshold)"}),
    CLIENTS_FINISH,
)
