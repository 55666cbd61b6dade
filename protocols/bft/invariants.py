"""What the Byzantine-tolerant counter guarantees while at most f replicas lie.

``read-equals-true-count`` (history, judged at each read's result): a read
returns at least the increments acknowledged before it began and at most
those issued before it ended; when nothing is in flight, exactly the
acknowledged count. With f + 1 liars the run shows it failing, and the
finding points at the client's step that took the wrong value.

``acknowledged-held-by-honest`` (state): every acknowledged increment is in
the durable logs of at least f + 1 honest replicas (2f + 1 acknowledged it,
at most f of those lie, each honest one forced the tag before answering).
It is what makes every later read able to count it.

``reads-decide`` (liveness, at a healthy ending): every client finished
its read with a value. f silent replicas cannot stop it; f + 1 can.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.bft.handlers import HONEST
from protocols.common.counter_reads import READ_FINDINGS, read_within_bounds
from protocols.spec import Finding, Invariant, NodeView


def tolerated(views: Mapping[str, NodeView]) -> int:
    """Return f for the views' n = 3f + 1 replicas."""
    return (sum(1 for v in views.values() if v.role == "replica") - 1) // 3


def acknowledged_held_by_honest(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Every acknowledged increment is forced in the logs of at least f + 1 honest replicas."""
    f = tolerated(views)
    honest = [(n, {r.get("tag") for r in v.durable}) for n, v in views.items()
              if v.role == "replica" and v.state.get("phase") == HONEST]
    for client, view in views.items():
        if view.role != "client":
            continue
        for number in range(1, int(view.state.get("acked_inc", 0)) + 1):
            tag = f"{client}:{number}"
            holders = [n for n, tags in honest if tag in tags]
            if len(holders) < f + 1:
                yield Finding(nodes=(client, *holders), id="acknowledged-not-held",
                              data={"tag": tag, "holders": len(holders), "needed": f + 1})
                return  # One finding per step is enough to make the point.


def liars_within_f(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """The replicas that lie are at most f: more, and the quorum rule can be fooled (the panel says so from this)."""
    f = tolerated(views)
    liars = sorted(n for n, v in views.items() if v.role == "replica" and v.state.get("phase") not in (None, HONEST))
    if len(liars) > f:
        yield Finding(nodes=tuple(liars), id="too-many-liars", data={"liars": len(liars), "f": f, "nodes": liars})


def reads_decide(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At a healthy ending every client has read a value."""
    stuck = [n for n, v in views.items() if v.role == "client" and v.state.get("read") is None]
    if stuck:
        yield Finding(nodes=tuple(stuck), id="no-read-decided", data={"nodes": stuck})


INVARIANTS = (
    Invariant(name="read-equals-true-count", kind="history", check=read_within_bounds,
              description="A read returns the true count: at least the increments acknowledged before it "
                          "began, at most those issued before it ended.",
              findings=READ_FINDINGS),
    Invariant(name="acknowledged-held-by-honest", kind="state", check=acknowledged_held_by_honest,
              description="Every acknowledged increment is in the durable logs of at least f + 1 honest "
                          "replicas.",
              findings={"acknowledged-not-held": "{tag} was acknowledged, but only {holders} honest replica(s) "
                                                 "hold it (fewer than f + 1 = {needed}): a read cannot be sure it "
                                                 "happened"}),
    Invariant(name="liars-within-f", kind="state", check=liars_within_f, illustrative=True,
              description="At most f replicas lie, the most n = 3f + 1 tolerate. Expected to break when the run "
                          "sets more liars than f: then the quorum rule can be fooled.",
              findings={"too-many-liars": "{liars} liars ({nodes}), more than f = {f}: the quorum rule can be "
                                          "fooled"}),
    Invariant(name="reads-decide", kind="liveness", check=reads_decide,
              description="With everyone up and the network whole, every client reads a value.",
              findings={"no-read-decided": "no value read by {nodes}: the quorum rule never decided (too many "
                                           "replicas silent or lying)"}),
)
