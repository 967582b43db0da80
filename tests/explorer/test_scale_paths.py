"""The paths a large project takes give the answers a small one gets: an older version's last
page bounded by its ids, and a search whose few matches are read from the text index first."""

import pytest
from django.db import connection
from django.test import Client

from datasets import selectors
from datasets.models import Batch, Item
from tests.explorer.conftest import Explored, import_rows
from tests.explorer.test_items_api import ids, url


def walk(client, explored: Explored, params: dict) -> list[str]:
    """Every item of the list, page by page from the first, following the next links."""
    seen, page = [], client.get(url(explored), {**params, "page_size": 1}).json()
    while True:
        seen += [item["external_id"] for item in page["results"]]
        if not page["next"]:
            return seen
        page = client.get(page["next"]).json()


def test_the_last_page_of_an_older_version_is_its_own(api_client, manager, explored):
    client = api_client(manager)
    assert ids(client.get(url(explored), {"version": 1, "cursor": "last", "page_size": 2})) == ["e2", "c1"]
    assert ids(client.get(url(explored), {"version": 1, "sort": "-id", "page_size": 2})) == ["c1", "e2"]
    assert ids(client.get(url(explored), {"version": 2, "cursor": "last", "page_size": 2})) == ["c2", "w1"]
    page = Client()
    page.force_login(manager)
    body = page.get(f"/projects/{explored.project.pk}/versions/1/?cursor=last").content.decode()
    assert "Where is my parcel" in body and "The parcel arrived broken" not in body
    body = page.get(f"/projects/{explored.project.pk}/versions/1/items/?cursor=last").content.decode()
    assert "Where is my parcel" in body and "Love the new app" not in body


def test_a_versions_id_range_is_its_batches(explored, manager):
    project = explored.project
    first = selectors.version_batch_ids(project=project, number=1)
    both = selectors.version_batch_ids(project=project, number=2)
    one = Item.objects.filter(batch_id__in=first).values_list("id", flat=True)
    two = Item.objects.filter(batch_id__in=both).values_list("id", flat=True)
    assert selectors.items_id_range(first) == (min(one), max(one))
    assert selectors.items_id_range(both) == (min(two), max(two))
    assert selectors.items_id_range([]) is None
    import_rows(project, manager, [{"id": "e1", "text": "Refund my order please", "channel": "email"}])
    empty = Batch.objects.filter(project=project).order_by("-created_at").first()  # every row a duplicate
    assert not Item.objects.filter(batch=empty).exists()
    assert selectors.items_id_range([empty.pk]) is None
    assert selectors.items_id_range([*both, empty.pk]) == (min(two), max(two))


SEARCHES = ["parcel", "refund", "the", "nowhere"]


# (first look, few matches, rows a page may walk): where the line between the ways falls.
WAYS = [(0, 0, 10_000), (0, 1, 0), (1, 1, 0), (1, 5_000, 0), (100, 5_000, 10_000)]


@pytest.mark.parametrize(("sample", "few", "walk_rows"), WAYS)
def test_a_search_answers_the_same_from_the_index_or_the_id_order(
    api_client, manager, explored, monkeypatch, sample, few, walk_rows
):
    """The first look's size, the line for few matches and the walk allowed choose between the
    ways: the id order walked, every match read from the first look, or from the text index."""
    client = api_client(manager)
    expected = {"parcel": ["c1", "c2"], "refund": ["e1"], "the": ["c2", "w1"], "nowhere": []}
    monkeypatch.setattr(selectors, "SAMPLE_MATCHES", sample)
    monkeypatch.setattr(selectors, "FEW_MATCHES", few)
    monkeypatch.setattr(selectors, "WALK_ROWS", walk_rows)
    for words in SEARCHES:
        assert ids(client.get(url(explored), {"q": words})) == expected[words], words
        assert walk(client, explored, {"q": words}) == expected[words], words
        assert ids(client.get(url(explored), {"q": words, "cursor": "last", "page_size": 1})) == expected[words][-1:]
    assert ids(client.get(url(explored), {"q": "parcel", "version": 1})) == ["c1"]
    assert ids(client.get(url(explored), {"q": "parcel", "metadata": "channel=chat", "label": "negative"})) == ["c2"]


@pytest.mark.parametrize(("sample", "few", "walk_rows"), [(5, 10, 0), (5, 100, 0), (5, 10, 10_000), (100, 5_000, 0)])
def test_a_rare_word_among_many_items(api_client, manager, explored, monkeypatch, sample, few, walk_rows):
    """One item in many holds the word, or every one; on PostgreSQL the second look reads the
    text index alone, and the planner's settings are as they were after it."""
    rows = [{"id": f"m{n}", "text": f"message {n} about the parcel", "channel": "web"} for n in range(60)]
    import_rows(explored.project, manager, rows)
    monkeypatch.setattr(selectors, "SAMPLE_MATCHES", sample)
    monkeypatch.setattr(selectors, "FEW_MATCHES", few)
    monkeypatch.setattr(selectors, "WALK_ROWS", walk_rows)
    client = api_client(manager)
    assert ids(client.get(url(explored), {"q": "37"})) == ["m37"]
    parcels = ids(client.get(url(explored), {"q": "parcel", "page_size": 100}))
    assert parcels == ["c1", "c2", *[f"m{n}" for n in range(60)]]
    assert walk(client, explored, {"q": "parcel"}) == parcels


def test_the_planner_settings_are_put_back(db):
    if connection.vendor != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")
    with connection.cursor() as cursor:
        with selectors.index_bitmap_only():
            cursor.execute("SHOW enable_indexscan")
            assert cursor.fetchone()[0] == "off"
        for name in selectors.PLANNER_SWITCHES:
            cursor.execute(f"SHOW {name}")
            assert cursor.fetchone()[0] == "on"
