"""The websocket protocol's client side, checked at the edge: a closed schema and a rate limit.

Every inbound frame is parsed and validated here before anything else sees
it; anything unknown, malformed, oversized or too frequent is refused with a
typed error and changes nothing. See docs/websocket-protocol.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from protocols.sim import commands as engine_commands
from protocols.sim.commands import CommandError

MAX_FRAME_BYTES = 16 * 1024
"""Inbound frames above this are refused: no legitimate command comes close."""

RATE_PER_S = 20.0
BURST = 40
"""Token bucket per connection: a human clicking fast stays far below it; a script flooding does not."""

MAX_SPEED = 1000.0
MIN_SPEED = 0.001

CONTROL_TYPES = {"step", "play", "pause", "speed", "reset", "command"}
"""Messages that change the session: only the controller may send them."""

SCHEMA: dict[str, dict[str, tuple[type, ...]]] = {
    "hello": {"last_seq": (int,), "generation": (int,), "token": (str,)},
    "resync": {"from_seq": (int,)},
    "ping": {"seq": (int,)},
    "step": {},
    "play": {},
    "pause": {},
    "speed": {"value": (int, float)},
    "reset": {},
    "command": {"command": (dict,)},
}
REQUIRED = {"resync": {"from_seq"}, "speed": {"value"}, "command": {"command"}}


def parse(text: str | None, data: bytes | None) -> dict[str, Any]:
    """Parse and validate one inbound frame; raise CommandError saying what is wrong."""
    if data is not None:
        raise CommandError("bad_frame", "binary frames are not part of this protocol; send JSON text")
    if text is None:
        raise CommandError("bad_frame", "empty frame")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise CommandError("too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise CommandError("bad_json", "the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise CommandError("bad_message", "a message is a JSON object with a 'type'")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in SCHEMA:
        raise CommandError("unknown_type", f"unknown message type {kind!r}; known: {', '.join(SCHEMA)}")
    fields = SCHEMA[kind]
    unknown = set(message) - set(fields) - {"type"}
    if unknown:
        raise CommandError("bad_message", f"{kind}: unknown fields {sorted(unknown)}")
    for name in REQUIRED.get(kind, set()):
        if name not in message:
            raise CommandError("bad_message", f"{kind}: missing field {name!r}")
    for name, types in fields.items():
        if name in message and (isinstance(message[name], bool) or not isinstance(message[name], types)):
            raise CommandError("bad_message", f"{kind}: field {name!r} has the wrong type")
    _check_values(kind, message)
    return message


def _check_values(kind: str, message: dict[str, Any]) -> None:
    if kind == "speed" and message["value"] != 0 and not MIN_SPEED <= message["value"] <= MAX_SPEED:
        raise CommandError("out_of_range", f"speed is 0 (maximum) or from {MIN_SPEED} to {MAX_SPEED}")
    for name in ("last_seq", "from_seq", "seq", "generation"):
        if name in message and not -1 <= message[name] < 2**53:
            raise CommandError("out_of_range", f"{kind}: {name} is out of range")
    if kind == "command":
        message["command"] = engine_commands.validate(message["command"])


@dataclass
class TokenBucket:
    """Allow RATE_PER_S messages per second on average, bursts up to BURST."""

    tokens: float = BURST
    last: float = field(default=0.0)

    def allow(self, now: float) -> bool:
        """Take one token if there is one; say whether the message may pass."""
        if self.last:
            self.tokens = min(BURST, self.tokens + (now - self.last) * RATE_PER_S)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
