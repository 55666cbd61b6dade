"""What the consistent-hashing cluster guarantees, checked from the outside.

- ``only-the-changed-node-moves`` (transition, on the ring router): when a
  node joins, every key that changes owner moves *to* it; when a node leaves,
  every key that changes owner moved *from* it. That is consistent hashing's
  whole promise (monotonicity); modulo hashing (``placement=modulo``) breaks
  it on almost every key, and the check says so.
- ``caches-hold-own-keys`` (state): every running cache keeps only keys it
  owns under the view it knows, so nothing it drops on a view change can come
  back stale.
- ``clients-finish`` (liveness): with every node up and the network whole,
  every client finishes its operations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.base import State
from protocols.common.workload import key_name
from protocols.hashring.placement import moved_keys, owner
from protocols.mesi.invariants import clients_finish
from protocols.spec import Finding, Invariant, NodeView

EXAMPLES = 3
"""Keys named in a finding: enough to check by hand, short enough to read."""


def only_changed_node_moves(node: str, before: State, after: State, cause: str) -> Finding | None:
    """A join moves keys only to the new node; a leave only from the leaving one."""
    if "vnodes" not in after or cause == "recover" or before.get("members") == after.get("members"):
        return None
    old, new = set(before["members"]), set(after["members"])
    changed = old ^ new
    if len(changed) != 1:
        return Finding(nodes=(node,), text=f"the membership changed by {len(changed)} nodes at once")
    (moving,) = changed
    placement, vnodes, keys = after["placement"], after["vnodes"], after["keys"]
    wrong = []
    for index in moved_keys(before["members"], after["members"], vnodes, placement, keys):
        key = key_name(index)
        was = owner(before["members"], vnodes, placement, key)
        now = owner(after["members"], vnodes, placement, key)
        if moving not in (was, now):
            wrong.append(f"{key} {was}->{now}")
    if not wrong:
        return None
    return Finding(nodes=(node, moving),
                   text=f"{'adding' if moving in new else 'removing'} {moving} moved {len(wrong)} keys between "
                        f"other nodes, e.g. {', '.join(wrong[:EXAMPLES])}")


def caches_hold_own_keys(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Every running cache keeps only keys it owns under its own view."""
    ring = next((v for v in views.values() if v.role == "ring"), None)
    if ring is None or "vnodes" not in ring.state:
        return
    vnodes, placement = ring.state["vnodes"], ring.state["placement"]
    for node, view in views.items():
        if view.role != "cache" or not view.up or not view.state.get("store"):
            continue
        members = view.state["members"]
        foreign = [k for k in view.state["store"]
                   if node not in members or owner(members, vnodes, placement, k) != node]
        if foreign:
            yield Finding(nodes=(node,), text=f"{node} keeps {', '.join(sorted(foreign)[:EXAMPLES])}, which "
                                              f"it does not own under view {view.state['view']}")


INVARIANTS = (
    Invariant(name="only-the-changed-node-moves", kind="transition", check=only_changed_node_moves,
              description="A join moves keys only to the new node, a leave only from the leaving node."),
    Invariant(name="caches-hold-own-keys", kind="state", check=caches_hold_own_keys,
              description="Every cache keeps only the keys it owns under the view it knows."),
    Invariant(name="clients-finish", kind="liveness", check=clients_finish,
              description="With all nodes up and the network whole, every client finishes its operations."),
)
