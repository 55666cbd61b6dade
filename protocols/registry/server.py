"""Registry handlers: the instance table, leases, the sweep, discovery answers and peer replication.

The table maps a provider's name to its entry ``{inc, weight, renew}``
(``renew``: the registry's own clock at the last renewal). Registrations and
heartbeats are judged by incarnation (see :func:`admit` and :func:`renew`):
the newest incarnation wins, the same one renews, an older one is ignored,
and one at or below an incarnation this registry has evicted (its tombstone,
``evicted``) never comes back. Every change of membership bumps ``version``;
renewals do not, so a consumer's cache is fresh when its ``[boot, version]``
mark equals the registry's.

The registry keeps its table in memory only, as Eureka does: a crash empties
it, and providers learn from their next heartbeat (``unknown_instance``)
that they must register again. Only a boot record is durable: it counts the
registry's lives (so a consumer can tell a restarted registry's version 3
from the old one's). The lease terms are the run's parameters; whoever needs
them (the sweep, the detectors, the catalogue panel) reads them there.

With three replicas each forwards what a provider told it (registration,
heartbeat) to its peers, once (``replicate``; a replica never forwards what
a peer forwarded). Each replica sweeps on its own. A peer that has evicted
an incarnation answers a forwarded heartbeat for it with ``peer_unknown``;
the origin then answers the provider's next heartbeat with
``unknown_instance``, so the provider comes back newer everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, State
from protocols.registry.names import lease_ms, past_horizon, peers

NAIVE = "no-incarnations"
"""The deliberately broken variant: incarnations are not compared, so a late heartbeat resurrects."""


def initial_state(ctx: Context) -> State:
    """Return an empty registry (at boot, and after a crash before its recovery runs).

    ``lease_ms`` is the lease this registry grants (the run's heartbeat times its missed beats), kept
    in the state, as each entry's ``expires`` (its own clock's reading when the lease runs out), so
    that whoever shows the table reads them instead of deriving them from the parameters.
    """
    return {"phase": "serving", "boot": 0, "version": 0, "instances": {}, "evicted": {}, "watchers": [],
            "evictions": 0, "lease_ms": lease_ms(ctx.params)}


def boot_record(boot: int) -> dict[str, Any]:
    """Return the durable boot record of this life, numbered from 1."""
    return {"type": "boot", "boot": boot}


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Log the first boot and start sweeping."""
    return {**state, "boot": 1}, [Persist(record=boot_record(1)),
                                  SetTimer(name="sweep", delay_ms=ctx.params["sweep_ms"])]


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restart empty (the table was in memory), as the next life; sweep again unless past the horizon."""
    state = initial_state(ctx)  # What the engine hands a recovering node anyway: memory is gone.
    boot = 1 + sum(1 for r in event.durable if r.get("type") == "boot")
    effects: list[Effect] = [Note(text=f"restarted empty (life {boot}): providers must register again"),
                             Persist(record=boot_record(boot))]
    if past_horizon(now, ctx.params):
        return {**state, "boot": boot, "phase": "stopped"}, effects
    return {**state, "boot": boot}, [*effects, SetTimer(name="sweep", delay_ms=ctx.params["sweep_ms"])]


# ------------------------------------------------------------ the table


def admit(ctx: Context, state: State, name: str, inc: int, weight: int, now: int) -> tuple[State, str]:
    """Judge a registration: ``new`` (a newer incarnation), ``renewed`` (the same one) or ``stale``."""
    entry = state["instances"].get(name)
    if ctx.params["variant"] != NAIVE:
        if inc <= state["evicted"].get(name, 0) or (entry is not None and inc < entry["inc"]):
            return state, "stale"
        if entry is not None and inc == entry["inc"]:
            return _put(state, name, {**entry, **_renewal(state, now), "weight": weight}), "renewed"
    elif entry is not None:  # The naive registry: whatever incarnation, a known name just renews.
        return _put(state, name, {**entry, "inc": inc, **_renewal(state, now), "weight": weight}), "renewed"
    fresh = _put(state, name, {"inc": inc, "weight": weight, **_renewal(state, now)})
    return {**fresh, "version": state["version"] + 1}, "new"


def renew(ctx: Context, state: State, name: str, inc: int, weight: int, now: int) -> tuple[State, str]:
    """Judge a heartbeat: ``renewed``, ``resync`` (renewed, but a peer lost it), ``stale`` or ``unknown``."""
    entry = state["instances"].get(name)
    if ctx.params["variant"] == NAIVE:
        return admit(ctx, state, name, inc, weight, now)  # Even an evicted instance is taken back.
    if entry is None or entry["inc"] < inc:
        return state, "unknown"
    if entry["inc"] > inc:
        return state, "stale"
    verdict = "resync" if entry.get("resync") else "renewed"
    return _put(state, name, {**entry, **_renewal(state, now)}), verdict


def _renewal(state: State, now: int) -> dict[str, int]:
    """Return an entry's renewal at ``now``: when it was renewed and when its lease runs out."""
    return {"renew": now, "expires": now + state["lease_ms"]}


