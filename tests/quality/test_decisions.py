"""Accept anyway, reject, revalidate: the API's answers, the roles, and what each does to the batch."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from datasets.models import Batch, BatchStatus, DatasetVersion, Item
from quality.pipeline import services
from tests.projects.helpers import csv_bytes

FAILED_CHECK = {
    "check": "expect_column_values_to_be_between",
    "type": "expect_column_values_to_be_between",
    "column": "rating",
    "kwargs": {"column": "rating", "min_value": 1, "max_value": 5},
    "severity": "critical",
    "success": False,
    "observed_value": None,
    "unexpected_count": 1,
    "unexpected_percent": 50.0,
    "samples": [{"row": 2, "value": 9}],
    "details": {},
    "error": None,
}


@pytest.fixture
def quarantined(project, manager) -> Batch:
    """A batch as the pipeline leaves one that failed a critical check: results, no items."""
    content = csv_bytes("fine", "too high", header="id,text")
    batch = services.batch_upload(
        project=project, user=manager, uploaded=SimpleUploadedFile("q.csv", content), enqueue=False
    )
    Batch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.QUARANTINED,
        results=[FAILED_CHECK],
        summary={"rows": 2, "checks": 1, "failed": 1, "critical_failed": 1, "warnings": 0},
        attempts=1,
        progress=1.0,
    )
    return Batch.objects.get(pk=batch.pk)


def url(batch: Batch, action: str) -> str:
    return f"/api/batches/{batch.pk}/{action}/"


def test_accept_anyway_needs_a_reason(api_client, manager, quarantined):
    client = api_client(manager)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(url(quarantined, "accept"), body, format="json")
        assert response.status_code == 400, response.content
        assert "reason" in str(response.json())
    assert Batch.objects.get(pk=quarantined.pk).status == "quarantined"


def test_accept_anyway_imports_the_batch_and_keeps_who_when_why(api_client, project, manager, quarantined):
    client = api_client(manager)
    response = client.post(url(quarantined, "accept"), {"reason": "ratings of 9 are a known export bug"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["accepted_anyway"], body["decided_by"]) == ("queued", True, "manager")
    assert body["decision_reason"] == "ratings of 9 are a known export bug" and body["decided_at"]

    batch = services.batch_import(batch_id=str(quarantined.pk))  # what the worker does with the message
    assert batch.status == "accepted" and batch.version.number == 1
    assert Item.objects.filter(batch=batch).count() == 2
    detail = client.get(f"/api/batches/{batch.pk}/").json()
    assert (detail["status"], detail["version"], detail["accepted_anyway"]) == ("accepted", 1, True)
    assert detail["decision_reason"] == "ratings of 9 are a known export bug"
    # The validation's results stay, with the import's own entry after them.
    assert detail["results"][0] == FAILED_CHECK
    assert detail["results"][-1]["check"] == "import" and detail["results"][-1]["added"] == 2
    assert detail["summary"]["critical_failed"] == 1
    page = Client()
    page.force_login(manager)
    listed = page.get(f"/projects/{project.pk}/").content.decode()
    assert "anyway, against failed checks" in listed and "ratings of 9 are a known export bug" in listed


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_deciding_a_batch_that_is_not_quarantined_is_a_409(api_client, manager, quarantined, action):
    Batch.objects.filter(pk=quarantined.pk).update(status=BatchStatus.QUEUED)
    response = api_client(manager).post(url(quarantined, action), {"reason": "why not"}, format="json")
    assert response.status_code == 409, response.content
    assert "quarantined" in response.json()["detail"]


def test_reject_closes_the_batch_with_an_optional_reason(api_client, project, manager, quarantined):
    response = api_client(manager).post(url(quarantined, "reject"), {}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decided_by"]) == ("rejected", "manager")
    batch = Batch.objects.get(pk=quarantined.pk)
    assert batch.status == "rejected" and batch.results == [FAILED_CHECK]
    assert services.batch_import(batch_id=str(batch.pk)) is None  # a stray message does nothing
    assert not Item.objects.filter(project=project).exists()
    assert not DatasetVersion.objects.filter(project=project).exists()
    again = api_client(manager).post(url(quarantined, "reject"), {"reason": "twice"}, format="json")
    assert again.status_code == 409


def test_revalidate_requeues_a_quarantined_or_rejected_batch(api_client, manager, quarantined):
    client = api_client(manager)
    assert client.post(url(quarantined, "reject"), {"reason": "no"}, format="json").status_code == 200
    response = client.post(url(quarantined, "revalidate"), {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["results"], body["summary"], body["decided_by"]) == ("queued", [], {}, None)
    assert Batch.objects.get(pk=quarantined.pk).attempts == 0
    assert client.post(url(quarantined, "revalidate"), {}, format="json").status_code == 409


@pytest.mark.parametrize("action", ["accept", "reject", "revalidate"])
def test_only_managers_decide(api_client, annotator, reviewer, quarantined, action):
    for user in (annotator, reviewer):
        response = api_client(user).post(url(quarantined, action), {"reason": "mine"}, format="json")
        assert response.status_code == 403, response.content
    assert Batch.objects.get(pk=quarantined.pk).status == "quarantined"


@pytest.mark.parametrize("action", ["accept", "reject", "revalidate"])
def test_another_projects_batch_is_a_404(api_client, outsider, quarantined, action):
    response = api_client(outsider).post(url(quarantined, action), {"reason": "mine"}, format="json")
    assert response.status_code == 404
    assert api_client(outsider).post(f"/api/batches/not-a-uuid/{action}/", {}, format="json").status_code == 404
    assert Batch.objects.get(pk=quarantined.pk).status == "quarantined"


def test_deciding_needs_a_login(client, quarantined):
    assert client.post(url(quarantined, "accept"), {"reason": "x"}).status_code == 401


# -- the results page --------------------------------------------------------------------------------
def test_the_results_page_shows_samples_escaped_and_the_decision_forms(
    client, project, manager, annotator, quarantined
):
    hostile = "<img src=x onerror=alert(1)>"
    check = {**FAILED_CHECK, "column": hostile, "samples": [{"row": 7, "value": hostile}]}
    Batch.objects.filter(pk=quarantined.pk).update(results=[check], original_name=hostile)
    client.force_login(manager)
    page = client.get(f"/projects/{project.pk}/batches/{quarantined.pk}/")
    assert page.status_code == 200
    assert hostile.encode() not in page.content
    assert page.content.count(b"&lt;img src=x onerror=alert(1)&gt;") >= 3
    assert b'id="accept-form"' in page.content and b'id="reject-form"' in page.content

    client.force_login(annotator)
    page = client.get(f"/projects/{project.pk}/batches/{quarantined.pk}/")
    assert page.status_code == 200 and b'id="accept-form"' not in page.content
    response = client.post(
        f"/projects/{project.pk}/batches/{quarantined.pk}/decide/", {"action": "accept", "reason": "x"}
    )
    assert response.status_code == 403
    assert Batch.objects.get(pk=quarantined.pk).status == "quarantined"


# -- who sees a batch's rows ------------------------------------------------------------------------
SAMPLE_VALUE = "a row that never joined the dataset"


@pytest.mark.parametrize(("role", "sees_rows"), [("manager", True), ("reviewer", True), ("annotator", False)])
def test_only_managers_and_reviewers_see_the_rows_of_a_batch(
    client, api_client, project, manager, reviewer, annotator, quarantined, role, sees_rows
):
    """Sample rows on the page and in the API, and the file: one rule for all three."""
    check = {**FAILED_CHECK, "samples": [{"row": 2, "value": SAMPLE_VALUE}]}
    Batch.objects.filter(pk=quarantined.pk).update(results=[check])
    user = {"manager": manager, "reviewer": reviewer, "annotator": annotator}[role]

    client.force_login(user)
    page = client.get(f"/projects/{project.pk}/batches/{quarantined.pk}/")
    assert page.status_code == 200
    assert b"quarantined" in page.content and b"expect_column_values_to_be_between" in page.content
    assert (SAMPLE_VALUE.encode() in page.content) is sees_rows
    assert (b'id="rows-hidden"' in page.content) is not sees_rows

    api = api_client(user)
    detail = api.get(f"/api/batches/{quarantined.pk}/").json()
    listed = api.get(f"/api/projects/{project.pk}/batches/").json()
    listed = listed["results"] if isinstance(listed, dict) else listed
    for shown in (detail, next(b for b in listed if b["id"] == str(quarantined.pk))):
        assert (shown["status"], shown["summary"]["failed"], shown["results"][0]["unexpected_count"]) == (
            "quarantined",
            1,
            1,
        )
        assert shown["results"][0].get("samples") == ([{"row": 2, "value": SAMPLE_VALUE}] if sees_rows else None)

    response = api.get(f"/api/batches/{quarantined.pk}/file/")
    assert response.status_code == (200 if sees_rows else 403)


def test_the_results_page_of_another_project_is_a_404(client, outsider, quarantined):
    client.force_login(outsider)
    other = outsider.memberships.get().project_id
    assert client.get(f"/projects/{quarantined.project_id}/batches/{quarantined.pk}/").status_code == 404
    assert client.get(f"/projects/{other}/batches/{quarantined.pk}/").status_code == 404


def test_accepting_on_the_page_without_a_reason_changes_nothing(client, project, manager, quarantined):
    client.force_login(manager)
    response = client.post(
        f"/projects/{project.pk}/batches/{quarantined.pk}/decide/", {"action": "accept", "reason": " "}, follow=True
    )
    assert b"A reason is required" in response.content
    assert Batch.objects.get(pk=quarantined.pk).status == "quarantined"


def test_the_results_page_shows_observed_values_as_people_read_them(project, manager, quarantined):
    drift = {**FAILED_CHECK, "check": "drift", "type": "vocabulary_drift", "observed_value": 0.6314825092959689}
    schema = {**FAILED_CHECK, "check": "schema", "type": "missing_columns", "observed_value": ["label", "lang"]}
    Batch.objects.filter(pk=quarantined.pk).update(results=[FAILED_CHECK, drift, schema])
    page = Client()
    page.force_login(manager)
    shown = page.get(f"/projects/{project.pk}/batches/{quarantined.pk}/").content.decode()
    assert "observed: 0.63148" in shown and "0.6314825092959689" not in shown
    assert "observed: label, lang" in shown and "[&#x27;label&#x27;" not in shown
