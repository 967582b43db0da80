"""Suggestions served with /next/ and recorded on the annotation from the assignment, the
settings that drive them, and the number of queries the hot requests keep."""

import uuid

import pytest
from django.db import connection

from datasets.models import Item
from labeling.models import Annotation, Assignment, Prediction, PredictionSet
from labeling.suggestions.values import withheld
from tests.factories import ProjectFactory, UserFactory, add_member
from tests.labeling.conftest import import_rows
from tests.labeling.test_queue_rule import QUERIES

pytestmark = pytest.mark.django_db


def upload(client, project, model: str = "bert-v1") -> dict[int, list[float]]:
    """Probabilities for every item: the label of index (id mod 3) is the most probable."""
    rows = {}
    for item in Item.objects.filter(project=project).order_by("id"):
        p = [0.1, 0.1, 0.1]
        p[item.pk % 3] = 0.8
        rows[item.pk] = p
    body = {"model": model, "predictions": [{"item": k, "probabilities": v} for k, v in rows.items()]}
    assert client.post(f"/api/projects/{project.pk}/predictions/", body, format="json").status_code == 201
    return rows


def settings(client, project, **fields):
    return client.patch(f"/api/projects/{project.pk}/", fields, format="json")


def test_next_serves_the_newest_models_suggestion_and_the_submit_records_it(
    loaded_project, manager, annotators, api_client
):
    boss = api_client(manager)
    assert settings(boss, loaded_project, suggestions="preselect", suggestion_holdout=0).status_code == 200
    upload(boss, loaded_project, "old")
    upload(boss, loaded_project, "new")
    client = api_client(annotators[0])
    body = client.get(f"/api/projects/{loaded_project.pk}/next/").json()
    item_id, suggestion = body["item"]["id"], body["suggestion"]
    expected = loaded_project.label_names[item_id % 3]
    assert suggestion["value"] == expected and suggestion["model"] == "new" and suggestion["mode"] == "preselect"
    assert suggestion["confidence"] == pytest.approx(0.8) and body["suggestion_withheld"] is False
    # The client cannot say what it was shown: the record comes from the assignment.
    other = next(name for name in loaded_project.label_names if name != expected)
    post = {"uuid": str(uuid.uuid4()), "value": other, "suggestion_value": other, "suggestion_shown": False}
    assert client.post(f"/api/items/{item_id}/annotations/", post, format="json").status_code == 201
    annotation = Annotation.objects.get(item_id=item_id, annotator=annotators[0])
    assert annotation.suggestion_set_id == suggestion["prediction_set"]
    assert (annotation.suggestion_value, annotation.suggestion_shown) == (expected, True)


def test_the_holdout_withholds_the_suggestion_and_still_records_it(loaded_project, manager, annotators, api_client):
    boss = api_client(manager)
    settings(boss, loaded_project, suggestions="hint", suggestion_holdout=1)
    upload(boss, loaded_project)
    client = api_client(annotators[1])
    body = client.get(f"/api/projects/{loaded_project.pk}/next/").json()
    assert body["suggestion"] is None and body["suggestion_withheld"] is True
    item_id = body["item"]["id"]
    post = {"uuid": str(uuid.uuid4()), "value": "neutral"}
    assert client.post(f"/api/items/{item_id}/annotations/", post, format="json").status_code == 201
    annotation = Annotation.objects.get(item_id=item_id, annotator=annotators[1])
    assert annotation.suggestion_shown is False
    assert annotation.suggestion_value == loaded_project.label_names[item_id % 3]


def test_hint_mode_and_a_reload_show_the_same(loaded_project, manager, annotators, api_client):
    boss = api_client(manager)
    settings(boss, loaded_project, suggestions="hint", suggestion_holdout=0.5)
    upload(boss, loaded_project)
    client = api_client(annotators[2])
    first = client.get(f"/api/projects/{loaded_project.pk}/next/").json()
    again = client.get(f"/api/projects/{loaded_project.pk}/next/").json()  # a reload: the held item again
    assert first == again
    held_out = withheld(item_id=first["item"]["id"], annotator_id=annotators[2].pk, share=0.5)
    assert first["suggestion_withheld"] is held_out
    assert (first["suggestion"] is None) is held_out
    if not held_out:
        assert first["suggestion"]["mode"] == "hint"


