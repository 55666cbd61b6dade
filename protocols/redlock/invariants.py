"""What the Redis lock is checked for, from outside, on every event.

- ``mutual-exclusion`` (safety, history): no client takes the lock while another's lock is still valid.
  Redlock's claim; a clock jump or a restart without persistence breaks it.
- ``write-under-lost-lock`` (safety, history): the store never applies a write made under a lock another
  acquisition has taken since (a paused or slow holder, a late message). Redlock has no token the store
  could check, so nothing stops that write: the checker sees it because it sees every node.
- ``foreign-release`` (safety, history): a release never deletes a key another client set (a plain DEL does).
- ``one-holder-at-a-time`` (illustrative, state): at most one client believes it holds the lock; expected to
  break when a holder is paused.
- ``clients-finish`` (liveness): with every node up and the network whole, every client finishes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.redlock.handlers import STORE
from protocols.spec import Finding, Invariant, NodeView

BELIEVING = ("holding", "committing", "writing")
"""Phases in which a client believes it holds the lock."""


def mutual_exclusion(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Follow each client's attempts in real time; an acquisition inside another's validity is two holders.

    A client's lock is valid from the moment its SETs left until the start plus TTL minus the drift,
    measured on its clock; the checker places that window in the run's time (``event["time"]``).
    A holder that releases, or gives the lock up, leaves the set of holders.
    """
    if event["kind"] != "state" or "answers" not in event["state"]:
        return
    client, state, now = str(event["node"]), event["state"], int(event["time"])
    started, valid = memo.setdefault("started", {}), memo.setdefault("valid", {})
    phase = state.get("phase")
    if phase == "acquiring" and started.get(client, (None,))[0] != state["req"]:
        started[client] = (state["req"], now)
    if phase not in BELIEVING:
        valid.pop(client, None)
        return
    if client in valid or state.get("valid_until") is None:
        return
    began = started.get(client, (None, now))[1]
    until = began + int(state["valid_until"]) - int(state["started_at"])
    for other, other_until in sorted(valid.items()):
        if other_until > now:
            yield Finding(nodes=(client, other), cause_seq=event["seq"], id="overlapping-validity",
                          data={"holder": client, "at_ms": now, "other": other, "until_ms": other_until})
    valid[client] = until


def write_under_lost_lock(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Remember each acquisition in order; judge each write the store applies against the latest one."""
    kind, node = event["kind"], event.get("node")
    if kind == "state" and event["state"].get("phase") == "holding" and event["state"].get("value"):
        value = str(event["state"]["value"])
        if memo.get("latest", {}).get("value") != value:
            memo["latest"] = {"client": node, "value": value}
    elif kind == "deliver" and node == STORE and event["message"]["type"] == "write":
        memo["write_seq"] = event["seq"]
    elif kind == "persist" and node == STORE and event["record"].get("type") == "write":
        record, latest = event["record"], memo.get("latest")
        if latest is not None and latest["value"] != record["value"]:
            yield Finding(nodes=(str(record["by"]), STORE), cause_seq=memo.get("write_seq"),
                          id="write-under-lost-lock",
                          data={"op": record["op"], "writer": record["by"], "other": latest["client"]})


def foreign_release(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A delete or unlock delivered to a node whose key another client set, and the key gone after it."""
    kind, node = event["kind"], event.get("node")
    keys = memo.setdefault("keys", {})
    if kind == "deliver" and event["message"]["type"] in ("del", "unlock"):
        memo["deleting"] = {"node": node, "by": event["message"]["src"], "seq": event["seq"],
                            "had": keys.get(node)}
    elif kind == "state" and "key" in event["state"]:
        key = event["state"]["key"]
        deleting = memo.pop("deleting", None)
        had = deleting["had"] if deleting and deleting["node"] == node else None
        if had is not None and key is None and had != deleting["by"] and event.get("cause") in ("msg:del",
                                                                                              "msg:unlock"):
            yield Finding(nodes=(deleting["by"], node), cause_seq=deleting["seq"], id="foreign-release",
                          data={"by": deleting["by"], "node": node, "holder": had})
        keys[node] = None if key is None else str(key["client"])


def one_holder(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Clients that believe they hold the lock (holding, about to write, or writing)."""
    believers = sorted(name for name, view in views.items()
                       if view.role == "client" and view.up and view.state.get("phase") in BELIEVING)
    if len(believers) > 1:
        yield Finding(nodes=tuple(believers), id="two-believers", data={"holders": believers})


def clients_finish(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence every client is done."""
    unfinished = sorted(name for name, view in views.items()
                        if view.role == "client" and view.state.get("phase") != "done")
    if unfinished:
        yield Finding(nodes=tuple(unfinished), id="clients-unfinished", data={"nodes": unfinished})


MUTUAL_EXCLUSION = Invariant(
    name="mutual-exclusion", kind="history", check=mutual_exclusion,
    description="No client takes the lock while another client's lock is still valid (Redlock's safety claim: "
                "at any moment one holder at most).",
    findings={"overlapping-validity": "{holder} took the lock at {at_ms} ms while {other}'s lock was valid until "
                                      "{until_ms} ms: two holders at once"})
WRITE_UNDER_LOST_LOCK = Invariant(
    name="write-under-lost-lock", kind="history", check=write_under_lost_lock,
    description="The store never applies a write made under a lock that another acquisition has taken since. "
                "Redlock gives no token the store could check, so only the checker can see this.",
    findings={"write-under-lost-lock": "the store applied {op} from {writer}, but {other} had taken the lock "
                                       "since {writer} took it: two clients wrote under one lock"})
FOREIGN_RELEASE = Invariant(
    name="foreign-release", kind="history", check=foreign_release,
    description="A release deletes only the key its own client set (compare-and-delete).",
    findings={"foreign-release": "{by} deleted the lock key on {node}, but {holder} had set it: "
                                 "{by} released someone else's lock"})
ONE_HOLDER = Invariant(
    name="one-holder-at-a-time", kind="state", check=one_holder, illustrative=True,
    description="At most one client believes it holds the lock. Expected to break when a holder is paused "
                "past its validity: the lesson, since nothing tells it.",
    findings={"two-believers": "{holders} all believe they hold the lock"})
CLIENTS_FINISH = Invariant(
    name="clients-finish", kind="liveness", check=clients_finish,
    description="With all nodes up and the network whole, every client finishes its writes (or gives them up).",
    findings={"clients-unfinished": "clients that never finished: {nodes}"})

INVARIANTS = (MUTUAL_EXCLUSION, WRITE_UNDER_LOST_LOCK, FOREIGN_RELEASE, ONE_HOLDER, CLIENTS_FINISH)
