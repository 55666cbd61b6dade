"""What the Redis lock is checked for, from outside, on every event.

- ``mutual-exclusion`` (safety, history): no client takes the lock while another's lock is still valid.
  Redlock's claim; a clock jump or a restart without persistence breaks it.
- ``stale-write-accepted`` (safety, history): the store applies writes in the order of the locks they were
  made under, never one after a write under a later lock (a paused or slow holder, a late message). Without
  a token the store cannot check it; the checker sees it because it sees every acquisition. With
  ``fencing=counter`` the store refuses such a write, as long as the counters never go back.
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


def stale_write_accepted(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Number each acquisition in order; a write the store applies after a write made under a later one is stale."""
    kind, node = event["kind"], event.get("node")
    if kind == "state" and event["state"].get("phase") == "holding" and event["state"].get("value"):
        order = memo.setdefault("order", {})
        order.setdefault(str(event["state"]["value"]), [len(order) + 1, node])
    elif kind == "deliver" and node == STORE and event["message"]["type"] == "write":
        memo["write_seq"] = event["seq"]
    elif kind == "persist" and node == STORE and event["record"].get("type") == "write":
        record = event["record"]
        rank, _ = memo.get("order", {}).get(str(record["value"]), [0, None])
        newest = memo.get("newest")
        if newest is not None and rank < newest[0]:
            yield Finding(nodes=(str(record["by"]), STORE), cause_seq=memo.get("write_seq"),
                          id="write-after-newer-lock",
                          data={"op": record["op"], "writer": record["by"], "other": newest[1],
                                "other_op": newest[2]})
        else:
            memo["newest"] = [rank, str(record["by"]), str(record["op"])]


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
            yield Finding(nodes=(str(deleting["by"]), str(node)), cause_seq=deleting["seq"], id="foreign-release",
                          data={"by": deleting["by"], "node": node, "holder": had})
        keys[node] = None if key is None else str(key["client"])


def one_holder(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Clients that believe they hold the lock (holding, about to write, or writing)."""
    believers = sorted(name for name, view in views.items()
                       if view.role == "client" and view.up and view.state.get("phase") in BELIEVING)
    if len(believers) > 1:
        yield Finding(nodes=tuple(believers), id="several-believers", data={"holders": believers})


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
STALE_WRITE = Invariant(
    name="stale-write-accepted", kind="history", check=stale_write_accepted,
    description="The store applies writes in the order of the locks they were made under: never a write under a "
                "lock after a write under a later one. Without tokens the store cannot check it; the checker, "
                "which sees every acquisition, can.",
    findings={"write-after-newer-lock": "stale write accepted: the store applied {op} from {writer} after {other_op} "
                                        "from {other}, made under a later lock: two clients wrote under one lock"})
FOREIGN_RELEASE = Invariant(
    name="foreign-release", kind="history", check=foreign_release,
    description="A release deletes only the key its own client set (compare-and-delete).",
    findings={"foreign-release": "{by} deleted the lock key on {node}, but {holder} had set it: "
                                 "{by} released someone else's lock"})
ONE_HOLDER = Invariant(
    name="one-holder-at-a-time", kind="state", check=one_holder, illustrative=True,
    description="At most one client believes it holds the lock. Expected to break when a holder is paused "
                "past its validity: the lesson, since nothing tells it.",
    findings={"several-believers": "{holders} all believe they hold the lock"})
CLIENTS_FINISH = Invariant(
    name="clients-finish", kind="liveness", check=clients_finish,
    description="With all nodes up and the network whole, every client finishes its writes (or gives them up).",
    findings={"clients-unfinished": "clients that never finished their work: {nodes}"})

INVARIANTS = (MUTUAL_EXCLUSION, STALE_WRITE, FOREIGN_RELEASE, ONE_HOLDER, CLIENTS_FINISH)
