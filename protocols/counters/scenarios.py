"""Named scenarios of the counters and locks: each a fault plan that makes its lesson happen by construction.

The lease scenarios hold ``c2`` back (paused from the start until ``c1`` holds
the lock), so whatever the seed ``c1`` is the holder that gets paused or
whose clock runs slow, and ``c2`` is the one that takes the lock over.
"""

from __future__ import annotations

from typing import Any

from protocols.spec import Caption, Scenario

PAUSE_MS = 500
"""How long the paused holder sleeps: several leases, time enough for c2 to take over and write."""

SLOW_RATE = 0.1
"""The slow clock: a tenth of real speed, so 40 ms of work by that clock take 400 ms of real time."""


def _hold_back_c2(until_phase: str) -> list[dict[str, Any]]:
    """Pause c2 from the start until c1 enters ``until_phase`` (c1 takes the lock first)."""
    return [
        {"action": "pause", "node": "c2", "at_ms": 0},
        {"action": "resume", "node": "c2", "after": {"kind": "state", "node": "c1", "state.phase": until_phase}},
    ]


def _pause_c1(phase: str) -> list[dict[str, Any]]:
    """Pause c1 right after it first enters ``phase``; wake it PAUSE_MS later."""
    return [
        {"action": "pause", "node": "c1", "after": {"kind": "state", "node": "c1", "state.phase": phase}},
        {"action": "resume", "node": "c1", "after": {"kind": "pause", "node": "c1"}, "delay_ms": PAUSE_MS},
    ]


SLOW_CLOCK = {"action": "clock", "node": "c1", "rate": SLOW_RATE, "offset_ms": 0, "at_ms": 0}
HELD_BACK = Caption(match={"kind": "pause", "node": "c2"},
                    text="c2 is held back at the start, so c1 takes the lock first.")
C2_GRANTED = Caption(match={"kind": "send", "src": "lock", "dst": "c2", "message.type": "grant"},
                     text="c1's lease has expired by the lock's clock: the lock grants c2 a new lease, "
                          "with a higher token.")
TWO_BELIEVERS = Caption(match={"kind": "violation", "invariant": "one-believer-at-a-time"},
                        text="Two clients now believe they hold the lock. The lock service cannot prevent this.")
FENCED = Caption(match={"kind": "send", "src": "store", "message.type": "error"},
                 text="Fencing: the store has seen c2's higher token, so it refuses c1's stale token.")
STALE_LANDS = Caption(match={"kind": "violation", "invariant": "stale-write-accepted"},
                      text="Without fencing the store takes c1's stale write: it lands after c2's, "
                           "as if c1 still held the lock.")

NAIVE_SCENARIOS = (
    Scenario(
        name="lost-update",
        description="Three clients increment at once: their reads and writes interleave, and acknowledged "
                    "increments vanish.",
        params={"clients": 3},
        captions=(
            Caption(match={"kind": "send", "message.type": "read"},
                    text="A client reads the counter: the first half of its read-modify-write."),
            Caption(match={"kind": "send", "message.type": "write"},
                    text="It writes back the value it read plus one, whatever happened in between."),
            Caption(match={"kind": "violation", "invariant": "lost-update"},
                    text="Lost update: a write based on an old read replaced the counter, erasing an "
                         "increment that had been acknowledged."),
        ),
    ),
    Scenario(
        name="one-client",
        description="A single client: nothing runs concurrently, so no increment is lost.",
        params={"clients": 1},
        captions=(
            Caption(match={"kind": "state", "node": "c1", "state.phase": "done"},
                    text="c1 has made all its increments, and the counter counts every one."),
        ),
    ),
)

