"""Named ZooKeeper lock scenarios: a queue of waiters, a holder whose session expires, the herd."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.spec import Caption, Scenario

C1_HOLDS = {"kind": "state", "node": "c1", "state.phase": "holding"}
C2_HOLDS = {"kind": "state", "node": "c2", "state.phase": "holding"}
C2_LATE = ({"action": "pause", "node": "c2", "at_ms": 0}, {"action": "resume", "node": "c2", "after": C1_HOLDS})
"""c2 starts late (held at the start, let go once c1 holds), so that c1 is the first holder whatever the seed."""
NOTIFIED = {"kind": "send", "src": "zk", "message.type": "watch"}


def _sent(type_: str) -> dict[str, Any]:
    return {"kind": "send", "message.type": type_}


def _told(*story: tuple[Mapping[str, Any], str]) -> tuple[Caption, ...]:
    """Captions from (pattern, narration) pairs, in the order the run should reach them."""
    return tuple(Caption(match=dict(pattern), text=text) for pattern, text in story)


PASSED_ON = (NOTIFIED, "c1's node is gone: the service notifies the one client watching it, c2.")


def _pause(fencing: str) -> Scenario:
    fenced = fencing == "on"
    outcome = (({"kind": "send", "src": "store", "message.type": "error"},
                "The store has applied a write under a higher token, so it refuses c1's: c1's lock node is "
                "older than the current holder's. The czxid is a fencing token.") if fenced else
               ({"kind": "violation", "invariant": "stale-write-accepted"},
                "Without fencing the store applies c1's write after c2's: two clients wrote under one lock, "
                "and c1 never knew it had lost it."))
    return Scenario(
        name="session-expires-in-pause" + ("" if fenced else "-unfenced"),
        description="c1 holds the lock and is paused (a GC pause) longer than its session timeout: the "
                    "service expires the session and deletes c1's node, c2 takes the lock and writes, c1 wakes "
                    "and writes. " + ("The store refuses c1's older token." if fenced
                                      else "Without fencing the store accepts it."),
        params={"clients": 2, "writes_per_client": 1, "fencing": fencing},
        faults=(*C2_LATE, {"action": "pause", "node": "c1", "after": C1_HOLDS},
                {"action": "resume", "node": "c1", "after": {"kind": "persist", "node": "store"}, "delay_ms": 5}),
        captions=_told(
            ({"kind": "pause", "node": "c1"}, "c1's node is the lowest: it holds the lock, and is paused right "
                                              "away. Paused, it sends no pings."),
            ({"kind": "note", "node": "zk"}, "The service counts sessions down every tick: c1's has gone "
                                             "unheard for the timeout, so it expires, and c1's ephemeral node is "
                                             "deleted with it."),
            PASSED_ON,
            (C2_HOLDS, "c2's node is the lowest now: c2 holds the lock, by the rules."),
            ({"kind": "resume", "node": "c1"}, "c1 wakes. It does not know it slept: its work is done, so it "
                                               "writes, under its old token."),
            outcome),
    )


def _crowd(herd: bool) -> Scenario:
    how = ("The herd: every waiter watches /lock's children, so every change wakes them all." if herd else
           "The recipe: each waiter watches its predecessor, so a release wakes one.")
    woken = ("A child of /lock changed: every waiter's parent watch fires, and each lists the children again, "
             "although only one can take the lock." if herd else
             "A node went: one notification, to the one client next in line.")
    params: dict[str, Any] = {"clients": 5, "writes_per_client": 1, "think_ms": 0}
    return Scenario(name="many-waiters-herd" if herd else "many-waiters",
                    description="Five clients queue at once. " + how,
                    params={**params, "watch": "herd"} if herd else params, captions=_told((NOTIFIED, woken)))


TAKE_TURNS = Scenario(
    name="take-turns",
    description="Three clients queue for the lock: each creates an ephemeral sequential node, and each waiter "
                "watches only the node just before its own.",
    captions=_told(
        (_sent("create"), "A client creates /lock/n- with EPHEMERAL_SEQUENTIAL: the service appends a sequence "
                          "number and records the creation's zxid, the future fencing token."),
        (_sent("exists"), "Not the lowest: the client watches only its predecessor (exists with a watch), not "
                          "the whole queue, so a release wakes one client."),
        (_sent("write"), "The holder writes, carrying its node's czxid as the token."),
        (_sent("delete"), "Release: the holder deletes its node, which fires its successor's watch.")),
)

HOLDER_PARTITION = Scenario(
    name="holder-partition",
    description="c1 holds the lock and is cut off from the service: it hears no pong, suspends by its own "
                "timer before the service expires its session, and stops acting; c2 takes over.",
    params={"clients": 2, "writes_per_client": 1, "work_ms": 300, "max_sessions": 5},
    faults=(*C2_LATE, {"action": "partition", "groups": [["c1"], ["zk", "c2", "store"]], "after": C1_HOLDS},
            {"action": "heal", "after": C2_HOLDS}),
    captions=_told(
        ({"kind": "partition"}, "A partition cuts c1, the holder, off while it works: its pings are lost."),
        ({"kind": "state", "node": "c1", "state.phase": "connecting"},
         "c1 has heard nothing for two thirds of the session timeout: suspended, it treats the lock as lost and "
         "stops acting, before the service can expire its session. A write already on its way would still land "
         "late: only fencing stops that one."),
        PASSED_ON,
        (C2_HOLDS, "The service expired c1's session: c2 holds the lock.")),
)

HOLDER_CRASH = Scenario(
    name="holder-crash",
    description="c1 crashes while it holds the lock: its session expires, its node goes with it, and c2 takes "
                "the lock without anyone releasing it.",
    params={"clients": 2, "writes_per_client": 1},
    faults=(*C2_LATE, {"action": "crash", "node": "c1", "after": C1_HOLDS},
            {"action": "recover", "node": "c1", "after": C2_HOLDS, "delay_ms": 10}),
    captions=_told(({"kind": "crash", "node": "c1"}, "c1 crashes holding the lock."), PASSED_ON,
                   (C2_HOLDS, "The ephemeral node went with c1's session: c2 holds the lock, no lease had to be "
                              "guessed.")),
)

SCENARIOS = (TAKE_TURNS, _pause("on"), _pause("off"), HOLDER_PARTITION, HOLDER_CRASH, _crowd(False), _crowd(True))
