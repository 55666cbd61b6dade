"""Calls between services: what service-invocation and service-mesh share.

Both protocols run the same consumers (``consumer.py``) against the same
providers (``provider.py``) with the same parameters (``params.py``), and
turn each call into attempts with the same caller (``caller.py``: the
balancers, the retry policy and budget, the circuit breakers). Where the
caller runs is what differs: inside the consumer app (service-invocation) or
in its sidecar, with a policy a control plane pushes (service-mesh). The
invariants (``invariants.py``) and the summary figures (``figures.py``) judge
both alike, so ``manage.py compare`` sets them side by side; the provider's
state and the caller's parts are declared once (``states.py``).
"""
