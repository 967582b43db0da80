"""Prefetch: the page holds the item on screen and the one after it; ``exclude`` names what it has."""

import uuid

import pytest

from labeling.models import Assignment, ItemState
from labeling.services import MAX_HELD


@pytest.fixture
def client(loaded_project, annotators, api_client):
    return api_client(annotators[0])


def next_id(client, project, *exclude: int) -> int | None:
    query = f"?exclude={','.join(map(str, exclude))}" if exclude else ""
    response = client.get(f"/api/projects/{project.pk}/next/{query}")
    assert response.status_code in (200, 204), response.content
    return response.json()["item"]["id"] if response.status_code == 200 else None


def test_exclude_prefetches_the_item_after_the_one_on_screen(loaded_project, client, annotators):
    shown = next_id(client, loaded_project)
    assert next_id(client, loaded_project) == shown  # a reload gets the same item back
    prefetched = next_id(client, loaded_project, shown)
    assert prefetched not in (None, shown)
    assert next_id(client, loaded_project, shown) == prefetched  # asking again does not take a third
    held = Assignment.objects.filter(annotator=annotators[0], status="active")
    assert sorted(held.values_list("item_id", flat=True)) == sorted([shown, prefetched])
    assert ItemState.objects.filter(item_id__in=[shown, prefetched], held=1).count() == 2

    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    assert client.post(f"/api/items/{shown}/annotations/", body, format="json").status_code == 201
    assert next_id(client, loaded_project) == prefetched  # after the submit, the prefetched item is next
    progress = client.get(f"/api/projects/{loaded_project.pk}/progress/").json()
    assert (progress["done_total"], progress["left"]) == (1, 5)


def test_an_annotator_holds_at_most_max_held_items(loaded_project, client):
    held: list[int] = []
    for _ in range(MAX_HELD):
        held.append(next_id(client, loaded_project, *held))
    assert len(set(held)) == MAX_HELD
    response = client.get(f"/api/projects/{loaded_project.pk}/next/?exclude={','.join(map(str, held))}")
    assert response.status_code == 409 and "submit or skip" in response.json()["detail"]


@pytest.mark.parametrize("exclude", ["abc", "1,,x", ",".join(["1"] * (MAX_HELD + 1)), "-1"])
def test_a_bad_exclude_is_a_400(loaded_project, client, exclude):
    response = client.get(f"/api/projects/{loaded_project.pk}/next/?exclude={exclude}")
    assert response.status_code == 400 and "exclude" in response.json()["detail"]
