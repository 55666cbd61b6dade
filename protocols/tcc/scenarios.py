"""Named TCC scenarios: each a configuration, a fault plan and its narration.

Timing (the defaults): messages take 5 to 20 ms, the coordinator waits
100 ms for the Tries and retries an unacknowledged Confirm or Cancel every
50 ms. The slow branch runs its Try 300 ms after it arrives: long after the
coordinator gave up on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.spec import Caption, Scenario

Pattern = Mapping[str, Any]
NAIVE = {"control_table": False}
ONE = {"transactions": 1}


def _story(name: str, description: str, *captions: tuple[Pattern, str], params: Pattern | None = None,
           faults: Sequence[Pattern] = ()) -> Scenario:
    """Return a scenario from its narration, each caption a (pattern, text) pair."""
    return Scenario(name=name, description=description, params={**ONE, **(params or {})}, faults=tuple(faults),
                    captions=tuple(Caption(match=match, text=text) for match, text in captions))


def _violation(name: str) -> Pattern:
    return {"kind": "violation", "invariant": name}


TRY_SENT: Pattern = {"kind": "send", "message.type": "try"}
CONFIRM_SENT: Pattern = {"kind": "send", "message.type": "confirm"}
CANCEL_SENT: Pattern = {"kind": "send", "message.type": "cancel"}
SLOW = {"slow_branch": 2}
DUPLICATE_CONFIRM = ({"action": "duplicate", "after": {"kind": "send", "message.type": "confirm", "dst": "b1"}},)
EMPTY_ROLLBACK: Pattern = {"kind": "persist", "record.type": "empty-rollback"}
REFUSED: Pattern = {"kind": "persist", "record.type": "refuse-try"}

SCENARIOS = (
    _story("happy-confirm", "Every branch reserves, so the coordinator confirms and each branch spends what it froze.",
           (TRY_SENT, "The coordinator begins tx1, registers both branches and sends each a Try: freeze 30."),
           ({"kind": "persist", "record.type": "freeze"}, "A branch freezes 30: it leaves the balance but is not "
                                                          "spent yet, and records tx1 as tried in its control table."),
           (CONFIRM_SENT, "Every Try succeeded: Confirm. Each branch spends the frozen amount."),
           ({"kind": "persist", "node": "tc", "record.type": "end"}, "Both acknowledged: tx1 is confirmed.")),
    _story("try-fails-cancel", "b2's account holds less than the amount, so its Try fails and the coordinator "
                               "cancels everywhere: b1 releases, b2 records an empty rollback.",
           ({"kind": "send", "message.type": "try_failed"}, "b2 cannot freeze 30: its balance is 29. Its Try fails."),
           (CANCEL_SENT, "One Try failed: the coordinator cancels every branch, b2 included (it cannot know what b2 "
                         "did)."),
           ({"kind": "persist", "record.type": "release"}, "b1 gives the 30 it froze back to its balance."),
           (EMPTY_ROLLBACK, "b2 never froze anything: its control table has no row for tx1, so it records the "
                            "Cancel as an empty rollback and changes nothing."),
           params={"short_branch": 2}),
    _story("cancel-overtakes-try", "b2 runs its Try late (a long pause). The coordinator times out and cancels. "
                                   "Without a control table b2's Cancel releases money it never froze (empty "
                                   "rollback), then the late Try freezes for good (hanging).",
           (CANCEL_SENT, "No answer from b2 in 100 ms: the coordinator cancels tx1 everywhere."),
           (_violation("no-empty-rollback-effect"), "b2 has not run the Try, but without a control table its Cancel "
                                                    "does what a Cancel does: it gives back 30 that were never taken."),
           ({"kind": "persist", "node": "tc", "record.type": "end"}, "Both branches acknowledged: tx1 is cancelled "
                                                                   "and over."),
           (_violation("no-hanging-reservation"), "Now b2's Try finally runs and freezes 30 for a transaction that "
                                                  "has ended: nothing will ever confirm or cancel it."),
           params={**NAIVE, **SLOW}),
    _story("cancel-overtakes-try-controlled", "The same late Try with the control table: the Cancel finds no row, "
                                              "records an empty rollback; the late Try finds it and is refused.",
           (CANCEL_SENT, "No answer from b2 in 100 ms: the coordinator cancels tx1 everywhere."),
           (EMPTY_ROLLBACK, "b2's control table has no row for tx1: an empty rollback. It records tx1 as "
                            "cancelled and changes nothing."),
           (REFUSED, "The late Try finds tx1 cancelled in the control table and is refused: nothing is frozen."),
           params=SLOW),
    _story("duplicate-confirm", "The network delivers the Confirm to b1 twice. Without a control table b1 spends "
                                "twice: the second 30 come out of the balance.",
           (CONFIRM_SENT, "Every Try succeeded: Confirm. The network will deliver b1's copy twice."),
           (_violation("no-double-apply"), "The second Confirm spends again: nothing tells b1 it already did."),
           params=NAIVE, faults=DUPLICATE_CONFIRM),
    _story("duplicate-confirm-controlled", "The same duplicated Confirm with the control table: the second finds "
                                           "tx1 confirmed and is only acknowledged.",
           (CONFIRM_SENT, "Every Try succeeded: Confirm. The network will deliver b1's copy twice."),
           ({"kind": "deliver", "node": "b1", "message.type": "confirm"},
            "With the control table the second copy finds tx1 confirmed: b1 acknowledges again and spends nothing."),
           faults=DUPLICATE_CONFIRM),
)
