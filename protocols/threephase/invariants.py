"""What three-phase commit claims, as checks from outside, and what it expects to show.

Safety: ``atomicity`` (Skeen's: no site commits while another aborts; here
every node, the coordinator included) and ``validity`` (commit only if every
participant voted yes, which it forces to its log as ``uncertain`` before the
vote leaves). Liveness: with every node up and the network whole at the end,
every node has decided: 3PC's promise is that the live ones decide even
while the coordinator is down, which ``blocked_ms`` in the summary shows.
Illustrative: a participant that decided without the coordinator (as the
termination protocol's leader, or alone on a timeout): what the lesson is
about, reported apart from violations.

A node's outcome is what its durable log says once it has one; a running
node's phase says it as soon as the handler returns (a crash in the middle
of a handler can show a phase never logged: a crashed node is judged by its
log alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.base import State
from protocols.spec import Finding, Invariant, NodeView

OUTCOMES = ("committed", "aborted")


def outcome(view: NodeView) -> str | None:
    """Return the outcome a node has reached, or None."""
    logged = [r.get("type") for r in view.durable if r.get("type") in OUTCOMES]
    if logged:
        return str(logged[-1])
    phase = view.state.get("phase")
    return str(phase) if view.up and phase in OUTCOMES else None


def atomicity(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """No node commits while another aborts."""
    reached = {node: outcome(view) for node, view in views.items()}
    committed = sorted(n for n, o in reached.items() if o == "committed")
    aborted = sorted(n for n, o in reached.items() if o == "aborted")
    if committed and aborted:
        yield Finding(nodes=(committed[0], aborted[0]), id="commit-and-abort",
                      data={"committed": committed, "aborted": aborted})


def validity(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Commit only if every participant voted yes."""
    committed = sorted(n for n, v in views.items() if outcome(v) == "committed")
    if not committed:
        return
    for node, view in views.items():
        if view.role == "participant" and not any(r.get("type") == "uncertain" for r in view.durable):
            yield Finding(nodes=(committed[0], node), id="commit-without-yes",
                          data={"committed": committed[0], "node": node})


def everyone_decides(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """With every node up and the network whole, every node has an outcome at the end."""
    healthy = all(v.up and not v.paused for v in views.values())
    undecided = sorted(n for n, v in views.items() if healthy and outcome(v) is None)
    yield from [Finding(nodes=tuple(undecided), id="undecided", data={"nodes": undecided})] if undecided else []


LEADING = ("collecting", "precommitting")
ALONE = ("uncertain", "prepared")


def decided_without_coordinator(node: str, before: State, after: State, cause: str) -> Finding | None:
    """Note a participant that reaches an outcome as termination leader, or alone on a timeout."""
    was, now = before.get("phase"), after.get("phase")
    if now not in OUTCOMES or cause == "recover":
        return None
    if was in LEADING and cause in ("timer:timeout", "msg:state_reply", "msg:ack"):
        return Finding(nodes=(node,), id="leader-decided", data={"node": node, "outcome": str(now)})
    if was in ALONE and cause == "timer:timeout":
        return Finding(nodes=(node,), id="decided-alone", data={"node": node, "outcome": str(now), "phase": str(was)})
    return None


INVARIANTS = (
    Invariant(name="atomicity", kind="state", description="No node commits while another aborts.", check=atomicity,
              findings={"commit-and-abort": "{committed} committed while {aborted} aborted"}),
    Invariant(name="validity", kind="state", check=validity, findings={
        "commit-without-yes": "{committed} committed although {node} never voted yes"},  # 2PC's words
        description="Commit only if every participant voted yes."),
    Invariant(name="termination", kind="liveness", check=everyone_decides,
              findings={"undecided": "still undecided when nothing more could happen: {nodes}"},
              description="With every node up and the network whole, every node decides."),
    Invariant(name="decided-without-coordinator", kind="transition", check=decided_without_coordinator,
              illustrative=True, findings={
                  "leader-decided": "{node} decided {outcome} as leader of the termination protocol",
                  "decided-alone": "{node} timed out {phase} and decided {outcome} alone"},
              word_fields=("outcome", "phase"),
              description="A participant decided without the coordinator (what 3PC is for, and where it goes wrong)."),
)
