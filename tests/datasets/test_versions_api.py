"""Versions and items through the API: a version holds its parent's items plus its batch's."""

import pytest

from tests.projects.helpers import csv_bytes, import_file


@pytest.fixture
def two_versions(project, manager):
    first = import_file(project, manager, "first.csv", csv_bytes("alpha", "beta", "gamma"))
    second = import_file(
        project,
        manager,
        "second.csv",
        b"id,text,channel\nb1,beta,web\nb2,delta,app\nb3,epsilon,\nb4,delta,web\n",
    )
    assert (first.status, second.status) == ("accepted", "accepted")
    return first, second


def test_versions_list_shape(api_client, project, manager, two_versions):
    first, second = two_versions
    response = api_client(manager).get(f"/api/projects/{project.pk}/versions/")
    assert response.status_code == 200
    body = response.json()
    assert [{k: v for k, v in row.items() if k != "created_at"} for row in body] == [
        {"number": 2, "item_count": 5, "added_count": 2, "duplicate_count": 2, "parent": 1, "batch": str(second.pk)},
        {"number": 1, "item_count": 3, "added_count": 3, "duplicate_count": 0, "parent": None, "batch": str(first.pk)},
    ]
    assert all(row["created_at"] for row in body)


def test_version_detail(api_client, project, manager, two_versions):
    body = api_client(manager).get(f"/api/projects/{project.pk}/versions/2/").json()
    assert (body["number"], body["item_count"], body["parent"]) == (2, 5, 1)


def test_a_project_without_versions_lists_none_and_no_items(api_client, project, manager):
    client = api_client(manager)
    assert client.get(f"/api/projects/{project.pk}/versions/").json() == []
    assert client.get(f"/api/projects/{project.pk}/items/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def texts(response) -> list[str]:
    return [item["data"]["text"] for item in response.json()["results"]]


def test_items_of_a_version_exclude_later_batches(api_client, project, manager, two_versions):
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/items/"
    assert texts(client.get(url, {"version": 1})) == ["alpha", "beta", "gamma"]
    assert texts(client.get(url, {"version": 2})) == ["alpha", "beta", "gamma", "delta", "epsilon"]
    assert texts(client.get(url)) == ["alpha", "beta", "gamma", "delta", "epsilon"]
    assert client.get(url, {"version": 3}).status_code == 404


NO_LINEAGE = {"split": None, "source": None, "root": None, "augmentation": None}


def test_items_shape_and_metadata(api_client, project, manager, two_versions):
    results = api_client(manager).get(f"/api/projects/{project.pk}/items/", {"version": 2}).json()["results"]
    assert [{k: v for k, v in item.items() if k != "id"} for item in results[3:]] == [
        {"external_id": "b2", "data": {"text": "delta"}, "metadata": {"channel": "app"}, **NO_LINEAGE},
        {"external_id": "b3", "data": {"text": "epsilon"}, "metadata": {"channel": None}, **NO_LINEAGE},
    ]
    assert all(isinstance(item["id"], int) for item in results)


def test_items_by_external_id(api_client, project, manager, two_versions):
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/items/"
    assert texts(client.get(url, {"external_id": "b2"})) == ["delta"]
    assert texts(client.get(url, {"external_id": "b2", "version": 1})) == []
    assert texts(client.get(url, {"external_id": "r2", "version": 1})) == ["beta"]
    assert texts(client.get(url, {"external_id": "nope"})) == []


def test_items_are_paginated_by_cursor(api_client, project, manager):
    import_file(project, manager, "many.csv", csv_bytes(*[f"text number {n}" for n in range(120)]))
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/items/"
    first = client.get(url).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (120, 50, None)
    second = client.get(first["next"]).json()
    assert [item["external_id"] for item in second["results"]] == [f"r{n}" for n in range(51, 101)]
    last = client.get(second["next"]).json()
    assert [item["external_id"] for item in last["results"]] == [f"r{n}" for n in range(101, 121)]
    assert last["next"] is None
    back = client.get(last["previous"]).json()
    assert back["results"] == second["results"]
    end = client.get(url, {"cursor": "last"}).json()  # the last full page, read backwards from the end
    assert [item["external_id"] for item in end["results"]] == [f"r{n}" for n in range(71, 121)]
    assert end["next"] is None and end["previous"].endswith(f"cursor=p{end['results'][0]['id']}")


def test_project_detail_reports_the_latest_version(api_client, project, manager, two_versions):
    body = api_client(manager).get(f"/api/projects/{project.pk}/").json()
    assert (body["latest_version"], body["item_count"]) == (2, 5)
    listed = api_client(manager).get("/api/projects/").json()
    assert [(p["latest_version"], p["item_count"]) for p in listed] == [(2, 5)]
