"""A database that refuses connections answers 503 + Retry-After, never a 500."""

from collections.abc import Callable, Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.test import Client, RequestFactory

from config.errors import DatabaseUnavailableMiddleware


@pytest.fixture
def refuse_connections() -> Iterator[Callable[[], None]]:
    """From the call on, the connection is gone and reconnecting fails as PostgreSQL does at
    max_connections. Put back before the test database is rolled back."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    kept = wrapper.connection

    def connect() -> None:
        raise wrapper.Database.OperationalError("FATAL: sorry, too many clients already")

    def refuse() -> None:
        wrapper.connection = None
        wrapper.connect = connect

    yield refuse
    wrapper.__dict__.pop("connect", None)
    wrapper.connection = kept


def test_api_answers_503_json_with_retry_after(api_client, annotator, project, refuse_connections):
    client = api_client(annotator)
    refuse_connections()
    response = client.get(f"/api/projects/{project.pk}/next/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/json"
    assert "retry" in response.json()["detail"]


def test_page_answers_503_page_with_retry_after(annotator, project, refuse_connections):
    client = Client()
    client.force_login(annotator)
    refuse_connections()
    response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "Groundwork is busy right now" in response.content.decode()


def test_other_database_errors_on_a_working_connection_stay_errors(db):
    """A missing table or a deadlock needs a person, not a retry: it is left to the 500 handler."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    connection.ensure_connection()
    request = RequestFactory().get("/api/projects/")
    assert middleware.process_exception(request, OperationalError("no such table: projects_project")) is None