def test_off_serves_nothing_and_records_nothing(loaded_project, manager, annotators, api_client):
    upload(api_client(manager), loaded_project)
    client = api_client(annotators[0])
    body = client.get(f"/api/projects/{loaded_project.pk}/next/").json()
    assert body["suggestion"] is None and body["suggestion_withheld"] is False
    post = {"uuid": str(uuid.uuid4()), "value": "neutral"}
    client.post(f"/api/items/{body['item']['id']}/annotations/", post, format="json")
    annotation = Annotation.objects.get(annotator=annotators[0])
    assert (annotation.suggestion_set_id, annotation.suggestion_value, annotation.suggestion_shown) == (
        None,
        None,
        False,
    )


def test_with_suggestions_on_next_costs_one_query_more_and_the_submit_none(
    loaded_project, manager, annotators, api_client, django_assert_num_queries
):
    boss = api_client(manager)
    settings(boss, loaded_project, suggestions="preselect", suggestion_holdout=0)
    upload(boss, loaded_project)
    expected = QUERIES[connection.vendor]
    client = api_client(annotators[0])
    url = f"/api/projects/{loaded_project.pk}/next/"
    client.get(url)
    with django_assert_num_queries(expected["next_held"] + 1):
        item = client.get(url).json()["item"]
    with django_assert_num_queries(expected["next_claimed"] + 1):
        client.get(f"{url}?exclude={item['id']}")
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    with django_assert_num_queries(expected["submit_held"]):
        assert client.post(f"/api/items/{item['id']}/annotations/", body, format="json").status_code == 201
    assert Assignment.objects.get(item_id=item["id"], annotator=annotators[0]).suggestion_set_id is not None


@pytest.mark.parametrize(
    "fields",
    [
        {"suggestions": "always"},
        {"suggestion_holdout": 1.5},
        {"suggestion_holdout": -0.1},
        {"suggestion_holdout": "lots"},
        {"queue_order": "entropy"},
    ],
)
def test_bad_settings_answer_400_and_change_nothing(project, manager, api_client, fields):
    response = settings(api_client(manager), project, **fields)
    assert response.status_code == 400
    project.refresh_from_db()
    assert (project.suggestions, project.suggestion_holdout, project.queue_order) == ("off", 0.1, "default")


def test_settings_are_for_managers_of_the_project(project, annotators, api_client):
    assert settings(api_client(annotators[0]), project, suggestions="hint").status_code == 403
    stranger = UserFactory(username="stranger")
    other = ProjectFactory(user=stranger)
    assert settings(api_client(stranger), project, suggestions="hint").status_code == 404
    assert settings(api_client(stranger), other, suggestions="hint", suggestion_holdout=0.25).json()["suggestions"] == (
        "hint"
    )


def test_spans_projects_get_suggestions_only_from_a_spans_key(manager, api_client):
    spans = ProjectFactory(user=manager, task_type="spans", labels=["PER", "ORG"], overlap=1)
    import_rows(spans, manager, [{"id": "s1", "text": "Ada at ACME"}])
    annotator = UserFactory(username="spanner")
    add_member(spans, annotator, "annotator")
    settings(api_client(manager), spans, suggestions="preselect", suggestion_holdout=0)
    item = spans.items.get()
    prediction_set = PredictionSet.objects.create(
        project=spans, model_name="ner", labels=["PER", "ORG"], created_by=manager
    )
    Prediction.objects.create(
        prediction_set=prediction_set,
        item=item,
        probabilities=[],
        spans=[{"start": 0, "end": 3, "label": "PER", "score": 0.9}],
    )
    body = api_client(annotator).get(f"/api/projects/{spans.pk}/next/").json()
    assert body["suggestion"]["value"] == [{"start": 0, "end": 3, "label": "PER"}]
