"""The saga detectors (protocols/common/saga_history.py) on hand-written histories: each anomaly found where it
happens, with its data, and the same history without the anomaly found clean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from protocols.common import saga_history as h
from protocols.findings import blanks
from protocols.spec import Finding


def persist(node: str, **record: Any) -> dict[str, Any]:
    return {"kind": "persist", "node": node, "record": record}


def apply(node: str, saga: str, step: int, before: int, after: int, key: str = "stock") -> dict[str, Any]:
    return persist(node, type="apply", saga=saga, step=step, key=key, before=before, after=after)


def compensate(node: str, saga: str, step: int, before: int, after: int, key: str = "stock") -> dict[str, Any]:
    return persist(node, type="compensate", saga=saga, step=step, key=key, before=before, after=after)


def end(saga: str, outcome: str, steps: int = 2) -> dict[str, Any]:
    return persist("orch", type="saga-end", saga=saga, outcome=outcome, steps=steps)


def check(claim: str, events: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Run one claim over the events in order (numbering them) and return its findings."""
    invariant = next(i for i in h.INVARIANTS if i.name == claim)
    memo: dict[str, Any] = {"params": {}}
    found: list[Finding] = []
    for seq, event in enumerate(events, start=1):
        found += list(invariant.check({**event, "seq": seq}, memo))
    for finding in found:
        assert finding.id in invariant.findings
        assert blanks(invariant.findings[finding.id]) <= set(finding.data)  # Every blank filled.
    return found


# g1 debits s1 (100 -> 70), g2 debits s1 on top (70 -> 40), then g1's T2 fails and C1 runs.
INTERLEAVED = [apply("s1", "g1", 1, 100, 70), apply("s1", "g2", 1, 70, 40)]


def test_a_read_of_a_write_later_compensated_is_dirty() -> None:
    history = [*INTERLEAVED, compensate("s1", "g1", 1, 40, 100), end("g1", "compensated")]
    [finding] = check("saga-no-dirty-read", history)
    assert finding.id == "dirty-read" and finding.cause_seq == 3
    assert finding.data == {"reader": "g2", "item": "s1.stock", "value": 70, "writer": "g1", "step": "T1"}


def test_a_read_of_a_write_that_stays_is_not_dirty() -> None:
    assert check("saga-no-dirty-read", [*INTERLEAVED, end("g1", "completed")]) == []
    # A read after the compensation sees the restored value: not dirty either.
    later = [apply("s1", "g1", 1, 100, 70), compensate("s1", "g1", 1, 70, 100), apply("s1", "g2", 1, 100, 70)]
    assert check("saga-no-dirty-read", later) == []


def test_a_plain_read_record_counts_as_a_read() -> None:
    history = [apply("s1", "g1", 1, 100, 70), persist("s2", type="read", saga="g2", key="stock", value=70),
               persist("s1", type="read", saga="g2", key="stock", value=70), compensate("s1", "g1", 1, 70, 100)]
    [finding] = check("saga-no-dirty-read", history)
    assert finding.data["reader"] == "g2" and finding.cause_seq == 4


def test_a_before_image_restored_over_another_sagas_change_loses_it() -> None:
    history = [*INTERLEAVED, compensate("s1", "g1", 1, 40, 100)]
    [finding] = check("saga-no-lost-update", history)
    assert finding.id == "change-dropped"
    assert finding.data == {"saga": "g1", "step": "C1", "item": "s1.stock", "value": 100, "expected": 70,
                            "lost": ["g2"]}


def test_an_inverse_compensation_keeps_the_other_change() -> None:
    assert check("saga-no-lost-update", [*INTERLEAVED, compensate("s1", "g1", 1, 40, 70)]) == []
    # Restoring the before-image is right when nobody wrote in between.
    alone = [apply("s1", "g1", 1, 100, 70), compensate("s1", "g1", 1, 70, 100), apply("s1", "g2", 1, 100, 70)]
    assert check("saga-no-lost-update", alone) == []


def test_a_write_from_a_value_the_item_no_longer_holds_is_stale() -> None:
    history = [apply("s1", "g1", 1, 100, 70), apply("s1", "g2", 1, 100, 70)]
    [finding] = check("saga-no-lost-update", history)
    assert finding.id == "stale-write" and finding.data["before"] == 100 and finding.data["current"] == 70


def test_items_are_per_service() -> None:
    history = [apply("s1", "g1", 1, 100, 70), apply("s2", "g2", 1, 100, 70), compensate("s1", "g1", 1, 70, 100)]
    assert check("saga-no-lost-update", history) == []
    assert check("saga-no-dirty-read", history) == []


def test_an_email_of_a_compensated_saga_stays() -> None:
    email = persist("s1", type="effect", saga="g1", step=1, what="email")
    [finding] = check("saga-effects-undone", [email, end("g1", "compensated")])
    assert finding.id == "effect-stays" and finding.data == {"saga": "g1", "what": "email", "node": "s1",
                                                             "step": "T1"}
    assert check("saga-effects-undone", [email, end("g1", "completed")]) == []
    assert check("saga-effects-undone", [email, end("g2", "compensated")]) == []


def test_a_saga_ends_all_done_or_all_undone() -> None:
    done = [apply("s1", "g1", 1, 100, 70), apply("s2", "g1", 2, 100, 70)]
    assert check("saga-atomicity", [*done, end("g1", "completed")]) == []
    undone = [apply("s1", "g1", 1, 100, 70), compensate("s1", "g1", 1, 70, 100)]
    assert check("saga-atomicity", [*undone, end("g1", "compensated")]) == []
    [half] = check("saga-atomicity", [apply("s1", "g1", 1, 100, 70), end("g1", "compensated")])
    assert half.id == "saga-half-done" and half.data == {"saga": "g1", "outcome": "compensated", "steps": ["T1"]}
    [short] = check("saga-atomicity", [apply("s1", "g1", 1, 100, 70), end("g1", "completed")])
    assert short.data["steps"] == ["T2"]


def test_a_step_run_after_the_end_breaks_atomicity() -> None:
    history = [apply("s1", "g1", 1, 100, 70), compensate("s1", "g1", 1, 70, 100), end("g1", "compensated"),
               apply("s1", "g1", 1, 100, 70)]
    [late] = check("saga-atomicity", history)
    assert late.id == "saga-after-end" and late.cause_seq == 4 and late.data["step"] == "T1"


def test_a_step_or_compensation_applied_twice_is_not_idempotent() -> None:
    twice = [apply("s1", "g1", 1, 100, 70), apply("s1", "g1", 1, 70, 40)]
    [finding] = check("saga-idempotent", twice)
    assert finding.id == "applied-again" and finding.data == {"branch": "s1", "action": "T1", "xid": "g1",
                                                              "amount": 30}
    comp = [apply("s1", "g1", 1, 100, 70), compensate("s1", "g1", 1, 70, 100), compensate("s1", "g1", 1, 100, 130)]
    assert [f.data["action"] for f in check("saga-idempotent", comp)] == ["C1"]
    assert check("saga-idempotent", INTERLEAVED) == []


def test_other_records_are_ignored() -> None:
    noise = [persist("orch", type="saga-begin", saga="g1", steps=2), persist("s1", type="wait", saga="g2"),
             {"kind": "send", "node": "orch"}]
    for name in h.NAMES:
        assert check(name, noise) == []
