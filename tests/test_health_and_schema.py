"""``/healthz``, the OpenAPI schema and its docs page (served from our own static files)."""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

CONTRACT_PATHS = {
    "/api/auth/token/": {"post", "delete"},
    "/api/auth/token/rotate/": {"post"},
    "/api/projects/": {"get", "post"},
    "/api/projects/{project_id}/": {"get", "patch"},
    "/api/projects/{project_id}/members/": {"get", "post"},
    "/api/projects/{project_id}/members/{username}/": {"delete"},
    "/api/projects/{project_id}/versions/": {"get"},
    "/api/projects/{project_id}/versions/{number}/": {"get"},
    "/api/projects/{project_id}/items/": {"get"},
    "/api/projects/{project_id}/versions/{number}/splits/": {"get", "post"},
    "/api/projects/{project_id}/versions/{number}/leakage/": {"get", "post"},
    "/api/projects/{project_id}/batches/": {"get", "post"},
    "/api/batches/{batch_id}/": {"get"},
    "/api/batches/{batch_id}/file/": {"get"},
}


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_answers_503_when_the_broker_is_down(tmp_path):
    """A broker nobody listens on: the check must say so instead of hanging or claiming ok.

    It runs in a fresh process, since the broker connection pool outlives a settings change.
    """
    code = (
        "import django, json; django.setup(); from django.test import RequestFactory; "
        "from config.health import healthz; r = healthz(RequestFactory().get('/healthz')); "
        "print(r.status_code, r.content.decode())"
    )
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        GROUNDWORK_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split(" ", 1)
    body = json.loads(body)
    assert status == "503"
    assert (body["status"], body["database"]) == ("unavailable", "ok")
    assert body["broker"].startswith("error: ")


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def test_the_schema_is_a_valid_openapi_document(schema):
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Groundwork API"


def test_the_schema_holds_the_contract(schema):
    for path, methods in CONTRACT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_the_token_endpoints_document_the_login_limit_and_rotation(schema):
    token = schema["paths"]["/api/auth/token/"]
    assert {"200", "400", "429"} <= set(token["post"]["responses"])
    assert "204" in token["delete"]["responses"]
    assert "token" in str(schema["paths"]["/api/auth/token/rotate/"]["post"]["responses"]["200"])


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            if operation.get("security"):  # the login itself needs no credentials
                for code in ("401", "403"):
                    assert responses[code]["content"]["application/json"]["schema"] == error, (method, path, code)
            if "{" in path:
                assert responses["404"]["content"]["application/json"]["schema"] == error, (method, path)


def test_answers_that_once_disagreed_with_the_schema_are_described_as_they_are(schema):
    paths = schema["paths"]
    page = paths["/api/projects/{project_id}/disagreements/"]["get"]["responses"]["200"]
    assert page["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DisagreementPage"}
    assert {"count", "next", "previous", "results"} <= set(
        schema["components"]["schemas"]["DisagreementPage"]["required"]
    )
    assert schema["components"]["schemas"]["NextItem"]["required"] == ["item", "suggestion", "suggestion_withheld"]
    assert "409" in paths["/api/batches/{batch_id}/reject/"]["post"]["responses"]
    assert "413" in paths["/api/projects/{project_id}/batches/"]["post"]["responses"]


def test_the_upload_is_described_as_multipart_with_a_202(schema):
    operation = schema["paths"]["/api/projects/{project_id}/batches/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert "202" in operation["responses"]
    items = schema["paths"]["/api/projects/{project_id}/items/"]["get"]
    names = {parameter["name"] for parameter in items["parameters"]}
    assert {"version", "external_id", "split", "cursor", "page_size"} <= names


def test_the_schema_is_also_json(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert set(CONTRACT_PATHS) <= set(response.json()["paths"])


def test_the_docs_page_loads_its_assets_from_our_static_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    assert any(a.endswith("swagger-ui.css") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not one of our static files"
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html
