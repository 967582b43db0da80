"""CSRF on every session-authenticated write, same-site login redirects, and escaping of what users typed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from conftest import PASSWORD
from datasets.models import Batch
from projects.models import Membership, Project
from tests.factories import ProjectFactory, UserFactory
from tests.projects.helpers import import_file


# -- CSRF --------------------------------------------------------------------------------
def csrf_token_of(client) -> str:
    """Load a page with a form, as a browser would, and read the CSRF cookie it set."""
    assert client.get("/").status_code == 200
    return client.cookies["csrftoken"].value


API_WRITES = [
    ("post", "/api/projects/", {"name": "P", "task_type": "classification", "labels": ["a", "b"]}, "json"),
    ("patch", "/api/projects/{project}/", {"name": "changed"}, "json"),
    ("post", "/api/projects/{project}/members/", {"username": "annotator1", "role": "reviewer"}, "json"),
    ("delete", "/api/projects/{project}/members/annotator1/", None, "json"),
    ("post", "/api/projects/{project}/batches/", "upload", "multipart"),
]


def snapshot() -> tuple:
    return (
        list(Project.objects.order_by("pk").values_list("name", flat=True)),
        list(Membership.objects.order_by("pk").values_list("user__username", "role")),
        Batch.objects.count(),
    )


@pytest.mark.parametrize(("method", "path", "body", "fmt"), API_WRITES, ids=[f"{m} {p}" for m, p, _, _ in API_WRITES])
def test_session_authenticated_api_writes_need_the_csrf_token(project, manager, annotator, method, path, body, fmt):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="manager", password=PASSWORD)
    url = path.format(project=project.pk)

    def send(**headers):
        data = {"file": SimpleUploadedFile("b.csv", b"text\nhello\n")} if body == "upload" else body
        return getattr(client, method)(url, data, format=fmt, **headers)

    before = snapshot()
    response = send()
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert snapshot() == before

    response = send(HTTP_X_CSRFTOKEN="forged" * 6)
    assert response.status_code == 403
    assert snapshot() == before

    response = send(HTTP_X_CSRFTOKEN=csrf_token_of(client))
    assert response.status_code in (200, 201, 202, 204), response.content
    assert snapshot() != before


def test_token_authenticated_writes_need_no_csrf_token(project, manager):
    from rest_framework.authtoken.models import Token

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    response = client.patch(f"/api/projects/{project.pk}/", {"name": "by script"}, format="json")
    assert response.status_code == 200


PAGE_POSTS = [
    (
        "/projects/new/",
        {
            "name": "Forged",
            "task_type": "classification",
            "label_scale": "nominal",
            "label_name": ["a", "b"],
            "overlap": "1",
            "guidelines": "",
        },
    ),
    ("/projects/{project}/members/", {"username": "mallory", "role": "manager"}),
    ("/projects/{project}/batches/", "upload"),
]


@pytest.mark.parametrize(("path", "data"), PAGE_POSTS, ids=[p for p, _ in PAGE_POSTS])
def test_page_forms_need_the_csrf_token(project, manager, path, data):
    UserFactory(username="mallory")
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="manager", password=PASSWORD)
    url = path.format(project=project.pk)

    def send(**extra):
        payload = {"file": SimpleUploadedFile("b.csv", b"text\nhello\n")} if data == "upload" else dict(data)
        return client.post(url, {**payload, **extra})

    before = snapshot()
    assert send().status_code == 403
    assert snapshot() == before
    response = send(csrfmiddlewaretoken=csrf_token_of(client))
    assert response.status_code == 302
    assert snapshot() != before


def test_the_login_form_needs_the_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    token = client.get("/accounts/login/").cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/", {"username": "manager", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


def test_logout_is_a_post_with_a_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="manager", password=PASSWORD)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in client.session


# -- login redirects ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http:evil.example",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/projects/new/",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_login_never_redirects_off_site(client, manager, target):
    page = client.get("/accounts/login/", {"next": target})
    assert page.status_code == 200
    assert b"evil.example" not in page.content and b"javascript:" not in page.content
    response = client.post("/accounts/login/?next=" + target, {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = Client().post("/accounts/login/", {"username": "manager", "password": PASSWORD, "next": target})
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", ["/projects/new/", "/projects/1/?tab=members", "http://testserver/projects/new/"])
def test_login_follows_a_same_site_next(client, manager, target):
    response = client.post("/accounts/login/", {"username": "manager", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == target


def test_pages_send_anonymous_users_to_login_with_a_local_next(client, project):
    response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/projects/{project.pk}/"


# -- escaping ------------------------------------------------------------------------------
ITEM_TEXT = "<img src=x onerror=alert(1)>"
NAME = '<script>alert("name")</script>'
LABEL = "<b onmouseover=alert(2)>lbl</b>"


@pytest.fixture
def hostile_project(manager) -> Project:
    project = ProjectFactory(user=manager, name=NAME, labels=[LABEL, "ok"], guidelines="Be careful.")
    content = b'id,text,<svg onload=alert(3)>\n"<i>ext</i>","' + ITEM_TEXT.encode() + b'","<svg onload=alert(4)>"\n'
    batch = import_file(project, manager, "<svg onload=alert(5)>.csv", content)
    assert batch.status == "accepted", batch.error
    return project


def assert_escaped(content: bytes, raw: str, escaped: str) -> None:
    text = content.decode()
    assert escaped in text, f"{escaped!r} is not on the page"
    assert raw not in text, f"{raw!r} is on the page unescaped"


def test_the_project_page_escapes_names_labels_and_file_names(client, manager, hostile_project):
    client.force_login(manager)
    content = client.get(f"/projects/{hostile_project.pk}/").content
    assert_escaped(content, NAME, "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;")
    assert_escaped(content, LABEL, "&lt;b onmouseover=alert(2)&gt;lbl&lt;/b&gt;")
    assert_escaped(content, "<svg onload=alert(5)>", "&lt;svg onload=alert(5)&gt;.csv")


def test_the_project_list_escapes_names(client, manager, hostile_project):
    client.force_login(manager)
    assert_escaped(client.get("/").content, NAME, "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;")


def test_the_version_page_escapes_item_text_ids_and_metadata(client, manager, hostile_project):
    client.force_login(manager)
    content = client.get(f"/projects/{hostile_project.pk}/versions/1/").content
    assert_escaped(content, ITEM_TEXT, "&lt;img src=x onerror=alert(1)&gt;")
    assert_escaped(content, "<i>ext</i>", "&lt;i&gt;ext&lt;/i&gt;")
    assert_escaped(content, "<svg onload=alert(3)>", "&lt;svg onload=alert(3)&gt;")
    assert_escaped(content, "<svg onload=alert(4)>", "&lt;svg onload=alert(4)&gt;")
    assert_escaped(content, NAME, "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;")


def test_an_upload_error_quoting_the_file_is_escaped(client, project, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("x.csv", b"<script>alert(6)</script>,id\n1,2\n")
    response = client.post(f"/projects/{project.pk}/batches/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert_escaped(
        response.content,
        "<script>alert(6)</script>",
        "(found: &#x27;&lt;script&gt;alert(6)&lt;/script&gt;&#x27;, &#x27;id&#x27;)",
    )


def test_guidelines_markdown_is_rendered_and_sanitised(client, manager):
    guidelines = (
        "# Rules\n\nMark **insults**.\n\n<script>alert('guidelines')</script>\n\n"
        "[click](javascript:alert(7)) <img src=x onerror=alert(8)>\n\n"
        '<a href="https://ok.example/" onclick="alert(9)">ok</a>'
    )
    project = ProjectFactory(user=manager, name="Rules", guidelines=guidelines)
    client.force_login(manager)
    text = client.get(f"/projects/{project.pk}/").content.decode()
    section = text[text.index('<div class="guidelines">') :]
    section = section[: section.index("</div>")]
    assert "<h1>Rules</h1>" in section and "<strong>insults</strong>" in section
    assert 'href="https://ok.example/"' in section
    for dangerous in ("<script", "alert('guidelines')", "javascript:", "onerror", "onclick"):
        assert dangerous not in section, dangerous
