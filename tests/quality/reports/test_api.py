"""The report's endpoints: who may read and change it, formats, bad parameters, compare."""

import re

import pytest
from django.test import override_settings

from datasets.models import DatasetVersion
from quality.models import ReportStatus
from quality.reports import services
from tests.labeling.conftest import import_rows

URL = "/api/projects/{}/versions/{}/report/"


@pytest.fixture
def reported(project, manager):
    import_rows(project, manager, [{"id": f"r{n}", "text": f"text {n}", "channel": "web"} for n in range(8)])
    import_rows(
        project, manager, [{"id": f"s{n}", "text": f"more {n}", "channel": "app"} for n in range(4)], name="b.csv"
    )
    for version in DatasetVersion.objects.filter(project=project).order_by("number"):
        services.report_compute(version=version)
    return project


@pytest.mark.django_db
def test_members_who_review_read_the_report(reported, api_client, manager, reviewer, annotator, outsider):
    answer = api_client(reviewer).get(URL.format(reported.pk, 2))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == ReportStatus.DONE and body["stale"] is False
    assert body["report"]["summary"]["items"] == 12
    assert body["report"]["summary"]["label_changes"]["against"] == 1
    assert api_client(annotator).get(URL.format(reported.pk, 2)).status_code == 403
    assert api_client(outsider).get(URL.format(reported.pk, 2)).status_code == 404
    assert api_client(manager).get(URL.format(reported.pk, 9)).status_code == 404


@pytest.mark.django_db
def test_unknown_parameters_and_formats_are_refused(reported, api_client, manager):
    client = api_client(manager)
    assert client.get(URL.format(reported.pk, 1), {"verison": 1}).status_code == 400
    answer = client.get(URL.format(reported.pk, 1), {"format": "pdf"})
    assert answer.status_code == 400 and "format" in answer.json()["detail"]


@pytest.mark.django_db
def test_html_file_stands_alone(reported, api_client, manager):
    answer = api_client(manager).get(URL.format(reported.pk, 2), {"format": "html"})
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment;")
    html = answer.content.decode()
    assert "<style>" in html and "Quality report" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//|/static)""", html)  # nothing fetched when opened
    assert len(answer.content) < 2 * 1024 * 1024


@pytest.mark.django_db
def test_item_text_is_escaped_in_the_file(project, manager, api_client):
    import_rows(project, manager, [{"id": "x", "text": "hello", "channel": "<script>alert(1)</script>"},
                                   {"id": "y", "text": "world", "channel": "web"}])  # fmt: skip
    version = DatasetVersion.objects.get(project=project, number=1)
    services.report_compute(version=version)
    html = api_client(manager).get(URL.format(project.pk, 1), {"format": "html"}).content.decode()
    assert "<script>alert(1)</script>" not in html


@pytest.mark.django_db
def test_freeze_is_for_managers_and_happens_once(reported, api_client, manager, reviewer):
    url = URL.format(reported.pk, 1) + "freeze/"
    assert api_client(reviewer).post(url).status_code == 403
    answer = api_client(manager).post(url)
    assert answer.status_code == 200 and answer.json()["frozen_by"] == "manager"
    assert api_client(manager).post(url).status_code == 409


@pytest.mark.django_db
def test_note_goes_into_the_datasheet(reported, api_client, manager, reviewer):
    url = URL.format(reported.pk, 2) + "note/"
    assert api_client(reviewer).put(url, {"note": "x"}, format="json").status_code == 403
    assert api_client(manager).put(url, {"note": "x" * 10_001}, format="json").status_code == 400
    answer = api_client(manager).put(url, {"note": "Collected from the shop's reviews."}, format="json")
    assert answer.status_code == 200
    assert answer.json()["report"]["datasheet"]["note"] == "Collected from the shop's reviews."


@pytest.mark.django_db
def test_compare_two_versions(reported, api_client, manager, outsider):
    url = f"/api/projects/{reported.pk}/versions/compare/"
    answer = api_client(manager).get(url, {"a": 1, "b": 2})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["a"]["items"], body["b"]["items"], body["delta"]["items"]) == (8, 12, 4)
    assert api_client(manager).get(url, {"a": 1}).status_code == 400
    assert api_client(manager).get(url, {"a": 1, "b": 2, "c": 3}).status_code == 400
    assert api_client(outsider).get(url, {"a": 1, "b": 2}).status_code == 404


@pytest.mark.django_db
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_a_missing_report_is_queued_not_computed_in_the_request(project, manager, api_client):
    import_rows(project, manager, [{"id": "a", "text": "one"}, {"id": "b", "text": "two"}])
    version = DatasetVersion.objects.get(project=project, number=1)
    version.report.delete()
    answer = api_client(manager).get(URL.format(project.pk, 1))
    assert answer.status_code == 200
    assert answer.json()["status"] == "computing" and answer.json()["report"] is None
