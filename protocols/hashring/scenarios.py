"""Named consistent-hashing scenarios: a node joins, a node leaves, a hot key, modulo hashing."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

ROUTED = Caption(match={"kind": "send", "src": "ring", "message.type": "get"},
                 text="The router hashes the key onto the ring: the first virtual node clockwise owns it.")

SCENARIOS = (
    Scenario(
        name="add-node",
        description="cache5 joins a ring of four: about a fifth of the keys move to it; modulo hashing "
                    "would move about four fifths.",
        params={"keys": 100, "distribution": "zipf", "clients": 3, "ops_per_client": 16, "join_at_ms": 400,
                "join_node": "cache5"},
        captions=(
            ROUTED,
            Caption(match={"kind": "timer", "node": "ring", "timer": "join"},
                    text="cache5 joins: its virtual nodes land between the others' points on the ring."),
            Caption(match={"kind": "persist", "node": "ring"},
                    text="Only keys now falling before one of cache5's points move, all of them to cache5; "
                         "the note compares with modulo hashing."),
            Caption(match={"kind": "send", "src": "ring", "dst": "cache5"},
                    text="The first request routed to cache5: it starts empty, so it misses and asks the "
                         "database."),
        ),
    ),
    Scenario(
        name="remove-node",
        description="cache2 leaves a ring of four: only its keys move, spread over the three others.",
        params={"keys": 100, "distribution": "zipf", "clients": 3, "ops_per_client": 16, "leave_at_ms": 400,
                "leave_node": "cache2"},
        captions=(
            ROUTED,
            Caption(match={"kind": "timer", "node": "ring", "timer": "leave"},
                    text="cache2 leaves: each of its keys goes to the next point clockwise, owned by "
                         "one of the others."),
            Caption(match={"kind": "deliver", "dst": "cache2", "message.type": "view"},
                    text="cache2 learns it is out of the ring and drops everything it held."),
        ),
    ),
    Scenario(
        name="hot-key",
        description="A Zipf workload hammers a few keys: one cache takes most of the load however "
                    "many virtual nodes there are.",
        params={"keys": 100, "distribution": "zipf", "zipf_s": 1.6, "clients": 6, "ops_per_client": 10},
        captions=(
            Caption(match={"kind": "send", "src": "ring", "message.body.key": "k0"},
                    text="k0 is the hot key: every request for it goes to the same cache. Hashing spreads "
                         "keys, not load."),
            Caption(match={"kind": "send", "message.type": "read_ok", "message.body.hit": True},
                    text="A hit: the hot key stays in its cache, so most reads never reach the database."),
        ),
    ),
    Scenario(
        name="modulo-hashing",
        description="Placement by hash mod n: one join moves most keys between nodes that did not change, "
                    "and the checker says so.",
        params={"placement": "modulo", "keys": 100, "clients": 3, "ops_per_client": 12, "join_at_ms": 300,
                "join_node": "cache5"},
        captions=(
            Caption(match={"kind": "timer", "node": "ring", "timer": "join"},
                    text="cache5 joins, and n goes from 4 to 5: hash mod 5 differs from hash mod 4 for "
                         "most keys."),
            Caption(match={"kind": "violation"},
                    text="Caught: keys moved between nodes that stayed, which consistent hashing never does."),
        ),
    ),
    Scenario(
        name="add-node-10k",
        description="10,000 keys, 100 virtual nodes per cache: a fifth node takes about 2,000 of them; "
                    "modulo hashing would move about 8,000.",
        params={"keys": 10_000, "vnodes": 100, "clients": 2, "ops_per_client": 6, "join_at_ms": 100},
        captions=(
            Caption(match={"kind": "persist", "node": "ring"},
                    text="Count the moves in the note: about one key in five on the ring, four in five "
                         "with modulo hashing."),
        ),
    ),
)
