"""The queue's rule is written once per language (``labeling.queue_rule``): Python, SQL and the
ORM expression must agree, on whichever database the suite runs on; and the hot requests keep
their number of queries."""

import itertools
import uuid

import pytest
from django.db import connection

from labeling import queue_rule, services
from labeling.models import ItemState

GRID = list(itertools.product(range(4), range(4), range(1, 4), range(3)))  # submitted, held, overlap, extra


def test_the_rule_counts_extra_labels():
    assert queue_rule.is_open(submitted=2, held=0, overlap=2, extra=1)
    assert not queue_rule.is_open(submitted=2, held=1, overlap=2, extra=1)
    assert queue_rule.labels_to_come(submitted=1, held=1, overlap=2, extra=1) == 1
    assert queue_rule.labels_to_come(submitted=3, held=1, overlap=2, extra=0) == 0


def expected(points) -> dict[tuple[int, int, int, int], bool]:
    return {(s, h, o, e): queue_rule.is_open(submitted=s, held=h, overlap=o, extra=e) for s, h, o, e in points}


@pytest.mark.django_db
def test_the_sql_fragment_agrees_with_the_python_predicate():
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(GRID))
    fragment = queue_rule.open_sql(submitted="column1", held="column2", overlap="column3", extra="column4")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT column1, column2, column3, column4, {fragment} FROM (VALUES {rows}) AS grid",
            [value for point in GRID for value in point],
        )
        answers = {tuple(row[:4]): bool(row[4]) for row in cursor.fetchall()}
    assert answers == expected(GRID)
    assert any(answers.values()) and not all(answers.values())


def test_the_orm_expression_agrees_with_the_python_predicate(loaded_project):
    """``open_flag`` as the services use it: an UPDATE over rows holding every point of the grid."""
    services.queue_sync(project=loaded_project)
    item_ids = list(
        ItemState.objects.filter(project=loaded_project).order_by("item_id").values_list("item_id", flat=True)
    )
    answers = {}
    for overlap in sorted({point[2] for point in GRID}):
        points = [point for point in GRID if point[2] == overlap]
        for start in range(0, len(points), len(item_ids)):
            chunk = dict(zip(item_ids, points[start : start + len(item_ids)], strict=False))
            for item_id, (submitted, held, _, extra) in chunk.items():
                ItemState.objects.filter(item_id=item_id).update(submitted=submitted, held=held, extra=extra)
            ItemState.objects.filter(item_id__in=chunk).update(is_open=queue_rule.open_flag(overlap))
            for item_id, flag in ItemState.objects.filter(item_id__in=chunk).values_list("item_id", "is_open"):
                answers[chunk[item_id]] = flag
    assert answers == expected(GRID)


# (token, the caller and the queue's versions, then the queue's own statements); PostgreSQL runs a
# claim and a submit as one statement each, SQLite as one statement per write.
QUERIES = {
    "postgresql": {"next_held": 7, "next_claimed": 7, "submit_held": 8, "submit_by_id": 8},
    "sqlite": {"next_held": 7, "next_claimed": 10, "submit_held": 11, "submit_by_id": 11},
}


def test_next_and_submit_keep_their_number_of_queries(
    loaded_project, annotators, api_client, django_assert_num_queries
):
    expected = QUERIES[connection.vendor]
    client = api_client(annotators[0])
    url = f"/api/projects/{loaded_project.pk}/next/"
    client.get(url)  # the queue takes the version in
    with django_assert_num_queries(expected["next_held"]):
        item = client.get(url).json()["item"]
    with django_assert_num_queries(expected["next_claimed"]):
        second = client.get(f"{url}?exclude={item['id']}").json()["item"]
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    with django_assert_num_queries(expected["submit_held"]):
        assert client.post(f"/api/items/{item['id']}/annotations/", body, format="json").status_code == 201
    other = loaded_project.items.exclude(pk__in=[item["id"], second["id"]]).first()
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    with django_assert_num_queries(expected["submit_by_id"]):
        assert client.post(f"/api/items/{other.pk}/annotations/", body, format="json").status_code == 201
    state = ItemState.objects.get(item_id=other.pk)
    assert state.is_open == queue_rule.is_open(
        submitted=state.submitted, held=state.held, overlap=loaded_project.overlap, extra=state.extra
    )
