"""Our Label Studio export, uploaded into a new project, brings back the same annotations, gold
answers and predictions; every annotation says where it came from. Through the API and a real worker."""

import json
import uuid

import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import wait_for
from datasets.models import Batch, Item
from labeling.models import Annotation, GoldLabel, Prediction
from tests.factories import ProjectFactory, UserFactory, add_member
from tests.labeling.test_import_labels import labelstudio_export


def upload(client, project, name: str, content: bytes, worker) -> Batch:
    response = client.post(
        f"/api/projects/{project.pk}/batches/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 202, response.content
    batch_id = response.json()["id"]
    batch = wait_for(
        lambda: Batch.objects.filter(pk=batch_id, status__in=["accepted", "failed", "quarantined"]).first(),
        timeout=90,
        what=f"the batch to finish; worker log:\n{worker.log()}",
    )
    assert batch.status == "accepted", batch.error
    return batch


def export(client, project, fmt: str) -> bytes:
    response = client.get(f"/api/projects/{project.pk}/versions/1/export/?format={fmt}")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def labels_of(project) -> tuple[list, dict, dict]:
    annotations = sorted(
        (a.item.external_id, a.annotator.username, a.value)
        for a in Annotation.objects.filter(project=project).select_related("item", "annotator")
    )
    gold = {g.item.external_id: g.value for g in GoldLabel.objects.filter(project=project).select_related("item")}
    predictions = {
        (p.prediction_set.model_name, p.item.external_id): p.probabilities
        for p in Prediction.objects.filter(prediction_set__project=project).select_related("prediction_set", "item")
    }
    return annotations, gold, predictions


@pytest.mark.worker
def test_our_labelstudio_export_comes_back_whole_in_a_new_project(
    project, manager, api_client, celery_worker_process, tmp_path, client
):
    browser = client
    ann, bob = (
        UserFactory(username="ann", email="ann@example.com"),
        UserFactory(username="bob", email="bob@corp.example"),
    )
    for user in (ann, bob):
        add_member(project, user, "annotator")
    client = api_client(manager)
    first = upload(
        client, project, "project-7-at-2024.json", json.dumps(labelstudio_export()).encode(), celery_worker_process
    )
    items = {i.external_id: i for i in Item.objects.filter(project=project)}

    # A label given here, a gold answer no annotation gives, and a model's full probabilities.
    given = api_client(ann).post(
        f"/api/items/{items['103'].pk}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json"
    )
    assert given.status_code == 201
    assert client.post(f"/api/items/{items['103'].pk}/gold/", {"value": "negative"}, format="json").status_code == 201
    rows = [{"item": items["101"].pk, "probabilities": [0.2, 0.5, 0.3]}]
    answer = client.post(
        f"/api/projects/{project.pk}/predictions/", {"model": "mine", "predictions": rows}, format="json"
    )
    assert answer.status_code in (200, 201), answer.content

    origins = {
        (a.item.external_id, a.annotator.username): (a.origin, a.import_batch_id) for a in Annotation.objects.all()
    }
    assert origins == {
        ("101", "ann"): ("imported", first.pk),
        ("101", "bob"): ("imported", first.pk),
        ("102", "bob"): ("imported", first.pk),
        ("103", "ann"): ("app", None),
    }
    # Every export names each annotation's origin and batch.
    lines = [json.loads(line) for line in export(client, project, "jsonl").splitlines()]
    by_id = {line["external_id"]: line for line in lines}
    assert [(a["annotator"], a["origin"], a["import_batch"]) for a in by_id["101"]["annotations"]] == [
        ("ann", "imported", str(first.pk)),
        ("bob", "imported", str(first.pk)),
    ]
    assert [(a["origin"], a["import_batch"]) for a in by_id["103"]["annotations"]] == [("app", None)]
    assert '"origin":"imported"' in export(client, project, "csv").decode().replace('""', '"').replace(" ", "")
    (tmp_path / "v1.parquet").write_bytes(export(client, project, "parquet"))
    parquet = pq.read_table(tmp_path / "v1.parquet").to_pylist()
    assert {(a["origin"], a["import_batch"]) for row in parquet for a in row["annotations"]} == {
        ("imported", str(first.pk)),
        ("app", None),
    }
    browser.force_login(manager)
    page = browser.get(reverse("item-detail", args=[items["101"].pk])).content.decode()
    assert page.count("imported with") == 2 and "project-7-at-2024.json" in page
    page = browser.get(reverse("item-detail", args=[items["103"].pk])).content.decode()
    assert "labeled here" in page and "imported with" not in page

    tasks = json.loads(export(client, project, "labelstudio"))
    task = next(t for t in tasks if t["meta"]["external_id"] == "101")
    assert [a["ground_truth"] for a in task["annotations"]] == [True, False]
    assert {p["model_version"]: p["score"] for p in task["predictions"]} == {"bert-v2": 0.8, "mine": 0.5}
    assert next(t for t in tasks if t["meta"]["external_id"] == "103")["meta"]["gold"] == "negative"

    copy = ProjectFactory(user=manager, name="Copy")
    for user in (ann, bob):
        add_member(copy, user, "annotator")
    second = upload(client, copy, "groundwork-labelstudio.json", json.dumps(tasks).encode(), celery_worker_process)
    annotations, gold, predictions = labels_of(copy)
    expected_annotations, expected_gold, expected_predictions = labels_of(project)
    assert annotations == expected_annotations
    assert gold == expected_gold == {"101": "positive", "103": "negative"}
    assert predictions.keys() == expected_predictions.keys()
    for key, probabilities in expected_predictions.items():
        assert predictions[key] == pytest.approx(probabilities)
    assert set(Annotation.objects.filter(project=copy).values_list("origin", "import_batch")) == {
        ("imported", second.pk)
    }
