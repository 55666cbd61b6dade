"""Fixtures shared across test folders (the live stack is used by live and browser tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from dashboard.stack import Stack, start_embedded_redis
from tests.live.conftest import Http, make_stack


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop running in this
    thread while its browser is open, and asyncio.run() refuses to start under it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole lab, shared by the live tests that do not break it."""
    stack = make_stack(tmp_path_factory.mktemp("lab"), os.environ["REDIS_URL"], "live")
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def own_redis() -> Iterator[Any]:
    """An embedded Valkey that this test may restart (never the machine's Redis)."""
    server = start_embedded_redis()
    yield server
    if server.is_running():
        server.stop()


@pytest.fixture
def http(lab: Stack) -> Http:
    return Http(lab)
