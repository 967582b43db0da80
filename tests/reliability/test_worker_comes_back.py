"""A worker comes back from a broker restart and a killed pool process on a loaded machine.

Celery kills a pool process that has not reported itself up within its alive timeout; when
each new child imported Great Expectations first (seconds, more under load), every
replacement was killed in turn and the worker never took a task again. Here the machine's
cores are kept busy, the broker is killed and started again, the pool process is killed with
SIGKILL, and the same worker must still accept a batch whose suite needs GX.

The broker is a Redis server of the test's own on a free port, so restarting it disturbs
nobody else's Redis; the test runs in the Redis pass only (the filesystem broker has no
server to restart).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest
import redis
from celery import Celery

from conftest import WorkerProcess, wait_for
from quality.suites.services import suite_set
from tests.reliability.helpers import WORKER_ENV, broker_is_redis, csv_of, logs, upload, wait_batch

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not broker_is_redis(), reason="restarts a Redis broker; runs in the Redis pass"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to start a broker of its own"),
]

TASK = "quality.tasks.batch_process"
LOAD_SECONDS = 100  # each busy loop stops by itself after this, whatever happens to the test
# Busy loops per core: with two, a process that needs a core gets about a third of one, as on the
# loaded machine where importing GX took 21.6 s (3 s when idle).
LOOPS_PER_CORE = 2
SUITE = {"name": "rows", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "channel"}}]}
BUSY_LOOP = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server: no persistence, so a restart loses every message, like a crash."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for(lambda: self._answers(client), timeout=20, interval=0.1, what="redis-server to answer")

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.kill()


@pytest.fixture
def cpu_load() -> Iterator[None]:
    """Busy loops on every core for as long as the test runs."""
    loops = [
        subprocess.Popen([sys.executable, "-c", BUSY_LOOP.format(seconds=LOAD_SECONDS)])
        for _ in range(LOOPS_PER_CORE * (os.cpu_count() or 2))
    ]
    yield
    for loop in loops:
        loop.kill()
        loop.wait(timeout=10)


def hostname_of(worker: WorkerProcess) -> str:
    return f"test-{worker.log_path.stem.removeprefix('worker-')}@{socket.gethostname()}"


@contextlib.contextmanager
def client_of(server: RedisServer) -> Iterator[Celery]:
    """A Celery client of the test's broker, new for each use: a restart of the server kills pooled connections.

    Read and write URLs, because Celery prefers the CELERY_BROKER_URL of the environment to a plain ``broker``.
    """
    client = Celery("reliability-probe", set_as_current=False)
    client.conf.update(broker_read_url=server.url, broker_write_url=server.url)
    try:
        yield client
    finally:
        client.close()


def pool_pids(server: RedisServer, worker: WorkerProcess) -> list[int]:
    """The worker's pool processes, as the worker itself reports them through the broker."""
    try:
        with client_of(server) as client:
            replies = client.control.inspect([hostname_of(worker)], timeout=5).stats() or {}
    except redis.ConnectionError:  # kombu kept a connection to the server before its restart: ask again
        return []
    stats = replies.get(hostname_of(worker)) or {}
    return list(stats.get("pool", {}).get("processes", []))


def reconnections(worker: WorkerProcess) -> int:
    return worker.log().count("Connected to redis://")


def test_the_same_worker_takes_a_batch_after_a_broker_restart_and_a_killed_child_under_load(
    project, manager, worker_factory, private_redis, cpu_load
):
    suite_set(project=project, user=manager, suite=SUITE)
    worker = worker_factory(**WORKER_ENV, CELERY_BROKER_URL=private_redis.url)
    main_pid = worker.process.pid
    assert private_redis.url in worker.log().replace(":**@", ""), logs(worker)
    children = wait_for(lambda: pool_pids(private_redis, worker), timeout=30, what="the worker to report its pool")

    # The broker dies and comes back empty; the worker reconnects by itself.
    private_redis.kill()
    private_redis.start()
    wait_for(lambda: reconnections(worker) >= 2, timeout=45, what=f"the worker to reconnect\n{logs(worker)}")

    # The pool process dies; the worker forks another, which must come up despite the load.
    os.kill(children[0], signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(children[0]) or psutil.Process(children[0]).status() == "zombie",
             timeout=10, what="the pool process to die")  # fmt: skip

    batch = upload(project, manager, csv_of((0, 200)), enqueue=False)
    with client_of(private_redis) as client:
        task_id = client.send_task(TASK, args=[str(batch.pk)]).id
    batch = wait_batch(batch.pk, lambda b: b.status == "accepted", worker, what="the batch to be accepted", timeout=75)

    assert worker.process.poll() is None and worker.process.pid == main_pid, logs(worker)
    assert task_id in worker.succeeded(TASK, task_id), logs(worker)
    assert batch.rows_added == 200 and batch.results, batch.results
    assert "Timed out waiting for UP message" not in worker.log(), logs(worker)
    replacements = wait_for(lambda: pool_pids(private_redis, worker), timeout=20, what="the worker to report its pool")
    assert children[0] not in replacements, (children, replacements)
