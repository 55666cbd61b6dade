"""The family's detectors, fed hand-written histories: each fires when it must and only then.

History detectors see events one by one with their own memo, exactly as the
checker feeds them; these tests build the smallest logs that show each
anomaly (and its near misses), so a detector that could never fire, or fires
on an innocent history, fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from protocols.counters.invariants import (
    clients_finish,
    local_time,
    lock_single_holder,
    lost_update,
    one_believer,
    stale_write_accepted,
    tokens_increase,
)
from protocols.spec import Finding, NodeView
from tests.helpers import words

Event = dict[str, Any]


class History:
    """Number events as a log would and feed them to one detector; collect its findings.

    The memo starts as the checker starts it: with the run's parameters (``params``).
    """

    def __init__(self, check: Callable[[Event, dict[str, Any]], Iterable[Finding]], **params: Any) -> None:
        self.check, self.memo, self.seq, self.findings = check, {"params": params}, 0, []

    def add(self, kind: str, time: int = 0, **fields: Any) -> int:
        self.seq += 1
        event = {"seq": self.seq, "time": time, "step": self.seq, "kind": kind, **fields}
        self.findings += list(self.check(event, self.memo))
        return self.seq


def deliver(h: History, type_: str, src: str, dst: str, body: dict[str, Any] | None = None, msg_id: str = "",
            time: int = 0) -> int:
    message = {"msg_id": msg_id or f"m{h.seq + 1}", "src": src, "dest": dst, "type": type_, "body": body or {}}
    return h.add("deliver", time, node=dst, src=src, dst=dst, message=message, by="auto")


def write(h: History, by: str, op: str, value: int, read: str, token: int | None = None) -> int:
    """The store receives and applies a write: its delivery, then the forced record."""
    body: dict[str, Any] = {"value": value, "op": op, "read": read}
    record: dict[str, Any] = {"type": "write", "value": value, "op": op, "by": by, "read": read}
    if token is not None:
        body["token"] = record["token"] = token
    seq = deliver(h, "write", by, "store", body)
    h.add("persist", node="store", record=record)
    return seq


# ------------------------------------------------------------ lost update


def test_an_acknowledged_increment_overwritten_is_a_lost_update_pointing_at_the_write() -> None:
    h = History(lost_update)
    deliver(h, "read", "c1", "store", msg_id="r1")
    deliver(h, "read", "c2", "store", msg_id="r2")
    write(h, "c1", "c1#1", 1, "r1")
    deliver(h, "write_ok", "store", "c1", {"op": "c1#1"})
    assert h.findings == []
    overwrite = write(h, "c2", "c2#1", 1, "r2")
    assert len(h.findings) == 1
    found = h.findings[0]
    assert found.cause_seq == overwrite and found.nodes == ("c1", "c2")
    assert "c2's write of 1" in words(found) and "without c1#1" in words(found)


def test_an_increment_overwritten_before_its_acknowledgement_is_reported_when_acknowledged() -> None:
    h = History(lost_update)
    deliver(h, "read", "c1", "store", msg_id="r1")
    deliver(h, "read", "c2", "store", msg_id="r2")
    write(h, "c1", "c1#1", 1, "r1")
    overwrite = write(h, "c2", "c2#1", 1, "r2")
    assert h.findings == [], "not acknowledged yet: the client was never told"
    deliver(h, "write_ok", "store", "c2", {"op": "c2#1"})
    assert h.findings == []
    deliver(h, "write_ok", "store", "c1", {"op": "c1#1"})
    assert [f.cause_seq for f in h.findings] == [overwrite]


def test_increments_in_sequence_lose_nothing_and_a_duplicate_ack_counts_once() -> None:
    h = History(lost_update)
    deliver(h, "read", "c1", "store", msg_id="r1")
    write(h, "c1", "c1#1", 1, "r1")
    deliver(h, "write_ok", "store", "c1", {"op": "c1#1"})
    deliver(h, "write_ok", "store", "c1", {"op": "c1#1"})
    deliver(h, "read", "c2", "store", msg_id="r2")
    write(h, "c2", "c2#1", 2, "r2")
    write(h, "c2", "c2#1", 2, "r2")  # A re-sent write of the same read: nothing dropped.
    deliver(h, "write_ok", "store", "c2", {"op": "c2#1"})
    assert h.findings == []
    assert sorted(h.memo["incs"]) == ["c1#1", "c2#1"]


def test_an_increment_lost_twice_is_reported_once() -> None:
    h = History(lost_update)
    deliver(h, "read", "c1", "store", msg_id="r1")
    deliver(h, "read", "c3", "store", msg_id="r3")
    write(h, "c1", "c1#1", 1, "r1")
    deliver(h, "write_ok", "store", "c1", {"op": "c1#1"})
    deliver(h, "read", "c2", "store", msg_id="r2")  # Sees c1#1.
    write(h, "c3", "c3#1", 1, "r3")  # Loses c1#1.
    write(h, "c2", "c2#1", 2, "r2")  # Writes c1#1 back (and loses c3#1, not acknowledged).
    write(h, "c3", "c3#2", 2, "r3")  # Loses c1#1 again.
    assert [words(f).split(" without ")[1][:4] for f in h.findings] == ["c1#1"]


def test_a_write_based_on_the_first_of_many_retried_reads_loses_nothing() -> None:
    """Found by hypothesis: four retries pushed the read a write was based on out of the detector's memory."""
    h = History(lost_update)
    deliver(h, "read", "c3", "store", {"op": "c3#1"}, msg_id="r0")
    write(h, "c3", "c3#1", 1, "r0")
    deliver(h, "write_ok", "store", "c3", {"op": "c3#1"})
    for n in range(1, 6):  # The first answer comes back after four more tries.
        deliver(h, "read", "c2", "store", {"op": "c2#1"}, msg_id=f"r{n}")
    write(h, "c2", "c2#1", 2, "r1")
    assert h.findings == []
    assert h.memo["incs"] == ["c2#1", "c3#1"]


