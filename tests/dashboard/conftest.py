"""Web tests: on PostgreSQL, no connection is left on the test database when the session ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _no_connection_left_on_the_test_database(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """End every other session on the test database before pytest-django drops it.

    Code run through ``sync_to_async`` outside a request (the streamed trace's chunks under an in-process
    ASGI client) opens its connection in asgiref's own thread, which nothing closes; PostgreSQL then
    refuses to drop the database ("being accessed by other users"). SQLite does not mind.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
