"""What the counters and locks promise, and the detectors that catch them breaking it.

History detectors watch the log in order and keep what they need in ``memo``:

- ``lost-update``: every increment has an id (``c1#2``). The detector follows
  which increments the store's value contains: a read hands its client the
  set the store holds when the read arrives (every read of the client's
  current increment is remembered, retries included); a write applied by the store
  (its ``persist``) replaces the set with the set its client read plus its own
  increment. An increment that an applied write drops is *overwritten*; once
  it is (or was already) acknowledged to its client, it is a lost update, and
  the finding points (``cause_seq``) at the delivery of the overwriting write.
  Each increment is reported once (one read before the loss may write it
  back, and a later write lose it again).
- ``stale-write-accepted``: a write the store applied with a token lower than
  the highest it had seen; with fencing off, also a write whose lease the lock
  had already ended (expired, released, or superseded by a newer grant).
  Whether the store fences is the run's parameter (``memo["params"]``).
- ``tokens-increase``: every grant carries a token higher than any before
  (the same holder may be granted its own token again).
- ``one-believer-at-a-time``: two clients that, at the same virtual time,
  both believe they hold a valid lease: each judged by its *own* clock
  (``lease_until`` against its local time, rebuilt from ``clock`` events), and
  a client that has checked its lease and committed to write (``committing``)
  believes until it writes. The lock service cannot prevent this under pauses
  and clock skew; it is what makes fencing necessary.

A state invariant, ``lock-single-holder``, checks the lock service's own view:
its lease table never holds two leases. ``clients-finish`` (liveness): with
everything up and connected, every client ends its workload.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.counters.params import LOCK, STORE, store_fences
from protocols.spec import Finding, Invariant, NodeView

Event = Mapping[str, Any]
Memo = dict[str, Any]

READS_KEPT = 4
"""Reads remembered per client when reads do not name their increment: a write is based on one of
its client's last few reads."""

ACTING = "committing"
"""The phase of a client that has checked its lease and will write without looking at its clock again."""


def _message(event: Event) -> Mapping[str, Any]:
    message = event.get("message")
    return message if isinstance(message, Mapping) else {}


# ------------------------------------------------------------ lost update


def lost_update(event: Event, memo: Memo) -> Iterator[Finding]:
    """Report each acknowledged increment that a write overwrote, pointing at that write."""
    kind, node = event["kind"], event.get("node")
    if kind == "deliver" and node == STORE:
        message = _message(event)
        if message.get("type") == "read":
            _remember_read(message, memo)
        elif message.get("type") == "write":
            memo["write_seq"] = event["seq"]
    elif kind == "persist" and node == STORE and event["record"].get("type") == "write":
        yield from _applied(event["record"], memo)
    elif kind == "deliver" and _message(event).get("type") == "write_ok":
        inc = _message(event).get("body", {}).get("op")
        acked = memo.setdefault("acked", [])
        if inc is not None and inc not in acked:
            acked.append(inc)
            overwritten = memo.setdefault("overwritten", {})
            if inc in overwritten:
                yield from _lost(inc, overwritten.pop(inc), memo)


def _remember_read(message: Mapping[str, Any], memo: Memo) -> None:
    """Note which increments a read saw, keeping every read of the client's current increment.

    A write names the read it is based on, and that may be the first of
    several retries (its answer came after the client had asked again): all
    reads of the increment are kept, the previous increment's forgotten.
    Reads that do not name their increment (traces from before they did)
    keep the last READS_KEPT.
    """
    src, op = message["src"], (message.get("body") or {}).get("op")
    reads = memo.setdefault("reads", {}).setdefault(src, {})
    read_ops = memo.setdefault("read_ops", {})
    if op is not None and read_ops.get(src) != op:
        reads.clear()
        read_ops[src] = op
    reads[message["msg_id"]] = list(memo.get("incs", []))
    if op is None:
        for old in list(reads)[:-READS_KEPT]:
            del reads[old]


def _applied(record: Mapping[str, Any], memo: Memo) -> Iterator[Finding]:
    writer, inc = str(record["by"]), str(record["op"])
    base = memo.get("reads", {}).get(writer, {}).get(record.get("read"), [])
    new = sorted({*base, inc})
    seq = memo.get("write_seq")
    acked, overwritten = memo.setdefault("acked", []), memo.setdefault("overwritten", {})
    for dropped in sorted(set(memo.get("incs", [])) - set(new)):
        if dropped in acked:
            yield from _lost(dropped, {"seq": seq, "by": writer, "value": record.get("value")}, memo)
        else:
            overwritten[dropped] = {"seq": seq, "by": writer, "value": record.get("value")}
    for back in new:
        overwritten.pop(back, None)  # Written again from a read that still had it: not lost after all.
    memo["incs"] = new


