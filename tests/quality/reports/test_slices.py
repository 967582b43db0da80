"""Per-slice validation-failure and label-issue rates, and the report's packed reads, against counts made here."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection, transaction

from datasets.models import Batch, DatasetVersion, Item
from labeling.models import Annotation
from labeling.review import services as review_services
from labeling.review.data import annotation_arrays
from quality.reports import build, figures, reads, services
from quality.validation.report import result_dict
from tests.factories import UserFactory, add_member
from tests.labeling.conftest import import_rows

LABELS = ["positive", "negative", "neutral"]


@pytest.fixture
def team(project):
    users = [UserFactory(username=f"slicer{n}") for n in range(3)]
    for user in users:
        add_member(project, user, "annotator")
    return users


def _rows(start: int, count: int, channel) -> list[dict]:
    return [{"id": f"s{n}", "text": f"slice text {n}", "channel": channel(n)} for n in range(start, start + count)]


def _agree(project, team, items) -> None:
    Annotation.objects.bulk_create(
        Annotation(item=item, project=project, annotator=user, value=LABELS[item.pk % 3])
        for item in items
        for user in team
    )


def _by_channel(slices: dict) -> dict:
    return {s["value"]: s for s in slices["slices"] if s["column"] == "channel"}


@pytest.mark.django_db
def test_slice_rates_match_counts_made_here(project, manager, team):
    import_rows(project, manager, _rows(0, 60, lambda n: "web" if n % 2 else "app"))
    second = import_rows(project, manager, _rows(60, 40, lambda n: "app" if n % 4 else "web"), name="second.csv")
    # The second batch's validation found a problem (a warning it was accepted with).
    failed = result_dict(check="expectation", type="expect_column_values_to_not_be_null", severity="warning",
                         success=False, column="text", unexpected_count=3)  # fmt: skip
    Batch.objects.filter(pk=second.pk).update(results=[failed, *second.results])
    # The first batch's duplicate rows were skipped: a finding about rows that never became items.
    skipped = result_dict(check="duplicates", type="duplicates_in_batch", severity="warning", success=False,
                          column="text", unexpected_count=2)  # fmt: skip
    first = Batch.objects.get(project=project, version__number=1)
    Batch.objects.filter(pk=first.pk).update(results=[skipped, *first.results])
    items = list(Item.objects.filter(project=project).order_by("id"))
    _agree(project, team, items)
    version = DatasetVersion.objects.get(project=project, number=2)

    without = _by_channel(services.report_compute(version=version).data["slices"])
    assert without["web"]["label_issue_rate"] is None and without["web"]["label_issues"] is None

    # A model sure of another label on five app items and two web items.
    planted = [i for i in items if i.metadata["channel"] == "app"][:5] + [
        i for i in items if i.metadata["channel"] == "web"
    ][:2]
    predictions = []
    for item in items:
        sure = (item.pk + 1) % 3 if item in planted else item.pk % 3
        predictions.append({"item": item.pk, "probabilities": [0.96 if k == sure else 0.02 for k in range(3)]})
    review_services.predictions_store(project=project, user=manager, model_name="m1", predictions=predictions)
    data = services.report_compute(version=version).data
    flagged = {row["item"] for row in data["label_errors"]["top"]} if data["label_errors"]["count"] <= 20 else None
    assert flagged is not None and {i.pk for i in planted} <= flagged

    slices = _by_channel(data["slices"])
    for channel in ("app", "web"):
        members = [i for i in items if i.metadata["channel"] == channel]
        in_failed_batch = sum(1 for i in members if i.batch_id == second.pk)
        assert slices[channel]["items"] == len(members)
        assert slices[channel]["validation_failed_items"] == in_failed_batch
        assert slices[channel]["validation_failure_rate"] == pytest.approx(in_failed_batch / len(members))
        issues = sum(1 for i in members if i.pk in flagged)
        assert slices[channel]["label_issues"] == issues
        assert slices[channel]["label_issues_checked"] == len(members)
        assert slices[channel]["label_issue_rate"] == pytest.approx(issues / len(members))
    assert data["slices"]["label_issues_ranked"] is True


@pytest.mark.django_db
def test_packed_reads_equal_the_plain_ones(project, manager, team):
    import_rows(project, manager, _rows(0, 30, lambda n: ["web", "app", "mail"][n % 3]))
    import_rows(project, manager, _rows(30, 10, lambda n: "web"), name="second.csv")
    items = list(Item.objects.filter(project=project).order_by("id"))
    _agree(project, team, items[:35])
    Annotation.objects.filter(item=items[0], annotator=team[0]).update(value="a label since removed")
    # Times on either side of a week's start (Monday 00:00 UTC) and on a half second.
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    for n, when in enumerate([monday - timedelta(microseconds=500_001), monday - timedelta(microseconds=500_000),
                              monday, monday + timedelta(seconds=7, microseconds=499_999)]):  # fmt: skip
        Annotation.objects.filter(item=items[n + 1], annotator=team[1]).update(updated_at=when)

    for number in (1, 2):
        plain = annotation_arrays(project=project, version=number)
        packed = reads.version_annotations(project=project, version=number)
        order_plain = np.lexsort((plain.annotators, plain.items))
        order_packed = np.lexsort((packed.annotators, packed.items))
        for name in ("items", "annotators", "weeks", "values"):
            assert np.array_equal(getattr(plain, name)[order_plain], getattr(packed, name)[order_packed]), name
        assert np.array_equal(plain.item_ids, packed.item_ids) and plain.usernames == packed.usernames

    version = DatasetVersion.objects.get(project=project, number=2)
    values = reads.column_values(version, ["channel"], max_values=20)
    assert values == {"channel": {"web": 20, "app": 10, "mail": 10}}
    read = reads.version_items(version, {"channel": ["app", "mail", "web"]}, flagged_batches=[items[-1].batch_id])
    assert read.ids.tolist() == [i.pk for i in items]
    assert read.hashes.tolist() == [i.content_hash.encode() for i in items]
    assert read.flagged_batch.tolist() == [i.batch_id == items[-1].batch_id for i in items]
    assert [["app", "mail", "web"][c - 1] for c in read.codes["channel"]] == [i.metadata["channel"] for i in items]


def _sorted_rows(arrays) -> tuple:
    order = np.lexsort((arrays.annotators, arrays.items))
    return tuple(getattr(arrays, name)[order].tolist() for name in ("items", "annotators", "values"))


@pytest.mark.django_db
def test_annotations_read_label_by_label_equal_the_plain_ones(project, manager, team):
    import_rows(project, manager, _rows(0, 30, lambda n: ["web", "app", "mail"][n % 3]))
    import_rows(project, manager, _rows(30, 10, lambda n: "web"), name="second.csv")
    items = list(Item.objects.filter(project=project).order_by("id"))
    _agree(project, team, items[:35])
    Annotation.objects.filter(item=items[3], annotator=team[2]).update(value=LABELS[0])  # not the majority
    postgresql = connection.vendor == "postgresql"
    batches = list(Batch.objects.filter(project=project).values_list("pk", flat=True))
    ids = reads.item_id_range(batches) if postgresql else (0, -1)
    if postgresql:  # the index-only path reads every annotation: it is the one taken
        assert reads._by_label(project, ids) is not None

    for number in (1, 2):  # the older version takes the general read, the newest the label-by-label one
        plain = annotation_arrays(project=project, version=number)
        read = reads.version_annotations(project=project, version=number, weeks=False)
        assert _sorted_rows(read) == _sorted_rows(plain) and read.weeks.size == 0
        assert np.array_equal(plain.item_ids, read.item_ids) and plain.usernames == read.usernames

    # A value that is no label of the project (and one that is no text): the general read, code -1, as before.
    Annotation.objects.filter(item=items[0], annotator=team[0]).update(value="a label since removed")
    Annotation.objects.filter(item=items[1], annotator=team[0]).update(value=3)
    if postgresql:
        assert reads._by_label(project, ids) is None
    plain = annotation_arrays(project=project, version=2)
    read = reads.version_annotations(project=project, version=2, weeks=False)
    assert _sorted_rows(read) == _sorted_rows(plain) and (read.values == -1).sum() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads side by side: PostgreSQL only")
def test_reads_side_by_side_give_the_report_read_one_after_the_other(project, manager, team):
    import_rows(project, manager, _rows(0, 40, lambda n: ["web", "app"][n % 2]))
    _agree(project, team, list(Item.objects.filter(project=project).order_by("id"))[:30])
    version = DatasetVersion.objects.get(project=project, number=1)
    side_by_side, _ = build.build(version, parent_report=None, fingerprint="f")  # each read on its own connection
    with transaction.atomic():  # another connection could not see this transaction's rows: one connection
        one_after_the_other, _ = build.build(version, parent_report=None, fingerprint="f")
    assert side_by_side == one_after_the_other
    assert side_by_side["reproducibility"]["item_set_sha256"] == figures.item_set_hash(
        Item.objects.filter(project=project).values_list("content_hash", flat=True)
    )
