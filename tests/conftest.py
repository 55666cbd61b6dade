"""Fixtures shared across test folders (the live stack is used by live and browser tests)."""

from tests.live.conftest import http, lab, own_redis  # noqa: F401 (re-exported fixtures)
