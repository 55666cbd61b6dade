"""What a saga may and may not do, judged from outside on the services' durable records (orchestrated or not).

A saga is a sequence of local transactions T1..Tn, each at one service and
committed there at once; when one fails, compensations C(k-1)..C1 undo the
steps already done. Sagas give up isolation (ACID without the I): another
saga may see and build on a step that is later compensated. These detectors
read the log only (``persist`` events: each service's own records, and the
saga's begin and end from whoever runs it) and report the anomalies of
Garcia-Molina and Salem (1987) and of Richardson's *Microservices Patterns*
(ch. 4, "lack of isolation").

The record vocabulary
---------------------
Every record is a ``Persist`` of the node that did it. Keys are per node: the
same ``key`` at two services is two data items. Values are whole numbers.

- ``{"type": "saga-begin", "saga": "g1", "steps": 3}``: a saga starts with
  ``steps`` local transactions (by the orchestrator, or the first service of a
  choreography).
- ``{"type": "apply", "saga": "g1", "step": 2, "key": "stock", "before": 100,
  "after": 70, "idem": "g1/T2"}``: a service committed step T2 of g1, changing
  its ``key`` from ``before`` (what the step read) to ``after``. ``idem`` is
  the idempotency key (optional; informative).
- ``{"type": "compensate", "saga": "g1", "step": 2, "key": "stock", "before":
  70, "after": 100, "mode": "restore"|"inverse"}``: the compensation C2 of g1
  committed, changing the key from ``before`` to ``after`` (``restore``: the
  before-image of T2 written back; ``inverse``: T2's change undone as an
  increment).
- ``{"type": "fail", "saga": "g1", "step": 2, "key": "stock", "value": 10,
  "reason": "stock"}``: the service refused T2 (a business failure: nothing
  changed). Optional; the timeline marks it.
- ``{"type": "read", "saga": "g2", "key": "stock", "value": 70}``: saga g2 read
  another item without writing it (a check, a price). Optional.
- ``{"type": "effect", "saga": "g1", "step": 1, "what": "email"}``: an
  irreversible side effect of T1 (an email, a payment to outside): no
  compensation takes it back.
- ``{"type": "saga-end", "saga": "g1", "outcome": "completed"|"compensated",
  "steps": 3}``: the saga's end, recorded by whoever ends it (``steps`` again,
  so a reader needs only this record).

Other record types (a semantic lock's ``wait``, a retry) are ignored here.

The claims (all safety, all ``history``)
-----------------------------------------
- ``saga-no-dirty-read``: no saga reads or builds on a value another saga's
  step wrote and that step is later compensated (reported at the compensation).
- ``saga-no-lost-update``: no write loses another saga's write: a
  compensation that writes a before-image back over a change made by another
  saga since its step, or any write whose ``before`` is not the value the
  history says the key held (it wrote on a stale read).
- ``saga-effects-undone``: a saga that ends compensated had no irreversible
  effect (an email cannot be unsent).
- ``saga-atomicity``: a saga ends with every step applied once and none
  compensated (``completed``), or every applied step compensated
  (``compensated``); a step or compensation run after the end breaks it too.
- ``saga-idempotent``: each step and each compensation takes effect at most
  once, however often it is sent (retries, duplicated messages).

``INVARIANTS`` holds the five, ready for a spec's invariants (the finding ids
and templates are shared by every protocol that uses them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.spec import Finding, Invariant

WRITES = ("apply", "compensate")
NOTHING = "∅"


def _record(event: Mapping[str, Any], *types: str) -> Mapping[str, Any] | None:
    """Return the event's record if it is a persist of one of ``types``."""
    if event.get("kind") != "persist":
        return None
    record: Mapping[str, Any] = event.get("record") or {}
    return record if record.get("type") in types else None


