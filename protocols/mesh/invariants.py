"""What the mesh promises: the service calls' invariants (common/calls/), and that every sidecar gets the policy.

The callers here are the consumers' sidecars: the breaker and budget checks
read their state exactly as they read an invocation consumer's. The call-log
liveness check reads the consumer apps. ``policy-converges`` (liveness): with
every node up and the network whole, once nothing more can happen every
sidecar runs the control plane's current policy version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from protocols.common.calls.invariants import INVARIANTS as FAMILY
from protocols.spec import Finding, Invariant, NodeView


def policy_converges(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Every sidecar ends on the control plane's current version."""
    control = next((v for v in views.values() if v.role == "control"), None)
    if control is None:
        return
    version = control.state.get("version")
    behind = [n for n, v in views.items() if v.role.endswith("sidecar") and v.state.get("version") != version]
    if behind:
        yield Finding(nodes=tuple(behind), id="policy-not-converged", data={"nodes": behind, "version": version})


INVARIANTS = (
    *FAMILY,
    Invariant(name="policy-converges", kind="liveness", check=policy_converges,
              description="With all nodes up and the network whole, every sidecar ends on the current policy.",
              findings={"policy-not-converged": "{nodes} never got policy version {version}"}),
)
