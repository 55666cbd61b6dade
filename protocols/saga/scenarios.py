"""Named orchestrated-saga scenarios: each a configuration, a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms, the orchestrator resends
an unanswered request every 50 ms, and a second saga starts 10 ms after the
first: while the first is still between its steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.spec import Caption, Scenario

Pattern = Mapping[str, Any]
TWO_SAGAS = {"sagas": 2, "failing_step": 2, "failing_saga": 1}
"""g1 fails at T2 and compensates T1 at s1, while g2 runs T1 and T2 on the same items."""


def _story(name: str, description: str, *captions: tuple[Pattern, str], params: Pattern | None = None,
           faults: Sequence[Pattern] = ()) -> Scenario:
    """Return a scenario from its narration, each caption a (pattern, text) pair."""
    return Scenario(name=name, description=description, params=dict(params or {}), faults=tuple(faults),
                    captions=tuple(Caption(match=match, text=text) for match, text in captions))


def _violation(name: str) -> Pattern:
    return {"kind": "violation", "invariant": name}


def _record(kind: str, **more: Any) -> Pattern:
    return {"kind": "persist", "record.type": kind, **{f"record.{k}": v for k, v in more.items()}}


STEP_SENT: Pattern = {"kind": "send", "message.type": "step"}
COMPENSATE_SENT: Pattern = {"kind": "send", "message.type": "compensate"}
ENDED_COMPLETED = _record("saga-end", outcome="completed")
ENDED_COMPENSATED = _record("saga-end", outcome="compensated")

_BASICS = (
    _story("happy-path", "Three services, one saga: T1, T2 and T3 commit one after another and the saga completes.",
           (STEP_SENT, "The orchestrator begins g1 and sends T1 to s1: take 30 off its stock."),
           (_record("apply"), "s1 commits T1 at once, a local transaction: 100 becomes 70, and it says so."),
           (ENDED_COMPLETED, "T3 committed at s3: every step is done and g1 is completed."),
           params={"services": 3}),
    _story("step-fails-compensate", "T3 fails, so the orchestrator compensates back: C2 at s2, then C1 at s1.",
           (_record("fail"), "s3 refuses T3 (a business failure: the card is declined). Nothing changed at s3."),
           (COMPENSATE_SENT, "The orchestrator runs the compensations in reverse: first C2 at s2."),
           (_record("compensate", step=1), "C1 gives s1 its 30 back: every step that committed is undone."),
           (ENDED_COMPENSATED, "g1 ends compensated: as if it had not run, though others could see it run."),
           params={"services": 3, "failing_step": 3}),
    _story("compensation-retried", "T2 fails and C1 fails twice for now (a deadlock at s1); the orchestrator "
                                   "retries it until it commits.",
           (_record("compensate-failed"), "C1 fails at s1 for now. A compensation must not give up: the "
                                          "orchestrator will send it again."),
           (_record("compensate"), "The third try commits: s1's stock is back to 100."),
           (ENDED_COMPENSATED, "g1 ends compensated, later than it would have, but completely."),
           params={"failing_step": 2, "flaky_compensation": 2}),
    _story("duplicate-step", "The network delivers T1 twice. s1 finds g1/T1 in its idempotency table and only "
                             "answers again.",
           ({"kind": "deliver", "node": "s1", "message.type": "step"}, "T1 reaches s1 and commits: 100 becomes 70."),
           (ENDED_COMPLETED, "The copy of T1 changed nothing at s1: its idempotency key was known."),
           faults=({"action": "duplicate", "after": {"kind": "send", "message.type": "step", "dst": "s1"}},)),
    _story("duplicate-step-no-idempotency", "The same duplicated T1 without idempotency keys: s1 takes the "
                                            "amount twice.",
           (_violation("saga-idempotent"), "The copy of T1 commits again: s1 has no record that it ran."),
           params={"idempotency": False},
           faults=({"action": "duplicate", "after": {"kind": "send", "message.type": "step", "dst": "s1"}},)),
)

_ISOLATION = (
    _story("dirty-read", "Two sagas, no countermeasure. g1 takes 30 at s1; g2 takes 30 on top of it; then g1's "
                         "T2 fails and C1 writes s1's before-image back. g2 built on a value that never "
                         "counted, and its own change is gone.",
           (_record("apply", saga="g2", step=1), "g2's T1 reads s1's stock as 70: g1's write, not yet final."),
           (_record("fail", saga="g1"), "g1's T2 fails at s2: g1 must compensate T1."),
           (_violation("saga-no-dirty-read"), "C1 undoes g1's T1: g2 read a value that was never committed "
                                              "in the business sense. A dirty read."),
           (_violation("saga-no-lost-update"), "And C1 wrote back 100, the value before g1's step: g2's 30 "
                                               "vanished. A lost update."),
           params={**TWO_SAGAS, "countermeasure": "none"}),
    _story("dirty-read-semantic-lock", "The same two sagas with a semantic lock: g1's T1 leaves s1's stock "
                                       "pending, g2 waits until g1 has compensated, then reads the real value.",
           (_record("wait", saga="g2"), "s1's stock is pending for g1: g2's T1 is answered busy and will be "
                                        "retried."),
           (_record("compensate", saga="g1"), "g1 compensates T1; the pending flag goes with it."),
           (_record("apply", saga="g2", step=1), "g2's retried T1 now reads 100, a value no compensation will "
                                                 "take back."),
           params={**TWO_SAGAS, "countermeasure": "semantic-lock"}),
    _story("lost-update-commutative", "The same two sagas with commutative compensations: C1 adds 30 back "
                                      "instead of writing 100, so g2's change stays. g2 still read a dirty value.",
           (_violation("saga-no-dirty-read"), "g2 read 70 from g1's T1, which is now compensated: commutative "
                                              "updates do not stop a dirty read."),
           (_record("compensate", saga="g1", mode="inverse"), "C1 adds 30 back to what s1 holds (40): 70, "
                                                              "and g2's 30 stays taken. No lost update."),
           params={**TWO_SAGAS, "countermeasure": "commutative"}),
    _story("lost-update-reread", "The same two sagas with re-read values: C1 rereads s1's stock, sees g2 "
                                 "changed it since T1, and does not overwrite it.",
           (_record("compensate", saga="g1", mode="inverse"), "C1 found 40, not the 70 T1 wrote: someone "
                                                              "changed it. It adds 30 back instead of "
                                                              "writing 100."),
           params={**TWO_SAGAS, "countermeasure": "reread"}),
    _story("email-cannot-be-unsent", "T1 sends the customer an email as it commits; T2 fails. C1 gives the "
                                     "stock back, but the email is out.",
           (_record("effect"), "s1 commits T1 and emails the customer: 'your order is confirmed'."),
           (_violation("saga-effects-undone"), "g1 ends compensated, and the email cannot be called back: "
                                               "a compensation is semantic, not a rollback."),
           params={"failing_step": 2, "email_step": 1}),
    _story("email-after-pivot", "The remedy: the email is T3, after the pivot T2. T2 fails, so the saga "
                                "compensates before anything irreversible has happened.",
           (_record("fail"), "The pivot T2 fails: the saga goes back, and T3, the email, never runs."),
           (ENDED_COMPENSATED, "g1 ends compensated, and nobody was told anything untrue."),
           params={"services": 3, "pivot": 2, "failing_step": 2, "email_step": 3}),
)

_AVAILABILITY = (
    _story("service-down", "One saga over three services while s2 is down from 1 ms to 400 ms (2PC's "
                           "participant-crash-before-vote has the same plan). T1 commits at s1 at once; the "
                           "orchestrator keeps sending T2 until s2 is back, and the saga completes. One saga "
                           "alone has nobody to be isolated from: no countermeasure, so no item is held pending.",
           ({"kind": "crash", "node": "s2"}, "s2 goes down. T1 at s1 is not held up: it commits on its own."),
           ({"kind": "send", "message.type": "step", "dst": "s2"}, "T2 goes to s2, which is down: the message is "
                                                                 "lost, and the orchestrator will send it again."),
           ({"kind": "recover", "node": "s2"}, "s2 is back, with its log. The next T2 reaches it."),
           (ENDED_COMPLETED, "g1 completes: late, but it completes, and s1 was never locked meanwhile. 2PC with "
                             "the same outage aborts, its prepared participants blocked until it does."),
           params={"services": 3, "countermeasure": "none", "max_retries": 12},
           faults=({"action": "crash", "node": "s2", "at_ms": 1}, {"action": "recover", "node": "s2", "at_ms": 400})),
)

SCENARIOS = (*_BASICS, *_ISOLATION, *_AVAILABILITY)