LOCKED_SCENARIOS = (
    Scenario(
        name="contention",
        description="Three clients take turns under the lock: no increment is lost.",
        params={"clients": 3},
        captions=(
            Caption(match={"kind": "send", "src": "lock", "message.type": "grant"},
                    text="The lock grants a lease with a fencing token; only its holder reads and writes."),
            Caption(match={"kind": "send", "src": "lock", "message.type": "busy"},
                    text="Another client asks too: the lock is busy, so it waits and asks again."),
            Caption(match={"kind": "send", "message.type": "release"},
                    text="Its increment acknowledged, the holder releases the lock for the next one."),
        ),
    ),
    Scenario(
        name="paused-holder",
        description="c1 is paused while it holds the lock; when it wakes, its own clock says the lease is "
                    "over, so it starts over instead of writing.",
        params={"clients": 2},
        faults=(*_hold_back_c2("reading"), *_pause_c1("reading")),
        captions=(
            HELD_BACK,
            Caption(match={"kind": "pause", "node": "c1"},
                    text="c1 holds the lock and has asked for the value: now it is paused."),
            C2_GRANTED,
            Caption(match={"kind": "resume", "node": "c1"},
                    text="c1 wakes up. Its clock has moved on: its lease is over, so it asks for the lock again."),
        ),
    ),
    Scenario(
        name="slow-clock-fenced",
        description="c1 is paused while it holds the lock, and its clock runs slow, so on waking it believes "
                    "its lease still holds and writes: the store fences the stale token out.",
        params={"clients": 2},
        faults=(SLOW_CLOCK, *_hold_back_c2("reading"), *_pause_c1("reading")),
        captions=(
            Caption(match={"kind": "clock", "node": "c1"},
                    text="c1's clock runs at a tenth of real speed."),
            C2_GRANTED,
            TWO_BELIEVERS,
            FENCED,
        ),
    ),
)


def _lease_scenario(name: str, fencing: str, pause: bool) -> Scenario:
    if pause:
        faults = (*_hold_back_c2("holding"), *_pause_c1("committing"))
        what = ("c1 checks its lease, and is paused before its write leaves (a garbage-collection pause); "
                "the lock gives the lease to c2; c1 wakes and writes")
        first = Caption(match={"kind": "pause", "node": "c1"},
                        text="c1 has checked its lease and is about to write: it is paused right now.")
        params: dict[str, Any] = {"fencing": fencing}
    else:
        faults = (SLOW_CLOCK, *_hold_back_c2("holding"))
        what = ("c1's clock runs at a tenth of real speed, so its lease seems to last ten times longer; "
                "the lock gives the lease to c2; c1 writes late, believing it still holds the lock")
        first = Caption(match={"kind": "clock", "node": "c1"},
                        text="c1's clock runs at a tenth of real speed: its work and its lease last longer "
                             "by its clock than by everyone else's.")
        params = {"fencing": fencing}
    outcome = "the store refuses the stale token" if fencing == "on" else "the stale write lands and is flagged"
    return Scenario(
        name=name, description=f"{what}: {outcome}.", params=params, faults=faults,
        captions=(first, C2_GRANTED, TWO_BELIEVERS, FENCED if fencing == "on" else STALE_LANDS),
    )


LEASE_SCENARIOS = (
    Scenario(
        name="take-turns",
        description="Two clients take turns under the lease lock; every grant carries a higher token.",
        captions=(
            Caption(match={"kind": "send", "src": "lock", "message.type": "grant"},
                    text="The lock grants a lease: a time to live and a fencing token."),
            Caption(match={"kind": "send", "src": "lock", "message.type": "busy"},
                    text="The other client must wait: the lock is busy until the lease is released or expires."),
            Caption(match={"kind": "send", "message.type": "release"},
                    text="The holder has written; it releases the lock."),
        ),
    ),
    _lease_scenario("process-pause", "off", pause=True),
    _lease_scenario("process-pause-fenced", "on", pause=True),
    _lease_scenario("clock-skew", "off", pause=False),
    _lease_scenario("clock-skew-fenced", "on", pause=False),
    Scenario(
        name="lock-crash",
        description="The lock service crashes right after its first grant and forgets its lease table; on "
                    "recovery it waits one whole lease before granting again, with the next token.",
        faults=(
            {"action": "crash", "node": "lock", "after": {"kind": "send", "src": "lock", "message.type": "grant"}},
            {"action": "recover", "node": "lock", "after": {"kind": "crash", "node": "lock"}, "delay_ms": 30},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "lock"},
                    text="The lock crashes just after granting a lease: it forgets who holds it."),
            Caption(match={"kind": "recover", "node": "lock"},
                    text="It recovers its last token from its log, and waits out one lease before granting, "
                         "since someone may still hold one."),
            Caption(match={"kind": "timer", "node": "lock", "timer": "grace"},
                    text="Every lease from before the crash has run out: the lock grants again, with a higher token."),
        ),
    ),
)
