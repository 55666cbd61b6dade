"""What every response says about how a browser may use it, and which pages may open a websocket.

- **Content-Security-Policy**: scripts, styles, images and connections from this
  lab only (the pages load nothing from elsewhere: classrooms are offline);
  inline ``style`` attributes are allowed (D3 and the panels set them), inline
  scripts are not (the pages have none; their data travels in JSON blocks).
  ``frame-ancestors 'self'``: only the lab's own pages may frame a page (the
  compare page and a sandbox shown on the projector do), never another site.
- **Origin of a websocket**: the scheme, host and port of the page that opens
  it must be the ones the socket itself was opened on (a same-origin check),
  the host also one of ``DJANGO_ALLOWED_HOSTS``; ``PROTOLAB_ALLOWED_ORIGINS``
  lists further origins (a front proxy's) exactly. A missing Origin is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def content_security_policy(request: HttpRequest) -> str:
    """Return the policy for a page served to ``request``."""
    host = request.get_host()
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", f"connect-src 'self' ws://{host} wss://{host}", "font-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'self'",
    ])


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy (X-Frame-Options comes from Django's middleware, SAMEORIGIN)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(request))
        return response


def _origin_parts(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def origin_allowed(origin: str, host_header: str | None, secure: bool) -> bool:
    """Say whether a page at ``origin`` may open a websocket that arrived with ``host_header``."""
    if origin in settings.PROTOLAB_ALLOWED_ORIGINS:
        return True
    parts = _origin_parts(origin)
    if parts is None:
        return False
    scheme, hostname, port = parts
    if scheme != ("https" if secure else "http") or not validate_host(_bracketed(hostname), settings.ALLOWED_HOSTS):
        return False
    if host_header is None:
        return True  # No Host to compare with (an in-process test client): the allowed hosts decide.
    domain, given = split_domain_port(host_header)
    if not domain:
        return False
    expected = int(given) if given.isdigit() else DEFAULT_PORTS[scheme]
    return hostname == domain.strip("[]") and port == expected


def _bracketed(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname


class SameOriginValidator:
    """Refuse a websocket whose Origin is not the socket's own scheme, host and port (HTTP 403 at the handshake)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin1")
        host = headers.get(b"host")
        if origin and origin_allowed(origin, host.decode("latin1") if host else None, scope.get("scheme") == "wss"):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
