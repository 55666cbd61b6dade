"""Named three-phase commit scenarios: each a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms, the coordinator waits 100 ms
for votes or acknowledgements, a participant 300 ms for the next message.
Every wait is longer than the round trips it covers: the "synchronous enough"
network 3PC assumes. The partition breaks exactly that assumption.
"""

from __future__ import annotations

from protocols.spec import Caption, Scenario

PRECOMMIT_TO = {f"p{i}": {"kind": "send", "src": "coordinator", "message.type": "pre_commit", "dst": f"p{i}"}
                for i in (1, 2, 3)}
"""The coordinator's PreCommit to each participant leaving (the default has three)."""

LEADS = {"kind": "send", "message.type": "state_req"}
COORDINATOR_CRASH = {"kind": "crash", "node": "coordinator"}

SCENARIOS = (
    Scenario(
        name="happy-commit",
        description="Every participant votes yes; three rounds: CanCommit, PreCommit, DoCommit.",
        captions=(
            Caption(match={"kind": "send", "message.type": "can_commit"},
                    text="Phase 1: the coordinator asks every participant whether it can commit."),
            Caption(match={"kind": "persist", "node": "coordinator", "record.type": "precommitted"},
                    text="Phase 2: all voted yes; the coordinator logs PRECOMMITTED and tells everyone to "
                         "get ready. Now nobody can be uncertain once the coordinator commits."),
            Caption(match={"kind": "send", "message.type": "do_commit"},
                    text="Phase 3: every participant acknowledged, so the coordinator commits."),
        ),
    ),
    Scenario(
        name="vote-no-abort",
        description="One participant votes no, so the coordinator aborts after phase 1.",
        params={"votes": "yes,no"},
        captions=(
            Caption(match={"kind": "send", "message.body.vote": "no"},
                    text="p2 votes no: one no aborts the whole transaction."),
        ),
    ),
    Scenario(
        name="coordinator-crash-after-precommit",
        description="The coordinator crashes once every PreCommit is sent: the participants elect p1, "
                    "which finds them all prepared and commits. Nobody blocks (compare 2PC's crash).",
        faults=(
            {"action": "crash", "node": "coordinator", "after": PRECOMMIT_TO["p3"]},
            {"action": "recover", "node": "coordinator", "after": COORDINATOR_CRASH, "delay_ms": 1500},
        ),
        captions=(
            Caption(match=COORDINATOR_CRASH,
                    text="The coordinator crashes right after its last PreCommit. In 2PC the participants "
                         "would now be stuck until it returns."),
            Caption(match=LEADS,
                    text="p1's timeout fires: it suspects the coordinator and, first by name, leads the "
                         "termination protocol: it asks everyone's state."),
            Caption(match={"kind": "send", "src": "p1", "message.type": "do_commit"},
                    text="Everyone is prepared, so everyone voted yes: p1 commits and tells the others. "
                         "Decided without the coordinator, long before it returns."),
            Caption(match={"kind": "recover", "node": "coordinator"},
                    text="The coordinator recovers with PRECOMMITTED in its log: it asks, and learns COMMIT."),
        ),
    ),
    Scenario(
        name="coordinator-crash-mid-precommit",
        description="The coordinator crashes after its PreCommit to p1 only: p1 leads, sends PreCommit to the "
                    "uncertain p2 and p3 itself, and commits.",
        faults=(
            {"action": "crash", "node": "coordinator", "after": PRECOMMIT_TO["p1"]},
            {"action": "recover", "node": "coordinator", "after": COORDINATOR_CRASH, "delay_ms": 1500},
        ),
        captions=(
            Caption(match=COORDINATOR_CRASH,
                    text="The coordinator crashes halfway through phase 2: p1 is prepared, p2 and p3 uncertain."),
            Caption(match={"kind": "send", "src": "p1", "message.type": "pre_commit"},
                    text="p1 leads: one participant is prepared, so the coordinator may have committed. "
                         "p1 finishes phase 2 for it: PreCommit to the uncertain ones."),
            Caption(match={"kind": "send", "src": "p1", "message.type": "do_commit"},
                    text="Acknowledged: p1 commits, and so does everyone."),
        ),
    ),
    Scenario(
        name="unilateral-timeouts-split",
        description="The broken variant: participants decide alone on a timeout. The coordinator crashes after "
                    "its PreCommit to p1 only; p1 commits, p2 and p3 abort.",
        params={"termination": "unilateral"},
        faults=({"action": "crash", "node": "coordinator", "after": PRECOMMIT_TO["p1"]},),
        captions=(
            Caption(match=COORDINATOR_CRASH,
                    text="The coordinator crashes after its PreCommit reached p1 alone."),
            Caption(match={"kind": "persist", "record.type": "committed"},
                    text="p1 is prepared and times out: by the bare rule it commits."),
            Caption(match={"kind": "violation", "invariant": "atomicity"},
                    text="p2 and p3 were uncertain and time out: by the same rules they abort. "
                         "Timeouts alone are not enough; the termination protocol is what makes 3PC safe."),
        ),
    ),
    Scenario(
        name="no-termination-blocks",
        description="Without the termination protocol 3PC blocks like 2PC: the coordinator crashes after "
                    "PreCommit and the prepared participants wait until it returns.",
        params={"termination": "none"},
        faults=(
            {"action": "crash", "node": "coordinator", "after": PRECOMMIT_TO["p3"]},
            {"action": "recover", "node": "coordinator", "after": COORDINATOR_CRASH, "delay_ms": 1500},
        ),
        captions=(
            Caption(match=COORDINATOR_CRASH,
                    text="The coordinator crashes after PreCommit. Without a termination protocol the "
                         "participants only wait."),
            Caption(match={"kind": "recover", "node": "coordinator"},
                    text="1.5 s later it recovers, sends PreCommit again and finishes: all that time blocked."),
        ),
    ),
    Scenario(
        name="partition-during-precommit",
        description="A partition cuts {coordinator, p1} from {p2, p3} as PreCommit goes out: the coordinator "
                    "commits with p1, p2 and p3 elect a leader among themselves and abort. Atomicity broken.",
        faults=(
            {"action": "partition", "groups": [["coordinator", "p1"], ["p2", "p3"]], "after": PRECOMMIT_TO["p1"]},
            {"action": "heal", "at_ms": 1500},
        ),
        captions=(
            Caption(match={"kind": "partition"},
                    text="The network splits as PreCommit leaves: only p1 will get it."),
            Caption(match={"kind": "persist", "node": "coordinator", "record.type": "committed"},
                    text="Only p1 acknowledges. The coordinator takes p2 and p3 for crashed and commits: "
                         "everyone voted yes."),
            Caption(match=LEADS,
                    text="p2 and p3 hear nothing; p1, the first leader, is out of reach, so p2 leads. "
                         "It sees only uncertain participants..."),
            Caption(match={"kind": "violation", "invariant": "atomicity"},
                    text="...and aborts. Each side was right about what it could see: 3PC's safety rests on "
                         "timeouts that never lie, which a partition breaks."),
        ),
    ),
)
