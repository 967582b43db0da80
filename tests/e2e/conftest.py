"""A real browser (Debian's chromium, driven by Playwright) against ``live_server``.

Playwright's sync API runs an asyncio loop in the test thread, so Django would refuse
ORM calls there as "async unsafe"; they are plain synchronous calls, so that check is
switched off for these tests.

The live server and the Celery worker both use the test database: the server runs in
a thread of this process, the worker gets its URL from ``worker_factory``.
``live_server`` asks for ``transactional_db``, so what the test writes is committed and
visible to both.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from conftest import PASSWORD
from tests.conftest import PageEvents, open_recorded_page

# Screenshots of each step land here when the variable is set (to look at the pages).
SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOT_DIR", "")


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator[Callable[..., tuple[Page, PageEvents]]]:
    """Open a page in a fresh context (its own cookies), recording dialogs and script errors."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900) -> tuple[Page, PageEvents]:
        context, page, events = open_recorded_page(
            browser, live_server.url, width=width, height=height, timeout_ms=30_000
        )
        contexts.append(context)
        return page, events

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> tuple[Page, PageEvents]:
    return new_page()


@pytest.fixture
def login() -> Callable[[Page, str], None]:
    def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return log_in


@pytest.fixture
def shot() -> Callable[[Page, str], None]:
    """Save a full-page screenshot when E2E_SCREENSHOT_DIR is set; otherwise do nothing."""

    def save(page: Page, name: str) -> None:
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)

    return save
