"""Named G-counter and PN-counter scenarios (the same plans serve both counters)."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

R1_SECOND_ACK = {"kind": "send", "src": "r1", "message.type": "add_ok", "message.body.op": 2}
"""r1 acknowledges c1's second operation: the moment to pull the plug on it."""

_PARTITION = {"action": "partition", "groups": [["c1", "r1"], ["c2", "c3", "r2", "r3"]], "at_ms": 10}
_HEAL = {"action": "heal", "at_ms": 600}


def _crash_captions(durable: bool) -> tuple[Caption, ...]:
    lost = ("r1 crashes. Without a durable log its vector dies with it: the operations it acknowledged "
            "but had not gossiped yet are gone.")
    kept = "r1 crashes right after acknowledging c1's second operation; its vector is safe in its log."
    back = ("r1 restarts with an empty vector. Its peers may remember a bigger copy of r1's entry than r1 "
            "itself now does: the merge's maximum will swallow r1's next increments.")
    back_durable = "r1 restarts and reads its vector back from the log: nothing acknowledged is lost."
    life = (
        Caption(match={"kind": "crash", "node": "r1"}, text=kept if durable else lost),
        Caption(match={"kind": "recover", "node": "r1"}, text=back_durable if durable else back),
    )
    if durable:
        return (*life, Caption(match={"kind": "state", "state.phase": "quiet"},
                               text="Gossip stops at the horizon: every replica holds the same vectors, and they "
                                    "count every acknowledged operation."))
    return (
        *life,
        Caption(match={"kind": "violation", "invariant": "no-lost-updates"},
                text="The lost-update detector points at the step that lost acknowledged operations."),
        Caption(match={"kind": "violation", "invariant": "converges-to-acknowledged"},
                text="At the end the replicas agree with each other, but not with what the clients were told."),
    )


SCENARIOS = (
    Scenario(
        name="partition-and-heal",
        description="r1 and its client are cut off from the rest; both sides keep counting; after the heal, "
                    "gossip merges the vectors and every replica reaches the exact sum.",
        params={"clients": 3, "replicas": 3, "duration_ms": 1500},
        faults=(_PARTITION, _HEAL),
        captions=(
            Caption(match={"kind": "partition"},
                    text="The network splits: r1 (with c1) on one side, r2 and r3 (with c2, c3) on the other. "
                         "Both sides still accept increments: a CRDT never refuses a write."),
            Caption(match={"kind": "drop", "reason": "partition", "message.type": "gossip"},
                    text="Gossip cannot cross the partition: the two sides' vectors drift apart."),
            Caption(match={"kind": "deliver", "message.type": "read_ok"},
                    text="A client reads its own replica's value: during the partition each side sees only "
                         "part of the count."),
            Caption(match={"kind": "heal"},
                    text="The partition heals. Gossip now carries each side's entries across; the pointwise "
                         "maximum loses nothing and counts nothing twice."),
        ),
    ),
    Scenario(
        name="crash-recover",
        description="r1 crashes right after acknowledging c1's second operation and restarts without a "
                    "durable log: acknowledged operations are lost, and the detectors say where.",
        params={"durable": False, "duration_ms": 1500},
        faults=(
            {"action": "crash", "node": "r1", "after": R1_SECOND_ACK},
            {"action": "recover", "node": "r1", "after": {"kind": "crash", "node": "r1"}, "delay_ms": 250},
        ),
        captions=_crash_captions(durable=False),
    ),
    Scenario(
        name="crash-recover-durable",
        description="The same crash with durable replicas: r1 forces its vector before each acknowledgement "
                    "and recovers it, so nothing is lost.",
        params={"durable": True, "duration_ms": 1500},
        faults=(
            {"action": "crash", "node": "r1", "after": R1_SECOND_ACK},
            {"action": "recover", "node": "r1", "after": {"kind": "crash", "node": "r1"}, "delay_ms": 250},
        ),
        captions=_crash_captions(durable=True),
    ),
)
