"""Two batches of one project uploaded back to back, with two workers free to take them."""

import re

import pytest

from datasets.models import DatasetVersion, Item
from tests.reliability.helpers import WORKER_ENV, big_batch_rows, csv_of, logs, upload, wait_batch

RETRY = re.compile(r"quality\.tasks\.batch_process\[[0-9a-f-]+\] retry: Retry in")


@pytest.mark.worker
def test_overlapping_batches_become_versions_one_and_two_in_upload_order(project, manager, worker_factory):
    workers = [worker_factory(**WORKER_ENV), worker_factory(**WORKER_ENV)]
    rows = big_batch_rows()
    distinct = rows * 3 // 4
    overlap, new = 1_000, 2_000
    first = upload(project, manager, csv_of((0, rows), distinct), name="first.csv")
    second = upload(project, manager, csv_of((distinct - overlap, distinct + new)), name="second.csv")

    second = wait_batch(second.pk, lambda b: b.status == "accepted", *workers, what="the second batch", timeout=90)
    first.refresh_from_db()
    assert first.status == "accepted"
    assert first.finished_at <= second.started_at  # one import at a time per project

    v1, v2 = DatasetVersion.objects.filter(project=project).order_by("number")
    assert (v1.number, v1.batch, v1.item_count, v1.added_count, v1.duplicate_count) == (
        1,
        first,
        distinct,
        distinct,
        rows - distinct,
    )
    assert (v2.number, v2.batch, v2.parent, v2.item_count) == (2, second, v1, distinct + new)
    assert (second.rows_total, second.rows_added, second.rows_duplicate) == (overlap + new, new, overlap)
    assert (v2.added_count, v2.duplicate_count) == (new, overlap)
    assert Item.objects.filter(project=project).count() == distinct + new
    assert second.attempts == 1 and first.attempts == 1

    # When the other worker took the second batch while the first imported, it found the project
    # busy and tried again later through the broker. (One worker may also have reserved both
    # messages and run them in turn: then there was nothing to wait for.)
    takers = [w for w in workers if w.task_ids("quality.tasks.batch_process")]
    if len(takers) == 2:
        assert RETRY.search("".join(w.log() for w in workers)), logs(*workers)
