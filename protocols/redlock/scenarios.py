"""Named Redis lock scenarios: the runs of Kleppmann's critique of Redlock, each with its narration."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

C1_HOLDS = {"kind": "state", "node": "c1", "state.phase": "holding"}
C1_CHECKS = {"kind": "state", "node": "c1", "state.phase": "committing"}
C2_APART = {"action": "partition", "groups": [["c1", "r1", "r2", "r3", "r4", "r5", "store"], ["c2"]], "at_ms": 0}
"""c2 is cut off at the start, so c1 takes the lock first (healed as soon as it has)."""
C2_BACK = {"action": "heal", "after": C1_HOLDS}
C2_APART_FROM_ONE_NODE = (C2_APART | {"groups": [["c1", "r1", "store"], ["c2"]]}, C2_BACK)
"""The same with a single instance."""
ONE_WRITE_EACH = {"clients": 2, "writes_per_client": 1, "think_ms": 0}
"""Two clients with one write each, starting at once: the runs of the critique."""


def restart_while_c1_holds(node: str) -> tuple[dict[str, object], ...]:
    """Crash ``node`` as c1 takes the lock and restart it 1 ms later (without persistence: empty)."""
    return ({"action": "crash", "node": node, "after": C1_HOLDS},
            {"action": "recover", "node": node, "after": C1_HOLDS, "delay_ms": 1})
PAUSE_C1_PAST_C2S_WRITE = (
    {"action": "pause", "node": "c1", "after": C1_CHECKS},
    {"action": "resume", "node": "c1", "after": {"kind": "persist", "node": "store", "record.type": "write"},
     "delay_ms": 5},
)
"""c1 stops between its check and its write, and wakes 5 ms after the store has applied a write (c2's)."""
C1_WITH_THREE = {"action": "partition", "groups": [["c1", "r1", "r2", "r3", "store"], ["c2", "r4", "r5"]], "at_ms": 0}
"""c1 reaches r1, r2 and r3 only, c2 reaches r4 and r5: c1 takes its majority first."""
TWO_WRITERS = Caption(match={"kind": "violation", "invariant": "stale-write-accepted"},
                      text="The store applies c1's write although c2 holds the lock now: two clients wrote under "
                           "one lock, and nothing in Redlock could have told the store.")

SCENARIOS = (
    Scenario(
        name="happy",
        description="Two clients take turns: each takes the key on a majority of five nodes, writes, releases.",
        captions=(
            Caption(match={"kind": "send", "message.type": "set"},
                    text="A client asks all five nodes to SET the lock key to its own random value, only if the "
                         "key is absent (NX), with a time to live (PX)."),
            Caption(match=C1_HOLDS,
                    text="c1 has OK from a majority, and the attempt took less than the TTL minus the allowed "
                         "clock drift: it holds the lock for the time left."),
            Caption(match={"kind": "send", "message.type": "unlock"},
                    text="Done: c1 releases on every node, deleting the key only where it still holds c1's "
                         "value (a compare-and-delete script)."),
        ),
    ),
    Scenario(
        name="process-pause",
        description="c1 checks its lock, then pauses (a GC pause) past the TTL; c2 takes the lock and writes; "
                    "c1 wakes and writes too.",
        params=ONE_WRITE_EACH,
        faults=(
            C2_APART, C2_BACK,
            *PAUSE_C1_PAST_C2S_WRITE,
        ),
        captions=(
            Caption(match={"kind": "pause", "node": "c1"},
                    text="c1 checked its lock (time left) and stops for a long pause, between the check and "
                         "the write."),
            Caption(match={"kind": "state", "node": "c2", "state.phase": "holding"},
                    text="c1's keys expired on every node: c2 takes the lock, by the rules."),
            Caption(match={"kind": "resume", "node": "c1"},
                    text="c1 wakes up. It does not know it slept: it sends the write it was about to send."),
            TWO_WRITERS,
        ),
    ),
    Scenario(
        name="process-pause-fenced",
        description="The same pause with counter tokens: each node counts its grants, the lock's token is the "
                    "majority's highest count, and the store refuses c1's late write.",
        params={**ONE_WRITE_EACH, "fencing": "counter"},
        faults=(
            C2_APART, C2_BACK,
            *PAUSE_C1_PAST_C2S_WRITE,
        ),
        captions=(
            Caption(match=C1_HOLDS,
                    text="With fencing=counter every OK carries the node's count of grants; c1's token is the "
                         "highest count of its majority."),
            Caption(match={"kind": "send", "node": "store", "message.type": "write_refused"},
                    text="c1's write carries a token lower than c2's, which the store has seen: refused. The "
                         "counts of any two majorities meet on one node, so tokens only grow, as long as no "
                         "node forgets its count."),
        ),
    ),
    Scenario(
        name="clock-jump",
        description="c1 holds the key on r1, r2, r3; r3's clock jumps forward, so its key expires early, and "
                    "c2 takes r3, r4, r5: two majorities.",
        params={**ONE_WRITE_EACH, "work_ms": 100},
        faults=(
            C1_WITH_THREE,
            {"action": "clock", "node": "r3", "offset_ms": 200, "after": C1_HOLDS},
            {"action": "heal", "after": C1_HOLDS, "delay_ms": 1},
        ),
        captions=(
            Caption(match={"kind": "partition"},
                    text="A partition: c1 reaches r1, r2 and r3 only, c2 reaches r4 and r5."),
            Caption(match=C1_HOLDS, text="c1 holds the lock on r1, r2 and r3, a majority of five."),
            Caption(match={"kind": "clock", "node": "r3"},
                    text="r3's clock jumps 200 ms forward (an operator, or NTP stepping the clock): by r3's "
                         "clock, c1's key has already expired."),
            Caption(match={"kind": "violation", "invariant": "mutual-exclusion"},
                    text="The partition heals and c2 takes r3, r4 and r5: two clients each hold a majority. "
                         "Redlock's safety rests on clocks that do not jump."),
        ),
    ),
    Scenario(
        name="restart-without-persistence",
        description="r3 restarts without persistence while c1 holds the lock, forgets c1's key, and c2 takes "
                    "a majority with it.",
        params={**ONE_WRITE_EACH, "work_ms": 100},
        faults=(
            C1_WITH_THREE,
            *restart_while_c1_holds("r3"),
            {"action": "heal", "after": C1_HOLDS, "delay_ms": 2},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "r3"},
                    text="r3 crashes just after c1 took the lock on r1, r2 and r3."),
            Caption(match={"kind": "recover", "node": "r3"},
                    text="r3 restarts with no persistence: c1's key is gone. (With persistence=always it "
                         "would come back from the append-only file.)"),
            Caption(match={"kind": "violation", "invariant": "mutual-exclusion"},
                    text="c2 takes r3, r4 and r5: a second majority while c1 still holds the first. Antirez's "
                         "remedy: keep a restarted node out for one TTL (delayed restarts)."),
        ),
    ),
    Scenario(
        name="unsafe-release",
        description="With a plain DEL as the release, a client deletes keys other clients set: c2's failed "
                    "attempt deletes c1's key, and c1's slow work outlives its own.",
        params={**ONE_WRITE_EACH, "release": "delete", "redis_nodes": 1,
                "work_ms": 300},
        faults=C2_APART_FROM_ONE_NODE,
        captions=(
            Caption(match=C1_HOLDS, text="c1 holds the lock, and will work longer than its TTL."),
            Caption(match={"kind": "violation", "invariant": "foreign-release"},
                    text="A plain DEL deletes whatever key is there: a client has just deleted a key another "
                         "client set, releasing someone else's lock. The release must compare the value first "
                         "(a Lua script), atomically."),
        ),
    ),
    Scenario(
        name="single-instance-crash",
        description="One Redis instance, no persistence: it restarts while c1 holds the lock, and c2 takes it "
                    "too.",
        params={**ONE_WRITE_EACH, "redis_nodes": 1, "work_ms": 100},
        faults=(
            *C2_APART_FROM_ONE_NODE,
            *restart_while_c1_holds("r1"),
        ),
        captions=(
            Caption(match={"kind": "recover", "node": "r1"},
                    text="The single instance restarts empty: the lock it held for c1 is forgotten."),
            Caption(match={"kind": "violation", "invariant": "mutual-exclusion"},
                    text="c2 asks, and the empty instance gives it the lock while c1's is still valid."),
        ),
    ),
    Scenario(
        name="fenced-restart",
        description="Counter tokens on a single instance that restarts without persistence: its count starts "
                    "again from zero, so c2's token equals paused c1's, and the store takes c1's late write.",
        params={**ONE_WRITE_EACH, "redis_nodes": 1, "fencing": "counter"},
        faults=(
            *C2_APART_FROM_ONE_NODE,
            *restart_while_c1_holds("r1"),
            *PAUSE_C1_PAST_C2S_WRITE,
        ),
        captions=(
            Caption(match={"kind": "recover", "node": "r1"},
                    text="The instance restarts empty: the key and its count of grants are gone."),
            Caption(match={"kind": "violation", "invariant": "stale-write-accepted"},
                    text="c2's token is 1 again, as c1's was: the store cannot tell the two holders apart and "
                         "takes c1's late write after c2's. A fencing token is only as good as the counter behind "
                         "it: it must never go back (a consensus service's, not a forgetful cache's)."),
        ),
    ),
)