def test_a_client_s_reads_are_forgotten_when_it_moves_to_its_next_increment() -> None:
    h = History(lost_update)
    deliver(h, "read", "c1", "store", {"op": "c1#1"}, msg_id="r1")
    deliver(h, "read", "c1", "store", {"op": "c1#2"}, msg_id="r2")
    assert list(h.memo["reads"]["c1"]) == ["r2"]


# ------------------------------------------------------------ stale writes


def test_with_fencing_a_write_below_the_highest_token_seen_is_stale() -> None:
    h = History(stale_write_accepted)  # counter-locked: no fencing parameter, it always fences.
    h.add("state", node="store", state={"phase": "serving", "value": 0, "max_token": 0}, cause="init")
    write(h, "c2", "c2#1", 1, "r1", token=3)
    h.add("persist", node="store", record={"type": "fence", "max_token": 5})
    write(h, "c3", "c3#1", 2, "r2", token=5)
    assert h.findings == []
    stale = write(h, "c1", "c1#1", 2, "r0", token=4)
    assert [f.cause_seq for f in h.findings] == [stale]
    assert "token 4 is lower than 5" in words(h.findings[0]) and h.findings[0].nodes == ("c1", "store")


def test_without_fencing_a_write_after_its_lease_ended_is_stale() -> None:
    h = History(stale_write_accepted, fencing="off")
    h.add("state", node="store", state={"phase": "serving", "content": [], "max_token": 0}, cause="init")
    lease = {"client": "c1", "token": 1, "until": 100}
    h.add("state", node="lock", state={"phase": "held", "leases": [lease], "last_token": 1}, cause="msg:acquire")
    write(h, "c1", "c1#1", 0, "", token=1)
    assert h.findings == [], "a write under a live lease"
    h.add("state", node="lock", state={"phase": "free", "leases": [], "last_token": 1}, cause="timer:lease")
    late = write(h, "c1", "c1#2", 0, "", token=1)
    assert [f.cause_seq for f in h.findings] == [late]
    assert "already ended that lease" in words(h.findings[0])


