"""``manage.py load_demo``: the project a new user explores first, labeled enough to review."""

import io

import pytest
from django.core.management import call_command

from datasets.models import Augmentation, Batch, DatasetVersion
from labeling.models import Annotation, GoldLabel, Prediction
from labeling.review import services as review_services
from projects.models import Project
from quality.models import LeakageCheck, VersionReport


@pytest.fixture
def demo(db) -> Project:
    call_command("load_demo", stdout=io.StringIO())
    return Project.objects.get(name="Product reviews")


def test_the_demo_has_versions_and_labels_worth_reviewing(demo):
    versions = list(DatasetVersion.objects.filter(project=demo).order_by("number").values_list("number", "item_count"))
    assert versions[:2] == [(1, 238), (2, 364)]
    # v3: typo copies of v2's app reviews, tied to their sources.
    augmented = Augmentation.objects.filter(item__project=demo)
    assert versions[2][1] - 364 == augmented.count() > 100
    assert set(augmented.values_list("method", flat=True)) == {"keyboard_typos"}
    annotations = Annotation.objects.filter(project=demo)
    assert 400 < annotations.count() <= 3 * 160 + 2 * 12 + 3 * 40  # Label Studio's two annotators; 40 each by queue
    assert annotations.values("annotator").distinct().count() == 3
    assert GoldLabel.objects.filter(item__project=demo).count() == 12 + 2
    assert Prediction.objects.filter(item__project=demo, prediction_set__model_name="demo-sentiment-v1").count() == 160
    assert Prediction.objects.filter(item__project=demo).count() == 2 * 160 + 12 + 364  # and Label Studio's
    imported = annotations.filter(origin="imported")
    assert imported.count() == 2 * 12 - 2 and imported.values("import_batch").distinct().count() == 1
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


def test_the_demo_has_splits_a_leakage_check_and_reports(demo):
    latest = DatasetVersion.objects.filter(project=demo).order_by("-number").first()
    assert sum(latest.split.report["sizes"].values()) + latest.split.report["left_out"] == latest.item_count
    assert LeakageCheck.objects.get(version=latest).status == "done"
    reports = VersionReport.objects.filter(project=demo, status="done")
    assert reports.count() == DatasetVersion.objects.filter(project=demo).count()
    assert reports.get(version=latest).data["data_mix"]["by_method"][0]["method"] == "keyboard_typos"


def test_the_demo_labels_with_model_suggestions(demo):
    assert (demo.suggestions, demo.queue_order) == ("preselect", "uncertainty")
    report = review_services.review_result_compute(project=demo, version=2, kind="anchoring").result
    shown, withheld = report["shown"]["agreement_with_model"], report["withheld"]["agreement_with_model"]
    assert shown["n"] > 0 and withheld["n"] > 0
    assert shown["value"] > withheld["value"]  # the demo's annotators follow what they see


def test_a_second_run_changes_nothing(demo):
    before = Annotation.objects.count()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Annotation.objects.count() == before and Project.objects.count() == 2


def test_the_demo_has_a_multilabel_project_with_its_model_evaluated(demo, client):
    tickets = Project.objects.get(name="Support tickets")
    assert tickets.task_type == "multilabel" and tickets.items.count() == 90
    annotations = Annotation.objects.filter(project=tickets)
    assert annotations.count() == 90 * 3 and all(isinstance(a.value, list) for a in annotations)
    client.force_login(tickets.created_by)
    body = client.get(f"/api/projects/{tickets.pk}/models/ticket-tagger-v1/evaluation/").json()
    assert body["status"] == "done" and body["task_type"] == "multilabel" and body["items_evaluated"] > 60
    assert 0.5 < body["model"]["micro_f1"] <= 1 and body["human_level"]["n"] > 0
    assert [row["label"] for row in body["model"]["per_label"]] == ["billing", "shipping", "account", "bug"]
