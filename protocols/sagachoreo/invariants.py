"""What the choreographed saga is checked for, from outside.

The five safety claims are the sagas' shared history detectors
(protocols/common/saga_history.py: dirty read, lost update, an irreversible
effect left by a compensated saga, atomicity in the business sense,
idempotency), read off the records every service persists in its local
transactions. Two liveness claims are the choreography's own, judged when
nothing more can happen:

- ``sagas-end``: every saga ``s1`` began has ended, completed at the last
  service or compensated back to ``s1`` (no event lost on the way, none
  stuck behind a semantic lock).
- ``events-delivered``: every outbox row is published and the broker
  dead-lettered no delivery.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.common import saga_history
from protocols.spec import Finding, Invariant, NodeView


def sagas_end(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence every begun saga has its end record somewhere."""
    begun: list[str] = []
    ended: set[str] = set()
    for view in views.values():
        for r in view.durable:
            if r.get("type") == "saga-begin" and r["saga"] not in begun:
                begun.append(str(r["saga"]))
            elif r.get("type") == "saga-end":
                ended.add(str(r["saga"]))
    stuck = [name for name in begun if name not in ended]
    if stuck:
        yield Finding(nodes=tuple(n for n, v in views.items() if v.role == "service"), id="sagas-unended",
                      data={"sagas": stuck, "count": len(stuck)})


def events_delivered(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence every outbox row is published and no delivery was dead-lettered."""
    for node, view in views.items():
        rows = [row for row, done in view.state.get("outbox", {}).items() if not done]
        if view.role == "service" and rows:
            yield Finding(nodes=(node,), id="rows-unpublished", data={"orders": rows})
    dead = sorted(set(views["broker"].state.get("dead", [])))
    if dead:
        yield Finding(nodes=("broker",), id="events-dead-lettered", data={"orders": dead})


INVARIANTS = (
    *saga_history.INVARIANTS,
    Invariant(name="sagas-end", kind="liveness", check=sagas_end,
              description="With every node up and the network whole, every saga begun ends, completed or "
                          "compensated.",
              findings={"sagas-unended": "{count} saga(s) never ended: {sagas}"}),
    Invariant(name="events-delivered", kind="liveness", check=events_delivered,
              description="At the end every outbox row is published and every delivery the broker made was "
                          "acknowledged, none dead-lettered.",
              findings={"rows-unpublished": "outbox rows never published: {orders}",
                        "events-dead-lettered": "events the broker dead-lettered, never acknowledged: {orders}"}),
)
