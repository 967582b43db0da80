"""The disagreement and label-issue filters and the sort orders, on the items API and the page."""

import pytest
from django.test import Client
from django.utils import timezone

from labeling.models import ReviewResult, ReviewResultStatus
from tests.explorer.conftest import Explored
from tests.explorer.test_items_api import ids, url


def flag(explored: Explored, *external_ids: str, version: int = 2) -> None:
    """A label-issue ranking as the review stores it, flagging these items."""
    issues = [{"item": explored.items[e].pk, "score": 0.1, "given": "negative", "predicted": "positive"}
              for e in external_ids]  # fmt: skip
    ReviewResult.objects.create(
        project=explored.project, version=version, kind="label_issues", fingerprint="f", status=ReviewResultStatus.DONE,
        result={"issues": issues, "checked": 3, "scores": {}, "reason": None}, computed_at=timezone.now(),
    )  # fmt: skip


def test_disagreement(api_client, manager, explored):
    # e1: two negatives; e2: positive and neutral; c2: one annotation, nothing to disagree with.
    assert ids(api_client(manager).get(url(explored), {"disagreement": "true"})) == ["e2"]
    assert ids(api_client(manager).get(url(explored), {"disagreement": "false"})) == ["e1", "e2", "c1", "c2", "w1"]


def test_label_issue_reads_the_newest_ranking(api_client, manager, explored):
    client = api_client(manager)
    response = client.get(url(explored), {"label_issue": "true"})
    assert response.status_code == 400 and "no label-issue ranking yet" in response.json()["detail"]
    flag(explored, "c2", "e1")
    assert ids(client.get(url(explored), {"label_issue": "true"})) == ["e1", "c2"]
    assert ids(client.get(url(explored), {"label_issue": "true", "metadata": "channel=chat"})) == ["c2"]
    ReviewResult.objects.filter(project=explored.project).update(computed_at=timezone.now() - timezone.timedelta(1))
    flag(explored, "w1", version=1)  # computed later, for another version: the newest all the same
    assert ids(client.get(url(explored), {"label_issue": "1"})) == ["w1"]


def test_annotators_may_not_filter_by_labels(api_client, explored):
    annotator = explored.project.memberships.get(user__username="ann1").user
    assert api_client(annotator).get(url(explored), {"disagreement": "true"}).status_code == 403
    assert api_client(annotator).get(url(explored), {"sort": "-id"}).status_code == 200


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("id", ["e1", "e2", "c1", "c2", "w1"]),
        ("-id", ["w1", "c2", "c1", "e2", "e1"]),
        ("external_id", ["c1", "c2", "e1", "e2", "w1"]),
        ("-external_id", ["w1", "e2", "e1", "c2", "c1"]),
    ],
)
def test_sorted_pages_walk_both_ways(api_client, manager, explored, sort, expected):
    client = api_client(manager)
    seen, page = [], client.get(url(explored), {"sort": sort, "page_size": 2}).json()
    assert page["previous"] is None
    while True:
        seen += [item["external_id"] for item in page["results"]]
        if page["next"] is None:
            break
        page = client.get(page["next"]).json()
    assert seen == expected
    back = []
    while page["previous"] is not None:
        page = client.get(page["previous"]).json()
        back = [item["external_id"] for item in page["results"]] + back
    assert back == expected[: len(back)] and len(back) == 4
    last = client.get(url(explored), {"sort": sort, "page_size": 2, "cursor": "last"}).json()
    assert [item["external_id"] for item in last["results"]] == expected[-2:] and last["next"] is None


def test_sort_by_external_id_lists_the_items_that_have_one(api_client, manager, explored):
    explored.items["c1"].__class__.objects.filter(pk=explored.items["c1"].pk).update(external_id="")
    body = api_client(manager).get(url(explored), {"sort": "external_id"}).json()
    assert [item["external_id"] for item in body["results"]] == ["c2", "e1", "e2", "w1"] and body["count"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "text"}, "unknown column 'text'"),
        ({"sort": "external_id", "cursor": "n5"}, "cursor is not one this list gave out"),
        ({"sort": "-id", "cursor": "bm9uc2Vuc2U"}, "cursor is not one this list gave out"),
        ({"disagreement": "maybe"}, "disagreement"),
        ({"order": "id"}, "unknown parameter order"),
    ],
)
def test_bad_input_is_a_400(api_client, manager, explored, params, message):
    response = api_client(manager).get(url(explored), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_page_filters_and_sorts(manager, explored):
    client = Client()
    client.force_login(manager)
    page = f"/projects/{explored.project.pk}/versions/2/items/"
    body = client.get(page, {"disagreement": "on"}).content.decode()
    assert f'data-item="{explored.items["e2"].pk}"' in body and f'data-item="{explored.items["e1"].pk}"' not in body
    body = client.get(page, {"sort": "-external_id"}).content.decode()
    assert body.index(f'data-item="{explored.items["w1"].pk}"') < body.index(f'data-item="{explored.items["c1"].pk}"')
    assert "no label-issue ranking yet" in client.get(page, {"label_issue": "on"}).content.decode()
    assert "Select a valid choice" in client.get(page, {"sort": "text"}).content.decode()
