"""The cache detectors on hand-written logs: what is stale, what is lost, and what is not.

Each log is the few events a detector reads (client ``state`` events, the
``deliver`` that answered, cache and database states, sends, drops, crashes),
so every boundary of the definitions is pinned: a read concurrent with a
newer write is not stale, a value overwritten on purpose is not lost.
"""

from __future__ import annotations

from typing import Any

from protocols.cache.detectors import LOST_WRITE, STALE_READ, lost_writes, stale_reads
from tests.helpers import words


class Log:
    """Build events with consecutive seq numbers and a clock."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, time: int, **fields: Any) -> dict[str, Any]:
        event = {"seq": len(self.events) + 1, "time": time, "step": 0, "kind": kind, **fields}
        self.events.append(event)
        return event

    def call(self, client: str, time: int, n: int, op: str, key: str, value: Any = None) -> None:
        body = {"n": n, "op": op, "key": key, **({"value": value} if op == "write" else {})}
        self.add("state", time, node=client, cause="timer:think", state={"phase": "waiting", "op": body, "last": None})

    def answer(self, client: str, time: int, n: int, op: str, key: str, value: Any, src: str = "cache1",
               ok: bool = True) -> dict[str, Any]:
        deliver = self.add("deliver", time, node=client, src=src, dst=client,
                           message={"msg_id": f"m{len(self.events)}", "src": src, "dest": client,
                                    "type": "get_ok" if op == "read" else "put_ok", "body": {"key": key, "n": n}})
        last = {"n": n, "op": op, "key": key, "value": value, "ok": ok}
        self.add("state", time, node=client, cause="msg:x", state={"phase": "idle", "op": None, "last": last})
        return deliver


def run(check: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    memo: dict[str, Any] = {}
    found = []
    for event in events:
        found += check(event, memo)
    return found


def test_a_read_that_began_after_a_newer_write_was_acknowledged_is_stale() -> None:
    log = Log()
    log.call("c1", 0, 1, "write", "k0", "c1:1")
    log.answer("c1", 10, 1, "write", "k0", "c1:1")
    log.call("c2", 30, 1, "read", "k0")
    answer = log.answer("c2", 40, 1, "read", "k0", None)
    [record] = run(stale_reads, log.events)
    assert record["age_ms"] == 30 and record["answer"] == answer["seq"] and record["src"] == "cache1"
    [finding] = STALE_READ.check(log.events[-1], _replayed(log.events[:-1], STALE_READ.check))
    assert finding.cause_seq == answer["seq"] and "30 ms old" in words(finding)


def _replayed(events: list[dict[str, Any]], check: Any) -> dict[str, Any]:
    memo: dict[str, Any] = {}
    for event in events:
        list(check(event, memo))
    return memo


def test_a_read_concurrent_with_the_newer_write_is_not_stale() -> None:
    log = Log()
    log.call("c1", 0, 1, "write", "k0", "c1:1")
    log.call("c2", 5, 1, "read", "k0")  # Began before the write was acknowledged.
    log.answer("c1", 10, 1, "write", "k0", "c1:1")
    log.answer("c2", 40, 1, "read", "k0", None)
    assert run(stale_reads, log.events) == []


def test_a_value_whose_write_was_never_acknowledged_gets_the_benefit_of_the_doubt() -> None:
    log = Log()
    log.call("c1", 0, 1, "write", "k0", "c1:1")
    log.answer("c1", 10, 1, "write", "k0", "c1:1", ok=False)  # Timed out: may still take effect.
    log.call("c3", 12, 1, "write", "k0", "c3:1")
    log.answer("c3", 20, 1, "write", "k0", "c3:1")
    log.call("c2", 30, 1, "read", "k0")
    log.answer("c2", 40, 1, "read", "k0", "c1:1")
    assert run(stale_reads, log.events) == []


def test_reading_an_older_acknowledged_value_after_a_newer_one_is_stale() -> None:
    log = Log()
    for n, (t0, t1) in enumerate(((0, 5), (10, 15)), start=1):
        log.call("c1", t0, n, "write", "k0", f"c1:{n}")
        log.answer("c1", t1, n, "write", "k0", f"c1:{n}")
    log.call("c2", 30, 1, "read", "k0")
    log.answer("c2", 31, 1, "read", "k0", "c1:1")
    log.call("c2", 40, 2, "read", "k1")  # Another key: never written, the initial value is fresh.
    log.answer("c2", 41, 2, "read", "k1", None)
    [record] = run(stale_reads, log.events)
    assert record["newer"] == "c1:2" and record["age_ms"] == 16


def dirty(cache: str, time: int, log: Log, **entries: Any) -> None:
    log.add("state", time, node=cache, cause="msg:x", state={"phase": "serving", "entries": {
        k: {"v": v, "dirty": True, "own": True, "ep": 1, "seq": 1} for k, v in entries.items()}})


def test_a_crash_of_the_only_dirty_copy_loses_an_acknowledged_write_even_if_the_ack_comes_later() -> None:
    log = Log()
    log.call("c1", 0, 1, "write", "k0", "c1:1")
    dirty("cache1", 5, log, k0="c1:1")
    crash = log.add("crash", 6, node="cache1", by="plan")
    assert run(lost_writes, log.events) == []  # Not acknowledged yet: nothing lost that anyone was promised.
    log.answer("c1", 9, 1, "write", "k0", "c1:1")
    [record] = run(lost_writes, log.events)
    assert record["cause"] == crash["seq"] and record["value"] == "c1:1"
    memo: dict[str, Any] = {}
    findings = [f for e in log.events for f in LOST_WRITE.check(e, memo)]
    assert [f.cause_seq for f in findings] == [crash["seq"]] and "crashed" in words(findings[0])


def test_a_value_in_flight_or_overwritten_is_not_lost() -> None:
    log = Log()
    log.call("c1", 0, 1, "write", "k0", "c1:1")
    dirty("cache1", 5, log, k0="c1:1")
    log.answer("c1", 9, 1, "write", "k0", "c1:1")
    log.add("state", 10, node="cache1", cause="msg:recall", state={"phase": "serving", "entries": {}})
    flush = {"msg_id": "m99", "src": "cache1", "dest": "db", "type": "recall_ok",
             "body": {"key": "k0", "ep": 1, "seq": 1, "value": "c1:1"}}
    log.add("send", 10, node="cache1", src="cache1", dst="db", message=flush, due=20)
    log.add("crash", 11, node="cache1", by="plan")
    assert run(lost_writes, log.events) == []  # On its way to the database.
    log.add("drop", 20, node="db", src="cache1", dst="db", message=flush, reason="partition")
    [record] = run(lost_writes, log.events)
    assert record["cause"] == len(log.events) and record["how"] == ["in-lost-message", "recall_ok"]
    # Had a newer write reached the database first, the loss would be invisible: not reported.
    log.events.insert(-1, {"seq": 0, "time": 15, "step": 0, "kind": "state", "node": "c2", "cause": "timer:think",
                           "state": {"phase": "waiting", "op": {"n": 1, "op": "write", "key": "k0",
                                                                "value": "c2:1"}, "last": None}})
    log.events.insert(-1, {"seq": 0, "time": 16, "step": 0, "kind": "state", "node": "db", "cause": "msg:x",
                           "state": {"phase": "up", "data": {"k0": {"v": "c2:1", "ver": 3}}}})
    for seq, event in enumerate(log.events, start=1):
        event["seq"] = seq
    assert run(lost_writes, log.events) == []
