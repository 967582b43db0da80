"""The queue read a page of stored rows at a time answers as the queue read from the whole ranking."""

import numpy as np
import pytest
from django.test import Client

from datasets.models import Item
from labeling.models import RankedItem, ResultSlice
from labeling.review import listing, ranked, slices
from labeling.review.services import review_result_compute
from tests.review.conftest import SENTIMENT, bulk_annotate, import_rows, items_of, random_labels, submit

pytestmark = pytest.mark.django_db
CHANNELS = ["email", "chat", "web"]


@pytest.fixture
def ranked_project(project, manager, team):
    """Sixty items: random labels of four annotators with some missing, so ties, agreed items and
    items with one annotation (not ranked) all occur, and many items share an agreement."""
    import_rows(project, manager, [{"id": f"r{n}", "text": f"text {n}", "channel": CHANNELS[n % 3]} for n in range(60)])
    items = items_of(project)
    rows = random_labels(len(items), len(team), len(SENTIMENT), seed=3, missing=0.45)
    bulk_annotate(project, [(items[i], team[a], SENTIMENT[label]) for i, a, label in rows])
    return project


def both_ways(
    project, *, everything: bool, page: int, size: int, **filters: str
) -> tuple[listing.DisagreementPage, ...]:
    row = review_result_compute(project=project, version=1, kind="items")
    query = listing.DisagreementQuery(page=page, page_size=size, everything=everything, **filters)
    stored = listing.disagreements(project=project, version=1, query=query, ranking=row)
    whole = listing._disagreements_from(project=project, version=1, query=query, ranking=row.result)
    return stored, whole


@pytest.mark.parametrize("everything", [False, True])
def test_every_page_is_the_same_either_way(ranked_project, everything):
    row = review_result_compute(project=ranked_project, version=1, kind="items")
    ranked = sum(agreement is not None for agreement in row.result["agreement"])
    assert RankedItem.objects.filter(result=row).count() == ranked
    agreed = sum(agreement is not None and agreement >= listing.AGREED for agreement in row.result["agreement"])
    assert 0 < agreed < ranked and ranked < len(row.result["item_ids"])  # the fixture holds every case
    for page in range(1, 9):
        stored, whole = both_ways(ranked_project, everything=everything, page=page, size=7)
        assert stored == whole
        assert stored.count == (ranked if everything else ranked - agreed)
    assert both_ways(ranked_project, everything=everything, page=8, size=7)[0].rows == []


@pytest.mark.parametrize("everything", [False, True])
@pytest.mark.parametrize(
    "filters",
    [
        {"label": "negative"},
        {"annotator": "annotator2"},
        {"metadata": "channel=email"},
        {"label": "positive", "metadata": "channel=chat"},
        {"label": "neutral", "annotator": "annotator1", "metadata": "channel=web"},
        {"metadata": "channel=nowhere"},
    ],
)
def test_a_filtered_queue_is_the_same_either_way(ranked_project, team, everything, filters):
    if "annotator" in filters:
        filters = {**filters, "annotator": team[int(filters["annotator"][-1]) - 1].username}
    counts = set()
    for page in range(1, 6):
        stored, whole = both_ways(ranked_project, everything=everything, page=page, size=4, **filters)
        assert stored == whole
        counts.add(stored.count)
    assert len(counts) == 1
    if filters != {"metadata": "channel=nowhere"}:
        assert 0 < counts.pop() < 60  # the filter narrows, and lets some through


def test_a_long_filtered_queue_is_estimated_from_its_first_ranks_and_says_so(ranked_project, monkeypatch):
    monkeypatch.setattr(ranked, "EXACT_COUNT_LIMIT", 5)
    stored, whole = both_ways(ranked_project, everything=True, page=2, size=4, metadata="channel=email")
    assert stored.rows == whole.rows  # the page itself is never estimated
    assert not stored.count_exact and whole.count_exact
    row = review_result_compute(project=ranked_project, version=1, kind="items")
    passing = [entry.rank for entry in RankedItem.objects.filter(result=row).order_by("rank")
               if Item.objects.get(pk=entry.item_id).metadata["channel"] == "email"]  # fmt: skip
    queue = RankedItem.objects.filter(result=row).count()
    assert stored.count == round(queue * 6 / (passing[5] + 1))  # six found by the sixth passing rank
    assert stored.has_next  # a full page: the estimate cannot say it is the last
    last = listing.disagreements(
        project=ranked_project,
        version=1,
        query=listing.DisagreementQuery(
            page=len(passing) // 4 + 1, page_size=4, everything=True, metadata="channel=email"
        ),
        ranking=row,
    )
    assert len(last.rows) == len(passing) % 4 and not last.has_next  # a short page ends the queue


def test_a_new_ranking_replaces_the_rows(ranked_project, team):
    first = review_result_compute(project=ranked_project, version=1, kind="items")
    lonely = next(item for item in items_of(ranked_project) if item.annotations.count() == 1)
    submit(lonely, next(user for user in team if not lonely.annotations.filter(annotator=user).exists()), "neutral")
    second = review_result_compute(project=ranked_project, version=1, kind="items")
    assert second.pk == first.pk
    assert RankedItem.objects.filter(result=second).count() == sum(a is not None for a in second.result["agreement"])
    assert RankedItem.objects.filter(result=second, item_id=lonely.pk).exists()
    stored, whole = both_ways(ranked_project, everything=True, page=1, size=100)
    assert stored == whole


