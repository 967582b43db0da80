"""Adjudication, send-back, gold answers and the export's final label, through the services."""

import json

import krippendorff
import numpy as np
import pytest

from config.errors import DomainError
from labeling.models import Adjudication, ReviewResult
from labeling.review import services
from labeling.review.data import annotation_arrays
from labeling.review.selectors import review_result_cached
from labeling.review.services.refresh import review_result_refresh
from tests.review.conftest import items_of, submit

pytestmark = pytest.mark.django_db
OUR_APPS = {"config", "projects", "datasets", "labeling", "quality", "demo"}


def export_records(client, project, number=1) -> dict[str, dict]:
    response = client.get(f"/api/projects/{project.pk}/versions/{number}/export/?format=jsonl")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    return {record["external_id"]: record for record in map(json.loads, lines)}


def test_the_export_final_label_comes_from_adjudication_else_consensus(labeled, reviewer, api_client):
    client = api_client(reviewer)
    before = export_records(client, labeled)
    assert (before["t0"]["final"], before["t0"]["final_source"]) == ("positive", "consensus")
    assert (before["t1"]["final"], before["t1"]["final_source"]) == (None, None)  # a tie waits for a reviewer
    assert (before["t2"]["final"], before["t2"]["final_source"]) == ("neutral", "consensus")
    assert (before["t4"]["final"], before["t4"]["final_source"]) == (None, None)  # no label at all

    items = items_of(labeled)
    services.adjudication_create(item=items[1], reviewer=reviewer, value="negative", note="")
    services.adjudication_create(item=items[2], reviewer=reviewer, value="positive", note="the guideline says so")
    services.item_send_back(item=items[2], reviewer=reviewer, count=1, note="")  # a send-back is not a label
    after = export_records(client, labeled)
    assert (after["t1"]["final"], after["t1"]["final_source"]) == ("negative", "adjudication")
    assert (after["t2"]["final"], after["t2"]["final_source"]) == ("positive", "adjudication")
    assert after["t0"] == before["t0"]

    csv_body = b"".join(client.get(f"/api/projects/{labeled.pk}/versions/1/export/?format=csv").streaming_content)
    header = csv_body.decode().splitlines()[0].split(",")
    assert header[header.index("final") + 1] == "final_source"  # lineage and split columns follow them


def test_adjudications_are_append_only_and_the_newest_label_wins(labeled, reviewer, manager):
    item = items_of(labeled)[1]
    services.adjudication_create(item=item, reviewer=reviewer, value="positive", note="first")
    services.adjudication_create(item=item, reviewer=manager, value="negative", note="second")
    history = list(Adjudication.objects.filter(item=item).order_by("id").values_list("value", "reviewer__username"))
    assert history == [("positive", "reviewer"), ("negative", "manager")]
    from labeling.review.selectors import final_adjudications

    assert final_adjudications(item_ids=[item.pk])[item.pk]["value"] == "negative"


def test_values_outside_the_schema_are_refused_before_writing(labeled, reviewer):
    item = items_of(labeled)[0]
    for value in ("unknown", ["positive"], None, 3):
        with pytest.raises(DomainError):
            services.adjudication_create(item=item, reviewer=reviewer, value=value, note="")
    with pytest.raises(DomainError):
        services.item_send_back(item=item, reviewer=reviewer, count=0)
    assert not Adjudication.objects.exists()


def test_send_back_reopens_a_full_item_for_another_annotator(labeled, reviewer, team, manager):
    from labeling.models import ItemState
    from tests.factories import UserFactory, add_member

    item = items_of(labeled)[1]
    labeled.overlap = 4
    labeled.save(update_fields=["overlap"])
    extra = UserFactory(username="ann5")
    add_member(labeled, extra, "annotator")
    with pytest.raises(DomainError):  # four annotations: the item is full
        submit(item, extra, "negative")
    services.item_send_back(item=item, reviewer=reviewer, count=1, note="ask one more")
    submit(item, extra, "negative")
    assert ItemState.objects.get(item=item).submitted == 5


