"""A version's report on a project built for the test, each section checked against a count made here."""

from collections import Counter

import numpy as np
import pytest

from datasets.models import DatasetVersion, Item
from labeling.models import Annotation
from labeling.review import services as review_services
from quality.models import ReportStatus, VersionReport
from quality.reports import services
from tests.factories import UserFactory, add_member
from tests.labeling.conftest import import_rows

LABELS = ["positive", "negative", "neutral"]


@pytest.fixture
def team(project):
    users = [UserFactory(username=f"rater{n}") for n in range(3)]
    for user in users:
        add_member(project, user, "annotator")
    return users


def _rows(start: int, count: int) -> list[dict]:
    return [
        {"id": f"r{n}", "text": f"review number {n}", "channel": "app" if n % 2 else "web"}
        for n in range(start, start + count)
    ]


def _annotate(project, team, items, seed: int) -> None:
    """Web items: everyone agrees. App items: labels at random (the slice planted with low agreement)."""
    rng = np.random.default_rng(seed)
    rows = []
    for item in items:
        agreed = LABELS[item.pk % 3]
        for user in team:
            value = agreed if item.metadata["channel"] == "web" else LABELS[int(rng.integers(0, 3))]
            rows.append(Annotation(item=item, project=project, annotator=user, value=value))
    Annotation.objects.bulk_create(rows)


def _majority_finals(project) -> dict[int, str | None]:
    votes: dict[int, list[str]] = {}
    for item_id, value in Annotation.objects.filter(project=project).values_list("item_id", "value"):
        votes.setdefault(item_id, []).append(value)
    finals = {}
    for item_id, values in votes.items():
        (top, n), *rest = Counter(values).most_common()
        finals[item_id] = None if rest and rest[0][1] == n else top
    return finals


@pytest.mark.django_db
def test_sections_match_counts_made_here(project, manager, reviewer, team):
    import_rows(project, manager, _rows(0, 120))
    items = list(Item.objects.filter(project=project).order_by("id"))
    _annotate(project, team, items, seed=1)
    adjudicated = items[:5]
    for item in adjudicated:
        review_services.adjudication_create(item=item, reviewer=reviewer, value="neutral", note="settled")
    version = DatasetVersion.objects.get(project=project, number=1)

    report = services.report_compute(version=version)
    data = report.data

    finals = _majority_finals(project)
    finals.update({item.pk: "neutral" for item in adjudicated})
    counted = Counter(v for v in finals.values() if v is not None)
    balance = {row["label"]: row["count"] for row in data["labels"]["class_balance"]}
    assert balance == {label: counted[label] for label in LABELS}
    assert data["labels"]["with_final_label"] == sum(counted.values())
    assert data["labels"]["coverage"]["at_full_overlap"] == 120  # three annotations each, overlap 2
    assert data["summary"]["items"] == 120 and data["summary"]["by_batch"][0]["added"] == 120
    assert data["labels"]["adjudicated"] == 5
    # The slice planted with low agreement comes out lowest.
    channel = {s["value"]: s for s in data["slices"]["slices"] if s["column"] == "channel"}
    assert channel["app"]["alpha"] < channel["web"]["alpha"]
    assert channel["web"]["alpha"] == pytest.approx(1.0)
    assert channel["app"]["items"] == channel["web"]["items"] == 60
    assert data["reproducibility"]["item_set_sha256"]
    assert report.status == ReportStatus.DONE


@pytest.mark.django_db
def test_diff_equals_what_was_uploaded_and_relabeled(project, manager, reviewer, team):
    import_rows(project, manager, _rows(0, 60))
    items = list(Item.objects.filter(project=project).order_by("id"))
    _annotate(project, team, [i for i in items if i.metadata["channel"] == "web"], seed=2)
    services.report_compute(version=DatasetVersion.objects.get(project=project, number=1))
    before = _majority_finals(project)

    # Relabel: a reviewer changes the final label of four labeled items; twenty new items arrive, five get labels.
    changed = [i for i in items if before.get(i.pk)][:4]
    for item in changed:
        new = next(label for label in LABELS if label != before[item.pk])
        review_services.adjudication_create(item=item, reviewer=reviewer, value=new)
    import_rows(project, manager, _rows(60, 20), name="second.csv")
    new_items = list(Item.objects.filter(project=project, batch__version__number=2).order_by("id"))
    web_new = [i for i in new_items if i.metadata["channel"] == "web"][:5]
    _annotate(project, team, web_new, seed=3)

    report = services.report_compute(version=DatasetVersion.objects.get(project=project, number=2))
    changes = report.data["summary"]["label_changes"]
    assert changes["against"] == 1
    assert changes["changed"] == 4
    assert changes["gained"] == 5
    assert report.data["summary"]["added"] == 20
    matrix = np.array(changes["matrix"])
    assert matrix.sum() == sum(1 for v in before.values() if v)  # every item labeled then and now
    assert np.trace(matrix) == matrix.sum() - 4  # all but the four relabeled stayed on the diagonal


@pytest.mark.django_db
def test_a_frozen_report_never_changes(project, manager, reviewer, team):
    import_rows(project, manager, _rows(0, 10))
    version = DatasetVersion.objects.get(project=project, number=1)
    services.report_compute(version=version)
    services.report_freeze(version=version, user=manager)
    _annotate(project, team, list(Item.objects.filter(project=project)), seed=4)
    report = services.report_compute(version=version)
    assert report.data["labels"]["with_final_label"] == 0
    assert services.report_request(version=version).status == ReportStatus.DONE  # nothing queued
    assert VersionReport.objects.get(version=version).is_frozen


@pytest.mark.django_db
def test_splits_and_leakage_appear_once_made(project, manager):
    from quality.leakage import services as leakage_services
    from quality.splits import services as split_services

    import_rows(project, manager, _rows(0, 40))
    version = DatasetVersion.objects.get(project=project, number=1)
    split = split_services.split_request(
        version=version, user=manager, ratios={"train": 0.5, "dev": 0.25, "test": 0.25}, seed=1, enqueue=False
    )
    split_services.split_run(split_id=split.pk, enqueue_leakage=False)
    check = leakage_services.leakage_request(version=version, enqueue=False)
    leakage_services.leakage_run(check_id=check.pk)

    mix = services.report_compute(version=version).data["data_mix"]
    assert sum(mix["splits"]["sizes"].values()) == 40
    assert mix["splits"]["ratios"] == {"train": 0.5, "dev": 0.25, "test": 0.25}
    assert mix["leakage"]["exact_pairs"] == 0


@pytest.mark.django_db
def test_likely_label_errors_come_from_the_predictions(project, manager, team):
    import_rows(project, manager, _rows(0, 60))
    items = list(Item.objects.filter(project=project).order_by("id"))
    web = [i for i in items if i.metadata["channel"] == "web"]
    _annotate(project, team, web, seed=5)  # everyone agrees on LABELS[pk % 3]
    planted = web[:3]
    predictions = []
    for item in web:
        agreed = item.pk % 3
        sure = (agreed + 1) % 3 if item in planted else agreed  # the model is sure of another label on three items
        predictions.append({"item": item.pk, "probabilities": [0.96 if k == sure else 0.02 for k in range(3)]})
    review_services.predictions_store(project=project, user=manager, model_name="m1", predictions=predictions)

    errors = services.report_compute(version=DatasetVersion.objects.get(project=project, number=1)).data["label_errors"]
    assert errors["model"] == "m1" and errors["checked"] == len(web)
    assert {row["item"] for row in errors["top"][:3]} == {item.pk for item in planted}
