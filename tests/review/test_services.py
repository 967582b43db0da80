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
    assert csv_body.decode().splitlines()[0].endswith(",final,final_source")


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
