"""The labeling page in a real Chromium (the session's ``browser`` of tests/conftest.py) against ``live_server``.

Items are imported in-process through the real pipeline (``batch_upload`` then
``batch_import``), so no Celery worker is needed. ``live_server`` asks for
``transactional_db``: what a test writes is committed and the server thread sees it.
"""

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.servers import basehttp
from django.test import Client
from playwright.sync_api import Browser, Page

from projects.models import Project
from quality.pipeline import services as quality_services
from tests.conftest import PageEvents, open_recorded_page
from tests.factories import ProjectFactory, UserFactory, add_member

SCREENSHOT_DIR = Path(os.environ.get("LABEL_SCREENSHOT_DIR", "/tmp/shots-label"))


@pytest.fixture(scope="session", autouse=True)
def live_server_without_nagle() -> Iterator[None]:
    """Send each response without waiting on delayed ACKs, as gunicorn does (it sets TCP_NODELAY).

    Django's test server writes headers and body separately; with Nagle's algorithm on, the
    body then waits ~40 ms for the client's delayed ACK, which would swamp the time from
    submit to next item that these tests measure.
    """
    handler = basehttp.WSGIRequestHandler
    before = handler.disable_nagle_algorithm
    handler.disable_nagle_algorithm = True
    yield
    handler.disable_nagle_algorithm = before


@dataclass
class Tab:
    page: Page
    events: PageEvents


@pytest.fixture
def open_tab(browser: Browser, live_server) -> Iterator[Callable[..., Tab]]:
    """A page in a fresh browser context, signed in as ``user`` through a real session cookie."""
    contexts = []

    def open_as(user, width: int = 1280, height: int = 860) -> Tab:
        client = Client()
        client.force_login(user)
        cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
        context, page, events = open_recorded_page(
            browser, live_server.url, width=width, height=height, timeout_ms=20_000, cookies=[cookie]
        )
        contexts.append(context)
        return Tab(page, events)

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def annotator_user(transactional_db):
    return UserFactory(username="annotator1")


@pytest.fixture
def page(open_tab, annotator_user) -> Page:
    """The annotator's page; the test fails if it raised a script error or opened a dialog."""
    tab = open_tab(annotator_user)
    yield tab.page
    assert tab.events.errors == [], tab.events.errors
    assert tab.events.dialogs == [], tab.events.dialogs


def import_rows(project: Project, user, rows: list[dict]) -> None:
    """Import rows in-process through the real pipeline; fails the test unless accepted."""
    if not rows:
        return
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    batch = quality_services.batch_upload(
        project=project, user=user, uploaded=SimpleUploadedFile("rows.jsonl", body), enqueue=False
    )
    batch = quality_services.batch_import(batch_id=str(batch.pk))
    assert batch is not None and batch.status == "accepted", batch and batch.error


@pytest.fixture
def make_project(manager, annotator_user) -> Callable[..., Project]:
    """A project of the given task type, with rows imported and ``annotator1`` as its annotator."""

    def make(task_type: str, labels: list, rows: list[dict], *, overlap: int = 1, **extra) -> Project:
        project = ProjectFactory(user=manager, task_type=task_type, labels=labels, overlap=overlap, **extra)
        add_member(project, annotator_user, "annotator")
        import_rows(project, manager, rows)
        return project

    return make


@pytest.fixture
def shot() -> Callable[[Page, str], None]:
    """Save a screenshot of the page, to look at it."""

    def save(page: Page, name: str) -> None:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)

    return save


def texts(*values: str) -> list[dict]:
    return [{"id": f"t{n}", "text": value} for n, value in enumerate(values, start=1)]