def _put(state: State, name: str, entry: Mapping[str, Any]) -> State:
    before = state["instances"].get(name)
    if before is not None and entry.get("renew") != before.get("renew"):  # a renewal: the lease is fresh again
        entry = {key: value for key, value in entry.items() if key != "overdue"}
    return {**state, "instances": {**state["instances"], name: dict(entry)}}


def listing(state: State) -> dict[str, dict[str, int]]:
    """Return the table as a discovery answer lists it: name -> {inc, weight}."""
    return {name: {"inc": e["inc"], "weight": e["weight"]} for name, e in sorted(state["instances"].items())}


def _answer(state: State, dest: str, req: int | None = None, in_reply_to: str | None = None) -> Send:
    body: dict[str, Any] = {"boot": state["boot"], "version": state["version"], "instances": listing(state)}
    if req is not None:
        body["req"] = req
    return Send(dest=dest, type="instances", body=body, in_reply_to=in_reply_to)


def _push(state: State) -> list[Effect]:
    """Tell every watcher the new table (watch mode; nobody watches in pull mode)."""
    return [_answer(state, watcher) for watcher in state["watchers"]]


def _replicate(ctx: Context, op: str, name: str, inc: int, weight: int) -> list[Effect]:
    body = {"op": op, "name": name, "inc": inc, "weight": weight}
    return [Send(dest=peer, type="replicate", body=body) for peer in peers(ctx.node, ctx.params)]


# ------------------------------------------------------ provider inputs


