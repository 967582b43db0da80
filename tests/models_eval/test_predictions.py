"""Predictions for every task type, as a JSON body or a JSONL file a real worker checks and
writes: one bad row refuses the whole upload, naming the row, and stores nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import wait_for
from labeling.models import Prediction, PredictionSet, PredictionUpload
from tests.review.conftest import items_of

SPAN_ROWS = [{"id": "s0", "text": "Ada met Bob in Paris"}, {"id": "s1", "text": "Nobody here"}]


def post(client, project, predictions, model="m"):
    return client.post(
        f"/api/projects/{project.pk}/predictions/", {"model": model, "predictions": predictions}, format="json"
    )


@pytest.mark.django_db
def test_every_task_type_takes_its_predictions(make_project, manager, api_client):
    client = api_client(manager)
    multi = make_project("multilabel", ["sports", "politics"], [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}])
    a, b = items_of(multi)
    good = [
        {"item": a.pk, "probabilities": [0.9, 0.8]},
        {"item": b.pk, "probabilities": {"sports": 0.1, "politics": 0}},
    ]
    assert post(client, multi, good).status_code == 201
    assert Prediction.objects.get(item=b).probabilities == [0.1, 0.0]
    evaluation = client.get(f"/api/projects/{multi.pk}/models/m/evaluation/")
    assert evaluation.status_code == 200 and evaluation.json()["items_evaluated"] == 0  # nothing labeled yet
    slashed = post(client, multi, good, model="a/b")
    assert slashed.status_code == 400 and "slash" in slashed.json()["detail"]
    spans = make_project("spans", ["PER", "LOC"], SPAN_ROWS)
    s0, s1 = items_of(spans)
    rows = [
        {"item": s0.pk, "spans": [{"start": 15, "end": 20, "label": "LOC", "score": 0.7},
                                   {"start": 0, "end": 3, "label": "PER", "score": 0.99}]},
        {"item": s1.pk, "spans": []},
    ]  # fmt: skip
    assert post(client, spans, rows, model="ner-1").status_code == 201
    stored = Prediction.objects.get(item=s0)
    assert stored.probabilities == [] and [s["label"] for s in stored.spans] == ["PER", "LOC"]
    listed = client.get(f"/api/projects/{spans.pk}/predictions/").json()
    assert [(v["name"], v["count"], v["status"]) for v in listed] == [("ner-1", 2, "done")]


@pytest.mark.django_db
def test_a_bad_row_is_named_and_nothing_is_stored(make_project, manager, api_client):
    client = api_client(manager)
    multi = make_project("multilabel", ["sports", "politics"], [{"id": "a", "text": "x"}])
    (a,) = items_of(multi)
    response = post(
        client, multi, [{"item": a.pk, "probabilities": [0.9, 0.8]}, {"item": a.pk, "probabilities": [2, 0]}]
    )
    assert response.status_code == 400 and "row 2" in response.json()["detail"]
    spans = make_project("spans", ["PER", "LOC"], SPAN_ROWS)
    s0, s1 = items_of(spans)
    for bad in (
        {"item": s1.pk, "spans": [{"start": 0, "end": 99, "label": "PER", "score": 0.5}]},  # past the text
        {"item": s1.pk, "spans": [{"start": 3, "end": 3, "label": "PER", "score": 0.5}]},
        {"item": s1.pk, "spans": [{"start": 0, "end": 3, "label": "ORG", "score": 0.5}]},
        {"item": s1.pk, "spans": [{"start": 0, "end": 3, "label": "PER", "score": 1.5}]},
        {"item": s1.pk, "probabilities": [1, 0]},
    ):
        response = post(client, spans, [{"item": s0.pk, "spans": []}, bad])
        assert response.status_code == 400 and response.json()["detail"].startswith("row 2:"), response.content
    assert not PredictionSet.objects.exists()


def _upload(client, project, text: str, model="big"):
    upload = SimpleUploadedFile("p.jsonl", text.encode())
    return client.post(f"/api/projects/{project.pk}/predictions/", {"model": model, "file": upload}, format="multipart")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_jsonl_file_is_checked_and_written_by_a_worker(celery_worker_process, labeled, manager, api_client):
    client = api_client(manager)
    items = items_of(labeled)
    lines = [json.dumps({"item": item.pk, "probabilities": [0.2, 0.5, 0.3]}) for item in items]
    response = _upload(client, labeled, "\n".join(lines) + "\n")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    url = f"/api/projects/{labeled.pk}/predictions/uploads/{response.json()['id']}/"
    done = wait_for(lambda: (b := client.get(url).json())["status"] in ("done", "failed") and b, timeout=90)
    assert done["status"] == "done", done
    assert done["progress"] == 1 and done["rows_read"] == len(items)
    assert PredictionSet.objects.get(pk=done["prediction_set"]).predictions.count() == len(items)

    bad = [*lines[:3], "{not json", *lines[3:]]
    refused = _upload(client, labeled, "\n".join(bad), model="broken")
    url = f"/api/projects/{labeled.pk}/predictions/uploads/{refused.json()['id']}/"
    failed = wait_for(lambda: (b := client.get(url).json())["status"] in ("done", "failed") and b, timeout=90)
    assert failed["status"] == "failed" and failed["error"].startswith("row 4:"), failed
    assert not PredictionSet.objects.filter(model_name="broken").exists()
    listed = client.get(f"/api/projects/{labeled.pk}/predictions/").json()
    assert [(v["name"], v["status"]) for v in listed] == [("broken", "failed"), ("big", "done")]
    assert PredictionUpload.objects.count() == 2


@pytest.mark.django_db
def test_uploads_are_for_managers(labeled, reviewer, api_client, team, outsider):
    response = _upload(api_client(reviewer), labeled, "{}")
    assert response.status_code == 403
    assert _upload(api_client(outsider), labeled, "{}").status_code == 404
    assert _upload(api_client(team[0]), labeled, "{}").status_code == 403
    assert not PredictionUpload.objects.exists()
