import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import wait_for
from datasets.models import Batch
from quality.pipeline import services


@pytest.mark.worker
def test_a_real_worker_turns_an_upload_into_a_version(project, manager, celery_worker_process):
    content = b"id,text,channel\n1,great,web\n2,awful,app\n3,great,web\n"
    batch = services.batch_upload(project=project, user=manager, uploaded=SimpleUploadedFile("b.csv", content))
    batch = wait_for(
        lambda: Batch.objects.filter(pk=batch.pk, status="accepted").first(),
        timeout=60,
        what=f"the batch to be accepted; worker log:\n{celery_worker_process.log()}",
    )
    assert (batch.rows_total, batch.rows_added, batch.rows_duplicate) == (3, 2, 1)
    assert batch.version.number == 1 and batch.version.item_count == 2
