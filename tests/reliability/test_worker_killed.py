"""A worker killed with SIGKILL in the middle of an import: nothing lost, nothing doubled.

The worker runs as a real process on the test database and the configured broker. With the
filesystem broker the message is gone once read, so the recovery sweep must send the batch
again; with Redis the message also comes back after the visibility timeout, and that second
delivery must be harmless.
"""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from datasets.models import Batch, DatasetVersion, Item
from tests.reliability.helpers import (
    WORKER_ENV,
    big_batch_rows,
    broker_is_redis,
    csv_of,
    is_importing,
    logs,
    upload,
    wait_batch,
)

TASK = "quality.tasks.batch_process"
FIRST_BATCH = 100
VISIBILITY_TIMEOUT = 1


def items_api_count(client, project) -> int:
    response = client.get(f"/api/projects/{project.pk}/items/")
    assert response.status_code == 200, response.content
    return response.data["count"]


@pytest.mark.worker
def test_kill_9_mid_import_loses_nothing_and_doubles_nothing(project, manager, api_client, worker_factory):
    client = api_client(manager)
    rows = big_batch_rows()
    distinct = rows * 3 // 4
    first = worker_factory(**WORKER_ENV)
    small = upload(project, manager, csv_of((0, FIRST_BATCH)), name="first.csv")
    wait_batch(small.pk, lambda b: b.status == "accepted", first, what="the first batch to be accepted")

    response = client.post(
        f"/api/projects/{project.pk}/batches/",
        {"file": SimpleUploadedFile("big.csv", csv_of((0, rows), distinct), content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    batch_id = response.data["id"]
    wait_batch(batch_id, is_importing, first, what="the import to be under way")
    first.kill()
    killed_task = first.task_ids(TASK)[-1]

    # The dead run left committed rows, and nobody can see them.
    assert Item.objects.filter(batch_id=batch_id).exists()
    assert list(DatasetVersion.objects.filter(project=project).values_list("number", flat=True)) == [1]
    assert items_api_count(client, project) == FIRST_BATCH
    assert Batch.objects.get(pk=batch_id).status == "validating"

    # A visibility timeout of one second makes Redis give the dead worker's message back when
    # the next worker starts, provided the message has been out longer than that by then.
    if broker_is_redis():
        time.sleep(2 * VISIBILITY_TIMEOUT)
    second = worker_factory(**WORKER_ENV, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    batch = wait_batch(batch_id, lambda b: b.status == "accepted", second, what="the batch to be accepted")

    added, duplicates = distinct - FIRST_BATCH, rows - (distinct - FIRST_BATCH)
    assert batch.attempts == 2
    assert (batch.rows_total, batch.rows_added, batch.rows_duplicate) == (rows, added, duplicates)
    versions = list(DatasetVersion.objects.filter(project=project).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1] == batch.version and versions[1].parent == versions[0]
    assert (versions[1].item_count, versions[1].added_count, versions[1].duplicate_count) == (
        distinct,
        added,
        duplicates,
    )
    assert Item.objects.filter(project=project).count() == distinct
    assert not Item.objects.filter(project=project).values("content_hash").annotate(n=Count("id")).filter(n__gt=1)
    assert items_api_count(client, project) == distinct

    if broker_is_redis():
        # The dead worker's own message came back too, and found nothing left to do.
        wait_batch(
            batch_id,
            lambda b: killed_task in second.task_ids(TASK, "succeeded"),
            first,
            second,
            what="Redis to deliver the dead worker's message again",
        )
        batch.refresh_from_db()
        assert (batch.status, batch.attempts, batch.rows_added) == ("accepted", 2, added)
        assert DatasetVersion.objects.filter(project=project).count() == 2
        assert Item.objects.filter(project=project).count() == distinct
    else:
        # The filesystem broker deleted the message as it was read: the sweep sent the batch again.
        assert killed_task not in second.task_ids(TASK), logs(second)
