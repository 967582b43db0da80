"""The suite and check-settings API: GX JSON in and out, refused suites never stored, roles and projects kept apart."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

from quality.models import ValidationSuite
from quality.validation import CheckSettings
from tests.projects.helpers import csv_bytes, import_file

GOOD_SUITE = {
    "name": "reviews",
    "expectations": [
        {"type": "expect_column_to_exist", "kwargs": {"column": "text"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "rating", "min_value": 1, "max_value": 5},
            "severity": "warning",
        },
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "lang", "value_set": ["en", "de"]}},
    ],
}


def suite_url(project) -> str:
    return f"/api/projects/{project.pk}/suite/"


def test_a_new_project_has_an_empty_suite_any_member_can_read(api_client, project, annotator):
    response = api_client(annotator).get(suite_url(project))
    assert response.status_code == 200, response.content
    assert response.json()["expectations"] == []
    assert response.json()["name"] == f"project-{project.pk}"


def test_a_manager_puts_a_suite_and_gets_gx_serialisation_back(api_client, project, manager, reviewer):
    client = api_client(manager)
    response = client.put(suite_url(project), GOOD_SUITE, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "reviews"
    assert [e["type"] for e in body["expectations"]] == [e["type"] for e in GOOD_SUITE["expectations"]]
    # GX's own serialisation: severity defaults to critical, numbers as GX coerces them.
    assert [e["severity"] for e in body["expectations"]] == ["critical", "warning", "critical"]
    assert body["expectations"][1]["kwargs"] == {"column": "rating", "min_value": 1.0, "max_value": 5.0}
    assert ValidationSuite.objects.get(project=project).suite == body
    assert ValidationSuite.objects.get(project=project).updated_by == manager
    assert api_client(reviewer).get(suite_url(project)).json() == body


@pytest.mark.parametrize(
    ("suite", "reason"),
    [
        ({"name": "s", "expectations": [{"type": "expect_the_moon", "kwargs": {}}]}, "unknown expectation type"),
        (
            {
                "name": "s",
                "expectations": [
                    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "r", "min_value": "abc"}}
                ],
            },
            "min_value",
        ),
        ({"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwargs": {}}]}, "column"),
        (
            {
                "name": "s",
                "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "severity": "x"}],
            },
            "severity",
        ),
        (["not", "a", "suite"], "JSON object"),
        ({}, "needs an 'expectations' list"),
    ],
)
def test_a_bad_suite_is_a_400_with_the_reason_and_is_never_stored(api_client, project, manager, suite, reason):
    client = api_client(manager)
    assert client.put(suite_url(project), GOOD_SUITE, format="json").status_code == 200
    before = ValidationSuite.objects.get(project=project).suite
    response = client.put(suite_url(project), suite, format="json")
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"], response.json()
    assert ValidationSuite.objects.get(project=project).suite == before


def test_malformed_json_is_a_400(api_client, project, manager):
    response = api_client(manager).put(suite_url(project), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not ValidationSuite.objects.filter(project=project).exists()


def test_only_managers_change_the_suite(api_client, project, annotator, reviewer):
    for user in (annotator, reviewer):
        response = api_client(user).put(suite_url(project), GOOD_SUITE, format="json")
        assert response.status_code == 403, response.content
    assert not ValidationSuite.objects.filter(project=project).exists()


def test_another_projects_suite_is_a_404(api_client, project, outsider):
    client = api_client(outsider)
    for url in (
        suite_url(project),
        f"/api/projects/{project.pk}/checks/",
        f"/api/projects/{project.pk}/suite/suggest/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.put(suite_url(project), GOOD_SUITE, format="json").status_code == 404
    assert client.put(f"/api/projects/{project.pk}/checks/", {"p_value": 0.01}, format="json").status_code == 404
    assert not ValidationSuite.objects.filter(project=project).exists()


def test_the_suite_api_needs_a_login(client, project):
    assert client.get(suite_url(project)).status_code == 401
    assert client.put(suite_url(project), GOOD_SUITE, content_type="application/json").status_code == 401
    assert client.get(f"/api/projects/{project.pk}/checks/").status_code == 401


# -- check settings -----------------------------------------------------------------------------
def test_check_settings_default_to_evidentlys_and_can_be_changed(api_client, project, manager, annotator):
    url = f"/api/projects/{project.pk}/checks/"
    body = api_client(annotator).get(url).json()
    # The engine's defaults (Evidently's), except that a schema change only warns in a project.
    assert body == {**CheckSettings().asdict(), "schema_severity": "warning"}
    assert (body["p_value"], body["distance_threshold"], body["small_reference_rows"]) == (0.05, 0.1, 1000)

    response = api_client(manager).put(url, {"p_value": 0.01, "drift_severity": "critical"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["p_value"] == 0.01 and response.json()["drift_severity"] == "critical"
    assert api_client(annotator).get(url).json()["p_value"] == 0.01


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"p_value": 2}, "p_value"),
        ({"p_value": "small"}, "p_value"),
        ({"bogus": 1}, "bogus"),
        ({"numeric_method": "magic"}, "numeric_method"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_check_settings_are_a_400_never_stored(api_client, project, manager, data, reason):
    url = f"/api/projects/{project.pk}/checks/"
    response = api_client(manager).put(url, data, format="json")
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"]
    assert not ValidationSuite.objects.filter(project=project).exists()


def test_an_annotator_cannot_change_check_settings(api_client, project, annotator):
    response = api_client(annotator).put(f"/api/projects/{project.pk}/checks/", {"p_value": 0.01}, format="json")
    assert response.status_code == 403


# -- suggest --------------------------------------------------------------------------------------
def test_suggesting_needs_a_version(api_client, project, manager):
    response = api_client(manager).get(f"/api/projects/{project.pk}/suite/suggest/")
    assert response.status_code == 409
    assert "no dataset version" in response.json()["detail"]


def test_suggest_is_for_managers(api_client, project, annotator):
    assert api_client(annotator).get(f"/api/projects/{project.pk}/suite/suggest/").status_code == 403


# -- the web process never imports great_expectations ---------------------------------------------
def test_serving_the_suite_api_does_not_import_great_expectations(tmp_path):
    """In a fresh process: load the URLconf, then read and write a suite and its settings through the API."""
    script = textwrap.dedent(
        f"""
        import json, sys
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        import config.urls  # every view module the web process serves
        from rest_framework.test import APIClient
        from tests.factories import ProjectFactory, UserFactory
        manager = UserFactory(username="m")
        project = ProjectFactory(user=manager)
        client = APIClient()
        client.force_login(manager)
        suite = {json.dumps(GOOD_SUITE)!r}
        api = f"/api/projects/{{project.pk}}/"
        assert client.put(api + "suite/", json.loads(suite), format="json").status_code == 200
        assert client.get(api + "suite/").status_code == 200
        assert client.put(api + "checks/", {{"p_value": 0.01}}, format="json").status_code == 200
        bad = {{"name": "s", "expectations": [{{"type": "expect_the_moon", "kwargs": {{}}}}]}}
        assert client.put(api + "suite/", bad, format="json").status_code == 400
        assert client.get(f"/projects/{{project.pk}}/suite/").status_code == 200
        print("GX_IMPORTED" if "great_expectations" in sys.modules else "GX_NOT_IMPORTED")
        """
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "GROUNDWORK_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "1",
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().splitlines()[-1] == "GX_NOT_IMPORTED"


def test_the_suite_page_renders_for_members_and_escapes_the_suite(client, project, manager, annotator, api_client):
    hostile = "<script>alert(1)</script>"
    suite = {"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": hostile}}]}
    assert api_client(manager).put(suite_url(project), suite, format="json").status_code == 200
    client.force_login(annotator)
    page = client.get(f"/projects/{project.pk}/suite/")
    assert page.status_code == 200
    assert hostile.encode() not in page.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.content


def test_annotators_cannot_post_the_suite_page(client, project, annotator):
    client.force_login(annotator)
    response = client.post(
        f"/projects/{project.pk}/suite/", {"action": "save_json", "suite_json": json.dumps(GOOD_SUITE)}
    )
    assert response.status_code == 403
    assert not ValidationSuite.objects.filter(project=project).exists()


def test_the_form_saves_a_suite_and_refuses_a_bad_row(client, project, manager):
    client.force_login(manager)
    url = f"/projects/{project.pk}/suite/"
    form = {
        "action": "save_form",
        "row_count": "2",
        "type_0": "expect_column_values_to_be_in_set",
        "severity_0": "critical",
        "p_0_column": "lang",
        "p_0_value_set": "en, de",
        "type_1": "expect_column_values_to_be_between",
        "severity_1": "warning",
        "p_1_column": "rating",
        "p_1_min_value": "1",
        "p_1_max_value": "5",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    stored = ValidationSuite.objects.get(project=project).suite
    assert [(e["type"], e["kwargs"], e["severity"]) for e in stored["expectations"]] == [
        ("expect_column_values_to_be_in_set", {"column": "lang", "value_set": ["en", "de"]}, "critical"),
        ("expect_column_values_to_be_between", {"column": "rating", "min_value": 1.0, "max_value": 5.0}, "warning"),
    ]
    page = client.get(url)
    assert b'value="en, de"' in page.content

    response = client.post(url, {**form, "p_1_min_value": "one"})
    assert response.status_code == 200
    assert b"Not saved" in response.content and b"min_value" in response.content
    assert ValidationSuite.objects.get(project=project).suite == stored


def test_suggest_fills_the_form_without_saving(client, project, manager):
    content = csv_bytes(*[f"review {n}" for n in range(30)], header="id,text")
    assert import_file(project, manager, "v1.csv", content).status == "accepted"
    client.force_login(manager)
    response = client.post(f"/projects/{project.pk}/suite/", {"action": "suggest", "row_count": "0"})
    assert response.status_code == 200
    assert b"Review the rows" in response.content
    assert b"expect_column_to_exist" in response.content
    assert not ValidationSuite.objects.filter(project=project).exists()


def test_bad_json_on_the_page_leaves_the_stored_rows_in_view(client, project, manager):
    client.force_login(manager)
    url = f"/projects/{project.pk}/suite/"
    assert client.post(url, {"action": "save_json", "suite_json": json.dumps(GOOD_SUITE)}).status_code == 302
    page = client.post(url, {"action": "save_json", "suite_json": "{not json"}).content.decode()
    assert "Not saved" in page and "{not json" in page  # the message, and what was pasted to fix
    assert "No expectations yet" not in page
    for expectation in GOOD_SUITE["expectations"]:
        assert expectation["type"] in page  # the stored suite's rows, as before the failed save
