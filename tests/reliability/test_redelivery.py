"""The same batch task delivered twice, or a batch whose message never arrived."""

from datetime import timedelta

import pytest
from django.utils import timezone

from datasets.models import Batch, DatasetVersion, Item
from quality.tasks import batch_process
from tests.reliability.helpers import WORKER_ENV, big_batch_rows, csv_of, is_importing, upload, wait_batch

TASK = "quality.tasks.batch_process"


@pytest.mark.worker
def test_the_same_task_twice_makes_one_version_with_counts_not_doubled(project, manager, worker_factory):
    workers = [worker_factory(**WORKER_ENV), worker_factory(**WORKER_ENV)]
    rows = big_batch_rows()
    distinct = rows * 3 // 4
    batch = upload(project, manager, csv_of((0, rows), distinct))
    wait_batch(batch.pk, is_importing, *workers, what="the import to be under way")

    def handled(task_id: str):
        return lambda b: any(task_id in w.task_ids(TASK, "succeeded") for w in workers)

    # The idle worker takes the copy while the other one imports, and leaves the batch alone.
    during = batch_process.delay(str(batch.pk)).id
    wait_batch(batch.pk, handled(during), *workers, what="the copy sent during the import to be handled")
    assert Batch.objects.get(pk=batch.pk).status == "validating", "the import ended before the copy arrived"

    accepted = wait_batch(batch.pk, lambda b: b.status == "accepted", *workers, what="the batch to be accepted")
    after = batch_process.delay(str(batch.pk)).id
    wait_batch(batch.pk, handled(after), *workers, what="the copy sent after the import to be handled")

    batch.refresh_from_db()
    assert batch.attempts == 1
    assert batch.status == "accepted"
    assert (batch.finished_at, batch.version_id) == (accepted.finished_at, accepted.version_id)
    assert (batch.rows_total, batch.rows_added, batch.rows_duplicate) == (rows, distinct, rows - distinct)
    version = DatasetVersion.objects.get(project=project)
    assert (version.number, version.item_count, version.added_count) == (1, distinct, distinct)
    assert Item.objects.filter(project=project).count() == distinct


@pytest.mark.worker
def test_a_batch_whose_message_was_lost_is_sent_again_by_the_sweep(project, manager, worker_factory):
    batch = upload(project, manager, csv_of((0, 500), 400), enqueue=False)
    Batch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    worker = worker_factory(**WORKER_ENV)

    batch = wait_batch(batch.pk, lambda b: b.status == "accepted", worker, what="the sweep to find the batch")
    assert (batch.attempts, batch.rows_total, batch.rows_added, batch.rows_duplicate) == (1, 500, 400, 100)
    assert batch.version.number == 1 and batch.version.item_count == 400
    assert "quality.tasks.batch_recover_stale" in worker.log()
