"""The queue is filled by the worker that makes a version; a request never takes in a large backlog."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.errors import QueueFilling
from conftest import wait_for
from datasets.models import Batch, DatasetVersion, Item
from labeling import services
from labeling.models import Annotation, ItemState, QueueSync
from quality.pipeline import services as pipeline_services
from tests.labeling.conftest import import_rows


def version_by_hand(project, user, texts: list[str]) -> DatasetVersion:
    """A version whose items no worker put in the queue (as one made before workers filled queues)."""
    parent = DatasetVersion.objects.filter(project=project).order_by("-number").first()
    number = parent.number + 1 if parent else 1
    version = DatasetVersion.objects.create(
        project=project, number=number, parent=parent, item_count=len(texts), added_count=len(texts)
    )
    batch = Batch.objects.create(
        project=project, uploaded_by=user, original_name=f"v{number}.csv", file=f"v{number}.csv",
        file_sha256=f"{number:064x}", file_size=0, format="csv", status="accepted", version=version,
    )  # fmt: skip
    Item.objects.bulk_create(
        Item(project=project, batch=batch, external_id=text, data={"text": text}, metadata={},
             content_hash=f"{number:08x}{n:056x}")
        for n, text in enumerate(texts)
    )  # fmt: skip
    return version


def queue_taken_in(project) -> int | None:
    return QueueSync.objects.filter(project=project).values_list("version_number", flat=True).first()


def test_the_version_comes_with_its_queue_rows(loaded_project):
    """``import_rows`` runs the worker's import in-process: the rows are there before any /next/."""
    assert ItemState.objects.filter(project=loaded_project, is_open=True).count() == 6
    assert queue_taken_in(loaded_project) == 1


def test_a_small_backlog_is_taken_in_by_the_request(project, manager, annotator, api_client):
    version_by_hand(project, manager, ["one", "two"])
    response = api_client(annotator).get(f"/api/projects/{project.pk}/next/")
    assert response.status_code == 200
    assert ItemState.objects.filter(project=project).count() == 2 and queue_taken_in(project) == 1


def test_a_large_backlog_with_nothing_in_the_queue_answers_503_and_fills_nothing(
    project, manager, annotator, api_client, settings
):
    settings.GROUNDWORK_QUEUE_FILL_IN_REQUEST_MAX = 2
    version_by_hand(project, manager, ["one", "two", "three"])
    response = api_client(annotator).get(f"/api/projects/{project.pk}/next/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "being added" in response.json()["detail"]
    assert not ItemState.objects.filter(project=project).exists()

    item = Item.objects.filter(project=project).first()
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    response = api_client(annotator).post(f"/api/items/{item.pk}/annotations/", body, format="json")
    assert response.status_code == 503
    assert not Annotation.objects.exists() and not ItemState.objects.exists()

    assert services.queues_fill_behind() == [project.pk]
    assert ItemState.objects.filter(project=project).count() == 3 and queue_taken_in(project) == 1
    assert services.queues_fill_behind() == []  # a repeat finds nothing to do
    assert api_client(annotator).get(f"/api/projects/{project.pk}/next/").status_code == 200


def test_while_a_large_version_waits_the_items_already_in_the_queue_are_served(
    loaded_project, manager, annotators, settings
):
    settings.GROUNDWORK_QUEUE_FILL_IN_REQUEST_MAX = 2
    version_by_hand(loaded_project, manager, ["new one", "new two", "new three"])
    served = []
    for _ in range(6):  # the six items of version 1, while the request leaves version 2 to the sweep
        item = services.next_item(project=loaded_project, user=annotators[0])
        services.annotation_submit(item=item, user=annotators[0], request_uuid=uuid.uuid4(), value="positive")
        served.append(item.batch.version.number)
    assert served == [1] * 6 and queue_taken_in(loaded_project) == 1
    with pytest.raises(QueueFilling):  # not "nothing left" (204): version 2 is on its way
        services.next_item(project=loaded_project, user=annotators[0])
    services.queues_fill_behind()
    assert services.next_item(project=loaded_project, user=annotators[0]).batch.version.number == 2


@pytest.mark.worker
def test_a_real_worker_fills_the_queue_with_the_version(project, manager, celery_worker_process):
    content = b"id,text\n1,great\n2,awful\n3,fine\n"
    batch = pipeline_services.batch_upload(project=project, user=manager, uploaded=SimpleUploadedFile("b.csv", content))
    batch = wait_for(
        lambda: Batch.objects.filter(pk=batch.pk, status="accepted").first(),
        timeout=60,
        what=f"the batch to be accepted; worker log:\n{celery_worker_process.log()}",
    )
    items = set(Item.objects.filter(batch=batch).values_list("pk", flat=True))
    assert len(items) == 3
    assert set(ItemState.objects.filter(project=project, is_open=True).values_list("item_id", flat=True)) == items
    assert queue_taken_in(project) == batch.version.number == 1


def test_import_rows_then_a_second_version_is_also_in_the_queue_at_once(loaded_project, manager):
    import_rows(loaded_project, manager, [{"id": "x1", "text": "another text"}], name="second.csv")
    assert ItemState.objects.filter(project=loaded_project).count() == 7 and queue_taken_in(loaded_project) == 2
