"""What the consistent-hashing cluster guarantees, checked from the outside.

- ``only-the-changed-node-moves`` (history, on the ring router's views):
  when a node joins, every key that changes owner moves *to* it; when a node
  leaves, every key that changes owner moved *from* it. That is consistent
  hashing's whole promise (monotonicity); modulo hashing
  (``placement=modulo``) breaks it on almost every key, and the check says so.
- ``caches-hold-own-keys`` (history, on every cache's state): every running
  cache keeps only keys it owns under the view it knows, so nothing it drops
  on a view change can come back stale. Reported once per cache.
- ``clients-finish`` (liveness): with every node up and the network whole,
  every client finishes its operations.

The first two are history checks because owners depend on the run's
``vnodes`` and ``placement``, which a history check finds in
``memo["params"]``; a node's state keeps no copy of them. Each remembers the
roles from the ``start`` events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.common.cache_clients import CLIENTS_FINISH
from protocols.common.workload import key_name
from protocols.hashring.placement import moved_keys, owner
from protocols.spec import Finding, Invariant

EXAMPLES = 3
"""Keys named in a finding: enough to check by hand, short enough to read."""


def _state_of(event: Mapping[str, Any], memo: dict[str, Any], role: str) -> Mapping[str, Any] | None:
    """Return the new state a ``state`` event gives a node of ``role``; learn roles from ``start`` events."""
    roles = memo.setdefault("roles", {})
    if event["kind"] == "start":
        roles[event["node"]] = event["role"]
    if event["kind"] != "state" or roles.get(event.get("node")) != role:
        return None
    state: Mapping[str, Any] = event["state"]
    return state


def only_changed_node_moves(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A join moves keys only to the new node; a leave only from the leaving one."""
    state = _state_of(event, memo, "ring")
    if state is None:
        return
    node = event["node"]
    seen = memo.setdefault("members", {})
    before, after = seen.get(node), state["members"]
    seen[node] = after
    if before is None or event["cause"] == "recover" or before == after:
        return  # A first view, or one rebuilt from the log, is not a change.
    changed = set(before) ^ set(after)
    if len(changed) != 1:
        yield Finding(nodes=(node,), id="many-members-changed", data={"count": len(changed)}, cause_seq=event["seq"])
        return
    (moving,) = changed
    params = memo["params"]
    vnodes, placement = params["vnodes"], params["placement"]
    wrong = []
    for index in moved_keys(before, after, vnodes, placement, params["keys"]):
        key = key_name(index)
        was = owner(before, vnodes, placement, key)
        now = owner(after, vnodes, placement, key)
        if moving not in (was, now):
            wrong.append(f"{key} {was}->{now}")
    if wrong:
        yield Finding(nodes=(node, moving), cause_seq=event["seq"],
                      id="join-moved-others" if moving in after else "leave-moved-others",
                      data={"node": moving, "count": len(wrong), "examples": wrong[:EXAMPLES]})


def caches_hold_own_keys(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Every running cache keeps only keys it owns under its own view."""
    state = _state_of(event, memo, "cache")
    reported = memo.setdefault("reported", set())
    if state is None or not state.get("store") or event["node"] in reported:
        return
    node: str = event["node"]
    params = memo["params"]
    members = state["members"]
    foreign = [k for k in state["store"]
               if node not in members or owner(members, params["vnodes"], params["placement"], k) != node]
    if foreign:
        reported.add(node)  # Once per cache, as a state check would say it.
        yield Finding(nodes=(node,), cause_seq=event["seq"], id="keeps-foreign-keys",
                      data={"node": node, "keys": sorted(foreign)[:EXAMPLES], "view": state["view"]})


INVARIANTS = (
    Invariant(name="only-the-changed-node-moves", kind="history", check=only_changed_node_moves,
              description="A join moves keys only to the new node, a leave only from the leaving node.",
              findings={"many-members-changed": "the membership changed by {count} nodes at once",
                        "join-moved-others": "adding {node} moved {count} keys between other nodes, e.g. {examples}",
                        "leave-moved-others": "removing {node} moved {count} keys between other nodes, e.g. "
                                              "{examples}"}),
    Invariant(name="caches-hold-own-keys", kind="history", check=caches_hold_own_keys,
              description="Every cache keeps only the keys it owns under the view it knows.",
              findings={"keeps-foreign-keys": "{node} keeps {keys}, which it does not own under view {view}"}),
    CLIENTS_FINISH,
)
