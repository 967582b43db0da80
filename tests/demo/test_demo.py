"""``manage.py load_demo``: the project a new user explores first, labeled enough to review."""

import io

import pytest
from django.core.management import call_command

from datasets.models import Batch, DatasetVersion
from labeling.models import Annotation, GoldLabel, Prediction
from labeling.review import services as review_services
from projects.models import Project


@pytest.fixture
def demo(db) -> Project:
    call_command("load_demo", stdout=io.StringIO())
    return Project.objects.get(name="Product reviews")


def test_the_demo_has_two_versions_and_labels_worth_reviewing(demo):
    assert list(DatasetVersion.objects.filter(project=demo).order_by("number").values_list("number", "item_count")) == [
        (1, 238),
        (2, 364),
    ]
    annotations = Annotation.objects.filter(project=demo)
    assert 400 < annotations.count() <= 3 * 160
    assert annotations.values("annotator").distinct().count() == 3
    assert GoldLabel.objects.filter(item__project=demo).count() == 12
    assert Prediction.objects.filter(item__project=demo).count() == 160
    quarantined = Batch.objects.get(project=demo, status="quarantined")
    failed = {(r["type"], r.get("column")) for r in quarantined.results if not r["success"]}
    assert {
        ("expect_column_values_to_be_between", "rating"),
        ("expect_column_values_to_be_in_set", "channel"),
    } <= failed

    report = review_services.review_result_compute(project=demo, version=2, kind="agreement").result
    assert 0.4 < report["krippendorff_alpha"] < 0.9  # careful and hasty annotators: agreement, not unanimity
    assert len(report["over_time"]) >= 3  # labels spread over three weeks
    by_name = {entry["annotator"]: entry for entry in report["per_annotator"]}
    assert by_name["annotator1"]["percent_agreement"] > by_name["annotator3"]["percent_agreement"]


def test_a_second_run_changes_nothing(demo):
    before = Annotation.objects.count()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Annotation.objects.count() == before and Project.objects.count() == 1