def test_without_fencing_a_newer_grant_ends_older_leases_even_across_a_lock_crash() -> None:
    h = History(stale_write_accepted, fencing="off")
    h.add("state", node="store", state={"phase": "serving", "content": [], "max_token": 0}, cause="init")
    h.add("state", node="lock", state={"phase": "held", "leases": [{"client": "c1", "token": 1, "until": 9}],
                                       "last_token": 1}, cause="msg:acquire")
    h.add("state", node="lock", state={"phase": "recovering", "leases": [], "last_token": 1}, cause="recover")
    write(h, "c1", "c1#1", 0, "", token=1)
    assert h.findings == [], "a recovered lock forgot the lease, but granted no other: still c1's"
    h.add("state", node="lock", state={"phase": "held", "leases": [{"client": "c2", "token": 2, "until": 9}],
                                       "last_token": 2}, cause="msg:acquire")
    write(h, "c1", "c1#2", 0, "", token=1)
    assert len(h.findings) == 1 and "given the lock to token 2" in words(h.findings[0])


def test_with_fencing_a_lease_that_ended_but_still_holds_the_highest_token_is_not_stale() -> None:
    h = History(stale_write_accepted, fencing="on")
    h.add("state", node="store", state={"phase": "serving", "content": [], "max_token": 0}, cause="init")
    h.add("state", node="lock", state={"phase": "held", "leases": [{"client": "c2", "token": 2, "until": 9}],
                                       "last_token": 2}, cause="msg:acquire")
    write(h, "c1", "c1#1", 0, "", token=1)
    assert h.findings == [], "fenced: the store saw no newer token, so the write is in token order"


@pytest.mark.parametrize(("fencing", "flagged"), [("on", False), ("off", True)])
def test_whether_the_store_fences_is_read_from_the_parameters_never_from_the_store_state(
        fencing: str, flagged: bool) -> None:
    h = History(stale_write_accepted, fencing=fencing)
    # A trace saved before the store stopped copying the parameter: its state says the opposite.
    h.add("state", node="store", state={"phase": "serving", "content": [], "max_token": 0,
                                        "fencing": fencing != "on"}, cause="init")
    lease = {"client": "c1", "token": 1, "until": 100}
    h.add("state", node="lock", state={"phase": "held", "leases": [lease], "last_token": 1}, cause="msg:acquire")
    h.add("state", node="lock", state={"phase": "free", "leases": [], "last_token": 1}, cause="timer:lease")
    write(h, "c1", "c1#1", 0, "", token=1)
    assert bool(h.findings) is flagged, "only without fencing does an ended lease make the write stale"


# ------------------------------------------------------------ tokens


def test_tokens_must_increase_but_a_holder_may_be_granted_its_own_again() -> None:
    h = History(tokens_increase)

    def grant(to: str, token: int) -> int:
        message = {"msg_id": "m", "src": "lock", "dest": to, "type": "grant", "body": {"token": token}}
        return h.add("send", node="lock", src="lock", dst=to, message=message, due=5)

    grant("c1", 1)
    grant("c1", 1)
    grant("c2", 2)
    assert h.findings == []
    again = grant("c1", 2)
    older = grant("c3", 1)
    assert [f.cause_seq for f in h.findings] == [again, older]
    assert words(h.findings[0]) == "the lock granted token 2 to c1 after granting 2 to c2"


# ------------------------------------------------------------ beliefs


def client_state(phase: str, token: int | None, until: int | None) -> dict[str, Any]:
    return {"phase": phase, "op": 1, "tries": 0, "stream": 1, "req": 1, "acquires": 1, "sent_at": 0,
            "token": token, "lease_until": until}


