"""What two-phase commit guarantees, as checks over node views.

TCConsistent from Gray and Lamport's TCommit: no participant committed while
another aborted. TwoPhase adds: commit only if every participant voted yes
(forced PREPARED to its log), and a prepared participant never aborts on its
own. Decisions, once taken, are final. Liveness (judged only when the run
ends with every node up and the network whole): everyone has decided.

A crash loses volatile state, and a crash can strike midway through a
handler: after the node's new phase is shown but before the record that makes
it durable is forced. Such a phase never happened as far as the protocol is
concerned, so the transition checks do not judge a recovery against the
volatile state the node died with; instead ``phase-matches-log`` checks after
every step that each running node is in the phase its durable log implies
(which is what a recovery must rebuild) and that no log records two outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.base import State
from protocols.spec import Finding, Invariant, NodeView

LEARN_CAUSES = ("msg:abort", "msg:commit", "msg:status_reply")
"""The inputs through which a prepared participant may learn the outcome."""

RECOVERY = "recover"
"""A recovery rebuilds the phase from the log; ``phase-matches-log`` judges it, not the transition checks."""

OUTCOME_PHASE = {"commit": "committed", "abort": "aborted"}


def _participants(views: Mapping[str, NodeView]) -> list[tuple[str, NodeView]]:
    return [(n, v) for n, v in views.items() if v.role == "participant"]


def consistent(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """No participant committed while another aborted."""
    parts = _participants(views)
    committed = [n for n, v in parts if v.state.get("phase") == "committed"]
    aborted = [n for n, v in parts if v.state.get("phase") == "aborted"]
    if committed and aborted:
        yield Finding(nodes=(committed[0], aborted[0]), id="commit-and-abort",
                      data={"committed": committed[0], "aborted": aborted[0]})


def commit_needs_all_yes(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Anyone committed implies every participant forced PREPARED (voted yes)."""
    committed = [n for n, v in views.items() if v.state.get("phase") == "committed"]
    if not committed:
        return
    for node, view in _participants(views):
        if not any(r.get("type") == "prepared" for r in view.durable):
            yield Finding(nodes=(committed[0], node), id="commit-without-yes",
                          data={"committed": committed[0], "node": node})


def logged_phases(view: NodeView) -> list[str]:
    """Return the phases a node's durable log records, oldest first."""
    if view.role == "coordinator":
        return [OUTCOME_PHASE.get(str(r.get("decision")), f"decided {r.get('decision')!r}")
                for r in view.durable if r.get("type") == "decision"]
    return [r["type"] for r in view.durable if r.get("type") in ("prepared", "committed", "aborted")]


def phase_matches_log(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Every running node is in the phase its log implies; no log records two outcomes."""
    for node, view in views.items():
        logged = logged_phases(view) if view.durable else []
        if len(logged) > 1:  # Checked after every step: the one-record common case skips this.
            outcomes = sorted({p for p in logged if p in ("committed", "aborted")})
            if len(outcomes) > 1:
                yield Finding(nodes=(node,), id="two-outcomes-logged",
                              data={"node": node, "first": outcomes[0], "second": outcomes[1]})
        phase = view.state.get("phase")
        if not view.up or phase is None:
            continue  # A crashed node's view keeps its last volatile phase; its recovery is judged.
        want = logged[-1] if logged else ("init" if view.role == "coordinator" else "working")
        if phase != want:
            yield Finding(nodes=(node,), id="phase-not-logged", data={"node": node, "phase": phase, "logged": want})


def prepared_never_aborts_alone(node: str, before: State, after: State, cause: str) -> Finding | None:
    """A prepared participant leaves PREPARED only by learning the outcome."""
    if cause == RECOVERY:
        return None
    if before.get("phase") == "prepared" and after.get("phase") == "aborted" and cause not in LEARN_CAUSES:
        return Finding(nodes=(node,), id="prepared-aborted-alone", data={"node": node, "cause": cause})
    return None


def decisions_final(node: str, before: State, after: State, cause: str) -> Finding | None:
    """Once committed or aborted, a node stays so (across a crash, phase-matches-log checks it)."""
    if cause == RECOVERY:
        return None
    was, now = before.get("phase"), after.get("phase")
    if was in ("committed", "aborted") and now != was:
        return Finding(nodes=(node,), id="decision-changed",
                       data={"node": node, "was": was, "now": now, "cause": cause})
    return None


def everyone_decides(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """With every node up and connected, nobody is left undecided at the end."""
    if any(not v.up or v.paused for v in views.values()):
        return  # A node is down or paused: 2PC may block, and is allowed to.
    undecided = [n for n, v in views.items() if v.state.get("phase") not in ("committed", "aborted")]
    if undecided:
        yield Finding(nodes=tuple(undecided), id="undecided-at-end", data={"nodes": undecided})


INVARIANTS = (
    Invariant(name="consistency", kind="state", check=consistent,
              description="No participant commits while another aborts (TCConsistent).",
              findings={"commit-and-abort": "{committed} committed while {aborted} aborted"}),
    Invariant(name="commit-needs-all-yes", kind="state", check=commit_needs_all_yes,
              description="Commit only if every participant voted yes.",
              findings={"commit-without-yes": "{committed} committed although {node} never voted yes"}),
    Invariant(name="prepared-never-aborts-alone", kind="transition", check=prepared_never_aborts_alone,
              description="A prepared participant never aborts on its own; it waits to be told.",
              findings={"prepared-aborted-alone": "{node} was prepared and aborted on its own (on {cause})"}),
    Invariant(name="decisions-final", kind="transition", check=decisions_final,
              description="A decision, once taken, is never changed.",
              findings={"decision-changed": "{node} had {was} and then became {now} (on {cause})"},
              word_fields=("was", "now")),
    Invariant(name="phase-matches-log", kind="state", check=phase_matches_log,
              description="A running node is in the phase its durable log implies; no log holds two outcomes.",
              findings={"two-outcomes-logged": "{node} logged both {first} and {second}",
                        "phase-not-logged": "{node} is {phase} but its log says {logged}"},
              word_fields=("first", "second", "phase", "logged")),
    Invariant(name="termination", kind="liveness", check=everyone_decides,
              description="With all nodes up and the network whole, everyone decides.",
              findings={"undecided-at-end": "still undecided when nothing more could happen: {nodes}"}),
)
