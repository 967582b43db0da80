"""The one real browser of the test session, shared by every end-to-end test folder.

Playwright's sync API allows one running instance per thread, so the browser is a
single session fixture here rather than one per folder. Its asyncio loop makes Django
refuse ORM calls in the test thread as "async unsafe"; they are plain synchronous
calls, so that check is switched off once a browser is started.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}; install it or set CHROMIUM_PATH")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageEvents:
    """What a page did behind the test's back: dialogs it opened and script errors it hit."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_recorded_page(
    browser: "Browser",
    base_url: str,
    *,
    width: int,
    height: int,
    timeout_ms: int,
    cookies: list[dict] | None = None,
) -> tuple["BrowserContext", "Page", PageEvents]:
    """A page in a fresh context (its own cookies) that records dialogs, dismissing them, and script errors."""
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
    context.set_default_timeout(timeout_ms)
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    events = PageEvents()

    def on_dialog(dialog) -> None:
        events.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: events.errors.append(str(error)))
    return context, page, events
