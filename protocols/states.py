"""Every role's state, declared once per package (``protocols/<package>/states.py``), as JSON Schema.

A package's ``STATES`` maps each of its protocols to ``{role: TypedDict}``. This module gathers them
and turns a TypedDict into a JSON Schema (draft 2020-12) that admits exactly the declared fields:
what a handler may put in a node's state, and so everything a panel may read. A field added to a
handler and not to its declaration fails tests/protocols/test_state_types.py; the catalogue exports
the schemas (``spec.describe()["states"]``) so that the browser's panels read only declared fields.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import types
import typing
from functools import cache
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints


def packages() -> list[str]:
    """Return the packages under protocols/ that declare states (those with a ``states`` module)."""
    import protocols

    return sorted(info.name for info in pkgutil.iter_modules(protocols.__path__) if info.ispkg
                  and importlib.util.find_spec(f"protocols.{info.name}.states") is not None)


@cache
def declared() -> dict[str, dict[str, Any]]:
    """Return protocol -> role -> TypedDict, over every package."""
    out: dict[str, dict[str, Any]] = {}
    for package in packages():
        out.update(importlib.import_module(f"protocols.{package}.states").STATES)
    return out


def state_type(protocol: str, role: str) -> Any:
    """Return the TypedDict declared for one role of one protocol (KeyError if none is)."""
    return declared()[protocol][role]


@cache
def schema(protocol: str) -> dict[str, Any]:
    """Return ``{role: JSON Schema}`` for a protocol's declared states ({} if it declares none)."""
    defs: dict[str, Any] = {}
    roles = {role: _schema(td, defs) for role, td in declared().get(protocol, {}).items()}
    return {role: {"$schema": "https://json-schema.org/draft/2020-12/schema", **body, "$defs": defs}
            for role, body in roles.items()}


@cache
def export(protocol: str) -> dict[str, Any]:
    """Return the declarations for the catalogue: ``{"$defs": {...}, "roles": {role: {"$ref": ...}}}``
    (each record once, whatever the number of roles that share it)."""
    defs: dict[str, Any] = {}
    roles = {role: _schema(td, defs) for role, td in declared().get(protocol, {}).items()}
    return {"$defs": defs, "roles": roles}


def _schema(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if typing.is_typeddict(hint):
        name = hint.__name__
        if name not in defs:
            defs[name] = {}  # Reserve the name first: a record may contain itself.
            fields = get_type_hints(hint)
            defs[name] = {
                "type": "object",
                "properties": {field: _schema(value, defs) for field, value in fields.items()},
                "required": sorted(hint.__required_keys__),
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    origin = get_origin(hint)
    if origin in (NotRequired, Required):
        return _schema(get_args(hint)[0], defs)
    if origin is Literal:
        return {"enum": list(get_args(hint))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema(arg, defs) for arg in get_args(hint)]}
    if origin is list:
        args = get_args(hint)
        return {"type": "array", "items": _schema(args[0], defs)} if args else {"type": "array"}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(get_args(hint)[1], defs)}
    simple = {int: {"type": "integer"}, float: {"type": "number"}, str: {"type": "string"},
              bool: {"type": "boolean"}, type(None): {"type": "null"}}
    if hint in simple:
        return simple[hint]
    if hint is Any:
        return {}
    raise TypeError(f"no JSON Schema for {hint!r}")
