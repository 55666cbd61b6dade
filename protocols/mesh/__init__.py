"""Service mesh: the same calls through sidecar proxies, governed by a control plane.

Theory of operation
-------------------
Roles: consumer apps ``u1..uM``, provider apps ``p1..pN``, one sidecar
proxy beside each (``u1-sidecar``, ``p1-sidecar``...) and the ``control``
plane. An app talks only to its local sidecar. A consumer's sidecar does
what the client library did in service-invocation: discovery (the endpoints
come from the control plane), load balancing, timeouts, retries with
jittered backoff and a retry budget, a circuit breaker per endpoint, and
metrics. A provider's sidecar forwards calls to its app and relays the
answers, counting requests and errors. So one call crosses six hops instead
of two (app, sidecar, sidecar, app and back): the price of the mesh, visible
on every arrow. (In this lab each hop costs a full network delay; a real
sidecar sits on loopback and costs far less.)

The governance values are not in the apps but in the **policy**, owned by
the control plane: it pushes version 1 to every sidecar at start (``policy``
messages, acknowledged by ``policy_ack``, re-sent a bounded number of times)
and, at ``policy_change_at_ms``, version 2 with the ``policy_change`` values.
Each sidecar's state shows the version it runs and its breakers; a consumer
sidecar holds its app's calls until its first policy arrives.

Failure model and guarantees: as in service-invocation (breakers open only
at their threshold and half-open only after their cool-down, retries stay
within the budget, a call takes effect at most once, every call ends),
plus: with all nodes up and the network whole, every sidecar ends on the
control plane's current policy version. Apps give a call up after
``app_deadline_ms``, so a crashed sidecar cannot hang them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import calls
from protocols.common.calls import breaker
from protocols.common.calls.figures import summarize_services
from protocols.common.calls.params import check_provider_params, consumer_names, provider_names
from protocols.mesh.control import sidecar_of
from protocols.mesh.handlers import initial_state
from protocols.mesh.invariants import INVARIANTS
from protocols.mesh.params import PARAMS
from protocols.mesh.scenarios import SCENARIOS
from protocols.mesh.table import TABLE
from protocols.spec import Catalogue, Foil, ProtocolSpec


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the control plane first, then each service with its sidecar beside it (on the wire's side)."""
    check_provider_params(params)
    roles = {"control": "control"}
    for u in consumer_names(params):
        roles.update({u: "consumer", sidecar_of(u): "consumer-sidecar"})
    for p in provider_names(params):
        roles.update({sidecar_of(p): "provider-sidecar", p: "provider"})
    return roles


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the family's figures, plus the policy version each sidecar ended on."""
    figures = summarize_services(trace, caller_role="consumer-sidecar")
    figures["policy_versions"] = {n: f["state"].get("version") for n, f in trace["final"].items()
                                  if f["role"].endswith("sidecar")}
    return figures


SPEC = ProtocolSpec(
    estimate=calls(27, 18),
    name="service-mesh",
    title="Service mesh",
    summary="The same calls through sidecar proxies: balancing, retries and breakers move out of the apps, "
            "and a control plane pushes the policy.",
    theory=__doc__ or "",
    roles=("control", "consumer", "consumer-sidecar", "provider-sidecar", "provider"),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # One call through four sidecars, one retry (without it nothing can execute twice), no re-sent policy:
    # every order, some 36,000 worlds.
    explore_params={"consumers": 1, "providers": 1, "calls_per_consumer": 1, "max_retries": 1,
                    "policy_resends": 0},
    foils=(Foil(params={"idempotency": False}, breaks=("at-most-once",)),),
    facts={"breaker": breaker.machine()},
)

CATALOGUE = Catalogue(chapter="Service invocation", place=2, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
