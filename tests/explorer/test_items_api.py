"""The items API's filters and keyset pages: what each filter lets through, the 400s, who may ask."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasets.models import Batch
from tests.explorer.conftest import import_rows


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["external_id"] for item in response.json()["results"]]


def url(explored) -> str:
    return f"/api/projects/{explored.project.pk}/items/"


def test_no_filter_counts_from_the_version(api_client, manager, explored):
    body = api_client(manager).get(url(explored)).json()
    assert (body["count"], [i["external_id"] for i in body["results"]]) == (5, ["e1", "e2", "c1", "c2", "w1"])
    assert api_client(manager).get(url(explored), {"version": 1}).json()["count"] == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"metadata": "channel=email"}, ["e1", "e2"]),
        ({"metadata": "channel=chat", "version": "1"}, ["c1"]),
        ({"metadata": "channel=fax"}, []),
        ({"q": "parcel"}, ["c1", "c2"]),
        ({"q": "PARCEL", "metadata": "channel=chat"}, ["c1", "c2"]),
        ({"label": "negative"}, ["e1", "c2"]),
        ({"label": "neutral"}, ["e2"]),
        ({"final": "negative"}, ["e1", "c2"]),
        ({"final": "positive"}, ["e2"]),
        ({"final": "neutral"}, []),
        ({"annotator": "ann2"}, ["e1", "e2"]),
        ({"annotator": "ann1", "label": "negative", "version": "1"}, ["e1"]),
        ({"external_id": "w1"}, ["w1"]),
    ],
)
def test_filters(api_client, manager, explored, params, expected):
    response = api_client(manager).get(url(explored), params)
    assert ids(response) == expected
    assert response.json()["count"] is None  # a filtered list is not counted


def test_batch_filter(api_client, manager, explored):
    _, second = Batch.objects.filter(project=explored.project).order_by("version__number")
    assert ids(api_client(manager).get(url(explored), {"batch": str(second.pk)})) == ["c2", "w1"]
    assert ids(api_client(manager).get(url(explored), {"batch": str(second.pk), "version": 1})) == []


def test_filtered_pages_walk_by_cursor(api_client, manager, explored):
    client = api_client(manager)
    first = client.get(url(explored), {"metadata": "channel=chat", "page_size": 1}).json()
    assert [i["external_id"] for i in first["results"]] == ["c1"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [i["external_id"] for i in second["results"]] == ["c2"] and second["next"] is None
    assert [i["external_id"] for i in client.get(second["previous"]).json()["results"]] == ["c1"]


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"page": "2"}, "unknown parameter page"),
        ({"lable": "negative"}, "unknown parameter lable"),
        ({"metadata": "channel"}, "key=value"),
        ({"metadata": "=email"}, "key=value"),
        ({"label": "angry"}, "one of the project's labels"),
        ({"final": "angry"}, "one of the project's labels"),
        ({"annotator": "nobody"}, "no user named nobody"),
        ({"page_size": "100000"}, "less than or equal to 500"),
        ({"page_size": "0"}, "greater than or equal to 1"),
        ({"page_size": "x"}, "valid integer"),
        ({"cursor": "garbage"}, "cursor"),
        ({"batch": "not-a-uuid"}, "UUID"),
        ({"q": "x" * 300}, "200 characters"),
    ],
)
def test_bad_input_is_a_clear_400(api_client, manager, explored, params, said):
    response = api_client(manager).get(url(explored), params)
    assert response.status_code == 400, response.content
    assert said in str(response.json())


def test_a_parameter_given_twice_is_a_400(api_client, manager, explored):
    response = api_client(manager).get(url(explored) + "?label=negative&label=positive")
    assert response.status_code == 400 and "once" in str(response.json())


def test_outsiders_and_anonymous_callers(api_client, client, outsider, explored):
    assert api_client(outsider).get(url(explored)).status_code == 404
    assert api_client(outsider).get(url(explored), {"label": "negative"}).status_code == 404
    assert client.get(url(explored)).status_code in (401, 403)


def test_annotators_list_items_but_not_by_label(api_client, explored):
    annotator = explored.project.memberships.get(user__username="ann1").user
    client = api_client(annotator)
    assert ids(client.get(url(explored), {"q": "parcel"})) == ["c1", "c2"]
    for params in ({"label": "negative"}, {"final": "negative"}, {"annotator": "ann2"}):
        assert client.get(url(explored), params).status_code == 403


def test_another_projects_batch_matches_nothing(api_client, manager, explored, outsider):
    elsewhere = outsider.projects.get()
    import_rows(elsewhere, outsider, [{"id": "x", "text": "elsewhere"}])
    batch = Batch.objects.get(project=elsewhere)
    assert ids(api_client(manager).get(url(explored), {"batch": str(batch.pk)})) == []


def test_the_schema_documents_the_filters(client, db):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/projects/{project_id}/items/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"version", "metadata", "label", "final", "annotator", "batch", "q", "cursor", "page_size"} <= names


def _queries(client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(queries)


def test_query_counts_do_not_grow_with_the_project(api_client, client, manager, explored):
    """The items list, the explorer and the version page ask as many queries at 5 items as at 250."""
    api = api_client(manager)
    client.force_login(manager)
    project = explored.project
    routes = [
        (api, url(explored), {}),
        (api, url(explored), {"label": "negative", "metadata": "channel=email", "page_size": 2}),
        (client, f"/projects/{project.pk}/versions/2/", {}),
        (client, f"/projects/{project.pk}/versions/2/items/", {}),
        (client, f"/projects/{project.pk}/versions/2/items/", {"final": "negative"}),
    ]
    small = [_queries(c, path, params) for c, path, params in routes]
    import_rows(project, manager, [{"id": f"m{n}", "text": f"more text {n}", "channel": "email"} for n in range(250)])
    number = project.versions.count()
    bigger = [_queries(c, path.replace("/versions/2/", f"/versions/{number}/"), params) for c, path, params in routes]
    assert bigger == small
    assert max(small) <= 12, small
