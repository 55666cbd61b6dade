"""The mesh's control plane: it owns the policy and pushes it to every sidecar until each acknowledges.

Phases: ``pushing`` (some sidecar has not acknowledged the current version)
and ``steady``. A policy message carries the version, the governance values
and the endpoints (the providers' sidecars): the control plane is also the
mesh's discovery. Re-sends are bounded (``policy_resends``), so a run ends
even if a sidecar never answers. The version is forced to the control
plane's log, so after a crash it pushes the same version again.
"""

from __future__ import annotations

from typing import Any

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    State,
)
from protocols.common.calls.params import policy_from, provider_names
from protocols.mesh.params import policy_values

RESEND, POLICY_CHANGE = "resend", "policy_change"


def sidecar_of(node: str) -> str:
    """Return the name of a service's sidecar."""
    return f"{node}-sidecar"


def endpoints(ctx: Context) -> list[str]:
    """Return the providers' sidecars: where consumer sidecars send attempts."""
    return [sidecar_of(p) for p in provider_names(ctx.params)]


def sidecars(ctx: Context) -> list[str]:
    """Return every sidecar, in placement order."""
    return [n for n, r in ctx.roles.items() if r.endswith("sidecar")]


def control_state() -> dict[str, Any]:
    """Return the control plane's state at boot and after a crash."""
    return {"phase": "pushing", "version": 1, "acked": {}, "resends": 0}


def policy_body(ctx: Context, version: int) -> dict[str, Any]:
    """Return policy ``version`` as it goes on the wire."""
    targets = endpoints(ctx)
    return {"version": version, "policy": policy_from(policy_values(ctx.params, version), version, len(targets)),
            "endpoints": targets}


def _push(ctx: Context, state: dict[str, Any], to: list[str]) -> list[Effect]:
    body = policy_body(ctx, state["version"])
    effects: list[Effect] = [Send(dest=dest, type="policy", body=body) for dest in to]
    if to and state["resends"] < ctx.params["policy_resends"]:
        effects.append(SetTimer(name=RESEND, delay_ms=ctx.params["resend_ms"]))
    return effects


def control_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Push policy version 1 to every sidecar; schedule version 2 if the run asks for one."""
    s = {**control_state(), "version": 1}
    effects: list[Effect] = [Persist(record={"type": "policy", "version": 1}), *_push(ctx, s, sidecars(ctx))]
    return s, effects + _change_timer(ctx, now)


def _change_timer(ctx: Context, now: int) -> list[Effect]:
    """Schedule version 2, if the run asks for one."""
    at = ctx.params["policy_change_at_ms"]
    if not (at and ctx.params["policy_change"]):
        return []
    return [SetTimer(name=POLICY_CHANGE, delay_ms=max(0, at - now))]


def control_ack(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A sidecar acknowledged a version; once all have the current one, stop re-sending."""
    acked = {**state["acked"], event.message.src: event.message.body["version"]}
    s = {**state, "acked": acked}
    if all(acked.get(sc) == s["version"] for sc in sidecars(ctx)):
        return {**s, "phase": "steady"}, ([CancelTimer(name=RESEND)] if state["phase"] == "pushing" else [])
    return s, ()


def control_resend(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Re-send the current policy to the sidecars that have not acknowledged it, a bounded number of times."""
    silent = [sc for sc in sidecars(ctx) if state["acked"].get(sc) != state["version"]]
    s = {**state, "resends": state["resends"] + 1}
    return s, _push(ctx, s, silent)


def control_change(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Push policy version 2 (the run's ``policy_change``) to every sidecar."""
    s = {**state, "phase": "pushing", "version": 2, "acked": {}, "resends": 0}
    return s, [Persist(record={"type": "policy", "version": 2}), *_push(ctx, s, sidecars(ctx))]


def control_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Read the last version from the log and push it to everyone again (and version 2 if still to come)."""
    versions = [r["version"] for r in event.durable if r.get("type") == "policy"]
    s = {**control_state(), "version": versions[-1] if versions else 1}
    return s, _push(ctx, s, sidecars(ctx)) + (_change_timer(ctx, now) if s["version"] < 2 else [])
