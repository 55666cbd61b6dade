"""An echo websocket for bin/autobahn only: every text or binary message goes back as it came.

bin/autobahn serves this with ``python -m dashboard.daphne_run`` and the lab's Daphne options (1 MiB
message and frame limits, close frames on protocol failures), so the Autobahn|Testsuite exercises the
lab's websocket layer (Daphne, autobahn, the close-frame patch) and none of the consumer's protocol.
No route of the lab serves it and the test suite does not import it. Any HTTP request gets a 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Event = dict[str, Any]
Receive = Callable[[], Awaitable[Event]]
Send = Callable[[Event], Awaitable[None]]


async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Echo on a websocket; answer anything else 404."""
    if scope["type"] == "websocket":
        await echo(receive, send)
    elif scope["type"] == "http":
        await not_found(receive, send)


async def echo(receive: Receive, send: Send) -> None:
    """Accept, then send each message back with its own type until the client goes."""
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif event["type"] == "websocket.receive":
            text = event.get("text")
            if text is not None:
                await send({"type": "websocket.send", "text": text})
            else:
                await send({"type": "websocket.send", "bytes": event.get("bytes") or b""})
        elif event["type"] == "websocket.disconnect":
            return


async def not_found(receive: Receive, send: Send) -> None:
    """Read the request body, then answer 404 with an empty body."""
    event = await receive()
    while event.get("more_body"):
        event = await receive()
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
