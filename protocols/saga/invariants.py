"""What the orchestrated saga claims, checked from outside on the log.

The five saga claims of ``protocols/common/saga_history.py`` (dirty read,
lost update, an effect a compensation cannot undo, atomicity, idempotency),
all safety and all judged from the services' records, and one liveness
claim of its own:

- ``sagas-end`` (liveness): at quiescence every saga has ended, completed or
  compensated (none left awaiting an answer or stuck for an operator).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.common import saga_history
from protocols.spec import Finding, Invariant, NodeView

ORCHESTRATOR = "orch"


def sagas_end(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence every saga the orchestrator began has ended."""
    view = views.get(ORCHESTRATOR)
    if view is None:
        return
    for saga, mine in sorted(view.state.get("sagas", {}).items()):
        if mine["status"] not in ("completed", "compensated"):
            label = f"{'C' if mine['status'] == 'compensating' else 'T'}{mine['step']}"
            yield Finding(nodes=(ORCHESTRATOR,), id="saga-unfinished",
                          data={"saga": saga, "status": str(mine["status"]), "step": label})


INVARIANTS = (
    *saga_history.INVARIANTS,
    Invariant(name="sagas-end", kind="liveness", check=sagas_end,
              description="With every node up and the network whole, every saga ends completed or compensated.",
              findings={"saga-unfinished": "{saga} is still {status} at {step} when nothing more can happen"},
              word_fields=("status",), words=("forward", "compensating", "stuck")),
)
