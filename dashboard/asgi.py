"""ASGI entry point: HTTP through Django, websockets through Channels behind an origin check."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up)

from dashboard.routing import websocket_urlpatterns  # noqa: E402
from dashboard.security import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # A foreign or missing Origin is refused: websocket frames carry cookies cross-site.
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
