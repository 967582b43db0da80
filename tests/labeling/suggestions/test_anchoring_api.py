"""GET /api/projects/{id}/anchoring/: the figures of the annotations as stored, and who may read them."""

import uuid

import pytest
from sklearn.metrics import accuracy_score

from labeling.models import Annotation
from tests.factories import ProjectFactory, UserFactory
from tests.labeling.suggestions.test_serving import settings, upload

pytestmark = pytest.mark.django_db


def test_the_endpoint_reports_the_stored_annotations(loaded_project, manager, annotators, api_client):
    boss = api_client(manager)
    settings(boss, loaded_project, suggestions="preselect", suggestion_holdout=0.5)
    upload(boss, loaded_project)
    for n, annotator in enumerate(annotators):
        client = api_client(annotator)
        while (response := client.get(f"/api/projects/{loaded_project.pk}/next/")).status_code == 200:
            body = response.json()
            value = body["suggestion"]["value"] if body["suggestion"] and n % 2 == 0 else "neutral"
            post = {"uuid": str(uuid.uuid4()), "value": value}
            assert client.post(f"/api/items/{body['item']['id']}/annotations/", post, format="json").status_code == 201
    report = boss.get(f"/api/projects/{loaded_project.pk}/anchoring/").json()
    rows = list(
        Annotation.objects.filter(project=loaded_project).values_list("suggestion_shown", "value", "suggestion_value")
    )
    assert len(rows) == 12 and all(suggested is not None for _, _, suggested in rows)
    for key, shown in (("shown", True), ("withheld", False)):
        group = [(value, suggested) for was_shown, value, suggested in rows if was_shown is shown]
        figure = report[key]["agreement_with_model"]
        assert figure["n"] == len(group)
        if group:
            assert figure["value"] == pytest.approx(accuracy_score([s for _, s in group], [v for v, _ in group]))
    assert report["status"] == "done" and report["holdout"] == 0.5


def test_who_may_read_it(loaded_project, annotators, manager, api_client):
    assert api_client(annotators[0]).get(f"/api/projects/{loaded_project.pk}/anchoring/").status_code == 403
    stranger = UserFactory(username="outsider")
    ProjectFactory(user=stranger)
    assert api_client(stranger).get(f"/api/projects/{loaded_project.pk}/anchoring/").status_code == 404
    response = api_client(manager).get(f"/api/projects/{loaded_project.pk}/anchoring/?model=1")
    assert response.status_code == 400 and "model" in response.json()["detail"]
