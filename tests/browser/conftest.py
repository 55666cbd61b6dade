"""Playwright driving Debian's Chromium (it cannot download a browser here) against the live stack."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("PROTOLAB_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PROJECTOR = {"width": 1280, "height": 720}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the run; each test gets a fresh context (``context``).

    Playwright's sync API holds an event loop in this thread while the browser is open, so nothing may
    call asyncio.run() after it starts: tests/conftest.py runs the browser tests last. One launch, not
    one per module: some 23 launches saved, about a second of wall time each here.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium (bin/system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (cookies, storage) at projector size."""
    ctx = browser.new_context(viewport=PROJECTOR)
    yield ctx
    ctx.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot as a test artifact and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
