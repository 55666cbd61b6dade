"""What the ZooKeeper lock is checked for, from outside, on every event.

- ``stale-write-accepted`` (safety, history): the store never applies a write whose token is lower than
  that of a write it applied before; and, with fencing off, never one whose lock node the service had
  already passed over (a later node had become the lowest: the service had granted the lock since).
- ``lock-order`` (safety, state): the service's queue is a queue: sequence numbers and czxids rise together
  and never repeat, and every ephemeral node belongs to a live session, so at most one live node is lowest.
- ``one-believer-at-a-time`` (illustrative, state): at most one client believes it holds the lock; expected
  to break when a holder is paused past its session's expiry.
- ``clients-finish`` (liveness): with every node up and the network whole, every client finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from protocols.spec import Finding, Invariant, NodeView
from protocols.zklock.service import SERVICE, node_path, sequence_of
from protocols.zklock.store import STORE

BELIEVING = ("holding", "writing")
"""Client phases in which it acts as the lock's holder."""


def stale_write(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Follow the lowest node the service has had and the tokens the store applied; judge each applied write."""
    kind, node = event["kind"], event.get("node")
    if kind == "state" and node == SERVICE and event["state"].get("nodes"):
        first = event["state"]["nodes"][0]
        if int(first["czxid"]) > memo.get("granted", 0):
            memo["granted"], memo["granted_to"] = int(first["czxid"]), str(first["client"])
    elif kind == "deliver" and node == STORE and event["message"]["type"] == "write":
        memo["write_seq"] = event["seq"]
    elif kind == "persist" and node == STORE and event["record"].get("type") == "write":
        yield from _judge(event["record"], memo)


def _judge(record: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    token, writer, applied = int(record["token"]), str(record["by"]), memo.get("applied", 0)
    granted = memo.get("granted", 0)
    data = {"op": str(record["op"]), "writer": writer, "token": token}
    if token < applied:
        yield Finding(nodes=(writer, STORE), cause_seq=memo.get("write_seq"), id="token-below-applied",
                      data={**data, "applied": applied})
    elif memo["params"]["fencing"] == "off" and token < granted:
        yield Finding(nodes=(writer, STORE), cause_seq=memo.get("write_seq"), id="write-after-newer-holder",
                      data={**data, "granted": granted, "holder": memo.get("granted_to", "?")})
    memo["applied"] = max(applied, token)


def lock_order(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """The service's children rise in sequence and czxid together, and each belongs to a live session."""
    view = views.get(SERVICE)
    if view is None or not view.up or not view.state:
        return
    live = {int(s["id"]) for s in view.state["sessions"]}
    before: Mapping[str, Any] | None = None
    for child in view.state["nodes"]:
        if before is not None and not (sequence_of(child["name"]) > sequence_of(before["name"])
                                       and int(child["czxid"]) > int(before["czxid"])):
            yield Finding(nodes=(SERVICE,), id="queue-out-of-order",
                          data={"path": node_path(child["name"]), "czxid": int(child["czxid"]),
                                "before": node_path(before["name"]), "before_czxid": int(before["czxid"])})
        if int(child["session"]) not in live:
            yield Finding(nodes=(SERVICE, str(child["client"])), id="orphan-node",
                          data={"path": node_path(child["name"]), "session": int(child["session"])})
        before = child


def _clients(views: Mapping[str, NodeView], keep: Callable[[NodeView], bool]) -> list[str]:
    return sorted(name for name, view in views.items() if view.role == "client" and keep(view))


def one_believer(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Clients (up, paused included) that act as the holder."""
    acting = _clients(views, lambda v: v.up and v.state.get("phase") in BELIEVING)
    if len(acting) >= 2:
        data = {"holders": acting, "tokens": [int(views[n].state["token"]) for n in acting]}
        yield Finding(nodes=tuple(acting), id="two-believers", data=data)


def clients_finish(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence every client is done."""
    if stuck := _clients(views, lambda v: v.state.get("phase") != "done"):
        yield Finding(nodes=tuple(stuck), id="clients-unfinished", data={"nodes": stuck})


TEMPLATES: dict[str, dict[str, str]] = {
    "stale-write-accepted": {
        "token-below-applied": "stale write accepted: the store applied {op} from {writer} under token {token}, "
                               "after a write under token {applied}",
        "write-after-newer-holder": "stale write accepted: the store applied {op} from {writer} under token {token}, "
                               "but the service had since given the lock to {holder} (token {granted})"},
    "lock-order": {
        "queue-out-of-order": "{path} (zxid {czxid}) stands after {before} (zxid {before_czxid}) in the queue "
                              "but is not newer",
        "orphan-node": "{path} is still in the queue although its session {session} has ended"},
    "one-believer-at-a-time": {"two-believers": "{holders} all act as the lock's holder, under tokens {tokens}"},
    "clients-finish": {"clients-unfinished": "clients that never finished their work: {nodes}"},
}
"""Each invariant's findings: id -> English template."""

INVARIANTS = tuple(Invariant(name=name, kind=kind, check=check, description=text, findings=TEMPLATES[name],
                             illustrative=name == "one-believer-at-a-time")
                   for name, kind, check, text in (
    ("stale-write-accepted", "history", stale_write,
     "The store never applies a write under a token lower than one it has applied; with fencing off, never "
     "one whose lock node the service had passed over since (a later node had become the lowest)."),
    ("lock-order", "state", lock_order,
     "The service's lock queue rises in sequence and zxid together and holds only nodes of live sessions: it "
     "never has two lowest live nodes."),
    ("one-believer-at-a-time", "state", one_believer,
     "At most one client acts as the lock's holder. Expected to break when a holder is paused past its "
     "session's expiry: it wakes believing, which is why the store needs the token."),
    ("clients-finish", "liveness", clients_finish,
     "With all nodes up and the network whole, every client finishes its writes (or gives them up)."),
))
