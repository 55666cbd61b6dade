"""What TCC claims, checked from outside on the branches' logs, and the failures it is known for.

Every change a branch makes to its account is a logged record with the
numbers after it (``freeze``, ``spend``, ``release``; ``empty-rollback``
and ``refuse-try`` change nothing), and the coordinator logs each
transaction's end. From those alone:

- ``no-double-apply`` (safety, history): a branch applies each of a
  transaction's freeze, spend and release at most once (a retried Confirm or
  Cancel applied again spends or releases twice).
- ``no-empty-rollback-effect`` (safety, history): a release only gives back
  what that transaction froze there (Cancel before Try must be an empty rollback).
- ``no-hanging-reservation`` (safety, history): once a global transaction has
  ended, no branch holds an amount frozen for it (a Try run after its Cancel
  freezes for good). Judged when the transaction ends and at every freeze after.
- ``conservation`` (safety, history): each branch's balance plus frozen is what
  it opened with, minus the amount of each transaction it confirmed, once
  (checked at each logged change; each new discrepancy reported once).
- ``transactions-end`` (liveness): at quiescence the coordinator has ended every transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.spec import Finding, Invariant, NodeView
from protocols.tcc.branch import opening_balance

APPLIED = ("freeze", "spend", "release")
COORDINATOR = "tc"


def _branch_record(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if event["kind"] != "persist" or event.get("node") == COORDINATOR or "xid" not in event["record"]:
        return None
    record: Mapping[str, Any] = event["record"]
    return record if "balance" in record else None


def double_apply(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Count each (branch, transaction, action); a second one is applied twice."""
    record = _branch_record(event)
    if record is None or record["type"] not in APPLIED:
        return
    branch = str(event["node"])
    key = f"{branch}/{record['xid']}/{record['type']}"
    seen = memo.setdefault("applied", {})
    seen[key] = seen.get(key, 0) + 1
    if seen[key] == 2:
        yield Finding(nodes=(branch,), cause_seq=event["seq"], id="applied-again",
                      data={"branch": branch, "action": str(record["type"]), "xid": str(record["xid"]),
                            "amount": int(record["amount"])})


def _holding(memo: dict[str, Any]) -> dict[str, list[str]]:
    held: dict[str, list[str]] = memo.setdefault("frozen_for", {})
    return held


def empty_rollback_effect(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Follow what each branch froze for each transaction; a release of nothing frozen gives back money."""
    record = _branch_record(event)
    if record is None:
        return
    branch, xid = str(event["node"]), str(record["xid"])
    held = _holding(memo).setdefault(branch, [])
    if record["type"] == "freeze" and xid not in held:
        held.append(xid)
    elif record["type"] in ("spend", "release") and xid in held:
        held.remove(xid)
    elif record["type"] == "release":
        yield Finding(nodes=(branch,), cause_seq=event["seq"], id="released-unfrozen",
                      data={"branch": branch, "xid": xid, "amount": int(record["amount"])})


def hanging_reservation(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A transaction that has ended while some branch still holds an amount frozen for it."""
    ended: dict[str, str] = memo.setdefault("ended", {})
    held: dict[str, dict[str, int]] = memo.setdefault("held", {})
    reported: list[str] = memo.setdefault("reported", [])
    if event["kind"] != "persist":
        return
    record = event["record"]
    if event.get("node") == COORDINATOR and record.get("type") == "end":
        ended[str(record["xid"])] = str(record["outcome"])
    elif (found := _branch_record(event)) is not None:
        mine = held.setdefault(str(event["node"]), {})
        if found["type"] == "freeze":
            mine[str(found["xid"])] = int(found["amount"])
        elif found["type"] in ("spend", "release"):
            mine.pop(str(found["xid"]), None)
    for branch, frozen in sorted(held.items()):
        for xid, amount in sorted(frozen.items()):
            if xid in ended and f"{branch}/{xid}" not in reported:
                reported.append(f"{branch}/{xid}")
                yield Finding(nodes=(branch,), cause_seq=event["seq"], id="frozen-after-end",
                              data={"branch": branch, "xid": xid, "amount": amount, "outcome": ended[xid]})


def conservation(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Balance plus frozen, after each logged change, against the opening minus each confirmed spend, once."""
    record = _branch_record(event)
    if record is None:
        return
    branch = str(event["node"])
    spent: list[str] = memo.setdefault("spent", {}).setdefault(branch, [])
    if record["type"] == "spend" and str(record["xid"]) not in spent:
        spent.append(str(record["xid"]))
    params = memo["params"]
    expected = opening_balance(params, branch) - int(params["amount"]) * len(spent)
    total = int(record["balance"]) + int(record["frozen"])
    reported: dict[str, list[int]] = memo.setdefault("off_by", {})
    if total != expected and reported.get(branch) != [total, expected]:  # Each new discrepancy once.
        reported[branch] = [total, expected]
        yield Finding(nodes=(branch,), cause_seq=event["seq"], id="total-changed",
                      data={"branch": branch, "total": total, "expected": expected, "xid": str(record["xid"])})


def transactions_end(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At quiescence the coordinator has ended its last transaction."""
    view = views.get(COORDINATOR)
    if view is None or view.state.get("phase") in ("confirmed", "cancelled"):
        return
    yield Finding(nodes=(COORDINATOR,), id="unfinished",
                  data={"phase": str(view.state.get("phase")), "xid": str(view.state.get("xid") or "∅")})


_CLAIMS: tuple[tuple[str, str, Any, str, dict[str, str]], ...] = (
    ("no-double-apply", "history", double_apply,
     "A branch applies each transaction's freeze, spend or release at most once.",
     {"applied-again": "{branch} applied the {action} of {xid} ({amount}) a second time"}),
    ("no-empty-rollback-effect", "history", empty_rollback_effect,
     "A Cancel gives back only what its Try froze: before the Try it is an empty rollback.",
     {"released-unfrozen": "{branch} released {amount} for {xid}, which it never froze there"}),
    ("no-hanging-reservation", "history", hanging_reservation,
     "Once a global transaction has ended, no branch holds an amount frozen for it.",
     {"frozen-after-end": "{branch} holds {amount} frozen for {xid}, which ended {outcome}"}),
    ("conservation", "history", conservation,
     "Each branch's balance plus frozen is its opening balance minus what confirmed transactions spent there, "
     "once each.",
     {"total-changed": "{branch} holds {total} in balance and frozen after {xid}; {expected} expected"}),
    ("transactions-end", "liveness", transactions_end,
     "With every node up and the network whole, every global transaction ends.",
     {"unfinished": "the coordinator is still {phase} on {xid} when nothing more can happen"}),
)
"""Each claim: its name, its kind, its check, what it says and the findings it may report."""

WORD_FIELDS = {"no-double-apply": ("action",), "no-hanging-reservation": ("outcome",), "transactions-end": ("phase",)}
"""The fields of each claim's findings that hold a word: an action, a transaction's outcome, the coordinator's phase."""

INVARIANTS = tuple(Invariant(name=name, kind=kind, check=check, description=text, findings=findings,
                             word_fields=WORD_FIELDS.get(name, ()), words=APPLIED if name == "no-double-apply" else ())
                   for name, kind, check, text, findings in _CLAIMS)
