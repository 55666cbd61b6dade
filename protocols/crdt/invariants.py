"""What the state-based counters guarantee, and exactly when they do not.

``own-entry-freshest`` (state): a replica is the only writer of its own
entry, so no replica holds a bigger copy of entry r than r itself. This
holds for every replica that is up and never restarted empty; with
``durable`` it holds across crashes too, because the vectors are forced
before the acknowledgement leaves (a half-finished step that was never
forced was never seen by anyone). A replica that restarted empty
(``amnesia``) is exempt: the peers may remember more of its entry than it
does, which is exactly the danger the lost-update detector watches.

``entries-never-decrease`` (transition): adding and merging only raise
entries. A recovery is exempt: it rebuilds from the log (losing an
unforced last step) or, without durability, from nothing.

``no-lost-updates`` (history): an operation a replica acknowledged must stay
visible in some live replica's copy of that replica's entry. It fails when
a replica restarts empty having acknowledged operations no peer has seen,
and when a replica with amnesia counts new operations into an entry the
peers already hold at a larger value: the merge's maximum swallows them.

``converges-to-acknowledged`` (liveness, at a healthy ending): every
replica holds the same vectors, and their value is the acknowledged
increments minus the acknowledged decrements. P and N are judged apart (a
lost increment and a lost decrement must not hide each other), and an
operation a client gave up waiting for may or may not be counted: with
every client done, the counts must equal the acknowledged ones exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.base import State
from protocols.common.counter_clients import acknowledged_and_issued
from protocols.spec import Finding, Invariant, NodeView

KINDS = ("p", "n")
WORD = {"p": "increment", "n": "decrement"}


def _replicas(views: Mapping[str, NodeView]) -> list[tuple[str, NodeView]]:
    return [(n, v) for n, v in views.items() if v.role == "replica" and "p" in v.state]


def own_entry_freshest(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """No replica holds a bigger copy of r's entry than r, for r up and never restarted empty."""
    reps = _replicas(views)
    for name, view in reps:
        if not view.up or view.state.get("amnesia"):
            continue
        for kind in KINDS:
            own = view.state.get(kind, {}).get(name, 0) if kind in view.state else None
            if own is None:
                continue
            for other, other_view in reps:
                theirs = other_view.state.get(kind, {}).get(name, 0)
                if other != name and theirs > own:
                    yield Finding(nodes=(name, other), id="copy-above-own",
                                  data={"other": other, "node": name, "vector": kind.upper(), "theirs": theirs,
                                        "own": own})


def entries_never_decrease(node: str, before: State, after: State, cause: str) -> Finding | None:
    """Outside a recovery, no entry of any vector goes down."""
    if cause == "recover" or "p" not in after:
        return None
    for kind in KINDS:
        old, new = before.get(kind) or {}, after.get(kind) or {}
        for key, value in old.items():
            if new.get(key, 0) < value:
                return Finding(nodes=(node,), id="entry-went-down",
                               data={"node": node, "vector": kind.upper(), "key": key, "was": value,
                                     "now": new.get(key, 0), "cause": cause})
    return None


