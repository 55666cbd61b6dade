"""What Paxos Commit guarantees, and what it cannot do with too few acceptors.

Safety (Gray and Lamport's TCConsistent and the commit rule): no resource
manager or leader commits while another aborts (``atomicity``), and commit
only if every resource manager prepared (``validity``). Liveness: with every
node up and the network whole, every resource manager learns the outcome.
Illustrative: a prepared resource manager waiting while fewer than F+1
acceptors are up: no value can be chosen, so nobody can learn one (it blocks,
as the paper says it must with more than F failures).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.spec import Finding, Invariant, NodeView

SETTLED = ("committed", "aborted")


def settled(view: NodeView) -> str | None:
    """Return the outcome a node logged (a running node's phase says it first), or None."""
    for record in reversed(view.durable):
        if record.get("type") in SETTLED:
            return str(record["type"])
    phase = view.state.get("phase")
    return str(phase) if view.up and phase in SETTLED and view.role != "acceptor" else None


def atomicity(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """No node commits while another aborts."""
    outcomes = {n: settled(v) for n, v in views.items() if v.role != "acceptor"}
    yes = sorted(n for n, o in outcomes.items() if o == "committed")
    no = sorted(n for n, o in outcomes.items() if o == "aborted")
    if yes and no:
        yield Finding(nodes=(yes[0], no[0]), id="split-outcome", data={"committed": yes, "aborted": no})


def validity(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Anything committed implies every resource manager prepared (forced it to its log)."""
    if not any(settled(v) == "committed" for v in views.values() if v.role != "acceptor"):
        return
    unprepared = sorted(n for n, v in views.items()
                        if v.role == "participant" and {"type": "prepared"} not in v.durable)
    if unprepared:
        yield Finding(nodes=tuple(unprepared), id="committed-unprepared", data={"nodes": unprepared})


def everyone_learns(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Every resource manager has an outcome when the run ends healthy."""
    waiting = sorted(n for n, v in views.items() if v.role == "participant" and settled(v) is None)
    if waiting and all(v.up and not v.paused for v in views.values()):
        yield Finding(nodes=tuple(waiting), id="not-learned", data={"nodes": waiting})


def no_quorum(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Say when a prepared resource manager waits while too few acceptors are up for any value to be chosen."""
    acceptors = [v for v in views.values() if v.role == "acceptor"]
    up = sum(1 for v in acceptors if v.up)
    needed = len(acceptors) // 2 + 1
    if up >= needed:
        return
    for node, view in views.items():
        if view.role == "participant" and view.up and view.state.get("phase") == "prepared":
            yield Finding(nodes=(node,), id="blocked-without-quorum",
                          data={"node": node, "up": up, "acceptors": len(acceptors), "needed": needed})


INVARIANTS = (
    Invariant(name="atomicity", kind="state", check=atomicity, findings={
        "split-outcome": "{committed} committed while {aborted} aborted"},
        description="No resource manager or leader commits while another aborts."),
    Invariant(name="validity", kind="state", check=validity,
              description="The transaction commits only if every resource manager prepared.",
              findings={"committed-unprepared": "committed although {nodes} never prepared"}),
    Invariant(name="termination", kind="liveness", check=everyone_learns, findings={
        "not-learned": "resource managers that never learned the outcome: {nodes}"},
        description="With every node up and the network whole, every resource manager learns the outcome."),
    Invariant(name="blocked-without-quorum", kind="state", check=no_quorum, illustrative=True,
              description="With more than F acceptors down no value can be chosen: prepared resource managers wait.",
              findings={"blocked-without-quorum": "{node} is prepared and waits: {up} of {acceptors} acceptors are "
                                                  "up, {needed} are needed for any value to be chosen"}),
)
