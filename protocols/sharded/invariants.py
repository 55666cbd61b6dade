"""What the sharded counter guarantees, as checks from the outside.

``read-sum-bounded`` (history): a complete read (every shard answered)
returns at least the increments acknowledged before the read began and at
most the increments issued before it ended; with nothing in flight the two
bounds meet and the sum equals the acknowledged increments exactly. A
partial read (some shard silent) is judged against the upper bound only: it
says itself which shards it leaves out. The finding points at the client's
step that finished the read.

``count-never-decreases`` (transition): a shard's count only grows, except
when a recovery rebuilds it (from its log, or from nothing without one).

``counts-add-up`` (liveness, at a healthy ending): the shards' counts add up
to the acknowledged increments (plus, perhaps, an increment a client gave
up waiting for: it may or may not have been counted).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.base import State
from protocols.common.counter_clients import acknowledged_and_issued
from protocols.common.counter_reads import READ_FINDINGS, read_within_bounds
from protocols.spec import Finding, Invariant, NodeView


def count_never_decreases(node: str, before: State, after: State, cause: str) -> Finding | None:
    """Outside a recovery, a shard's count never goes down."""
    if cause == "recover" or "count" not in after:
        return None
    if after["count"] < before.get("count", 0):
        return Finding(nodes=(node,), id="count-went-down",
                       data={"node": node, "was": before["count"], "now": after["count"], "cause": cause})
    return None


def counts_add_up(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At a healthy ending the shards' counts add up to the acknowledged increments."""
    shards = [(n, v) for n, v in views.items() if v.role == "shard"]
    total = sum(v.state.get("count", 0) for _, v in shards)
    acked, issued = acknowledged_and_issued(v.state for v in views.values() if v.role == "client")
    if not acked["p"] <= total <= issued["p"]:
        yield Finding(nodes=tuple(n for n, _ in shards), id="shards-miscount",
                      data={"total": total, "acked": acked["p"]})


INVARIANTS = (
    Invariant(name="read-sum-bounded", kind="history", check=read_within_bounds,
              description="A complete read returns at least the increments acknowledged before it began and "
                          "at most those issued before it ended.",
              findings=READ_FINDINGS),
    Invariant(name="count-never-decreases", kind="transition", check=count_never_decreases,
              description="Outside a recovery, a shard's count never goes down.",
              findings={"count-went-down": "{node}'s count went down from {was} to {now} (on {cause})"}),
    Invariant(name="counts-add-up", kind="liveness", check=counts_add_up,
              description="With everyone up and the network whole, the shards' counts add up to the "
                          "acknowledged increments.",
              findings={"shards-miscount": "the shards count {total} in all, but {acked} increments were "
                                           "acknowledged"}),
)
