"""Shared fixtures: users of each role in one project, API clients, and a real Celery worker."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ProjectFactory, UserFactory, add_member

PASSWORD = "pass-Word-123"


@pytest.fixture(autouse=True)
def _expired_leases_checked_on_every_request(settings):
    """Tests expire leases and expect the very next request to see it."""
    settings.GROUNDWORK_LABEL_RELEASE_CHECK_SECONDS = 0


@pytest.fixture
def manager(db):
    return UserFactory(username="manager")


@pytest.fixture
def project(manager):
    return ProjectFactory(user=manager, name="Sentiment")


@pytest.fixture
def reviewer(project):
    user = UserFactory(username="reviewer")
    add_member(project, user, "reviewer")
    return user


@pytest.fixture
def annotator(project):
    user = UserFactory(username="annotator1")
    add_member(project, user, "annotator")
    return user


@pytest.fixture
def outsider(db):
    """A user with projects of their own, none shared with ``project``."""
    user = UserFactory(username="outsider")
    ProjectFactory(user=user, name="Elsewhere")
    return user


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client() -> Callable[[object], APIClient]:
    return client_for


def wait_for(predicate: Callable[[], object], *, timeout: float = 60, interval: float = 0.2, what: str = "") -> object:
    """Poll until ``predicate`` returns something truthy; fail the test with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")


def _database_url() -> str:
    """The URL of the test database this process uses, for a worker process to share."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    """A real ``celery worker`` (with its beat for the recovery sweep) in its own process group."""

    def __init__(self, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    def start(self) -> "WorkerProcess":
        name = uuid.uuid4().hex[:8]
        self.log_path = self.log_dir / f"worker-{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "GROUNDWORK_BATCH_LEASE_SECONDS": "4",
            "GROUNDWORK_BATCH_SWEEP_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
            "-s", str(self.log_dir / f"beat-{name}"), "--concurrency=1", "--loglevel=INFO",
            "-n", f"test-{name}@%h", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: b"ready." in self.log_path.read_bytes() or self.process.poll() is not None, timeout=90,
                 what="the Celery worker to start")  # fmt: skip
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited at start:\n{self.log()}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool and beat: nothing gets to clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown: only the main process is told, so it can finish and ack its task."""
        self.request_stop()
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.kill()  # whatever of its group is left

    def request_stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def task_ids(self, task: str, event: str = "received") -> list[str]:
        """Ids of the ``task`` messages this worker logged as ``received`` or ``succeeded``."""
        pattern = re.compile(rf"Task {re.escape(task)}\[([0-9a-f-]+)\] {event}")
        return pattern.findall(self.log())

    def succeeded(self, task: str, task_id: str | None = None, timeout: float = 60) -> list[str]:
        """The ids of ``task`` this worker logged as succeeded, once it has logged ``task_id`` (or any).

        A task's effects are committed before the worker logs its success, so a test that saw the effect
        waits for the log line rather than reading the log at once.
        """
        wanted = (lambda ids: task_id in ids) if task_id else bool
        wait_for(lambda: wanted(self.task_ids(task, "succeeded")), timeout=timeout, what=f"{task} to succeed")
        return self.task_ids(task, "succeeded")


@pytest.fixture
def worker_factory(transactional_db, tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real workers on the test database; every one is stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(tmp_path, extra_env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:  # all at once: each warm shutdown takes a few seconds
        worker.request_stop()
    for worker in started:
        worker.stop()


@pytest.fixture
def celery_worker_process(worker_factory) -> WorkerProcess:
    return worker_factory()