def test_two_clients_believing_by_their_own_clocks_are_flagged_once() -> None:
    h = History(one_believer)
    h.add("clock", time=0, node="c1", rate=0.5, offset_ms=0, by="plan")
    h.add("state", time=40, node="c1", state=client_state("holding", 1, 100), cause="msg:grant")
    seq = h.add("state", time=150, node="c2", state=client_state("holding", 2, 250), cause="msg:grant")
    assert [f.cause_seq for f in h.findings] == [seq], "c1's slow clock reads 75 < 100: it still believes"
    assert h.findings[0].nodes == ("c1", "c2") and "its own clock reads 75" in words(h.findings[0])
    h.add("state", time=160, node="c2", state=client_state("committing", 2, 250), cause="timer:work")
    assert len(h.findings) == 1, "the same pair is reported once"


def test_a_client_whose_clock_says_expired_believes_nothing() -> None:
    h = History(one_believer)
    h.add("state", time=40, node="c1", state=client_state("holding", 1, 100), cause="msg:grant")
    h.add("state", time=150, node="c2", state=client_state("holding", 2, 250), cause="msg:grant")
    assert h.findings == []
    h.add("state", time=400, node="c3", state=client_state("holding", 3, 300), cause="msg:grant")
    assert h.findings == [], "c3's grant arrived already expired by its clock"


def test_a_committed_holder_believes_whatever_its_clock_says_until_a_crash() -> None:
    h = History(one_believer)
    h.add("state", time=40, node="c1", state=client_state("committing", 1, 100), cause="timer:work")
    h.add("state", time=500, node="c2", state=client_state("holding", 2, 600), cause="msg:grant")
    assert len(h.findings) == 1 and "about to write" in words(h.findings[0])
    h.add("crash", time=510, node="c1", by="plan")
    h.add("state", time=520, node="c3", state=client_state("holding", 3, 620), cause="msg:grant")
    assert len(h.findings) == 2 and h.findings[1].nodes == ("c2", "c3")


def test_local_time_follows_the_engines_clock_arithmetic() -> None:
    assert local_time(None, 123) == 123
    assert local_time({"rate": 1.0, "offset_ms": -20}, 123) == 103
    assert local_time({"rate": 0.1, "offset_ms": 5}, 1234) == 128


# ------------------------------------------------------------ state and liveness


def view(role: str, state: dict[str, Any], up: bool = True, paused: bool = False) -> NodeView:
    return NodeView(role=role, up=up, paused=paused, state=state, durable=())


def test_the_locks_table_never_holds_two_leases() -> None:
    one = {"client": "c1", "token": 1, "until": 5}
    two = {"client": "c2", "token": 2, "until": 9}
    assert list(lock_single_holder({"lock": view("lock", {"phase": "held", "leases": [one]})})) == []
    assert list(lock_single_holder({"lock": view("lock", {"phase": "free", "leases": []})})) == []
    found = list(lock_single_holder({"lock": view("lock", {"phase": "held", "leases": [one, two]})}))
    assert [words(f) for f in found] == ["the lock service records two holders at once: c1 #1, c2 #2"]
    assert list(lock_single_holder({"lock": view("lock", {"phase": "held", "leases": []})}))
    assert list(lock_single_holder({"lock": view("lock", {"phase": "free", "leases": [one]})}))


def test_every_client_must_finish_when_all_is_healthy() -> None:
    done = {"c1": view("client", {"phase": "done"}), "store": view("store", {"phase": "serving"})}
    assert list(clients_finish(done)) == []
    stuck = {**done, "c2": view("client", {"phase": "acquiring"})}
    assert [f.nodes for f in clients_finish(stuck)] == [("c2",)]
    paused = {**stuck, "c2": view("client", {"phase": "acquiring"}, paused=True)}
    assert list(clients_finish(paused)) == []