def on_register(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Take a registration of a newer (or the same) incarnation; refuse an older one as unknown."""
    message = event.message
    name, inc, weight = message.src, int(message.body["inc"]), int(message.body["weight"])
    state, verdict = admit(ctx, state, name, inc, weight, now)
    if verdict == "stale":
        return state, [Send(dest=name, type="unknown_instance", body={"inc": inc}, in_reply_to=message.msg_id)]
    effects: list[Effect] = [Send(dest=name, type="register_ok", body={"inc": inc}, in_reply_to=message.msg_id)]
    effects += _replicate(ctx, "register", name, inc, weight)
    if verdict == "new":
        effects = [Note(text=f"registered {name}#{inc}"), *effects, *_push(state)]
    return state, effects


def on_heartbeat(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Renew a lease; answer ``unknown_instance`` when this incarnation is not (or no longer) here."""
    message = event.message
    name, inc, weight = message.src, int(message.body["inc"]), int(message.body["weight"])
    state, verdict = renew(ctx, state, name, inc, weight, now)
    if verdict == "stale":
        return state, ()  # A late beat of an older incarnation: the newer one is registered.
    if verdict == "unknown":
        return state, [Send(dest=name, type="unknown_instance", body={"inc": inc}, in_reply_to=message.msg_id)]
    effects: list[Effect] = _replicate(ctx, "heartbeat", name, inc, weight)
    if verdict == "resync":
        effects.append(Send(dest=name, type="unknown_instance", body={"inc": inc}, in_reply_to=message.msg_id))
    if verdict == "new":  # Only the naive variant takes an unknown instance back from a heartbeat.
        effects = [Note(text=f"took {name}#{inc} back from a heartbeat"), *effects, *_push(state)]
    return state, effects


# ---------------------------------------------------------- peer inputs


def on_replicate(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Apply what a peer was told; a beat for an instance evicted here is answered ``peer_unknown``."""
    body = event.message.body
    name, inc, weight = str(body["name"]), int(body["inc"]), int(body["weight"])
    known = state["instances"].get(name)
    if body["op"] == "heartbeat" and known is not None and known["inc"] == inc:
        return renew(ctx, state, name, inc, weight, now)[0], ()
    if body["op"] == "heartbeat" and ctx.params["variant"] != NAIVE and inc <= state["evicted"].get(name, 0):
        return state, [Send(dest=event.message.src, type="peer_unknown", body={"name": name, "inc": inc})]
    # A registration, or a beat for an instance this replica missed: take it if it is newer (a sync).
    state, verdict = admit(ctx, state, name, inc, weight, now)
    if verdict == "new":
        return state, [Note(text=f"replicated {name}#{inc} from {event.message.src}"), *_push(state)]
    return state, ()


def on_peer_unknown(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A peer evicted this incarnation: make its provider register anew at the next heartbeat."""
    name, inc = str(event.message.body["name"]), int(event.message.body["inc"])
    entry = state["instances"].get(name)
    if entry is None or entry["inc"] != inc or entry.get("resync"):
        return state, ()
    return _put(state, name, {**entry, "resync": True}), [
        Note(text=f"{event.message.src} evicted {name}#{inc}: it must come back newer")]


# ------------------------------------------------------ consumer inputs


def on_discover(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a pull with the table as it is now."""
    message = event.message
    return state, [_answer(state, message.src, req=int(message.body["req"]), in_reply_to=message.msg_id)]


def on_watch(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Subscribe a watcher (again); send it the table if its mark differs from this one."""
    message = event.message
    watchers = state["watchers"] if message.src in state["watchers"] else sorted([*state["watchers"], message.src])
    state = {**state, "watchers": watchers}
    if list(message.body.get("seen", [])) == [state["boot"], state["version"]]:
        return state, ()
    return state, [_answer(state, message.src, in_reply_to=message.msg_id)]


# ------------------------------------------------------------ the sweep


def sweep(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Evict every entry whose lease ran out, unless self-preservation holds evictions back."""
    if past_horizon(now, ctx.params):
        return {**state, "phase": "stopped"}, ()
    table = state["instances"]
    expired = sorted(name for name, entry in table.items() if now > entry["expires"])
    again = SetTimer(name="sweep", delay_ms=ctx.params["sweep_ms"])
    renewing = len(table) - len(expired)
    if expired and ctx.params["self_preservation"] and renewing < ctx.params["renewal_threshold"] * len(table):
        effects: list[Effect] = [again]
        if state["phase"] != "preserving":
            effects.insert(0, Note(text=f"self-preservation: only {renewing} of {len(table)} instances renewed "
                                        f"within the lease; evicting nothing"))
        held = {name: ({**entry, "overdue": True} if name in expired else entry) for name, entry in table.items()}
        return {**state, "phase": "preserving", "instances": held}, effects
    if not expired:
        return {**state, "phase": "serving"}, [again]
    kept = {name: entry for name, entry in table.items() if name not in expired}
    tombs = {**state["evicted"], **{name: max(table[name]["inc"], state["evicted"].get(name, 0)) for name in expired}}
    state = {**state, "phase": "serving", "instances": kept, "evicted": tombs, "version": state["version"] + 1,
             "evictions": state["evictions"] + len(expired)}
    notes: list[Effect] = [
        Note(text=f"evict {name}#{table[name]['inc']}: no renewal for {now - table[name]['renew']} ms")
        for name in expired]
    return state, [*notes, *_push(state), again]
