"""The write-back database: the truth, plus a directory of which cache owns each key.

A cache may keep a key dirty only while it *owns* it. The database grants
ownership (``claim`` -> ``grant``) under a new epoch each time, and before
granting a key another cache owns, it *recalls* it (``recall`` ->
``recall_ok``, carrying the dirty value if there is one). So at most one
cache holds a dirty copy of a key. If the owner does not answer after
``MAX_RECALLS`` tries, the claim fails (``claim_fail``): granting anyway
could leave two dirty copies if the owner is only cut off, not dead.

Written values carry their owner's ``(epoch, seq)``; the database applies a
value only if it is newer than the last one applied, so a flush that the
network delayed or duplicated never overwrites a newer value. Ownership and
writes are forced to the log, so a crash of the database forgets neither
(pending claims are lost: their clients time out).

Extra state: ``owners`` ({key: {"cache", "ep"}}, cache None once released),
``applied`` ({key: [ep, seq]}), ``claims`` ({key: {"cache", "tries"}}).
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Outcome, Persist, Receive, Send, SetTimer, State
from protocols.cache.db import apply_write, replay_writes

MAX_RECALLS = 3
"""Recalls sent to a silent owner before the claim fails (bounded, so a run ends)."""


def recall_ms(ctx: Context) -> int:
    """Wait between recalls: a quarter of the client timeout, so a failing claim answers in time."""
    return max(1, int(ctx.params["timeout_ms"]) // 4)


def initial_wb_db(ctx: Context) -> dict[str, Any]:
    """Return the write-back database's boot state."""
    return {"phase": "up", "data": {}, "owners": {}, "applied": {}, "claims": {}}


def _grant(state: State, key: str, cache: str, token: Any) -> tuple[dict[str, Any], list[Effect]]:
    """Make ``cache`` the owner of ``key`` under a new epoch; force it, then tell the cache.

    The grant echoes the claim's ``tok``, so the cache can tell the answer to
    its current claim from a grant meant for an earlier incarnation of itself.
    """
    epoch = int(state["owners"].get(key, {}).get("ep", 0)) + 1
    owners = {**state["owners"], key: {"cache": cache, "ep": epoch}}
    claims = {k: v for k, v in state["claims"].items() if k != key}
    return {**state, "owners": owners, "claims": claims}, [
        Persist(record={"type": "owner", "key": key, "cache": cache, "ep": epoch}),
        Send(dest=cache, type="grant", body={"key": key, "ep": epoch, "tok": token}),
    ]


def _release(state: State, key: str) -> tuple[dict[str, Any], list[Effect]]:
    """Forget the owner of ``key`` (forced); grant it to a waiting claimer if there is one."""
    epoch = state["owners"][key]["ep"]
    state = {**state, "owners": {**state["owners"], key: {"cache": None, "ep": epoch}}}
    effects: list[Effect] = [Persist(record={"type": "owner", "key": key, "cache": None, "ep": epoch})]
    waiting = state["claims"].get(key)
    if waiting is not None:
        state, more = _grant(state, key, waiting["cache"], waiting["tok"])
        effects += more
    return state, effects


def _apply(state: State, body: Any) -> tuple[dict[str, Any], list[Effect]]:
    """Apply a flushed or recalled value if it is newer than the last applied; return the forced write."""
    key, stamp = body["key"], [int(body["ep"]), int(body["seq"])]
    if "value" not in body or stamp <= state["applied"].get(key, [0, 0]):
        return dict(state), []
    state, persist, _ = apply_write(state, key, body["value"], ep=stamp[0], seq=stamp[1])
    return {**state, "applied": {**state["applied"], key: stamp}}, [persist]


def wb_claim(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A cache wants to write a key: grant it, or recall it from its owner first."""
    key, cache, token = event.message.body["key"], event.message.src, event.message.body.get("tok")
    owner = state["owners"].get(key, {}).get("cache")
    if owner is None or owner == cache:
        # A re-claim by the owner (it crashed and forgot, or the claim was duplicated) gets a new
        # epoch too: a flush or release still in flight from the old epoch then cannot undo it.
        return _grant(state, key, cache, token)
    waiting = state["claims"].get(key)
    if waiting is not None:
        if waiting["cache"] == cache:
            return state, ()  # Asked again while its claim waits: the grant will come.
        return state, [Send(dest=cache, type="claim_fail", body={"key": key, "code": "ownership-busy",
                                                                 "tok": token})]
    effects: list[Effect] = [Send(dest=owner, type="recall", body={"key": key, "ep": state["owners"][key]["ep"]})]
    if not state["claims"]:
        effects.append(SetTimer(name="recall", delay_ms=recall_ms(ctx)))
    return {**state, "claims": {**state["claims"], key: {"cache": cache, "tries": 1, "tok": token}}}, effects


def wb_recall_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The owner gave the key back (with its dirty value, if any): apply it, grant the waiting claim."""
    body = event.message.body
    key = body["key"]
    owner = state["owners"].get(key, {})
    if owner.get("cache") != event.message.src or owner.get("ep") != body["ep"]:
        return state, ()  # A late answer to an earlier recall: that epoch is over.
    state, effects = _apply(state, body)
    state, more = _release(state, key)
    return state, effects + more


def wb_flush(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A cache writes back a dirty value (periodically, or evicting it and giving the key up)."""
    body = event.message.body
    key = body["key"]
    state, effects = _apply(state, body)
    owner = state["owners"].get(key, {})
    if body.get("release"):
        if owner.get("cache") == event.message.src and owner.get("ep") == body["ep"]:
            state, more = _release(state, key)
            effects += more
        return state, effects
    version = state["data"].get(key, {}).get("ver", 0)
    effects.append(Send(dest=event.message.src, type="flush_ok", in_reply_to=event.message.msg_id,
                        body={"key": key, "ep": body["ep"], "seq": body["seq"], "ver": version}))
    return state, effects


def wb_recall_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Recall again from silent owners; after MAX_RECALLS tries, fail the claim."""
    claims: dict[str, Any] = {}
    effects: list[Effect] = []
    for key, waiting in state["claims"].items():
        owner = state["owners"][key]
        if waiting["tries"] >= MAX_RECALLS:
            effects.append(Send(dest=waiting["cache"], type="claim_fail",
                                body={"key": key, "code": "owner-unreachable", "tok": waiting["tok"]}))
            continue
        claims[key] = {**waiting, "tries": waiting["tries"] + 1}
        effects.append(Send(dest=owner["cache"], type="recall", body={"key": key, "ep": owner["ep"]}))
    if claims:
        effects.append(SetTimer(name="recall", delay_ms=recall_ms(ctx)))
    return {**state, "claims": claims}, effects


def wb_db_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild data, owners and the last applied stamps from the log; waiting claims are gone."""
    owners: dict[str, Any] = {}
    applied: dict[str, Any] = {}
    for record in event.durable:
        if record.get("type") == "owner":
            owners[record["key"]] = {"cache": record["cache"], "ep": record["ep"]}
        elif record.get("type") == "write":
            applied[record["key"]] = [record["ep"], record["seq"]]
    return {**state, "phase": "up", "data": replay_writes(event.durable), "owners": owners,
            "applied": applied, "claims": {}}, ()
