"""Named session-guarantees scenarios: each a script, its replicas' lags and its narration.

Timing (the defaults): messages take 5 to 20 ms, clients think 20 ms, a
client waits 100 ms for a replica before it reads at the primary. Each
story is scripted (``ops_per_client=0`` leaves unscripted clients idle) and
reads in turn (``read_from=round-robin``), so ``c1`` reads ``r1`` first, then ``r2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.spec import Caption, Scenario

Pattern = Mapping[str, Any]

ONE_REPLICA_LATE = {"replicas": 1, "lags_ms": "200", "script": "c1: w k0, r k0", "clients": 1}
"""c1 writes k0, then reads it at r1, which applies the log 200 ms late."""
TWO_LAGS = {"replicas": 2, "lags_ms": "0,300", "clients": 2, "script": "c1: r k1, r k1, r k0, r k0; c2: w k0"}
"""c2 writes k0; r1 applies it at once, r2 300 ms late. c1 reads k1 twice (r1, r2), then k0 at r1 (the new
value) and at r2 (the old one)."""


def _story(name: str, description: str, *captions: tuple[Pattern, str], params: Pattern) -> Scenario:
    """Return a scenario from its narration, each caption a (pattern, text) pair."""
    return Scenario(name=name, description=description,
                    params={"ops_per_client": 0, "read_from": "round-robin", **params},
                    captions=tuple(Caption(match=match, text=text) for match, text in captions))


def _violation(name: str) -> Pattern:
    return {"kind": "violation", "invariant": name}


WRITE_OK: Pattern = {"kind": "deliver", "message.type": "write_ok"}
HELD_ANSWER: Pattern = {"kind": "persist", "node": "r1", "record.type": "apply"}
REDIRECTED: Pattern = {"kind": "send", "message.type": "read", "dst": "primary"}

SCENARIOS = (
    _story("ryw-violated", "c1 writes k0 through the primary, then reads it back at r1, a replica 200 ms behind: "
                           "without a session guarantee it reads the value from before its own write.",
           (WRITE_OK, "The primary logs c1's write at position 1 and acknowledges it; the entry is on its way to "
                      "r1, which will hold it 200 ms before applying it."),
           ({"kind": "send", "message.type": "read", "dst": "r1"},
            "c1 reads k0 at r1. Nothing tells r1 what c1 has written."),
           (_violation("read-your-writes"), "r1 has applied nothing yet and answers ∅: c1 does not see its own "
                                            "write."),
           params={**ONE_REPLICA_LATE, "guarantee": "none"}),
    _story("ryw-session-token", "The same write and read with a session token: r1 holds the read until it has "
                                "applied position 1, then answers with c1's write.",
           (WRITE_OK, "The write is at position 1: c1's session token is now 1."),
           ({"kind": "send", "message.type": "read", "dst": "r1"},
            "c1 reads k0 at r1 with token 1. r1 has applied nothing: it holds the read."),
           (HELD_ANSWER, "r1 applies position 1 after its lag and answers the held read: c1 reads its own write, "
                         "at the price of the wait."),
           params={**ONE_REPLICA_LATE, "guarantee": "session-token", "wait_ms": 400}),
    _story("monotonic-violated", "c2 writes k0; r1 applies it at once, r2 300 ms later. c1 reads k0 at r1 (the new "
                                 "value), then at r2 (the old one): its reads go back in time.",
           (WRITE_OK, "c2's write of k0 is at position 1. r1 applies it on arrival; r2 will take 300 ms."),
           ({"kind": "deliver", "node": "c1", "message.type": "read_ok", "message.body.value": "c2:1"},
            "c1 reads k0 at r1 and sees c2's write: its session has seen the log to position 1."),
           (_violation("monotonic-reads"), "c1's next read goes to r2, which has applied nothing: k0 is ∅ again. "
                                           "The read went back in time."),
           params={**TWO_LAGS, "guarantee": "none"}),
    _story("monotonic-session-token", "The same reads with a session token: r2 is too far behind c1's token, so "
                                      "after waiting 100 ms c1 reads at the primary instead.",
           ({"kind": "deliver", "node": "c1", "message.type": "read_ok", "message.body.value": "c2:1"},
            "c1 reads k0 at r1 and sees c2's write at position 1: its session token is now 1."),
           ({"kind": "send", "message.type": "read", "dst": "r2", "message.body.token": 1},
            "c1 reads k0 at r2 with token 1; r2 has applied nothing and holds the read."),
           (REDIRECTED, "r2 has not caught up in 100 ms: c1 stops waiting and reads at the primary, which has "
                        "every write. Its reads never go back."),
           params={**TWO_LAGS, "guarantee": "session-token"}),
    _story("primary-reads", "The same reads, all at the primary: no anomaly, but every read and every write is "
                            "the primary's work, and the replicas serve nobody.",
           ({"kind": "send", "message.type": "read", "dst": "primary"},
            "Every read goes to the primary, which has every write: nothing to miss, nothing to go back to."),
           ({"kind": "deliver", "node": "c1", "message.type": "read_ok", "message.body.value": "c2:1"},
            "c1 reads c2's write from the primary. The replicas apply the log for nobody."),
           params={**TWO_LAGS, "guarantee": "primary-reads"}),
)
