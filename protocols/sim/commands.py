"""The closed vocabulary of commands a user may give a running simulation.

One schema serves the command line, the explorer, the web API and the
websocket: a command is a dict with ``cmd`` and exactly the fields its entry
lists, of the listed types. Anything else is refused before it reaches the
engine, with a :class:`CommandError` that says what was wrong. Commands that
change nothing (``step`` with nothing pending) are still legal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMMANDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "step": {},
    "deliver": {"id": str},
    "drop": {"id": str},
    "duplicate": {"id": str},
    "fire": {"id": str},
    "crash": {"node": str},
    "recover": {"node": str},
    "pause": {"node": str},
    "resume": {"node": str},
    "partition": {"groups": list},
    "heal": {},
    "client": {"node": str, "kind": str, "body": dict},
    "clock": {"node": str, "rate": (int, float), "offset_ms": int},
}
"""Each command and its required fields with their types."""

OPTIONAL_FIELDS = {"client": {"body"}, "clock": {"rate", "offset_ms"}}

MAX_CLOCK_RATE = 10.0
"""A clock ten times fast or slow is skew enough to show any lease bug."""


class CommandError(ValueError):
    """A command that cannot be applied; ``code`` is stable for clients to branch on."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def validate(command: Any) -> dict[str, Any]:
    """Check a command's shape against the closed schema; return a clean copy."""
    if not isinstance(command, Mapping):
        raise CommandError("bad_command", "a command must be an object with a 'cmd' field")
    name = command.get("cmd")
    if name not in COMMANDS:
        raise CommandError("unknown_command", f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
    fields = COMMANDS[name]
    unknown = set(command) - set(fields) - {"cmd"}
    if unknown:
        raise CommandError("bad_command", f"{name}: unknown fields {sorted(unknown)}; allowed {sorted(fields)}")
    optional = OPTIONAL_FIELDS.get(name, set())
    for field_name, kind in fields.items():
        if field_name not in command:
            if field_name in optional:
                continue
            raise CommandError("bad_command", f"{name}: missing field {field_name!r}")
        value = command[field_name]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise CommandError("bad_command", f"{name}: field {field_name!r} has the wrong type")
    if name == "clock":
        rate = command.get("rate", 1.0)
        if not 1 / MAX_CLOCK_RATE <= rate <= MAX_CLOCK_RATE:
            raise CommandError("out_of_range", f"clock: rate must be from {1 / MAX_CLOCK_RATE} to {MAX_CLOCK_RATE}")
        if abs(command.get("offset_ms", 0)) > 3_600_000:
            raise CommandError("out_of_range", "clock: offset_ms must be within one hour")
    return dict(command)
