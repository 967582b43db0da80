"""Validation pages in a real Chromium (the session's ``browser``) against ``live_server`` and a real worker.

``live_server`` asks for ``transactional_db``: what the test writes is committed, so the server
thread and the Celery worker process (``worker_factory``) see it.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page

from tests.conftest import PageEvents, open_recorded_page

SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOT_DIR", "")


@pytest.fixture
def page_as(browser: Browser, live_server) -> Iterator[Callable[..., tuple[Page, PageEvents]]]:
    """A page in a fresh browser context, signed in as ``user`` through a real session cookie."""
    contexts = []

    def open_as(user, width: int = 1280, height: int = 900) -> tuple[Page, PageEvents]:
        client = Client()
        client.force_login(user)
        cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
        context, page, events = open_recorded_page(
            browser, live_server.url, width=width, height=height, timeout_ms=30_000, cookies=[cookie]
        )
        contexts.append(context)
        return page, events

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def shot() -> Callable[[Page, str], None]:
    """Save a full-page screenshot when E2E_SCREENSHOT_DIR is set; otherwise do nothing."""

    def save(page: Page, name: str) -> None:
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"quality-{name}.png"), full_page=True)

    return save
