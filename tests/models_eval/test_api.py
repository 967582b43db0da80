"""The evaluation endpoint over a real database: figures against scikit-learn on the labels and
predictions the database holds; who may read it; bad input."""

import pytest
import yaml
from rest_framework.test import APIClient
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score

from tests.models_eval.helpers import LABELS, labeled_with_model, settled_and_predicted, upload_model

pytestmark = pytest.mark.django_db


def test_the_evaluation_matches_scikit_learn_on_the_stored_labels(make_project, manager, reviewer, api_client):
    project = labeled_with_model(make_project, manager, reviewer)
    prediction_set = project.prediction_sets.get()
    items, settled, predicted, _confidence = settled_and_predicted(project, prediction_set)
    body = api_client(reviewer).get(f"/api/projects/{project.pk}/models/m1/evaluation/").json()
    assert body["status"] == "done" and body["model_name"] == "m1" and body["compare"] is None
    model = body["model"]
    assert model["n"] == len(items) == body["items_evaluated"]
    assert model["accuracy"] == pytest.approx(accuracy_score(settled, predicted), abs=1e-6)
    assert model["cohen_kappa"] == pytest.approx(cohen_kappa_score(settled, predicted), abs=1e-6)
    f1 = f1_score(settled, predicted, labels=LABELS, average=None, zero_division=0)
    assert [row["f1"] for row in model["per_label"]] == pytest.approx(f1, abs=1e-6)
    assert body["confusion"] == confusion_matrix(settled, predicted, labels=LABELS).tolist()
    wrong = {i for i, s, p in zip(items, settled, predicted, strict=True) if s != p}
    assert {row["item"] for row in body["disagreements"]} == wrong
    assert body["items_adjudicated"] == 1
    assert {row["value"] for row in body["per_slice_gap"]} <= {"north", "south"}
    assert body["human_level"]["n"] > 0 and body["annotators"]
    everything = next(row for row in body["coverage"] if row["threshold"] == 0)
    assert everything["coverage"] == 1 and everything["accuracy"] == pytest.approx(model["accuracy"])
    # served from the cache until a label changes
    again = api_client(reviewer).get(f"/api/projects/{project.pk}/models/m1/evaluation/").json()
    assert again["computed_at"] == body["computed_at"]


def test_two_versions_side_by_side(make_project, manager, reviewer, api_client):
    project = labeled_with_model(make_project, manager, reviewer)
    upload_model(project, manager, name="m2", seed=9)
    client = api_client(reviewer)
    body = client.get(f"/api/projects/{project.pk}/models/m1/evaluation/", {"compare": "m2"}).json()
    alone = client.get(f"/api/projects/{project.pk}/models/m2/evaluation/").json()
    assert body["compare"]["model_name"] == "m2"
    assert body["compare"]["model"]["accuracy"] == alone["model"]["accuracy"]
    listed = client.get(f"/api/projects/{project.pk}/predictions/").json()
    assert [(row["name"], row["status"]) for row in listed] == [("m2", "done"), ("m1", "done")]
    assert listed[0]["count"] == 38  # two of the 40 items have no prediction


def test_who_may_read_and_bad_input(make_project, manager, reviewer, api_client, outsider):
    project = labeled_with_model(make_project, manager, reviewer)
    url = f"/api/projects/{project.pk}/models/m1/evaluation/"
    annotator = project.memberships.filter(role="annotator").first().user
    assert api_client(annotator).get(url).status_code == 403
    assert api_client(outsider).get(url).status_code == 404
    assert APIClient().get(url).status_code in (401, 403)
    client = api_client(reviewer)
    assert client.get(f"/api/projects/{project.pk}/models/nope/evaluation/").status_code == 404
    assert client.get(url, {"compare": "nope"}).status_code == 404
    assert client.get(url, {"bogus": "1"}).status_code == 400
    assert client.get(f"/api/projects/{project.pk}/predictions/", {"bogus": "1"}).status_code == 400


def test_the_pages_show_the_versions_and_the_evaluation(make_project, manager, reviewer, client):
    project = labeled_with_model(make_project, manager, reviewer)
    upload_model(project, manager, name="<i>m2", seed=9)
    client.force_login(reviewer)
    listing = client.get(f"/projects/{project.pk}/models/").content.decode()
    assert "Evaluation" in listing and "&lt;i&gt;m2" in listing and "<i>m2" not in listing
    page = client.get(f"/projects/{project.pk}/models/m1/evaluation/", {"compare": "<i>m2"})
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("me-figures", "me-slices", "me-coverage", "me-disagreements", "me-annotators", "svg"):
        assert section in html
    assert "<i>m2" not in html
    assert client.get(f"/projects/{project.pk}/models/m1/evaluation/", {"x": "1"}).status_code == 400
    assert client.get(f"/projects/{project.pk}/models/none/evaluation/").status_code == 404
    annotator = project.memberships.filter(role="annotator").first().user
    client.force_login(annotator)
    assert client.get(f"/projects/{project.pk}/models/m1/evaluation/").status_code == 403


def test_the_answer_has_the_documented_shape(make_project, manager, reviewer, api_client, client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/projects/{project_id}/models/{name}/evaluation/"]["get"]
    documented = schema["components"]["schemas"]["ModelEvaluation"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("ModelEvaluation")
    project = labeled_with_model(make_project, manager, reviewer)
    body = api_client(reviewer).get(f"/api/projects/{project.pk}/models/m1/evaluation/").json()
    assert set(documented["required"]) <= set(body) <= set(documented["properties"])
    assert body["task_type"] == "classification"
