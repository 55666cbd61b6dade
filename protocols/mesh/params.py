"""Service-mesh parameters: the family's shared ones, plus the control plane's and the app's.

The governance parameters are the control plane's first policy (version 1).
``policy_change`` lists new values as ``name=value`` pairs separated by
``;`` (``breaker=on;retry_budget=0.2``), pushed as version 2 at
``policy_change_at_ms``. Each value is checked exactly as the parameter of
the same name would be.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from protocols.base import ParameterError
from protocols.common.calls.params import GOVERNANCE, POLICY_KEYS, PROVIDERS, WORKLOAD
from protocols.spec import Param

MESH_DEFAULTS = {"timeout_ms": 150}
"""Every attempt crosses four hops here (sidecar, sidecar, app and back), not two."""

_BY_NAME = {p.name: p for p in GOVERNANCE}


def parse_change(text: str) -> dict[str, Any]:
    """Read ``policy_change`` into checked values by parameter name; raise ParameterError if wrong."""
    values: dict[str, Any] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep:
            raise ParameterError(f"{pair!r} is not NAME=VALUE")
        if name not in _BY_NAME:
            raise ParameterError(f"{name!r} is not a policy setting; known: {', '.join(POLICY_KEYS)}")
        values[name] = _BY_NAME[name].parse(raw.strip())
    return values


def _check_change(text: str) -> str | None:
    try:
        parse_change(text)
    except ParameterError as exc:
        return str(exc)
    return None


CONTROL = (
    Param(name="policy_change_at_ms", kind="int", default=0, min=0, max=1_000_000,
          help="When the control plane pushes policy version 2 (virtual ms); 0: never."),
    Param(name="policy_change", kind="str", default="", check=_check_change,
          help="Version 2's new values, NAME=VALUE separated by ';' (breaker=on;retry_budget=0.2)."),
    Param(name="policy_resends", kind="int", default=3, min=0, max=10,
          help="How many times the control plane re-sends a policy to sidecars that have not acknowledged it."),
    Param(name="resend_ms", kind="int", default=100, min=10, max=60_000,
          help="How long the control plane waits for acknowledgements before re-sending."),
    Param(name="app_deadline_ms", kind="int", default=3000, min=1, max=600_000,
          help="How long a consumer app waits for its sidecar's answer before it gives the call up."),
)

PARAMS = (
    WORKLOAD
    + tuple(dataclasses.replace(p, default=MESH_DEFAULTS[p.name]) if p.name in MESH_DEFAULTS else p
            for p in GOVERNANCE)
    + PROVIDERS
    + CONTROL
)


def policy_values(params: Mapping[str, Any], version: int) -> dict[str, Any]:
    """Return the governance values of policy ``version``: the parameters, then (from 2) the change."""
    values = {key: params[key] for key in POLICY_KEYS}
    if version >= 2:
        values.update(parse_change(params["policy_change"]))
    return values