def test_span_and_multilabel_arrays_and_adjudication(make_project, reviewer, team):
    spans = make_project("spans", ["PER", "ORG"], [{"id": "s1", "text": "Ada Lovelace met Babbage"}])
    item = items_of(spans)[0]
    from tests.factories import add_member

    for user in team[:2]:
        add_member(spans, user, "annotator")
    submit(item, team[0], [{"start": 0, "end": 12, "label": "PER"}])
    submit(item, team[1], [{"start": 0, "end": 3, "label": "PER"}, {"start": 17, "end": 24, "label": "PER"}])
    arrays = annotation_arrays(project=spans, version=1)
    assert arrays.n_rows == 2 and arrays.values[0] == [{"start": 0, "end": 12, "label": "PER"}]
    with pytest.raises(DomainError):
        services.adjudication_create(item=item, reviewer=reviewer, value=[{"start": 0, "end": 99, "label": "PER"}])
    done = services.adjudication_create(item=item, reviewer=reviewer, value=[{"start": 17, "end": 24, "label": "PER"}])
    assert done.value == [{"start": 17, "end": 24, "label": "PER"}]


def fresh_result(project, kind: str):
    """What a page does: read the cache, and refresh it when it is not fresh."""
    cached = review_result_cached(project=project, version=1, kind=kind)
    return cached.row if cached.fresh else review_result_refresh(project=project, version=1, cached=cached)


def test_the_cache_is_reused_until_labels_change(labeled, team):
    first = fresh_result(labeled, "agreement")
    again = fresh_result(labeled, "agreement")
    assert again.computed_at == first.computed_at
    submit(items_of(labeled)[4], team[0], "neutral")
    changed = fresh_result(labeled, "agreement")
    assert changed.computed_at > first.computed_at
    assert changed.result["annotations"] == first.result["annotations"] + 1
    assert ReviewResult.objects.filter(project=labeled, kind="agreement").count() == 1


def test_classification_labels_are_read_as_codes_in_the_projects_order(labeled):
    arrays = annotation_arrays(project=labeled, version=1)
    assert arrays.n_rows == 13 and arrays.n_items == 4 and arrays.n_annotators == 4
    names = [labeled.label_names[code] for code in arrays.values.tolist()]
    assert names.count("positive") == 7 and names.count("neutral") == 3 and names.count("negative") == 3


def test_an_interval_project_with_numeric_labels_measures_between_their_values(make_project, team):
    labels = ["1", "2", "4", "8"]
    project = make_project(
        "classification", labels, [{"text": f"rating {n}"} for n in range(5)], label_scale="interval"
    )
    plan = [["1", "2", "1"], ["4", "8", "8"], ["2", "2", "4"], ["8", "8", "8"], ["1", "4", "2"]]
    for item, values in zip(items_of(project), plan, strict=True):
        for user, value in zip(team, values, strict=False):
            submit(item, user, value)

    report = fresh_result(project, "agreement").result
    data = np.array([[float(v) for v in column] for column in zip(*plan, strict=True)])
    reference = krippendorff.alpha(reliability_data=data, value_domain=[1, 2, 4, 8], level_of_measurement="interval")
    assert report["krippendorff_alpha"] == pytest.approx(reference, abs=1e-9)
    assert report["interval_values"] == [1.0, 2.0, 4.0, 8.0]


def test_label_uses_finds_labels_inside_multilabel_sets_and_spans(make_project, team, reviewer):
    from labeling.review.selectors import label_uses

    multi = make_project("multilabel", ["café", "bug", "label"], [{"text": "one"}, {"text": "two"}])
    add_member_all(multi, team[:2])
    first, second = items_of(multi)
    submit(first, team[0], ["café", "bug"])
    submit(second, team[0], ["bug"])
    services.gold_set(item=second, user=reviewer, value=["café"])
    assert label_uses(project=multi, names=["café", "bug", "label"]) == {"café": 2, "bug": 2}

    spans = make_project("spans", ["start", "PER"], [{"text": "Ada met Bob"}])
    add_member_all(spans, team[:1])
    submit(items_of(spans)[0], team[0], [{"start": 0, "end": 3, "label": "PER"}])
    assert label_uses(project=spans, names=["start", "PER"]) == {"PER": 1}  # a key of the span is not a label


def add_member_all(project, users) -> None:
    from tests.factories import add_member

    for user in users:
        add_member(project, user, "annotator")


