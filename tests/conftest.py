"""The one real browser of the test session, shared by every end-to-end test folder.

Playwright's sync API allows one running instance per thread, so the browser is a
single session fixture here rather than one per folder. Its asyncio loop makes Django
refuse ORM calls in the test thread as "async unsafe"; they are plain synchronous
calls, so that check is switched off once a browser is started.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:  # noqa: F821
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}; install it or set CHROMIUM_PATH")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
