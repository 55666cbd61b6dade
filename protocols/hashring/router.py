"""The ring node: it holds the membership, routes every request, and changes the membership.

The router's state is the *view*: ``version`` and the sorted ``members``.
Each client request is forwarded to the key's owner under the current view,
tagged with the view (version and members), so the cache applies a newer
view before it answers. A membership change (``add_node``/``remove_node``
from a user, or the ``join``/``leave`` timers from the parameters) bumps the
version, forces the new view to the log, broadcasts it to every cache in
the old or the new view, and records how many keys of the key space move:
under the ring, and under modulo hashing for comparison.

The state also holds the view's ``drawing`` (see :mod:`protocols.hashring.drawing`):
its ring points and where the sampled keys live, and which of them the change
moved. It is made at boot, at every change and on recovery, so each ``state``
event that changes the view carries what the ring panel draws. The placement
parameters (``vnodes``, ``keys``, ``placement``) are read from ``ctx.params``.
"""

from __future__ import annotations

from typing import Any

from protocols.base import ClientRequest, Context, Effect, Note, Outcome, Persist, Receive, Send, SetTimer, State
from protocols.hashring.drawing import drawing
from protocols.hashring.placement import moves, owner

MAX_CACHES = 8


def cache_names() -> list[str]:
    """Return every cache node, member or standby."""
    return [f"cache{i}" for i in range(1, MAX_CACHES + 1)]


def initial_members(params: Any) -> list[str]:
    """Return the caches in the ring at boot: cache1..cache{initial_nodes}."""
    return [f"cache{i}" for i in range(1, params["initial_nodes"] + 1)]


def ring_initial(ctx: Context) -> dict[str, Any]:
    """Return the router at boot: the initial view (version 1), no change yet."""
    members = initial_members(ctx.params)
    return {"phase": "routing", "version": 1, "members": members, "changes": [],
            "drawing": _drawing(ctx, members, None)}


def _drawing(ctx: Context, members: list[str], before: list[str] | None) -> dict[str, Any]:
    params = ctx.params
    return drawing(members, before, params["vnodes"], params["placement"], params["keys"])


def ring_start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Arm the planned join and leave, if the parameters ask for them (0 means never)."""
    effects: list[Effect] = []
    for timer, at in (("join", ctx.params["join_at_ms"]), ("leave", ctx.params["leave_at_ms"])):
        if at > 0:
            effects.append(SetTimer(name=timer, delay_ms=at))
    return state, effects


def ring_route(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Forward a client's read or write to the key's owner, tagged with the current view."""
    message = event.message
    key = message.body["key"]
    dest = owner(state["members"], ctx.params["vnodes"], ctx.params["placement"], key)
    body = {**message.body, "client": message.src, "mid": message.msg_id, "view": state["version"],
            "members": state["members"]}
    return state, [Send(dest=dest, type="get" if message.type == "read" else "put", body=body)]


def ring_add(ctx: Context, state: State, event: ClientRequest, now: int) -> Outcome:
    """A user adds a cache to the ring."""
    return change(ctx, state, "add", str(event.body.get("node", "")))


def ring_remove(ctx: Context, state: State, event: ClientRequest, now: int) -> Outcome:
    """A user takes a cache out of the ring."""
    return change(ctx, state, "remove", str(event.body.get("node", "")))


def ring_join_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The planned join comes due."""
    return change(ctx, state, "add", ctx.params["join_node"])


def ring_leave_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The planned leave comes due."""
    return change(ctx, state, "remove", ctx.params["leave_node"])


def change(ctx: Context, state: State, op: str, node: str) -> Outcome:
    """Apply one membership change, say what it moves, and broadcast the new view."""
    members = state["members"]
    refusal = _refusal(members, op, node)
    if refusal:
        return state, [Note(text=f"{op} {node or '?'} refused: {refusal}")]
    after = sorted({*members, node}) if op == "add" else [m for m in members if m != node]
    keys = ctx.params["keys"]
    counts = moves(members, after, ctx.params["vnodes"], keys)
    version = state["version"] + 1
    record = {"version": version, "op": op, "node": node, "before": members, "after": after,
              "moved": counts[ctx.params["placement"]], "moved_ring": counts["ring"],
              "moved_modulo": counts["modulo"], "keys": keys}
    state = {**state, "version": version, "members": after, "changes": [*state["changes"], record],
             "drawing": _drawing(ctx, after, members)}
    note = Note(text=f"{op} {node}: {counts['ring']} of {keys} keys move on the ring; "
                     f"modulo hashing would move {counts['modulo']}")
    effects: list[Effect] = [note, Persist(record=record)]
    # Only caches in the old or the new view need to hear: the others hold nothing.
    effects += [Send(dest=c, type="view", body={"view": version, "members": after}) for c in sorted({*members, node})]
    return state, effects


def _refusal(members: list[str], op: str, node: str) -> str | None:
    if node not in cache_names():
        return "no such cache (cache1 to cache8)"
    if op == "add" and node in members:
        return "already in the ring"
    if op == "remove" and node not in members:
        return "not in the ring"
    if op == "remove" and len(members) == 1:
        return "the ring cannot be empty"
    return None


def ring_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the view and its history from the log; re-arm a planned join or leave not yet logged."""
    changes = [dict(r) for r in event.durable if "version" in r]
    state = ring_initial(ctx)
    if changes:
        last = changes[-1]
        state = {**state, "version": last["version"], "members": last["after"], "changes": changes,
                 "drawing": _drawing(ctx, last["after"], last["before"])}
    effects: list[Effect] = [Note(text=f"recovered view {state['version']}: {', '.join(state['members'])}")]
    planned = (("join", "add", ctx.params["join_at_ms"], ctx.params["join_node"]),
               ("leave", "remove", ctx.params["leave_at_ms"], ctx.params["leave_node"]))
    for timer, op, at, node in planned:
        done = any(c["op"] == op and c["node"] == node for c in changes)
        if at > 0 and not done:  # Its timer died with the crash; one that came due meanwhile fires at once.
            effects.append(SetTimer(name=timer, delay_ms=max(0, at - now)))
    return state, effects
