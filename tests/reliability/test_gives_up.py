"""Batches that cannot succeed end ``failed``, once, with a reason; nothing loops."""

import re

import pytest

from datasets.models import DatasetVersion, Item
from tests.reliability.helpers import WORKER_ENV, big_batch_rows, csv_of, is_importing, logs, upload, wait_batch

SWEEP = "quality.tasks.batch_recover_stale"
RETRY = re.compile(r"quality\.tasks\.batch_process\[[0-9a-f-]+\] retry:")


def wait_for_sweeps(batch_id, worker, count: int) -> None:
    """Let the worker's sweep run ``count`` more times."""
    before = len(worker.task_ids(SWEEP, "succeeded"))
    wait_batch(
        batch_id, lambda b: len(worker.task_ids(SWEEP, "succeeded")) >= before + count, worker, what="more sweeps"
    )


@pytest.mark.worker
def test_a_batch_whose_worker_always_dies_fails_after_the_configured_attempts(project, manager, worker_factory):
    env = {**WORKER_ENV, "GROUNDWORK_BATCH_MAX_ATTEMPTS": "2"}
    rows = big_batch_rows()
    batch = upload(project, manager, csv_of((0, rows)))
    for attempt in (1, 2):
        worker = worker_factory(**env)
        wait_batch(
            batch.pk,
            lambda b, attempt=attempt: is_importing(b) and b.attempts == attempt,
            worker,
            what=f"attempt {attempt} to be under way",
        )
        worker.kill()
        assert Item.objects.filter(batch=batch).exists()

    last = worker_factory(**env)
    failed = wait_batch(batch.pk, lambda b: b.status == "failed", last, what="the batch to be given up on")
    assert failed.attempts == 2
    assert "gave up after 2 attempts" in failed.error
    assert not Item.objects.filter(project=project).exists()
    assert not DatasetVersion.objects.filter(project=project).exists()

    wait_for_sweeps(batch.pk, last, 3)
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.error) == ("failed", 2, failed.error)
    assert not Item.objects.filter(project=project).exists()


@pytest.mark.worker
def test_a_parse_error_fails_with_the_row_named_and_is_not_retried(project, manager, worker_factory):
    content = b"id,text,channel\n1,good,web\n2,fine,app\n3,bad,web,surplus\n4,late,web\n"
    worker = worker_factory(**WORKER_ENV)
    batch = upload(project, manager, content)

    failed = wait_batch(batch.pk, lambda b: b.status == "failed", worker, what="the batch to fail")
    assert re.search(r"\brow 3\b", failed.error), failed.error
    assert "expected 3 fields, found 4" in failed.error
    assert failed.attempts == 1 and failed.version is None
    assert not Item.objects.filter(project=project).exists()

    wait_for_sweeps(batch.pk, worker, 3)
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.error) == ("failed", 1, failed.error)
    assert not RETRY.search(worker.log()), logs(worker)