def test_a_ranking_stored_without_rows_is_read_whole(ranked_project):
    row = review_result_compute(project=ranked_project, version=1, kind="items")
    query = listing.DisagreementQuery(page=2, page_size=5)
    expected = listing.disagreements(project=ranked_project, version=1, query=query, ranking=row)
    RankedItem.objects.filter(result=row).delete()
    assert listing.disagreements(project=ranked_project, version=1, query=query, ranking=row) == expected


def test_the_api_and_the_page_read_the_rows(ranked_project, reviewer, api_client):
    row = review_result_compute(project=ranked_project, version=1, kind="items")
    page = api_client(reviewer).get(f"/api/projects/{ranked_project.pk}/disagreements/", {"page_size": 5}).json()
    first = [entry.item_id for entry in RankedItem.objects.filter(result=row).order_by("rank")[:5]]
    assert [entry["item"]["id"] for entry in page["results"]] == first


def test_an_estimated_count_is_said_to_be_one_by_the_api_and_the_page(
    ranked_project, reviewer, api_client, monkeypatch
):
    review_result_compute(project=ranked_project, version=1, kind="items")
    url = f"/api/projects/{ranked_project.pk}/disagreements/"
    exact = api_client(reviewer).get(url, {"metadata": "channel=web", "page_size": 2}).json()
    assert exact["count_exact"] is True and exact["next"]
    monkeypatch.setattr(ranked, "EXACT_COUNT_LIMIT", 3)
    estimated = api_client(reviewer).get(url, {"metadata": "channel=web", "page_size": 2}).json()
    assert estimated["count_exact"] is False and estimated["count"] > 3
    assert [row["item"]["id"] for row in estimated["results"]] == [row["item"]["id"] for row in exact["results"]]
    client = Client()
    client.force_login(reviewer)
    page = client.get(f"/projects/{ranked_project.pk}/review/", {"metadata": "channel=web"}).content.decode()
    assert f"About {estimated['count']} items where annotators disagree matching the filters" in page
    assert "(estimated: a queue over 3 items is not counted exactly)" in page


@pytest.mark.parametrize("method", ["majority", "dawid_skene"])
def test_a_consensus_page_read_from_slices_is_the_page_read_whole(
    ranked_project, reviewer, api_client, monkeypatch, method
):
    monkeypatch.setattr(slices, "SLICE", 7)  # pages of 5 and 9 cross slice boundaries
    kind = "items" if method == "majority" else method
    row = review_result_compute(project=ranked_project, version=1, kind=kind)
    assert ResultSlice.objects.filter(result=row).count() == 9  # 60 items in slices of 7
    assert row.summary["item_count"] == 60
    url = f"/api/projects/{ranked_project.pk}/consensus/"
    client = api_client(reviewer)
    pages = [{"method": method, "page": page, "page_size": size} for size in (5, 9, 60) for page in (1, 2, 7, 8)]
    from_slices = [client.get(url, params).json() for params in pages]
    ResultSlice.objects.filter(result=row).delete()
    whole = [client.get(url, params).json() for params in pages]
    assert from_slices == whole
    assert [len(page["results"]) for page in whole[:4]] == [5, 5, 5, 5]
    assert len(whole[4 + 3]["results"]) == 0 and whole[4 + 2]["results"]  # 9 a page: the seventh has 6
    assert whole[0]["count"] == 60


@pytest.fixture
def predicted_project(ranked_project, manager, api_client):
    """The ranked project with a model's probabilities for two items in three: the rest are unscored."""
    rng = np.random.default_rng(11)
    items = items_of(ranked_project)
    predictions = [
        {"item": item.pk, "probabilities": [round(p, 6) for p in rng.dirichlet([1, 1, 1]).tolist()]}
        for index, item in enumerate(items)
        if index % 3
    ]
    for prediction in predictions:  # the rounding must still sum to one
        prediction["probabilities"][-1] = round(1 - sum(prediction["probabilities"][:-1]), 6)
    response = api_client(manager).post(
        f"/api/projects/{ranked_project.pk}/predictions/", {"model": "m1", "predictions": predictions}, format="json"
    )
    assert response.status_code == 201, response.content
    return ranked_project


@pytest.mark.parametrize("everything", [False, True])
@pytest.mark.parametrize(
    "filters", [{}, {"label": "negative"}, {"metadata": "channel=web"}, {"annotator": "2", "label": "positive"}]
)
def test_the_label_issue_order_read_from_rows_is_the_order_read_whole(predicted_project, team, everything, filters):
    if "annotator" in filters:
        filters = {**filters, "annotator": team[int(filters["annotator"]) - 1].username}
    ranking = review_result_compute(project=predicted_project, version=1, kind="items")
    issues = review_result_compute(project=predicted_project, version=1, kind="label_issues")
    scored = RankedItem.objects.filter(result=issues, score__isnull=False).count()
    assert 0 < scored < RankedItem.objects.filter(result=issues).count()  # scored items first, then the rest
    for page in range(1, 9):
        query = listing.DisagreementQuery(order="label_issue", page=page, page_size=6, everything=everything, **filters)
        stored = listing.disagreements(
            project=predicted_project, version=1, query=query, ranking=ranking, issues=issues
        )
        whole = listing._disagreements_from(
            project=predicted_project, version=1, query=query, ranking=ranking.result, issues=issues.result
        )
        assert stored == whole
    assert whole.count and (whole.count < 60 or everything)
