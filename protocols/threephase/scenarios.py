"""Named three-phase commit scenarios: each a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms, the coordinator waits 100 ms
for votes or acknowledgements, a participant 300 ms for the next message.
Every wait is longer than the round trips it covers: the "synchronous enough"
network 3PC assumes. The partition breaks exactly that assumption.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.spec import Caption, Scenario

Pattern = Mapping[str, Any]


def _precommit_to(node: str) -> Pattern:
    """The coordinator's PreCommit to ``node`` leaving."""
    return {"kind": "send", "src": "coordinator", "message.type": "pre_commit", "dst": node}


CRASH: Pattern = {"kind": "crash", "node": "coordinator"}
LEADS: Pattern = {"kind": "send", "message.type": "state_req"}
ATOMICITY_BROKEN: Pattern = {"kind": "violation", "invariant": "atomicity"}
P1_SENDS = {kind: {"kind": "send", "src": "p1", "message.type": kind} for kind in ("pre_commit", "do_commit")}


def _coordinator_crash(after: str, back_ms: int | None = 1500) -> tuple[dict[str, Any], ...]:
    """Crash the coordinator right after its PreCommit to ``after``; bring it back ``back_ms`` later."""
    crash = {"action": "crash", "node": "coordinator", "after": _precommit_to(after)}
    if back_ms is None:
        return (crash,)
    return crash, {"action": "recover", "node": "coordinator", "after": CRASH, "delay_ms": back_ms}


def _story(name: str, description: str, *captions: tuple[Pattern, str], params: Pattern | None = None,
           faults: Sequence[Pattern] = ()) -> Scenario:
    """Return a scenario from its narration, each caption a (pattern, text) pair."""
    return Scenario(name=name, description=description, params=dict(params or {}), faults=tuple(faults),
                    captions=tuple(Caption(match=match, text=text) for match, text in captions))


SCENARIOS = (
    _story("happy-commit", "Every participant votes yes; three rounds: CanCommit, PreCommit, DoCommit.",
           ({"kind": "send", "message.type": "can_commit"},
            "Phase 1: the coordinator asks every participant whether it can commit."),
           ({"kind": "persist", "node": "coordinator", "record.type": "precommitted"},
            "Phase 2: all voted yes; the coordinator logs PRECOMMITTED and tells everyone to get ready. "
            "Now nobody can be uncertain once the coordinator commits."),
           ({"kind": "send", "message.type": "do_commit"},
            "Phase 3: every participant acknowledged, so the coordinator commits.")),
    _story("vote-no-abort", "One participant votes no, so the coordinator aborts after phase 1.",
           ({"kind": "send", "message.body.vote": "no"}, "p2 votes no: one no aborts the whole transaction."),
           params={"votes": "yes,no"}),
    _story("coordinator-crash-after-precommit",
           "The coordinator crashes once every PreCommit is sent: the participants elect p1, which finds them "
           "all prepared and commits. Nobody blocks (compare 2PC's crash).",
           (CRASH, "The coordinator crashes right after its last PreCommit. In 2PC the participants would now "
                   "be stuck until it returns."),
           (LEADS, "p1's timeout fires: it suspects the coordinator and, first by name, leads the termination "
                   "protocol: it asks everyone's state."),
           (P1_SENDS["do_commit"], "Everyone is prepared, so everyone voted yes: p1 commits and tells the others. "
                                   "Decided without the coordinator, long before it returns."),
           ({"kind": "recover", "node": "coordinator"},
            "The coordinator recovers with PRECOMMITTED in its log: it asks, and learns COMMIT."),
           faults=_coordinator_crash("p3")),
    _story("coordinator-crash-mid-precommit",
           "The coordinator crashes after its PreCommit to p1 only: p1 leads, sends PreCommit to the uncertain "
           "p2 and p3 itself, and commits.",
           (CRASH, "The coordinator crashes halfway through phase 2: p1 is prepared, p2 and p3 uncertain."),
           (P1_SENDS["pre_commit"], "p1 leads: one participant is prepared, so the coordinator may have "
                                    "committed. p1 finishes phase 2 for it: PreCommit to the uncertain ones."),
           (P1_SENDS["do_commit"], "Acknowledged: p1 commits, and so does everyone."),
           faults=_coordinator_crash("p1")),
    _story("unilateral-timeouts-split",
           "The broken variant: participants decide alone on a timeout. The coordinator crashes after its "
           "PreCommit to p1 only; p1 commits, p2 and p3 abort.",
           (CRASH, "The coordinator crashes after its PreCommit reached p1 alone."),
           ({"kind": "persist", "record.type": "committed"},
            "p1 is prepared and times out: by the bare rule it commits."),
           (ATOMICITY_BROKEN, "p2 and p3 were uncertain and timed out: by the same rules they aborted. Timeouts "
                              "alone are not enough; the termination protocol is what makes 3PC safe."),
           params={"termination": "unilateral"}, faults=_coordinator_crash("p1", back_ms=None)),
    _story("no-termination-blocks",
           "Without the termination protocol 3PC blocks like 2PC: the coordinator crashes after PreCommit and "
           "the prepared participants wait until it returns.",
           (CRASH, "The coordinator crashes after PreCommit. Without a termination protocol the participants "
                   "only wait."),
           ({"kind": "recover", "node": "coordinator"},
            "1.5 s later it recovers, sends PreCommit again and finishes: all that time blocked."),
           params={"termination": "none"}, faults=_coordinator_crash("p3")),
    _story("partition-during-precommit",
           "A partition cuts {coordinator, p1} from {p2, p3} as PreCommit goes out: the coordinator commits "
           "with p1, p2 and p3 elect a leader among themselves and abort. Atomicity broken.",
           ({"kind": "partition"}, "The network splits as PreCommit leaves: only p1 will get it."),
           ({"kind": "persist", "node": "coordinator", "record.type": "committed"},
            "Only p1 acknowledges. The coordinator takes p2 and p3 for crashed and commits: everyone voted yes."),
           (LEADS, "p2 and p3 hear nothing; p1, the first leader, is out of reach, so p2 leads. It sees only "
                   "uncertain participants..."),
           (ATOMICITY_BROKEN, "...and aborts. Each side was right about what it could see: 3PC's safety rests "
                              "on timeouts that never lie, which a partition breaks."),
           faults=({"action": "partition", "groups": [["coordinator", "p1"], ["p2", "p3"]],
                    "after": _precommit_to("p1")},
                   {"action": "heal", "at_ms": 1500})),
)
