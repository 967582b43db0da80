"""The queue read a page of stored rows at a time answers as the queue read from the whole ranking."""

import pytest

from labeling.models import RankedItem
from labeling.review import listing
from labeling.review.services import review_result_compute
from tests.review.conftest import SENTIMENT, bulk_annotate, import_rows, items_of, random_labels, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked_project(project, manager, team):
    """Sixty items: random labels of four annotators with some missing, so ties, agreed items and
    items with one annotation (not ranked) all occur, and many items share an agreement."""
    import_rows(project, manager, [{"id": f"r{n}", "text": f"text {n}"} for n in range(60)])
    items = items_of(project)
    rows = random_labels(len(items), len(team), len(SENTIMENT), seed=3, missing=0.45)
    bulk_annotate(project, [(items[i], team[a], SENTIMENT[label]) for i, a, label in rows])
    return project


def both_ways(project, *, everything: bool, page: int, size: int) -> tuple[listing.DisagreementPage, ...]:
    row = review_result_compute(project=project, version=1, kind="items")
    query = listing.DisagreementQuery(page=page, page_size=size, everything=everything)
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
