"""Named sharded-counter scenarios: the cheap increment, the dear read, and a shard that fails."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

FIRST_READ = {"kind": "send", "message.type": "read"}
"""A client starts fanning out its read: the moment to take a shard away."""

SCENARIOS = (
    Scenario(
        name="fan-out-read",
        description="Each increment costs one shard a message; each read asks every shard and adds the answers.",
        captions=(
            Caption(match={"kind": "send", "message.type": "add"},
                    text="An increment goes to one shard only: the client hashes a random sub-key onto the "
                         "ring. Writes spread over the shards, so they scale."),
            Caption(match=FIRST_READ,
                    text="A read must ask every shard (K requests, K answers) and add up their shares: reads "
                         "get dearer as the counter scales out."),
            Caption(match={"kind": "state", "state.phase": "done"},
                    text="Every shard answered: the sum is the count."),
        ),
    ),
    Scenario(
        name="shard-down",
        description="s2 crashes as the first read fans out: that read can only return a partial sum, and "
                    "says so; s2's log brings its count back when it recovers.",
        params={"shards": 3, "durable": True},
        faults=(
            {"action": "crash", "node": "s2", "after": FIRST_READ},
            {"action": "recover", "node": "s2", "after": {"kind": "crash", "node": "s2"}, "delay_ms": 500},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "s2"},
                    text="s2 crashes while a read is being fanned out: its share of the count is unreachable."),
            Caption(match={"kind": "timer", "timer": "retry"},
                    text="The reader asks the silent shard again; after three tries it settles for a partial "
                         "sum that names the missing shard, rather than a wrong total or no answer at all."),
            Caption(match={"kind": "recover", "node": "s2"},
                    text="s2 recovers its count from its log: reads are complete again, and nothing was lost."),
        ),
    ),
    Scenario(
        name="volatile-shard",
        description="Shards keep no log: s3 crashes after acknowledging an increment and comes back at zero, "
                    "so a complete read later comes up short and the detector flags it.",
        params={"durable": False},
        faults=(
            {"action": "crash", "node": "s3", "after": {"kind": "send", "src": "s3", "message.type": "add_ok"}},
            {"action": "recover", "node": "s3", "after": {"kind": "crash", "node": "s3"}, "delay_ms": 60},
        ),
        captions=(
            Caption(match={"kind": "crash", "node": "s3"},
                    text="s3 crashes right after acknowledging an increment; without a log its count dies with it."),
            Caption(match={"kind": "recover", "node": "s3"},
                    text="s3 comes back counting from zero: the acknowledged increment is gone."),
            Caption(match={"kind": "violation", "invariant": "read-sum-bounded"},
                    text="A read that every shard answered sums less than what was acknowledged: a lost update."),
        ),
    ),
)
