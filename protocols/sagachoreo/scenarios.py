"""Named choreographed-saga scenarios: each a configuration, a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms, a relay publishes a new row
10 ms after it is written, the broker redelivers after 150 ms. A saga's
event takes at least 20 ms from one service's step to the next one's, so a
failure at s2 reaches s1's compensation no sooner than 40 ms after s1's
step: s1 begins the second saga 30 ms after the first, in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.spec import Caption, Scenario

Pattern = Mapping[str, Any]


def _story(name: str, description: str, *captions: tuple[Pattern, str], params: Pattern,
           faults: Sequence[Pattern] = ()) -> Scenario:
    """Return a scenario from its narration, each caption a (pattern, text) pair."""
    return Scenario(name=name, description=description, params=dict(params), faults=tuple(faults),
                    captions=tuple(Caption(match=match, text=text) for match, text in captions))


def _violation(name: str) -> Pattern:
    return {"kind": "violation", "invariant": name}


def _persist(node: str, kind: str, **fields: Any) -> Pattern:
    return {"kind": "persist", "node": node, "record.type": kind, **{f"record.{k}": v for k, v in fields.items()}}


ONE = {"sagas": 1}
CONCURRENT = {"sagas": 2, "fail_saga": 1, "fail_step": 2, "stagger_ms": 30}
"""g1 is refused at s2; s1 begins g2 30 ms after g1, before g1's failure comes back to s1."""
DUPLICATE_TO_S2 = ({"action": "duplicate", "after": {"kind": "send", "message.type": "deliver", "dst": "s2"}},)

SCENARIOS = (
    _story("happy-path", "Three services, one saga, no failure: each service reacts to the event of the one before, "
                         "writes its step and its own event in one local transaction, and its relay publishes it.",
           (_persist("s1", "apply"), "s1 begins g1: one local transaction adds 10 to its value and writes the event "
                                     "g1.done.s1 into its outbox."),
           ({"kind": "send", "src": "s1", "message.type": "publish"},
            "s1's relay publishes the outbox row to the broker; it marks the row once the broker has it."),
           ({"kind": "deliver", "node": "s2", "message.type": "deliver"},
            "The broker delivers g1.done.s1 to its subscriber, s2, which runs its own step in reaction."),
           (_persist("s3", "saga-end"), "s3's step is the last: g1 is complete. Nobody had to say so: each service "
                                        "only reacted to the event before its own."),
           params=ONE),
    _story("step-fails-compensations-flow-back",
           "s3 refuses g1's step. Its failure event makes s2 compensate, s2's undone event makes s1 compensate: "
           "the compensations run in reverse, each in reaction to an event, with nobody in charge.",
           (_persist("s3", "fail"), "s3 refuses g1 (a business rule: no seats left). It changes nothing and writes "
                                    "the event g1.failed.s3."),
           (_persist("s2", "compensate"), "s2 subscribes to s3's failures: it compensates its step and publishes "
                                          "g1.undone.s2."),
           (_persist("s1", "compensate"), "s1 compensates in reaction to s2's undone event. Back where it began."),
           (_persist("s1", "saga-end"), "g1 ends compensated: every step it applied was undone, in reverse."),
           params={**ONE, "fail_saga": 1, "fail_step": 3}),
    _story("duplicate-event-deduplicated",
           "The network delivers g1.done.s1 to s2 twice. s2 keeps the ids it consumed in the same transaction as "
           "its step: the second copy is acknowledged, not applied.",
           ({"kind": "send", "message.type": "deliver", "dst": "s2"},
            "The broker delivers g1.done.s1 to s2; the network will deliver it twice."),
           ({"kind": "note", "node": "s2"}, "s2 finds the event's id among those it consumed: it only acknowledges. "
                                            "One step, one effect."),
           params=ONE, faults=DUPLICATE_TO_S2),
    _story("duplicate-event-applied-twice",
           "The same duplicated event, without dedup: s2 runs its step twice, adds twice and publishes its own event "
           "twice.",
           ({"kind": "send", "message.type": "deliver", "dst": "s2"},
            "The broker delivers g1.done.s1 to s2; the network will deliver it twice."),
           (_violation("saga-idempotent"), "s2 has no record of what it consumed: the copy runs T2 again and adds "
                                           "20 instead of 10."),
           (_violation("saga-atomicity"), "g1 completes with T2 applied twice: not what a completed saga is."),
           params={**ONE, "dedup": False}, faults=DUPLICATE_TO_S2),
    _story("concurrent-sagas-dirty-read",
           "No countermeasure. g1 adds 10 at s1; s1 begins g2 on top of it; then g1 is refused at s2 and s1 "
           "compensates g1 by writing back its before-image: g2 built on a value that never was (a dirty read), "
           "and its own 20 is erased (a lost update).",
           (_persist("s1", "apply", saga="g2"), "s1 begins g2 and adds 20 to 110: a value g1 wrote and has not "
                                                "committed for good."),
           (_persist("s2", "fail"), "s2 refuses g1: its failure event flows back to s1."),
           (_violation("saga-no-dirty-read"), "s1 compensates g1: g2 read 110, written by a step now undone. A dirty "
                                              "read."),
           (_violation("saga-no-lost-update"), "And the compensation wrote g1's before-image, 100, over 130: g2's 20 "
                                               "is gone although g2 goes on and completes. A lost update."),
           params=CONCURRENT),
    _story("concurrent-sagas-semantic-lock",
           "The same two sagas with a semantic lock: g1's step leaves s1's value pending; g2 waits until g1 is "
           "compensated, then begins on the value as it really is.",
           ({"kind": "note", "node": "s1"}, "s1 would begin g2, but its value is pending for g1: g2 waits."),
           (_persist("s1", "compensate"), "g1 is compensated at s1: the pending flag goes with it."),
           (_persist("s1", "apply", saga="g2"), "g2 begins now, on 100: no dirty read, nothing to lose."),
           params={**CONCURRENT, "countermeasure": "semantic-lock"}),
    _story("concurrent-sagas-commutative",
           "The same two sagas with commutative compensations: g1's compensation subtracts its 10 instead of "
           "restoring 100, so g2's 20 stays. g2 still read g1's uncommitted value: commutativity cures the lost "
           "update, not the dirty read.",
           (_persist("s1", "apply", saga="g2"), "s1 begins g2 on 110, which g1 wrote."),
           (_persist("s1", "compensate", mode="inverse"), "g1's compensation subtracts 10: 130 becomes 120. g2's "
                                                          "20 is still there."),
           (_violation("saga-no-dirty-read"), "But g2 read 110 from a step that was undone: still a dirty read."),
           params={**CONCURRENT, "countermeasure": "commutative"}),
    _story("compensation-cannot-unsend-email",
           "s1's step also emails the customer. s3 refuses the saga; s2 and s1 compensate their changes, but the "
           "email is out: no compensation takes it back.",
           (_persist("s1", "effect"), "s1's step emails the customer that the booking is made: irreversible."),
           (_persist("s3", "fail"), "s3 refuses the saga; the compensations flow back."),
           (_violation("saga-effects-undone"), "g1 ends compensated, but the email stays sent. An irreversible step "
                                               "belongs after the saga's last step that may fail."),
           params={**ONE, "fail_saga": 1, "fail_step": 3, "email_step": 1}),
)
