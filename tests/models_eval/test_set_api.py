"""The evaluation endpoint for multi-label and span projects over a real database: figures
against scikit-learn on the labels and predictions the database holds (indicator matrices,
span sets), who may read it, and the page."""

import numpy as np
import pytest
import yaml
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, hamming_loss, precision_recall_fscore_support

from labeling.models import Prediction
from tests.models_eval.helpers import ENTITIES, TOPICS, multilabel_with_model, settled_values, spans_with_model

pytestmark = pytest.mark.django_db


def _indicator(sets: list[list[str]]) -> np.ndarray:
    return np.array([[label in chosen for label in TOPICS] for chosen in sets], dtype=int)


def test_multilabel_evaluation_matches_scikit_learn_on_the_stored_labels(make_project, manager, reviewer, api_client):
    project = multilabel_with_model(make_project, manager, reviewer)
    settled = settled_values(project)
    predicted = {
        p.item_id: [t for t, x in zip(TOPICS, p.probabilities, strict=True) if x >= 0.5]
        for p in Prediction.objects.filter(prediction_set__project=project)
    }
    items = sorted(set(settled) & set(predicted))
    truth, guess = _indicator([settled[i] for i in items]), _indicator([predicted[i] for i in items])
    body = api_client(reviewer).get(f"/api/projects/{project.pk}/models/m1/evaluation/").json()
    assert body["status"] == "done" and body["task_type"] == "multilabel" and body["items_adjudicated"] == 1
    model = body["model"]
    assert model["n"] == len(items) == body["items_evaluated"] > 20
    assert model["micro_f1"] == pytest.approx(f1_score(truth, guess, average="micro"), abs=1e-6)
    assert model["macro_f1"] == pytest.approx(f1_score(truth, guess, average="macro", zero_division=np.nan), abs=1e-6)
    assert model["subset_accuracy"] == pytest.approx(accuracy_score(truth, guess), abs=1e-6)
    assert model["hamming_loss"] == pytest.approx(hamming_loss(truth, guess), abs=1e-6)
    for index, row in enumerate(model["per_label"]):
        assert row["f1"] == pytest.approx(f1_score(truth[:, index], guess[:, index]), abs=1e-6)
        assert row["kappa"] == pytest.approx(cohen_kappa_score(truth[:, index], guess[:, index]), abs=1e-6)
    wrong = {i for i in items if sorted(settled[i]) != sorted(predicted[i])}
    assert {row["item"] for row in body["disagreements"]} == wrong
    assert body["human_level"]["n"] > 0 and len(body["annotators"]) == 4
    everything = next(row for row in body["coverage"] if row["threshold"] == 0)
    assert everything["coverage"] == 1 and everything["accuracy"] == pytest.approx(model["subset_accuracy"])
    assert {row["value"] for row in body["per_slice_gap"]} == {"north", "south"}


def test_span_evaluation_matches_scikit_learn_on_the_stored_spans(make_project, manager, reviewer, api_client):
    project = spans_with_model(make_project, manager, reviewer)
    settled = settled_values(project)
    predicted = {p.item_id: p.spans for p in Prediction.objects.filter(prediction_set__project=project)}
    items = sorted(set(settled) & set(predicted))
    truth = {(i, s["start"], s["end"], s["label"]) for i in items for s in settled[i]}
    guess = {(i, s["start"], s["end"], s["label"]) for i in items for s in predicted[i]}
    union = sorted(truth | guess)
    y_true, y_pred = [s in truth for s in union], [s in guess for s in union]
    body = api_client(reviewer).get(f"/api/projects/{project.pk}/models/ner/evaluation/").json()
    model = body["model"]
    assert body["task_type"] == "spans" and model["n"] == len(items) == body["items_evaluated"] > 10
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary")
    assert (model["micro_precision"], model["micro_recall"], model["micro_f1"]) == pytest.approx((p, r, f), abs=1e-6)
    for row in model["per_label"]:
        mine = [s[3] == row["label"] for s in union]
        pick = lambda xs, m=mine: [x for x, keep in zip(xs, m, strict=True) if keep]  # noqa: E731
        p, r, f, _ = precision_recall_fscore_support(pick(y_true), pick(y_pred), average="binary")
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((p, r, f), abs=1e-6)
    assert [row["label"] for row in model["per_label"]] == ENTITIES
    assert body["coverage"] == [] and body["human_level"]["n"] > 0


def test_the_pages_show_a_multilabel_and_a_span_evaluation(make_project, manager, reviewer, client):
    multi = multilabel_with_model(make_project, manager, reviewer)
    spans = spans_with_model(make_project, manager, reviewer)
    client.force_login(reviewer)
    html = client.get(f"/projects/{multi.pk}/models/m1/evaluation/").content.decode()
    for section in ("me-figures", "me-labels", "me-slices", "me-coverage", "me-disagreements", "me-annotators"):
        assert section in html
    assert "Hamming loss" in html and "Subset accuracy" in html
    html = client.get(f"/projects/{spans.pk}/models/ner/evaluation/").content.decode()
    assert "me-labels" in html and "Exact match" in html and "me-coverage" not in html


def test_every_answer_has_the_documented_shape(make_project, manager, reviewer, api_client, client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/projects/{project_id}/models/{name}/evaluation/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    documented = schema["components"]["schemas"][ref.split("/")[-1]]
    multi = multilabel_with_model(make_project, manager, reviewer)
    spans = spans_with_model(make_project, manager, reviewer)
    for project, name in ((multi, "m1"), (spans, "ner")):
        body = api_client(reviewer).get(f"/api/projects/{project.pk}/models/{name}/evaluation/").json()
        assert set(documented["required"]) <= set(body) <= set(documented["properties"])
        assert body["task_type"] == project.task_type
