"""The labeling pages without a browser: who may open them, and what the history feed holds."""

import uuid
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from labeling import services
from tests.e2e_labeling.conftest import import_rows, texts
from tests.factories import ProjectFactory, UserFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def labeled(project, manager, annotator):
    """Two items the annotator labeled, the second one later."""
    import_rows(project, manager, texts("one", "two", "three"))
    annotations = []
    for value in ("positive", "negative"):
        item = services.next_item(project=project, user=annotator)
        annotation, _ = services.annotation_submit(item=item, user=annotator, request_uuid=uuid.uuid4(), value=value)
        annotations.append(annotation)
    return annotations


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_outsider_gets_404_on_every_labeling_page(project, outsider, labeled):
    client = client_for(outsider)
    for path in ("label/", "label/history/", "label/history/entries/", f"label/?edit={labeled[0].uuid}"):
        assert client.get(f"/projects/{project.pk}/{path}").status_code == 404, path


def test_anonymous_is_sent_to_log_in(project):
    response = Client().get(f"/projects/{project.pk}/label/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_editing_someone_elses_annotation_is_404(project, labeled, reviewer):
    other = UserFactory(username="annotator2")
    add_member(project, other, "annotator")
    for user in (other, reviewer):  # a reviewer may read it through the API, but not edit it as their own
        assert client_for(user).get(f"/projects/{project.pk}/label/?edit={labeled[0].uuid}").status_code == 404
    assert client_for(other).get(f"/projects/{project.pk}/label/?edit=not-a-uuid").status_code == 404


def test_an_annotation_of_another_project_is_404_here(project, manager, labeled, annotator):
    elsewhere = ProjectFactory(user=manager, name="Elsewhere")
    add_member(elsewhere, annotator, "annotator")
    response = client_for(annotator).get(f"/projects/{elsewhere.pk}/label/?edit={labeled[0].uuid}")
    assert response.status_code == 404


def test_history_entries_are_newest_first_with_their_items(project, annotator, labeled):
    body = client_for(annotator).get(f"/projects/{project.pk}/label/history/entries/").json()
    assert body["offset"] == 0 and body["has_more"] is False
    assert [entry["uuid"] for entry in body["entries"]] == [str(labeled[1].uuid), str(labeled[0].uuid)]
    assert body["entries"][0]["item"]["data"] == labeled[1].item.data
    assert body["entries"][0]["value"] == "negative" and body["entries"][0]["revision"] == 1
    later = client_for(annotator).get(f"/projects/{project.pk}/label/history/entries/?offset=1").json()
    assert [entry["uuid"] for entry in later["entries"]] == [str(labeled[0].uuid)]
    bad = client_for(annotator).get(f"/projects/{project.pk}/label/history/entries/?offset=x")
    assert bad.status_code == 400


def test_the_edit_page_knows_where_the_annotation_sits_in_the_history(project, annotator, labeled):
    response = client_for(annotator).get(f"/projects/{project.pk}/label/?edit={labeled[0].uuid}")
    assert response.status_code == 200
    config = response.context["config"]
    assert config["edit"]["position"] == 1  # one newer annotation before it
    assert config["edit"]["entry"]["uuid"] == str(labeled[0].uuid)


def test_the_history_page_lists_only_the_callers_annotations(project, annotator, labeled, manager):
    other = UserFactory(username="annotator2")
    add_member(project, other, "annotator")
    item = services.next_item(project=project, user=other)
    services.annotation_submit(item=item, user=other, request_uuid=uuid.uuid4(), value="neutral")
    page = client_for(annotator).get(f"/projects/{project.pk}/label/history/").content.decode()
    for annotation in labeled:
        assert f"?edit={annotation.uuid}" in page
    assert page.count("?edit=") == 2


def test_the_labeling_widget_ships_under_50_kb(project, annotator):
    page = client_for(annotator).get(f"/projects/{project.pk}/label/").content.decode()
    own = ["labeling/labeling.js", "labeling/labeling.css"]
    for path in own:
        assert f"/static/{path}" in page
    size = sum(Path(finders.find(path)).stat().st_size for path in own)
    assert size < 50_000, f"{size} bytes"
