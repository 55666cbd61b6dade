"""What two-phase commit guarantees, as checks over node views.

TCConsistent from Gray and Lamport's TCommit: no participant committed while
another aborted. TwoPhase adds: commit only if every participant voted yes
(forced PREPARED to its log), and a prepared participant never aborts on its
own. Decisions, once taken, are final. Liveness (judged only when the run
ends with every node up and the network whole): everyone has decided.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.base import State
from protocols.spec import Finding, Invariant, NodeView

LEARN_CAUSES = ("msg:abort", "msg:commit", "msg:status_reply")
"""The inputs through which a prepared participant may learn the outcome."""


def _participants(views: Mapping[str, NodeView]) -> list[tuple[str, NodeView]]:
    return [(n, v) for n, v in views.items() if v.role == "participant"]


def consistent(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """No participant committed while another aborted."""
    parts = _participants(views)
    committed = [n for n, v in parts if v.state.get("phase") == "committed"]
    aborted = [n for n, v in parts if v.state.get("phase") == "aborted"]
    if committed and aborted:
        yield Finding(nodes=(committed[0], aborted[0]),
                      text=f"{committed[0]} committed while {aborted[0]} aborted")


def commit_needs_all_yes(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Anyone committed implies every participant forced PREPARED (voted yes)."""
    committed = [n for n, v in views.items() if v.state.get("phase") == "committed"]
    if not committed:
        return
    for node, view in _participants(views):
        if not any(r.get("type") == "prepared" for r in view.durable):
            yield Finding(nodes=(committed[0], node),
                          text=f"{committed[0]} committed although {node} never voted yes")


def prepared_never_aborts_alone(node: str, before: State, after: State, cause: str) -> Finding | None:
    """A prepared participant leaves PREPARED only by learning the outcome."""
    if before.get("phase") == "prepared" and after.get("phase") == "aborted" and cause not in LEARN_CAUSES:
        return Finding(nodes=(node,), text=f"{node} was prepared and aborted on its own (on {cause})")
    return None


def decisions_final(node: str, before: State, after: State, cause: str) -> Finding | None:
    """Once committed or aborted, a node stays so (a crash included)."""
    was, now = before.get("phase"), after.get("phase")
    if was in ("committed", "aborted") and now != was:
        return Finding(nodes=(node,), text=f"{node} had {was} and then became {now} (on {cause})")
    return None


def everyone_decides(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """With every node up and connected, nobody is left undecided at the end."""
    undecided = [n for n, v in views.items() if v.state.get("phase") not in ("committed", "aborted")]
    if undecided:
        yield Finding(nodes=tuple(undecided),
                      text="still undecided when nothing more could happen: " + ", ".join(undecided))


INVARIANTS = (
    Invariant(name="consistency", kind="state", check=consistent,
              description="No participant commits while another aborts (TCConsistent)."),
    Invariant(name="commit-needs-all-yes", kind="state", check=commit_needs_all_yes,
              description="Commit only if every participant voted yes."),
    Invariant(name="prepared-never-aborts-alone", kind="transition", check=prepared_never_aborts_alone,
              description="A prepared participant never aborts on its own; it waits to be told."),
    Invariant(name="decisions-final", kind="transition", check=decisions_final,
              description="A decision, once taken, is never changed."),
    Invariant(name="termination", kind="liveness", check=everyone_decides,
              description="With all nodes up and the network whole, everyone decides."),
)
