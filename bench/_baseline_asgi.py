"""A bare ASGI app for bench/live.py's baselines: one Channels consumer that relays a group to its socket.

Every websocket joins the group ``bench`` and receives each ``bench.msg``
sent to it, JSON-encoded, as one text frame: the raw ``group_send`` the
issue's baseline names. The channel layer is configured as the lab's was
before dashboard/hub.py replaced it (RedisChannelLayer, capacity 1,000,
expiry 30 s), or, with ``BENCH_LAYER=pubsub``, is channels_redis's
RedisPubSubChannelLayer; there is no database, no origin check, no session.
Run by the benchmark as ``daphne -p PORT bench._baseline_asgi:application``
with ``BENCH_REDIS_URL`` and ``BENCH_PREFIX`` set.
"""

from __future__ import annotations

import json
import os
from typing import Any

import django
from django.conf import settings

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PREFIX = os.environ.get("BENCH_PREFIX", "bench-baseline")
GROUP = "bench"



def layer_config(kind: str) -> dict[str, Any]:
    """Return the CHANNEL_LAYERS entry of one kind: "redis" is the lab's own, "pubsub" the alternative."""
    if kind == "pubsub":
        return {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{PREFIX}:pubsub"}}
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}],
            "prefix": f"{PREFIX}:asgi",
            "capacity": 1000,
            "expiry": 30,
        },
    }


CHANNEL_LAYER = layer_config(os.environ.get("BENCH_LAYER", "redis"))

if not settings.configured:
    settings.configure(INSTALLED_APPS=["channels"], CHANNEL_LAYERS={"default": CHANNEL_LAYER},
                       SECRET_KEY="bench-only", ALLOWED_HOSTS=["*"])
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402  (needs settings)
from channels.routing import ProtocolTypeRouter  # noqa: E402


class RelayConsumer(AsyncWebsocketConsumer):
    """Join the group on connect; forward every group message as one frame."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def bench_msg(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))


application = ProtocolTypeRouter({"websocket": RelayConsumer.as_asgi()})
