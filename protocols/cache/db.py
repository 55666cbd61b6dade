"""The database: the truth, one value and one version per key, durable.

Every applied write bumps the key's version and is forced to the durable log
before it is acknowledged, so a crash of the database loses nothing it has
acknowledged: on recovery it replays its log. A key never written reads as
``None`` at version 0. Replies echo the request's ``echo`` field, so a cache
can forward a client's request without remembering it.

State: ``{"phase": "up", "data": {"k0": {"v": "c1:3", "ver": 2}}}`` (the
write-back directory adds its own fields, see ``write_back_db``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from protocols.base import Context, Effect, Outcome, Persist, Receive, Record, Send, State


def initial_db(ctx: Context) -> dict[str, Any]:
    """Return the database's state at boot: nothing written yet."""
    return {"phase": "up", "data": {}}


def read(state: State, key: str) -> tuple[Any, int]:
    """Return (value, version) of a key; (None, 0) if never written."""
    cell = state["data"].get(key)
    return (None, 0) if cell is None else (cell["v"], int(cell["ver"]))


def apply_write(state: State, key: str, value: Any, **extra: Any) -> tuple[dict[str, Any], Persist, int]:
    """Return the state with ``value`` written under a new version, the forced log record, and the version."""
    version = read(state, key)[1] + 1
    data = {**state["data"], key: {"v": value, "ver": version}}
    record = {"type": "write", "key": key, "value": value, "ver": version, **extra}
    return {**state, "data": data}, Persist(record=record), version


def db_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a read with the key's value and version."""
    body = event.message.body
    value, version = read(state, body["key"])
    reply = {"key": body["key"], "value": value, "ver": version, "echo": body.get("echo", {})}
    return state, [Send(dest=event.message.src, type="db_read_ok", body=reply, in_reply_to=event.message.msg_id)]


def db_write(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Apply a write: force it to the log, then acknowledge it with its version."""
    body = event.message.body
    state, persist, version = apply_write(state, body["key"], body["value"])
    reply = {"key": body["key"], "ver": version, "echo": body.get("echo", {})}
    effects: list[Effect] = [persist, Send(dest=event.message.src, type="db_write_ok", body=reply,
                                           in_reply_to=event.message.msg_id)]
    return state, effects


def replay_writes(durable: Sequence[Record]) -> dict[str, Any]:
    """Return the data a durable log describes: the last write of each key."""
    data: dict[str, Any] = {}
    for record in durable:
        if record.get("type") == "write":
            data[record["key"]] = {"v": record["value"], "ver": record["ver"]}
    return data


def db_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the data from the durable log: every acknowledged write is there."""
    return {**state, "phase": "up", "data": replay_writes(event.durable)}, ()


def echo_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """Return the echoed context of a database reply."""
    return dict(body.get("echo") or {})
