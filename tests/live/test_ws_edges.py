"""The websocket's edges against the real Daphne: what a refused connection or frame looks like on the wire."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct

import pytest
import websockets

from tests.live.client import run_live

pytestmark = pytest.mark.live


def ws_url(http, session_id: str) -> str:
    return http.base.replace("http://", "ws://") + f"/ws/sessions/{session_id}/"


async def closed_with(url: str, origin: str, send) -> tuple[int | None, str]:
    """Connect, run ``send(ws)``, and return the close code and reason the server sent."""
    async with websockets.connect(url, origin=origin, max_size=2**24) as ws:
        await send(ws)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        return ws.close_code, ws.close_reason


def test_an_unknown_session_is_accepted_then_closed_4404(http):
    async def nothing(ws) -> None:
        return None

    code, _ = run_live(closed_with(ws_url(http, "no-such-session"), http.origin, nothing))
    assert code == 4404


def opened(http, session_id: str) -> tuple[socket.socket, bytes]:
    """Return a raw socket after a websocket handshake (to send what a well-behaved client library would not)."""
    host, port = http.base.removeprefix("http://").split(":")
    key = base64.b64encode(os.urandom(16)).decode()
    raw = socket.create_connection((host, int(port)), timeout=10)
    raw.sendall((f"GET /ws/sessions/{session_id}/ HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                 f"Origin: {http.origin}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return raw, head.split(b"\r\n\r\n", 1)[1]


def frame(opcode: int, payload: bytes, fin: bool = True, length: int | None = None) -> bytes:
    """Return one masked client frame (``length``: what the header claims, if not the payload's)."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack("!H", n) if n < 2**16
                                                else bytes([0x80 | 127]) + struct.pack("!Q", n))
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_code(raw: socket.socket, data: bytes) -> int:
    """Read until the server's close frame; return its code (fail if the connection just drops)."""
    while len(data) < 4:
        chunk = raw.recv(4096)
        assert chunk, "the connection was dropped without a close frame"
        data += chunk
    assert data[0] & 0x0F == 0x8, f"a close frame, not {data[:8]!r}"
    return int(struct.unpack("!H", data[2:4])[0])


def send_until_refused(raw: socket.socket, chunks) -> None:
    """Send chunks until the server stops reading (it closed), then stop."""
    for chunk in chunks:
        try:
            raw.sendall(chunk)
        except OSError:
            return


def test_a_message_over_the_limit_is_closed_1009_whole_or_in_fragments(http):
    session = http.create(protocol="two-phase-commit")
    whole, early = opened(http, session["id"])
    send_until_refused(whole, [frame(0x1, b"x" * 1000, length=2 * 2**20)])  # A 2 MiB frame's first bytes.
    assert close_code(whole, early) == 1009
    whole.close()
    pieces, early = opened(http, session["id"])
    fragments = (frame(0x1 if i == 0 else 0x0, b"x" * 64, fin=False) for i in range(4 * 2**20 // 64))
    send_until_refused(pieces, fragments)  # 4 MiB in 64-byte fragments, never finished.
    assert close_code(pieces, early) == 1009
    pieces.close()


def test_text_that_is_not_utf8_is_closed_1007(http):
    session = http.create(protocol="two-phase-commit")
    raw, early = opened(http, session["id"])
    raw.sendall(frame(0x1, b"\xff\xfe\xfd"))
    assert close_code(raw, early) == 1007
    raw.close()


def test_a_refused_origin_and_frames_before_hello(http):
    session = http.create(protocol="two-phase-commit")
    url = ws_url(http, session["id"])
    other_port = http.origin.rsplit(":", 1)[0] + ":1"

    async def scenario() -> list[str]:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, origin=other_port)
        assert refused.value.response.status_code == 403
        async with websockets.connect(url, origin=http.origin) as ws:
            codes = []
            for frame in ({"type": "play"}, {"no": "type"}):
                await ws.send(json.dumps(frame))
                codes.append(json.loads(await asyncio.wait_for(ws.recv(), 10))["code"])
            return codes

    assert run_live(scenario()) == ["hello_first", "unknown_type"]
