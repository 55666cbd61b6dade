"""Named two-phase commit scenarios: each a fault plan and its narration."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

COORDINATOR_LOGS_COMMIT = {"kind": "persist", "node": "coordinator", "record.decision": "commit"}

SCENARIOS = (
    Scenario(
        name="happy-commit",
        description="Every participant votes yes; the coordinator commits and everyone follows.",
        captions=(
            Caption(match={"kind": "send", "message.type": "prepare"},
                    text="Phase 1: the coordinator asks every participant to prepare."),
            Caption(match=COORDINATOR_LOGS_COMMIT,
                    text="Phase 2: all voted yes; the coordinator forces COMMIT to its log, then tells everyone."),
        ),
    ),
    Scenario(
        name="vote-no-abort",
        description="One participant votes no, so the coordinator must abort.",
        params={"votes": "yes,no"},
        captions=(
            Caption(match={"kind": "send", "message.body.vote": "no"},
                    text="A participant votes no: one no is enough to abort the whole transaction."),
        ),
    ),
    Scenario(
        name="participant-crash-before-vote",
        description="A participant crashes before it votes; the coordinator times out and aborts.",
        faults=(
            {"action": "crash", "node": "p2", "at_ms": 1},
            {"action": "recover", "node": "p2", "at_ms": 400},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "p2"},
                    text="p2 crashes before it has voted: its PREPARE will be lost."),
            Caption(match={"kind": "timer", "node": "coordinator", "timer": "vote_timeout"},
                    text="The coordinator waited long enough for p2's vote: it aborts."),
            Caption(match={"kind": "recover", "node": "p2"},
                    text="p2 recovers with nothing in its log: it never voted, so it may abort on its own."),
        ),
    ),
    Scenario(
        name="coordinator-crash-after-prepare",
        description="The coordinator logs COMMIT and crashes before sending it: the participants block.",
        faults=(
            {"action": "crash", "node": "coordinator", "after": COORDINATOR_LOGS_COMMIT},
            {"action": "recover", "node": "coordinator", "after": {"kind": "crash", "node": "coordinator"},
             "delay_ms": 1500},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "coordinator"},
                    text="The coordinator has logged COMMIT and crashes before sending it: "
                         "the participants are prepared and cannot decide alone."),
            Caption(match={"kind": "timer", "timer": "status_timeout"},
                    text="An in-doubt participant asks for the outcome; nobody who knows can answer."),
            Caption(match={"kind": "recover", "node": "coordinator"},
                    text="The coordinator recovers, reads COMMIT from its log and sends it again."),
        ),
    ),
    Scenario(
        name="lost-vote-timeout",
        description="The network loses p1's vote; the coordinator times out and aborts.",
        faults=({"action": "drop", "after": {"kind": "send", "src": "p1", "message.type": "vote"}},),
        captions=(
            Caption(match={"kind": "drop", "src": "p1"},
                    text="p1's yes vote is lost on the way."),
            Caption(match={"kind": "timer", "node": "coordinator", "timer": "vote_timeout"},
                    text="Without p1's vote the coordinator cannot commit: it aborts."),
        ),
    ),
    Scenario(
        name="coordinator-recovery",
        description="The coordinator crashes while sending COMMIT; it recovers and finishes the job.",
        faults=(
            {"action": "crash", "node": "coordinator",
             "after": {"kind": "send", "src": "coordinator", "message.type": "commit"}},
            {"action": "recover", "node": "coordinator", "after": {"kind": "crash", "node": "coordinator"},
             "delay_ms": 300},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "coordinator"},
                    text="The coordinator crashes after telling only p1 to commit."),
            Caption(match={"kind": "recover", "node": "coordinator"},
                    text="Its log says COMMIT, so on recovery it sends COMMIT to everyone again."),
        ),
    ),
    Scenario(
        name="cooperative-termination",
        description="The coordinator dies after telling p1; the others learn the outcome from p1.",
        params={"cooperative_termination": True},
        faults=(
            {"action": "crash", "node": "coordinator",
             "after": {"kind": "send", "src": "coordinator", "message.type": "commit"}},
        ),
        captions=(
            Caption(match={"kind": "send", "message.type": "status_request", "dst": "p1"},
                    text="In doubt, the participants ask each other: p1 knows the outcome."),
        ),
    ),
    Scenario(
        name="majority-bug",
        description="The deliberately broken coordinator commits on a majority of yes votes.",
        params={"variant": "majority-commit", "votes": "yes,yes,no"},
        captions=(
            Caption(match={"kind": "violation"},
                    text="The checker catches it: a participant voted no, yet the transaction committed."),
        ),
    ),
)
