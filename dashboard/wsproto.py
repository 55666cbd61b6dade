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

CONTROL_TYPES = {"step", "play", "pause", "speed", "reset", "command", "view", "end", "ask", "close_question",
                 "reveal", "note", "unnote"}
"""Messages that change the session or what its class is shown: only the controller may send them."""

ITEM_KINDS = {"message", "event", "node", "invariant", "transition"}
VIEW_TAB_MAX = 40
VIEW_ID_MAX = 80
MAX_NAME_LENGTH = 40
MAX_CLIENT_ID_LENGTH = 64

SCHEMA: dict[str, dict[str, tuple[type, ...]]] = {
    "hello": {"last_seq": (int,), "generation": (int,), "token": (str,), "name": (str,), "client": (str,),
              "following": (bool,), "summaries": (bool,)},
    "resync": {"from_seq": (int,)},
    "ping": {"seq": (int,)},
    "step": {},
    "play": {},
    "pause": {},
    "speed": {"value": (int, float)},
    "reset": {},
    "command": {"command": (dict,)},
    "view": {"view": (dict,)},
    "presence": {"following": (bool,), "name": (str,)},
    "end": {},
    "ask": {"question": (dict,)},
    "close_question": {"id": (int,)},
    "reveal": {"id": (int,)},
    "answer": {"id": (int,), "choice": (int,)},
    "note": {"seq": (int,), "text": (str,)},
    "unnote": {"id": (int,)},
}
REQUIRED = {"resync": {"from_seq"}, "speed": {"value"}, "command": {"command"}, "view": {"view"},
            "presence": {"following"}, "ask": {"question"}, "close_question": {"id"}, "reveal": {"id"},
            "answer": {"id", "choice"}, "note": {"seq", "text"}, "unnote": {"id"}}


def parse(text: str | None, data: bytes | None) -> dict[str, Any]:
    """Parse and validate one inbound frame; raise CommandError saying what is wrong."""
    if data is not None:
        raise CommandError("bad_frame", "binary frames are not part of this protocol; send JSON text")
    if text is None:
        raise CommandError("bad_frame", "empty frame")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise CommandError("too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        message = json.loads(text, parse_constant=_refuse_constant)
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
        if name in message and (isinstance(message[name], bool) != (bool in types)
                                 or not isinstance(message[name], types)):
            raise CommandError("bad_message", f"{kind}: field {name!r} has the wrong type")
    _check_values(kind, message)
    return message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_values(kind: str, message: dict[str, Any]) -> None:
    if kind == "speed" and message["value"] != 0 and not MIN_SPEED <= message["value"] <= MAX_SPEED:
        raise CommandError("out_of_range", f"speed is 0 (maximum) or from {MIN_SPEED} to {MAX_SPEED}")
    for name in ("last_seq", "from_seq", "seq", "generation"):
        if name in message and not -1 <= message[name] < 2**53:
            raise CommandError("out_of_range", f"{kind}: {name} is out of range")
    if kind == "command":
        message["command"] = engine_commands.validate(message["command"])
    if kind == "view":
        message["view"] = check_view(message["view"])
    if kind == "ask":
        _closed("ask.question", message["question"], QUESTION_FIELDS)
        if not isinstance(message["question"].get("kind"), str):
            raise CommandError("bad_message", "ask: the question needs a kind")
    for name in ("id", "choice"):
        if name in message and not 0 <= message[name] < 2**53:
            raise CommandError("out_of_range", f"{kind}: {name} is out of range")
    if len(message.get("name", "")) > MAX_NAME_LENGTH:
        raise CommandError("out_of_range", f"{kind}: a name has at most {MAX_NAME_LENGTH} characters")
    if len(message.get("client", "")) > MAX_CLIENT_ID_LENGTH:
        raise CommandError("out_of_range", f"{kind}: a client id has at most {MAX_CLIENT_ID_LENGTH} characters")


QUESTION_FIELDS: dict[str, tuple[type, ...]] = {
    "kind": (str,), "node": (str,), "steps": (int,), "invariant": (str,), "field": (str,), "prompt": (str,),
    "options": (list,), "answer": (int,)}
"""What a teacher's question names (dashboard/questions.py checks the values; protocols/sim/questions.py the rest)."""

VIEW_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int, type(None)), "tab": (str, type(None)), "selected": (dict, type(None)),
    "spotlight": (dict, type(None)), "zoom": (dict, type(None)), "showing": (str, type(None)),
}
"""The controller's view (docs/websocket-protocol.md): every field optional; null means live / none."""