def test_reading_the_cache_never_writes_or_enqueues(labeled, team, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from labeling.review.selectors import ResultState

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as queued:
        missing = review_result_cached(project=labeled, version=1, kind="agreement")
    assert missing.state == ResultState.MISSING and missing.row is None
    assert not ReviewResult.objects.exists() and not queued
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)

    computed = services.review_result_compute(project=labeled, version=1, kind="agreement")
    assert review_result_cached(project=labeled, version=1, kind="agreement").fresh
    submit(items_of(labeled)[4], team[0], "neutral")
    with django_capture_on_commit_callbacks() as queued:
        stale = review_result_cached(project=labeled, version=1, kind="agreement")
    assert stale.state == ResultState.STALE and not queued
    assert ReviewResult.objects.get().computed_at == computed.computed_at  # untouched by the read


def test_the_refresh_service_enqueues_once_for_a_large_project(labeled, settings, django_capture_on_commit_callbacks):
    from labeling.review.selectors import ResultState

    settings.GROUNDWORK_REVIEW_INLINE_MAX = 0  # every project counts as large
    cached = review_result_cached(project=labeled, version=1, kind="items")
    with django_capture_on_commit_callbacks() as queued:
        row = review_result_refresh(project=labeled, version=1, cached=cached)
    assert row.status == "computing" and len(queued) == 1
    again = review_result_cached(project=labeled, version=1, kind="items")
    assert again.state == ResultState.RUNNING
    with django_capture_on_commit_callbacks() as queued:
        assert review_result_refresh(project=labeled, version=1, cached=again).status == "computing"
    assert not queued  # a worker is on it already


def test_a_fresh_disagreement_listing_writes_nothing(labeled, reviewer, api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(reviewer)
    url = f"/api/projects/{labeled.pk}/disagreements/"
    assert client.get(url, {"order": "label_issue"}).status_code == 200  # computes and stores both results
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"order": "label_issue"}).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert not [sql for sql in writes if "review" in sql.lower()]


def imported(node) -> list[str]:
    import ast

    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def test_no_function_level_import_of_our_own_modules_in_the_review():
    """A lazily loaded third-party library is fine; one of ours imported late would hide a cycle."""
    import ast
    from pathlib import Path

    import labeling.review

    root = Path(labeling.review.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = [name for n in ast.walk(node) for name in imported(n) if name.split(".")[0] in OUR_APPS]
                assert not inner, f"{path.name}: {node.name} imports inside the function"


def test_the_typed_report_reads_each_task_types_own_figures():
    from labeling.review.report import AgreementReport

    classification = {
        "krippendorff_alpha": 0.5,
        "krippendorff_alpha_ci": [0.2, 0.7],
        "percent_agreement": 0.8,
        "per_label": [{"label": "a", "count": 3, "alpha": 0.4}],
        "per_annotator": [{"annotator": "x", "n": 4, "percent_agreement": 0.75, "mean_kappa": 0.3}],
        "pairwise": [{"a": "x", "b": "y", "cohen_kappa": 0.3}],
    }
    report = AgreementReport.from_result(
        classification, task_type="classification", gold={"x": {"gold_n": 2, "gold_accuracy": 0.5}}
    )
    assert (report.alpha, report.alpha_ci, report.pair_figure) == (0.5, (0.2, 0.7), "cohen_kappa")
    assert report.per_annotator[0].agreement == 0.75 and report.per_label[0].agreement == 0.4
    assert report.has_percent_agreement and [f.key for f in report.figures] == [
        "krippendorff_alpha",
        "percent_agreement",
    ]
    assert report.as_json()["per_annotator"] == [
        {**classification["per_annotator"][0], "gold_n": 2, "gold_accuracy": 0.5}
    ]

    spans = {
        "token_alpha": 0.6,
        "token_alpha_ci": [0.1, 0.9],
        "f1_overlap": 0.7,
        "per_label": [{"label": "PER", "f1_overlap": 0.9}],
        "per_annotator": [{"annotator": "x", "n": 1, "f1_overlap": 0.65}],
        "pairwise": [{"a": "x", "b": "y", "f1_overlap": 0.65}],
    }
    report = AgreementReport.from_result(spans, task_type="spans", gold={})
    assert (report.alpha, report.alpha_ci, report.pair_figure) == (0.6, (0.1, 0.9), "f1_overlap")
    assert report.per_annotator[0].agreement == 0.65 and report.per_annotator[0].gold_n == 0
    assert report.per_label[0].agreement == 0.9 and report.per_label[0].uses is None
    assert not report.has_percent_agreement