def _item(event: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    """Name a data item: its node and key (``s1.stock``)."""
    return f"{event['node']}.{record['key']}"


def step_label(kind: str, step: Any) -> str:
    """Return ``T2`` for step 2's transaction, ``C2`` for its compensation."""
    return f"{'C' if kind == 'compensate' else 'T'}{step}"


# ---------------------------------------------------------------- dirty read


def dirty_read(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Remember who wrote each item last and who read it since; a compensated write that was read is dirty."""
    writer: dict[str, list[Any]] = memo.setdefault("writer", {})  # item -> [saga, step, kind]
    seen: dict[str, list[list[Any]]] = memo.setdefault("seen_by", {})  # "item/saga/step" -> [[reader, value]]
    record = _record(event, "apply", "compensate", "read")
    if record is None:
        return
    item, saga = _item(event, record), str(record["saga"])
    last = writer.get(item)
    if last is not None and last[0] != saga and last[2] == "apply":
        value = record["value"] if record["type"] == "read" else record["before"]
        readers = seen.setdefault(f"{item}/{last[0]}/{last[1]}", [])
        if all(reader != saga for reader, _ in readers):
            readers.append([saga, value])
    if record["type"] == "compensate":
        for reader, value in seen.pop(f"{item}/{saga}/{record['step']}", []):
            yield Finding(nodes=(str(event["node"]),), cause_seq=event["seq"], id="dirty-read",
                          data={"reader": reader, "item": item, "value": value, "writer": saga,
                                "step": step_label("apply", record["step"])})
    if record["type"] in WRITES:
        writer[item] = [saga, record["step"], record["type"]]


# ---------------------------------------------------------------- lost update


def lost_update(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Follow each item's value and writers: a write that drops another saga's change loses it."""
    value: dict[str, int] = memo.setdefault("value", {})
    since: dict[str, list[Any]] = memo.setdefault("since", {})  # "item/saga/step" -> [delta, [other sagas]]
    record = _record(event, *WRITES)
    if record is None:
        return
    item, saga, step = _item(event, record), str(record["saga"]), record["step"]
    before, after = int(record["before"]), int(record["after"])
    current = value.get(item)
    if current is not None and current != before:
        yield Finding(nodes=(str(event["node"]),), cause_seq=event["seq"], id="stale-write",
                      data={"saga": saga, "step": step_label(str(record["type"]), step), "item": item,
                            "before": before, "current": current})
    mine = f"{item}/{saga}/{step}"
    if record["type"] == "compensate" and mine in since:
        delta, others = since.pop(mine)
        if others and after != before - delta:
            yield Finding(nodes=(str(event["node"]),), cause_seq=event["seq"], id="change-dropped",
                          data={"saga": saga, "step": step_label("compensate", step), "item": item, "value": after,
                                "expected": before - delta, "lost": sorted(others)})
    for key, (_, others) in since.items():
        if key.startswith(item + "/") and key != mine and saga not in others:
            others.append(saga)
    if record["type"] == "apply":
        since[mine] = [after - before, []]
    value[item] = after


# ---------------------------------------------------------------- effects


def effects_undone(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Collect each saga's irreversible effects; a saga that ends compensated with one left is not undone."""
    done: dict[str, list[list[Any]]] = memo.setdefault("effects", {})
    effect = _record(event, "effect")
    if effect is not None:
        done.setdefault(str(effect["saga"]), []).append([str(event["node"]), effect["step"], str(effect["what"])])
        return
    end = _record(event, "saga-end")
    if end is None or end["outcome"] != "compensated":
        return
    for node, step, what in done.get(str(end["saga"]), []):
        yield Finding(nodes=(node,), cause_seq=event["seq"], id="effect-stays",
                      data={"saga": str(end["saga"]), "what": what, "node": node, "step": step_label("apply", step)})


# ---------------------------------------------------------------- atomicity


def _net(memo: dict[str, Any], saga: str) -> dict[str, int]:
    nets: dict[str, dict[str, int]] = memo.setdefault("net", {})
    return nets.setdefault(saga, {})


def _wrong_steps(net: Mapping[str, int], steps: int, outcome: str) -> list[str]:
    want = 1 if outcome == "completed" else 0
    return [f"T{k}" for k in range(1, steps + 1) if net.get(str(k), 0) != want]


def atomicity(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Count each step's applies less its compensations; at the end (and after it) all must be 1, or all 0."""
    ended: dict[str, list[Any]] = memo.setdefault("ended", {})  # saga -> [outcome, steps]
    record = _record(event, *WRITES, "saga-end")
    if record is None:
        return
    saga = str(record["saga"])
    if record["type"] == "saga-end":
        ended[saga] = [str(record["outcome"]), int(record["steps"])]
        wrong = _wrong_steps(_net(memo, saga), int(record["steps"]), str(record["outcome"]))
        if wrong:
            yield Finding(nodes=(str(event["node"]),), cause_seq=event["seq"], id="saga-half-done",
                          data={"saga": saga, "outcome": str(record["outcome"]), "steps": wrong})
        return
    net = _net(memo, saga)
    net[str(record["step"])] = net.get(str(record["step"]), 0) + (1 if record["type"] == "apply" else -1)
    if saga in ended:
        outcome, _ = ended[saga]
        yield Finding(nodes=(str(event["node"]),), cause_seq=event["seq"], id="saga-after-end",
                      data={"saga": saga, "step": step_label(str(record["type"]), record["step"]),
                            "outcome": outcome})


# ---------------------------------------------------------------- idempotency


def idempotent(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Count each saga's T and C per step; a second is a retry or a duplicate applied again."""
    record = _record(event, *WRITES)
    if record is None:
        return
    label = step_label(str(record["type"]), record["step"])
    counts: dict[str, int] = memo.setdefault("count", {})
    key = f"{record['saga']}/{label}"
    counts[key] = counts.get(key, 0) + 1
    if counts[key] == 2:
        yield Finding(nodes=(str(event["node"]),), cause_seq=event["seq"], id="applied-again",
                      data={"branch": str(event["node"]), "action": label, "xid": str(record["saga"]),
                            "amount": abs(int(record["after"]) - int(record["before"]))})


CLAIMS: tuple[tuple[str, Any, str, dict[str, str]], ...] = (
    ("saga-no-dirty-read", dirty_read,
     "No saga reads or builds on a value written by another saga's step that is later compensated.",
     {"dirty-read": "{reader} read {item} = {value}, written by {step} of {writer}, which {writer} then "
                    "compensated"}),
    ("saga-no-lost-update", lost_update,
     "No write drops another saga's change: a compensation does not write a before-image over a later change, "
     "and no write starts from a value the item no longer holds.",
     {"change-dropped": "{step} of {saga} set {item} to {value}, dropping the change of {lost} ({expected} expected)",
      "stale-write": "{step} of {saga} wrote {item} from {before}, but it held {current}"}),
    ("saga-effects-undone", effects_undone,
     "A saga that ends compensated leaves no irreversible effect behind.",
     {"effect-stays": "{saga} ended compensated, but the {what} that {step} sent at {node} cannot be undone"}),
    ("saga-atomicity", atomicity,
     "A saga ends with every step applied once (completed) or every applied step compensated (compensated), "
     "and nothing runs for it after its end.",
     {"saga-half-done": "{saga} ended {outcome} with {steps} not as that outcome requires",
      "saga-after-end": "{step} of {saga} ran after {saga} ended {outcome}"}),
    ("saga-idempotent", idempotent,
     "Each step and each compensation takes effect at most once, however often it is sent.",
     {"applied-again": "{branch} applied the {action} of {xid} ({amount}) a second time"}),
)
"""Each claim: its name, its check, what it says and the findings it may report."""

WORDS = ("email", "completed", "compensated")
"""Values the findings' data hold that are words: the irreversible effect, a saga's end."""

INVARIANTS = tuple(Invariant(name=name, kind="history", check=check, description=text, findings=findings,
                             word_fields=("outcome", "what"), words=WORDS)
                   for name, check, text, findings in CLAIMS)
"""The five saga claims as history invariants, for a spec's ``invariants``."""

NAMES = tuple(name for name, *_ in CLAIMS)
"""The claims' names, in order."""