def _lost(inc: str, write: Mapping[str, Any], memo: Memo) -> Iterator[Finding]:
    """Report an increment lost, once: written back and lost again, it is still one lost increment."""
    reported = memo.setdefault("lost", [])
    if inc in reported:
        return
    reported.append(inc)
    owner = inc.split("#")[0]
    yield Finding(nodes=tuple(sorted({owner, str(write["by"])})), cause_seq=write["seq"], id="lost-update",
                  data={"writer": str(write["by"]), "value": write["value"], "increment": inc})


# ------------------------------------------------------------ fencing


def stale_write_accepted(event: Event, memo: Memo) -> Iterator[Finding]:
    """Report a write the store applied although its token was stale (or, unfenced, its lease over)."""
    kind, node = event["kind"], event.get("node")
    if kind == "state" and "leases" in event["state"] and event.get("cause") != "recover":
        # A recovered lock has forgotten its leases; they end only when it grants a newer one.
        tokens = [int(lease["token"]) for lease in event["state"]["leases"]]
        memo["lock_max"] = max([memo.get("lock_max", 0), *tokens])
        memo["lock_live"] = tokens[0] if tokens else None
    elif kind == "deliver" and node == STORE and _message(event).get("type") == "write":
        memo["write_seq"] = event["seq"]
    elif kind == "persist" and node == STORE:
        record = event["record"]
        if record.get("type") == "fence":
            memo["max_seen"] = max(memo.get("max_seen", 0), int(record["max_token"]))
        elif record.get("type") == "write" and record.get("token") is not None:
            yield from _judge_write(record, memo)


def _judge_write(record: Mapping[str, Any], memo: Memo) -> Iterator[Finding]:
    token, writer = int(record["token"]), str(record["by"])
    max_seen = memo.get("max_seen", 0)
    lock_max, live = memo.get("lock_max", 0), memo.get("lock_live")
    why = ""
    if token < max_seen:
        why = "stale-token-accepted"
    elif not store_fences(memo["params"]) and (token < lock_max or (token == lock_max and live != token)):
        why = "write-after-regrant" if token < lock_max else "write-after-lease-ended"
    if why:
        yield Finding(nodes=(writer, STORE), cause_seq=memo.get("write_seq"), id=why,
                      data={"op": record["op"], "writer": writer, "token": token, "highest": max_seen,
                            "granted": lock_max})
    memo["max_seen"] = max(max_seen, token)


def tokens_increase(event: Event, memo: Memo) -> Iterator[Finding]:
    """Every grant carries a higher token than the grants before it (its holder may be re-granted)."""
    message = _message(event)
    if event["kind"] != "send" or event.get("node") != LOCK or message.get("type") != "grant":
        return
    token, dest = int(message["body"]["token"]), message["dest"]
    last, holder = memo.get("last", 0), memo.get("holder")
    if token < last or (token == last and dest != holder):
        yield Finding(nodes=(LOCK, dest), cause_seq=event["seq"], id="token-not-increasing",
                      data={"token": token, "dest": dest, "last": last, "holder": str(holder)})
    if token > last:
        memo["last"], memo["holder"] = token, dest


# ------------------------------------------------------------ beliefs


def local_time(clock: Mapping[str, Any] | None, now: int) -> int:
    """Return a node's clock reading at virtual time ``now`` (as ``NodeRuntime.local_time`` computes it)."""
    if not clock:
        return now
    rate, offset = float(clock["rate"]), int(clock["offset_ms"])
    return (now if rate == 1.0 else int(now * rate)) + offset


def _believes(belief: Mapping[str, Any], clock: Mapping[str, Any] | None, now: int) -> bool:
    return bool(belief["acting"]) or local_time(clock, now) < belief["until"]


def one_believer(event: Event, memo: Memo) -> Iterator[Finding]:
    """Report two clients that believe, at the same virtual time, that they hold a valid lease."""
    kind, node = event["kind"], str(event.get("node", ""))
    beliefs = memo.setdefault("beliefs", {})
    if kind == "clock":
        memo.setdefault("clocks", {})[node] = {"rate": event["rate"], "offset_ms": event["offset_ms"]}
        return
    if kind == "crash":
        beliefs.pop(node, None)
        return
    if kind != "state" or "lease_until" not in event["state"]:
        return
    state = event["state"]
    if state["lease_until"] is None:
        beliefs.pop(node, None)
        return
    mine = {"token": state["token"], "until": state["lease_until"], "acting": state["phase"] == ACTING}
    if beliefs.get(node) == mine:
        return
    beliefs[node] = mine
    clocks, now = memo.get("clocks", {}), event["time"]
    if not _believes(mine, clocks.get(node), now):
        return  # The lease arrived already expired by this client's clock: it believes nothing.
    for other, theirs in sorted(beliefs.items()):
        if other == node or not _believes(theirs, clocks.get(other), now):
            continue
        pair = "-".join(str(t) for t in sorted((mine["token"], theirs["token"])))
        if pair in memo.setdefault("reported", []) or mine["token"] == theirs["token"]:
            continue
        memo["reported"].append(pair)
        yield Finding(nodes=tuple(sorted((node, other))), cause_seq=event["seq"],
                      id="two-believers-acting" if theirs["acting"] else "two-believers-clock",
                      data={"now": now, "node": node, "token": mine["token"], "other": other,
                            "other_token": theirs["token"], "reads": local_time(clocks.get(other), now),
                            "until": theirs["until"]})


