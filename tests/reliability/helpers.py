"""Helpers for the pipeline's reliability tests: batch files, uploads and waiting on a batch."""

import functools
import io
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import WorkerProcess, wait_for
from datasets.models import Batch
from quality.pipeline import services

# Small chunks, so a big batch takes dozens of commits and several seconds: long enough to
# kill a worker in the middle of it, short enough for a test.
CHUNK_ROWS = 1000
# Workers on the filesystem broker look for tasks every 0.1 s, not every second: a copy of a task
# sent during an import then reaches the idle worker while the import still runs.
WORKER_ENV = {"GROUNDWORK_IMPORT_CHUNK_ROWS": str(CHUNK_ROWS), "GROUNDWORK_BROKER_POLL_SECONDS": "0.1"}


def big_batch_rows() -> int:
    return 120_000


def text_of(number: int) -> str:
    return f"t{number}"


@functools.cache
def csv_of(numbers: tuple[int, int], modulo: int | None = None) -> bytes:
    """A CSV with one row for each number in ``range(*numbers)``; its text repeats every ``modulo`` rows."""
    out = io.StringIO()
    out.write("id,text,channel\n")
    for row in range(*numbers):
        value = row % modulo if modulo else row
        out.write(f"r{row},{text_of(value)},{'web' if row % 3 else 'app'}\n")
    return out.getvalue().encode()


def upload(project, user, content: bytes, *, name: str = "batch.csv", enqueue: bool = True) -> Batch:
    return services.batch_upload(
        project=project, user=user, uploaded=SimpleUploadedFile(name, content), enqueue=enqueue
    )


def logs(*workers: WorkerProcess) -> str:
    return "\n".join(f"--- {w.log_path.name} ---\n{w.log()[-6000:]}" for w in workers)


def wait_batch(
    batch_id, condition: Callable[[Batch], bool], *workers: WorkerProcess, what: str, timeout: float = 60
) -> Batch:
    """Wait until the batch satisfies ``condition``; on timeout, fail with its state and the workers' logs."""

    def check() -> Batch | None:
        batch = Batch.objects.get(pk=batch_id)
        return batch if condition(batch) else None

    try:
        return wait_for(check, timeout=timeout, interval=0.05, what=what)
    except pytest.fail.Exception:
        batch = Batch.objects.get(pk=batch_id)
        pytest.fail(
            f"timed out waiting for {what}; batch is {batch.status} (attempts {batch.attempts}, "
            f"progress {batch.progress}, error {batch.error!r})\n{logs(*workers)}"
        )


def is_importing(batch: Batch) -> bool:
    """Validating, with at least one chunk committed (its rows invisible until the version)."""
    return batch.status == "validating" and batch.progress > 0 and batch.items.exists()


def broker_is_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith("redis")