def no_lost_updates(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """Every acknowledged operation stays visible in some live replica's copy of its entry."""
    kind, node = event["kind"], event.get("node", "")
    vectors = memo.setdefault("v", {})
    if kind == "crash":
        memo.setdefault("down", []).append(node)
    elif kind == "recover":
        memo["down"] = [n for n in memo.get("down", []) if n != node]
    elif kind == "state" and "p" in event["state"]:
        vectors[node] = {k: event["state"][k] for k in KINDS if k in event["state"]}
        if event.get("cause") == "recover":
            yield from _losses(node, event["seq"], memo, "restarted")
    elif kind == "send" and event["message"]["type"] == "add_ok" and event["message"]["body"].get("applied"):
        which = "n" if event["message"]["body"].get("delta", 1) < 0 else "p"
        acked = memo.setdefault("acked", {}).setdefault(node, {"p": 0, "n": 0})
        acked[which] += 1
        yield from _losses(node, event["seq"], memo, "counted")


def _losses(node: str, seq: int, memo: dict[str, Any], how: str) -> Iterator[Finding]:
    acked = memo.get("acked", {}).get(node, {"p": 0, "n": 0})
    down = set(memo.get("down", []))
    reported = memo.setdefault("lost", {}).setdefault(node, {"p": 0, "n": 0})
    for kind in KINDS:
        visible = max((v.get(kind, {}).get(node, 0) for n, v in memo["v"].items() if n not in down), default=0)
        lost = acked[kind] - visible
        if lost > reported[kind]:
            reported[kind] = lost
            yield Finding(nodes=(node,), id=f"{how}-lost-{WORD[kind]}", cause_seq=seq,
                          data={"node": node, "lost": lost, "visible": visible})


def converges_to_acknowledged(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """At a healthy ending, all replicas agree and count what was acknowledged."""
    reps = _replicas(views)
    if not reps:
        return
    first_name, first = reps[0]
    differ = [n for n, v in reps if any(v.state.get(k) != first.state.get(k) for k in KINDS)]
    if differ:
        yield Finding(nodes=(first_name, *differ), id="replicas-disagree", data={"first": first_name, "others": differ})
        return
    acked, issued = acknowledged_and_issued(v.state for v in views.values() if v.role == "client")
    counted = {k: sum((first.state.get(k) or {}).values()) for k in KINDS}
    # P and N are judged apart: a lost increment and a lost decrement must not hide each other.
    if any(not acked[k] <= counted[k] <= issued[k] for k in KINDS):
        value, want = counted["p"] - counted["n"], acked["p"] - acked["n"]
        data = {"value": value, "want": want, "inc": counted["p"], "dec": counted["n"], "acked_inc": acked["p"],
                "acked_dec": acked["n"]}
        yield Finding(nodes=tuple(n for n, _ in reps), id="agree-on-wrong-count" if "n" not in first.state
                      else "agree-on-wrong-net", data=data)


INVARIANTS = (
    Invariant(name="own-entry-freshest", kind="state", check=own_entry_freshest,
              description="No replica holds a bigger copy of r's entry than r itself (r up, never restarted "
                          "empty).",
              findings={"copy-above-own": "{other} holds {node}'s {vector} entry at {theirs}, more than {node}'s own "
                                          "{own}"}),
    Invariant(name="entries-never-decrease", kind="transition", check=entries_never_decrease,
              description="Outside a recovery, no vector entry ever goes down.",
              findings={"entry-went-down": "{node}'s {vector} entry for {key} went down from {was} to {now} "
                                           "(on {cause})"}),
    Invariant(name="no-lost-updates", kind="history", check=no_lost_updates,
              description="Every acknowledged operation stays visible in some live replica's copy of its "
                          "entry.",
              findings={
                  "restarted-lost-increment": "{node} restarted without its log: {lost} acknowledged increment(s) "
                                              "it had counted were seen by no other replica and are gone",
                  "restarted-lost-decrement": "{node} restarted without its log: {lost} acknowledged decrement(s) "
                                              "it had counted were seen by no other replica and are gone",
                  "counted-lost-increment": "{node} counted an acknowledged increment, but a peer holds {node}'s "
                                            "entry at {visible}, so the merge's maximum hides it: {lost} "
                                            "increment(s) lost",
                  "counted-lost-decrement": "{node} counted an acknowledged decrement, but a peer holds {node}'s "
                                            "entry at {visible}, so the merge's maximum hides it: {lost} "
                                            "decrement(s) lost"}),
    Invariant(name="converges-to-acknowledged", kind="liveness", check=converges_to_acknowledged,
              description="With everyone up and the network whole, all replicas end equal, at the "
                          "acknowledged increments minus the acknowledged decrements.",
              findings={
                  "replicas-disagree": "replicas still disagree at the end: {first} and {others}",
                  "agree-on-wrong-count": "the replicas agree on {value}, but the acknowledged operations add up "
                                          "to {want}",
                  "agree-on-wrong-net": "the replicas agree on {value}, but the acknowledged operations add up to "
                                        "{want} ({inc} increments and {dec} decrements counted, {acked_inc} and "
                                        "{acked_dec} acknowledged)"}),
)