# ------------------------------------------------------------ state and liveness


def lock_single_holder(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """The lock service's lease table never holds two leases; a held lock names its one holder."""
    for node, view in views.items():
        if view.role != "lock" or not view.state:
            continue
        leases = view.state.get("leases", [])
        if len(leases) > 1:
            holders = [f"{lease['client']} #{lease['token']}" for lease in leases]
            yield Finding(nodes=(node,), id="two-holders", data={"holders": holders})
        elif (view.state.get("phase") == "held") != (len(leases) == 1):
            yield Finding(nodes=(node,), id="phase-not-leases",
                          data={"phase": str(view.state.get("phase")), "leases": len(leases)})


def clients_finish(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """With every node up and the network whole, every client ends its workload."""
    if any(not v.up or v.paused for v in views.values()):
        return
    stuck = [n for n, v in views.items() if v.role == "client" and v.state.get("phase") != "done"]
    if stuck:
        yield Finding(nodes=tuple(stuck), id="clients-unfinished", data={"nodes": stuck})


LOST_UPDATE = Invariant(
    name="lost-update", kind="history", check=lost_update,
    description="No acknowledged increment is lost: the counter never drops below the increments "
                "acknowledged. A finding points at the write that overwrote an acknowledged increment.",
    findings={"lost-update": "lost update: {writer}'s write of {value} replaced the counter without {increment}, "
                             "an acknowledged increment"})
STALE_WRITE = Invariant(
    name="stale-write-accepted", kind="history", check=stale_write_accepted,
    description="The store never applies a stale write: a token lower than the highest it has seen or, "
                "with fencing off, a write whose lease the lock had already ended.",
    findings={
        "stale-token-accepted": "stale write accepted: the store applied {op} from {writer} with token {token}, but "
                                "token {token} is lower than {highest}, the highest the store had seen",
        "write-after-regrant": "stale write accepted: the store applied {op} from {writer} with token {token}, but "
                               "the lock had already given the lock to token {granted}",
        "write-after-lease-ended": "stale write accepted: the store applied {op} from {writer} with token {token}, "
                                   "but the lock had already ended that lease"})
TOKENS_INCREASE = Invariant(
    name="tokens-increase", kind="history", check=tokens_increase,
    description="Every grant carries a fencing token higher than all earlier grants.",
    findings={"token-not-increasing": "the lock granted token {token} to {dest} after granting {last} to {holder}"})
ONE_BELIEVER = Invariant(
    name="one-believer-at-a-time", kind="history", check=one_believer, illustrative=True,
    description="At most one client believes, by its own clock, that it holds a valid lease. Expected to "
                "break when a holder is paused or its clock runs slow: that is why the store needs fencing.",
    findings={
        "two-believers-acting": "two clients believe they hold the lock at {now} ms: {node} (token {token}) and "
                                "{other} (token {other_token}, it checked its lease and is about to write without "
                                "looking again)",
        "two-believers-clock": "two clients believe they hold the lock at {now} ms: {node} (token {token}) and "
                               "{other} (token {other_token}, its own clock reads {reads} and its lease runs to "
                               "{until})"})
SINGLE_HOLDER = Invariant(
    name="lock-single-holder", kind="state", check=lock_single_holder,
    description="The lock service's own lease table never records two holders at once.",
    findings={"two-holders": "the lock service records two holders at once: {holders}",
              "phase-not-leases": "the lock is {phase} with {leases} leases"}, word_fields=("phase",))
CLIENTS_FINISH = Invariant(
    name="clients-finish", kind="liveness", check=clients_finish,
    description="With all nodes up and the network whole, every client finishes its work.",
    findings={"clients-unfinished": "clients that never finished their work: {nodes}"})

LOCK_INVARIANTS = (SINGLE_HOLDER, ONE_BELIEVER, STALE_WRITE, TOKENS_INCREASE)
"""What every protocol with the lease lock is checked for."""