ITEM_FIELDS: dict[str, tuple[type, ...]] = {"kind": (str,), "id": (str,), "seq": (int,), "name": (str,),
                                            "row": (int,), "n": (int,)}
ZOOM_FIELDS: dict[str, tuple[type, ...]] = {"axis": (str,), "row_px": (int, float), "ms_px": (int, float)}


def check_view(view: dict[str, Any]) -> dict[str, Any]:
    """Validate a controller's view against its closed schema; return it, or raise CommandError."""
    _closed("view", view, VIEW_FIELDS)
    if view.get("seq") is not None and not 0 <= view["seq"] < 2**53:
        raise CommandError("out_of_range", "view: seq is out of range")
    tab = view.get("tab")
    if tab is not None and (not 0 < len(tab) <= VIEW_TAB_MAX or not tab.replace("-", "").isalnum()):
        raise CommandError("bad_message", "view: tab is a panel id (letters, digits, dashes)")
    showing = view.get("showing")
    if showing is not None and not 0 < len(showing) <= 24:
        raise CommandError("bad_message", "view: showing is a session id")
    for name in ("selected", "spotlight"):
        if view.get(name) is not None:
            _check_item(name, view[name])
    if view.get("zoom") is not None:
        zoom = view["zoom"]
        _closed("view.zoom", zoom, ZOOM_FIELDS)
        if zoom.get("axis", "seq") not in ("seq", "time"):
            raise CommandError("bad_message", "view.zoom: axis is 'seq' or 'time'")
        for name in ("row_px", "ms_px"):
            if name in zoom and not 0.001 <= zoom[name] <= 1000:
                raise CommandError("out_of_range", f"view.zoom: {name} is from 0.001 to 1000")
    return view


def _check_item(where: str, item: dict[str, Any]) -> None:
    _closed(f"view.{where}", item, ITEM_FIELDS)
    if item.get("kind") not in ITEM_KINDS:
        raise CommandError("bad_message", f"view.{where}: kind is one of {', '.join(sorted(ITEM_KINDS))}")
    for name in ("id", "name"):
        if len(item.get(name, "")) > VIEW_ID_MAX:
            raise CommandError("out_of_range", f"view.{where}: {name} has at most {VIEW_ID_MAX} characters")
    for name in ("seq", "row", "n"):
        if name in item and not 0 <= item[name] < 2**53:
            raise CommandError("out_of_range", f"view.{where}: {name} is out of range")


def _closed(where: str, value: dict[str, Any], fields: dict[str, tuple[type, ...]]) -> None:
    """Refuse unknown fields and wrong types (a bool is never a number here)."""
    unknown = set(value) - set(fields)
    if unknown:
        raise CommandError("bad_message", f"{where}: unknown fields {sorted(unknown)}")
    for name, types in fields.items():
        if name in value and (isinstance(value[name], bool) or not isinstance(value[name], types)):
            raise CommandError("bad_message", f"{where}: field {name!r} has the wrong type")


RESYNC_BURST_BYTES = 4 * 2**20
RESYNC_BYTES_PER_S = 512 * 2**10
"""What one connection's resyncs may make the server send: a page catching up on a long session at once,
then half a megabyte a second. A watcher asking for the whole log again and again (19,000 bytes out per
byte in, measured) gets `rate_limited` instead of the log (tests/live/test_ws_edges.py)."""


@dataclass
class ByteBudget:
    """Bytes a connection's resyncs may cost: RESYNC_BURST_BYTES at once, RESYNC_BYTES_PER_S after."""

    available: float = RESYNC_BURST_BYTES
    last: float = 0.0

    def allow(self, now: float) -> bool:
        """Say whether a resync may be served now (the budget is not spent)."""
        if self.last:
            self.available = min(RESYNC_BURST_BYTES, self.available + (now - self.last) * RESYNC_BYTES_PER_S)
        self.last = now
        return self.available > 0

    def spend(self, sent: int) -> None:
        """Take what a resync cost (the budget may go below zero: the next ones wait for it to refill)."""
        self.available -= sent


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
