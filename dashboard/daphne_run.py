"""Run Daphne as the stack does, with one protocol option its command line does not offer.

Autobahn, under Daphne, fails a websocket by dropping the TCP connection
(``failByDrop``): a message over the size limit (1 MiB), a frame over it, or
text that is not UTF-8 ended the connection with no close frame, so a client
could not tell a refusal from a network fault. With ``failByDrop`` off the
protocol closes as RFC 6455 says: 1009 (message too big; autobahn's reason
says the size and the limit) and 1007 (invalid UTF-8), then drops the
connection if the client does not answer the close. Checked by
tests/live/test_ws_edges.py and bin/autobahn (docs/autobahn/).
"""

from __future__ import annotations

from typing import Any

from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory

_set_options = WebSocketFactory.setProtocolOptions


def _with_close_frames(self: Any, *args: Any, **options: Any) -> None:
    options.setdefault("failByDrop", False)
    _set_options(self, *args, **options)


def main() -> None:
    """Start Daphne with close frames on protocol failures (the rest of its arguments as given)."""
    WebSocketFactory.setProtocolOptions = _with_close_frames  # type: ignore[method-assign]
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
