"""Named Paxos Commit scenarios (F=1: three acceptors), each a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms; the leader waits 100 ms
for every instance to be chosen, a resource manager 300 ms for the outcome.
Paxos needs no timing for safety: the timeouts only decide when someone acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.spec import Caption, Scenario


def _after_begin(node: str) -> dict[str, Any]:
    return {"kind": "send", "src": "leader", "message.type": "begin", "dst": node}


def _down(node: str, **when: Any) -> dict[str, Any]:
    return {"action": "crash", "node": node, **when}


def _back(node: str, at_ms: int) -> dict[str, Any]:
    return {"action": "recover", "node": node, "at_ms": at_ms}


def _told(*pairs: tuple[Mapping[str, Any], str]) -> tuple[Caption, ...]:
    return tuple(Caption(match=match, text=text) for match, text in pairs)


LEADER_DOWN = {"kind": "crash", "node": "leader"}
ASKS = {"kind": "send", "message.type": "help"}

SCENARIOS = (
    Scenario(name="happy-commit", description="Every resource manager prepares; each instance is chosen by two of "
             "the three acceptors, and the leader commits.", captions=_told(
                 ({"kind": "send", "message.type": "p2a"},
                  "Each resource manager proposes its own vote, prepared, in its own Paxos instance (ballot 0), "
                  "straight to every acceptor."),
                 ({"kind": "send", "message.type": "p2b"},
                  "An acceptor accepts and tells both leaders. Two of three acceptances make a value chosen."),
                 ({"kind": "send", "src": "leader", "message.type": "commit"},
                  "Every instance chose prepared: commit. As fast as 2PC's decision, with acceptors in between."))),
    Scenario(name="vote-no-abort", description="p2 votes no: its instance chooses aborted, so the transaction aborts.",
             params={"votes": "yes,no"}, captions=_told(
                 ({"kind": "send", "src": "p2", "message.type": "p2a"},
                  "p2 aborts and proposes aborted in its instance: one aborted instance aborts the transaction."),)),
    Scenario(
        name="leader-crash", description="The leader crashes once BEGIN is out, and an acceptor crashes too (F=1): "
        "the acceptors still choose every vote, the backup learned them, and tells whoever asks. Nobody blocks.",
        faults=(_down("leader", after=_after_begin("p3")), _down("a3", at_ms=2), _back("leader", 1000),
                _back("a3", 1000)),
        captions=_told(
            (LEADER_DOWN, "The leader crashes after BEGIN. In 2PC the prepared would now wait for it to return."),
            ({"kind": "crash", "node": "a3"}, "An acceptor crashes too: with F=1, two acceptors are still a quorum."),
            (ASKS, "No outcome came in time: a resource manager asks the backup leader."),
            ({"kind": "send", "src": "backup", "message.type": "commit"},
             "The backup heard every acceptance, so it knows: commit. The decision survived the leader."))),
    Scenario(
        name="leader-and-participant-crash", description="p3 crashes before it votes and the leader crashes after "
        "BEGIN: p3's instance has no value, so the backup runs ballot 2, chooses aborted for it, and aborts.",
        faults=(_down("p3", at_ms=1), _down("leader", after=_after_begin("p3")), _back("p3", 1000),
                _back("leader", 1000)),
        captions=_told(
            (ASKS, "p1 has waited long enough and asks the backup. The backup knows p1's and p2's votes, not p3's."),
            ({"kind": "send", "src": "backup", "message.type": "p1a"},
             "The backup runs ballot 2: phase 1 asks the acceptors to promise it and to say what they accepted."),
            ({"kind": "send", "src": "backup", "message.type": "p2a"},
             "Nobody accepted a value for p3, so p3 cannot have prepared and been counted: the backup proposes "
             "aborted for it, and the values reported for the others."),
            ({"kind": "send", "src": "backup", "message.type": "abort"},
             "Chosen: p3's instance is aborted, so the transaction aborts, without the leader."))),
    Scenario(
        name="too-many-acceptors-down", description="Two of three acceptors crash (F+1 = 2): no value can be chosen, "
        "so the prepared resource managers block, as Paxos Commit must with more than F failures.",
        faults=(_down("a1", at_ms=1), _down("a2", at_ms=1)),
        captions=_told(
            ({"kind": "crash", "node": "a2"}, "Two acceptors are down: a quorum needs two of three."),
            ({"kind": "violation", "invariant": "blocked-without-quorum"},
             "Only one acceptor can accept: no value is ever chosen. Prepared, the resource managers wait."),
            ({"kind": "send", "src": "leader", "message.type": "p1a"},
             "The leader's own ballot cannot gather a quorum of promises either. Blocked until an acceptor returns."))),
)
