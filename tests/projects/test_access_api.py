"""Who may call what: other projects' ids are 404, roles are 403, no token is 401, bad ids never 500."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Batch, DatasetVersion, Item
from projects.models import Membership, Project
from tests.projects.helpers import csv_bytes, import_file

# (method, path, body); {project}, {batch}, {number} and {username} are filled in per test.
ROUTES = [
    ("get", "/api/projects/{project}/", None),
    ("patch", "/api/projects/{project}/", {"name": "taken over"}),
    ("get", "/api/projects/{project}/members/", None),
    ("post", "/api/projects/{project}/members/", {"username": "{username}", "role": "manager"}),
    ("delete", "/api/projects/{project}/members/manager/", None),
    ("get", "/api/projects/{project}/versions/", None),
    ("get", "/api/projects/{project}/versions/{number}/", None),
    ("get", "/api/projects/{project}/items/", None),
    ("get", "/api/projects/{project}/batches/", None),
    ("post", "/api/projects/{project}/batches/", "upload"),
    ("get", "/api/batches/{batch}/", None),
    ("get", "/api/batches/{batch}/file/", None),
]
ROUTE_IDS = [f"{method.upper()} {path}" for method, path, _ in ROUTES]


@pytest.fixture
def populated(project, manager) -> Batch:
    """``project`` with one accepted batch, so every id in the matrix names something real."""
    batch = import_file(project, manager, "first.csv", csv_bytes("good", "bad"))
    assert batch.status == "accepted", batch.error
    return batch


def call(client, method: str, path: str, body, *, project: Project, batch: Batch, username: str):
    url = path.format(project=project.pk, batch=batch.pk, number=1)
    if body == "upload":
        upload = SimpleUploadedFile("more.csv", b"text\nanother one\n")
        return client.post(url, {"file": upload}, format="multipart")
    if isinstance(body, dict):
        body = {key: value.format(username=username) for key, value in body.items()}
    return getattr(client, method)(url, body, format="json")


def snapshot() -> tuple:
    """What a refused call must leave untouched."""
    return (
        list(Project.objects.order_by("pk").values_list("name", "overlap")),
        list(Membership.objects.order_by("pk").values_list("project_id", "user_id", "role")),
        Batch.objects.count(),
        DatasetVersion.objects.count(),
        Item.objects.count(),
    )


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_another_projects_ids_answer_404(api_client, populated, project, outsider, method, path, body):
    before = snapshot()
    response = call(
        api_client(outsider), method, path, body, project=project, batch=populated, username=outsider.username
    )
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_a_manager_of_one_project_gets_404_for_the_other(api_client, populated, outsider, manager, method, path, body):
    """The outsider manages "Elsewhere"; its batch and project are invisible to ``manager``."""
    elsewhere = Project.objects.get(name="Elsewhere")
    their_batch = import_file(elsewhere, outsider, "theirs.csv", csv_bytes("theirs"))
    before = snapshot()
    response = call(
        api_client(manager), method, path, body, project=elsewhere, batch=their_batch, username=manager.username
    )
    assert response.status_code == 404, response.content
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_no_credentials_answer_401(client, populated, project, method, path, body):
    from rest_framework.test import APIClient

    before = snapshot()
    response = call(APIClient(), method, path, body, project=project, batch=populated, username="nobody")
    assert response.status_code == 401, response.content
    assert snapshot() == before


def test_a_wrong_token_answers_401(populated, project):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(f"/api/projects/{project.pk}/").status_code == 401


MANAGER_ONLY = [
    ("patch", "/api/projects/{project}/", {"name": "taken over"}),
    ("post", "/api/projects/{project}/members/", {"username": "{username}", "role": "manager"}),
    ("delete", "/api/projects/{project}/members/manager/", None),
    ("post", "/api/projects/{project}/batches/", "upload"),
]
READABLE = [
    ("get", "/api/projects/{project}/", None),
    ("get", "/api/projects/{project}/members/", None),
    ("get", "/api/projects/{project}/versions/", None),
    ("get", "/api/projects/{project}/versions/{number}/", None),
    ("get", "/api/projects/{project}/items/", None),
    ("get", "/api/projects/{project}/batches/", None),
    ("get", "/api/batches/{batch}/", None),
]


def test_a_batchs_file_is_for_managers_and_reviewers(api_client, populated, annotator, reviewer):
    assert api_client(reviewer).get(f"/api/batches/{populated.pk}/file/").status_code == 200
    response = api_client(annotator).get(f"/api/batches/{populated.pk}/file/")
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": "this needs the role manager or reviewer; you are annotator"}


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
@pytest.mark.parametrize(("method", "path", "body"), MANAGER_ONLY, ids=[f"{m.upper()} {p}" for m, p, _ in MANAGER_ONLY])
def test_annotators_and_reviewers_cannot_change_the_project(
    api_client, populated, project, annotator, reviewer, role, method, path, body
):
    user = annotator if role == "annotator" else reviewer
    before = snapshot()
    response = call(api_client(user), method, path, body, project=project, batch=populated, username=user.username)
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": f"this needs the role manager; you are {role}"}
    assert snapshot() == before


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
@pytest.mark.parametrize(("method", "path", "body"), READABLE, ids=[f"{m.upper()} {p}" for m, p, _ in READABLE])
def test_annotators_and_reviewers_can_read(
    api_client, populated, project, annotator, reviewer, role, method, path, body
):
    user = annotator if role == "annotator" else reviewer
    response = call(api_client(user), method, path, body, project=project, batch=populated, username=user.username)
    assert response.status_code == 200, response.content


def test_the_project_list_holds_only_the_callers_projects(api_client, project, outsider, annotator):
    assert [p["name"] for p in api_client(outsider).get("/api/projects/").json()] == ["Elsewhere"]
    mine = api_client(annotator).get("/api/projects/").json()
    assert [(p["name"], p["role"]) for p in mine] == [("Sentiment", "annotator")]


@pytest.mark.parametrize(
    "path",
    [
        "/api/projects/999999/",
        "/api/projects/999999/members/",
        "/api/projects/999999/versions/",
        "/api/projects/999999/items/",
        "/api/projects/999999/batches/",
        "/api/projects/99999999999999999999999/",
        "/api/projects/99999999999999999999999/items/",
        "/api/projects/{project}/versions/2/",
        "/api/projects/{project}/versions/0/",
        "/api/projects/{project}/versions/99999999999999999999999/",
        "/api/projects/{project}/items/?version=2",
        "/api/projects/{project}/items/?version=0",
        "/api/projects/{project}/items/?version=abc",
        "/api/projects/{project}/items/?version=-1",
        "/api/projects/{project}/items/?version=99999999999999999999999",
        "/api/batches/not-a-uuid/",
        "/api/batches/not-a-uuid/file/",
        "/api/batches/{missing}/",
        "/api/batches/{missing}/file/",
        "/api/batches/123/",
        "/api/projects/abc/",
    ],
)
def test_missing_and_malformed_ids_answer_404(api_client, populated, project, manager, path):
    url = path.format(project=project.pk, missing=uuid.uuid4())
    response = api_client(manager).get(url)
    assert response.status_code == 404, response.content


def test_a_member_change_on_a_missing_project_is_404(api_client, populated, manager):
    response = api_client(manager).post(
        "/api/projects/99999999999999999999999/members/", {"username": "manager", "role": "annotator"}, format="json"
    )
    assert response.status_code == 404
