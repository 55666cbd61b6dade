"""Cheap limits against a room of strangers: per client address, per minute, counted in Redis.

A legitimate class stays far below each limit (a teacher creates a few sessions
a minute; a student forks once or twice); a script flooding the lab does not.
Each limit is a setting (dashboard/settings.py) so a lab behind one NAT can
raise it. A refused request gets a 429 that says what the limit is.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from dashboard import hotstate


class Throttled(Exception):
    """Over a per-address limit; ``message`` says which and when to try again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def take(kind: str, address: str, per_minute: int, what: str) -> None:
    """Count one ``kind`` request from ``address``; raise Throttled past ``per_minute`` in this minute."""
    minute = int(timezone.now().timestamp() // 60)
    key = f"{settings.PROTOLAB_PREFIX}:limit:{kind}:{address}:{minute}"
    count, _ = hotstate.client().pipeline(transaction=False).incr(key).expire(key, 120).execute()
    if count > per_minute:
        raise Throttled(f"at most {per_minute} {what} a minute from one address; try again in a minute")
