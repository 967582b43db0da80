"""The suite editor's check settings and JSON forms: typed values bound, the services' rules shown."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quality.suites import services as suite_services


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_check_settings_are_typed_by_the_form_and_judged_by_the_service(project, manager):
    client, url = page_client(manager), f"/projects/{project.pk}/suite/"
    page = client.post(url, {"action": "save_checks", "check_p_value": "a lot"}).content.decode()
    assert "Not saved: p value must be a number" in page and 'value="a lot"' not in page
    page = client.post(url, {"action": "save_checks", "check_p_value": "7"}).content.decode()
    assert "Not saved" in page and 'value="7.0"' in page  # out of range: the service says so, the value stays
    response = client.post(url, {"action": "save_checks", "check_p_value": "0.01", "check_histogram_bins": "12"})
    stored = suite_services.check_settings_read(project=project)
    assert response.status_code == 302 and (stored.p_value, stored.histogram_bins) == (0.01, 12)
    assert stored.check_drift is False  # an unticked box is off


def test_a_suite_file_is_read_as_utf8_and_an_empty_form_is_refused(project, manager):
    client, url = page_client(manager), f"/projects/{project.pk}/suite/"
    page = client.post(url, {"action": "save_json", "suite_json": "  "}).content.decode()
    assert "Not saved: paste a suite&#x27;s JSON or choose a file" in page
    page = client.post(
        url, {"action": "save_json", "suite_file": SimpleUploadedFile("s.json", b"\xff\xfe")}
    ).content.decode()
    assert "Not saved: the suite file is not UTF-8 text" in page
    suite = {"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "text"}}]}
    upload = SimpleUploadedFile("s.json", json.dumps(suite).encode("utf-8-sig"))
    assert client.post(url, {"action": "save_json", "suite_file": upload}).status_code == 302
    assert suite_services.suite_read(project=project)["expectations"][0]["kwargs"] == {"column": "text"}
