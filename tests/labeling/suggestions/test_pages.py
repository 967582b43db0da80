"""The project page's model settings form and the agreement page's anchoring section."""

import uuid

import pytest
from django.test import Client

from projects.models import Project
from tests.labeling.suggestions.test_serving import settings, upload

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_changes_the_settings_and_refuses_bad_ones(loaded_project, manager, annotators):
    page = logged_in(manager).get(f"/projects/{loaded_project.pk}/").content.decode()
    assert 'id="model-settings-form"' in page
    url = f"/projects/{loaded_project.pk}/model-settings/"
    form = {"suggestions": "hint", "holdout_percent": "25", "queue_order": "uncertainty"}
    response = logged_in(manager).post(url, form, follow=True)
    assert "Model suggestions hint, 25% held out; queue order uncertainty." in response.content.decode()
    project = Project.objects.get(pk=loaded_project.pk)
    assert (project.suggestions, project.suggestion_holdout, project.queue_order) == ("hint", 0.25, "uncertainty")
    response = logged_in(manager).post(url, {**form, "holdout_percent": "150"}, follow=True)
    assert "Error:" in response.content.decode()
    assert Project.objects.get(pk=loaded_project.pk).suggestion_holdout == 0.25
    assert logged_in(annotators[0]).post(url, form).status_code == 403
    assert (
        'id="model-settings-form"'
        not in logged_in(annotators[0]).get(f"/projects/{loaded_project.pk}/").content.decode()
    )


def test_the_agreement_page_shows_the_anchoring_figures(loaded_project, manager, annotators, api_client):
    boss = api_client(manager)
    page = logged_in(manager).get(f"/projects/{loaded_project.pk}/agreement/").content.decode()
    assert 'id="ag-anchoring"' not in page  # suggestions off: nothing to measure
    settings(boss, loaded_project, suggestions="preselect", suggestion_holdout=0.5)
    upload(boss, loaded_project)
    for annotator in annotators[:2]:
        client = api_client(annotator)
        while (response := client.get(f"/api/projects/{loaded_project.pk}/next/")).status_code == 200:
            body = response.json()
            value = body["suggestion"]["value"] if body["suggestion"] else "neutral"
            client.post(
                f"/api/items/{body['item']['id']}/annotations/",
                {"uuid": str(uuid.uuid4()), "value": value},
                format="json",
            )
    page = logged_in(manager).get(f"/projects/{loaded_project.pk}/agreement/").content.decode()
    assert 'id="ag-anchoring"' in page and 'data-group="shown"' in page and 'data-group="withheld"' in page
    assert "50% of items are labeled without them" in page
