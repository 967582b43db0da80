"""Agreement over time for every task type: each week's figure is the report of that week's
annotations alone (by their last change), and matches krippendorff's alpha on the same rows."""

from datetime import UTC, date, datetime, timedelta

import krippendorff
import numpy as np
import pytest
from django.db import transaction
from django.test import Client

from labeling.models import Annotation
from labeling.review import compute_kinds
from tests.factories import add_member
from tests.review.conftest import items_of, submit

pytestmark = pytest.mark.django_db

WEEK_A = datetime(2024, 3, 5, 12, tzinfo=UTC)
WEEK_B = datetime(2024, 3, 19, 12, tzinfo=UTC)
# The third annotator changed their label of item 2 in the later week: it counts there.
MOVED = (2, 2)

TEXT = "Ada met Bob in Rome today"  # tokens: Ada 0-3, met 4-7, Bob 8-11, in 12-14, Rome 15-19, today 20-25


def texts(n: int) -> list[dict]:
    return [{"text": f"{TEXT} #{number}"} for number in range(n)]  # an import drops duplicate rows


PER_ADA, PER_BOB, LOC_ROME = (
    {"start": 0, "end": 3, "label": "PER"},
    {"start": 8, "end": 11, "label": "PER"},
    {"start": 15, "end": 19, "label": "LOC"},
)
CASES = {
    "classification": (
        ["a", "b", "c"],
        [["a", "a", "a"], ["b", "b", "c"], ["c", "c", "b"], ["a", "b", "c"], ["b", "a", "a"], ["c", "a", "b"]],
    ),
    "multilabel": (
        ["billing", "bug", "praise"],
        [
            [["billing"], ["billing"], ["billing"]],
            [["bug", "praise"], ["bug", "praise"], ["bug"]],
            [["praise"], ["praise"], ["billing"]],
            [["billing"], ["bug"], ["praise"]],
            [["billing", "bug"], ["bug"], []],
            [[], [], ["praise"]],
        ],
    ),
    "spans": (
        ["PER", "LOC"],
        [
            [[PER_ADA, LOC_ROME], [PER_ADA, LOC_ROME], [PER_ADA]],
            [[PER_BOB], [PER_BOB], [PER_BOB]],
            [[PER_ADA], [PER_ADA], [{**PER_ADA, "label": "LOC"}]],
            [[PER_ADA], [{**LOC_ROME, "label": "PER"}], []],
            [[{**PER_BOB, "label": "LOC"}], [PER_BOB], [{"start": 8, "end": 19, "label": "PER"}]],
            [[], [{"start": 20, "end": 25, "label": "LOC"}], [PER_ADA]],
        ],
    ),
}


def week_of(item: int, annotator: int) -> datetime:
    return WEEK_B if item >= 3 or (item, annotator) == MOVED else WEEK_A


def masi_distance(a: frozenset, b: frozenset) -> float:
    """Passonneau's MASI distance, written out here as the reference (two empty sets: 0)."""
    if not a and not b:
        return 0.0
    common = len(a & b)
    monotonicity = 1.0 if a == b else 2 / 3 if common == min(len(a), len(b)) else 1 / 3 if common else 0.0
    return 1.0 - common / len(a | b) * monotonicity


def token_category(start: int, end: int, spans: list[dict], labels: list[str]) -> int:
    """A token's category in one annotation: the lowest label code of a span over it, else "outside"."""
    covering = [labels.index(s["label"]) for s in spans if s["start"] < end and start < s["end"]]
    return min(covering, default=len(labels))


def reference_alpha(task_type: str, labels: list[str], rows: list[tuple[int, int, object]]) -> float:
    """krippendorff's alpha of (item, annotator, value) rows, built the way each task type compares labels."""
    if task_type == "spans":
        tokens = [(0, 3), (4, 7), (8, 11), (12, 14), (15, 19), (20, 25), (26, 28)]
        rated = sorted({item for item, _, _ in rows})
        units = {unit: n for n, unit in enumerate((item, token) for item in rated for token in tokens)}
        data = np.full((3, len(units)), np.nan)
        for item, annotator, spans in rows:
            for token in tokens:
                data[annotator, units[(item, token)]] = token_category(*token, spans, labels)
        return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    items = sorted({item for item, _, _ in rows})
    if task_type == "classification":
        data = np.full((3, len(items)), np.nan)
        for item, annotator, value in rows:
            data[annotator, items.index(item)] = labels.index(value)
        return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1, 2])
    sets = sorted({frozenset(value) for _, _, value in rows}, key=sorted)
    distance = np.array([[masi_distance(a, b) for b in sets] for a in sets])
    data = np.full((3, len(items)), np.nan)
    for item, annotator, value in rows:
        data[annotator, items.index(item)] = sets.index(frozenset(value))

    def masi(v1, v2, i1, i2, n_v, dtype=np.float64):
        return distance[i1, i2].astype(dtype)

    return krippendorff.alpha(reliability_data=data, level_of_measurement=masi, value_domain=list(range(len(sets))))


@pytest.mark.parametrize("task_type", list(CASES))
def test_each_weeks_figure_is_the_report_of_that_weeks_annotations_alone(make_project, team, task_type):
    labels, plan = CASES[task_type]
    project = make_project(task_type, labels, texts(len(plan)))
    for user in team[:3]:
        add_member(project, user, "annotator")
    placed: dict[datetime, list[int]] = {WEEK_A: [], WEEK_B: []}
    rows: dict[datetime, list[tuple[int, int, object]]] = {WEEK_A: [], WEEK_B: []}
    for item_index, (item, values) in enumerate(zip(items_of(project), plan, strict=True)):
        for annotator, (user, value) in enumerate(zip(team, values, strict=False)):
            when = week_of(item_index, annotator)
            placed[when].append(submit(item, user, value).pk)
            rows[when].append((item_index, annotator, value))
    for when, pks in placed.items():  # update() leaves auto_now alone: these are the last changes
        Annotation.objects.filter(pk__in=pks).update(updated_at=when)

    report = compute_kinds.compute_kind(project=project, version=1, kind="agreement")
    lead = "token_alpha" if task_type == "spans" else "krippendorff_alpha"
    points = report["over_time"]
    assert [p["annotations"] for p in points] == [8, 10]
    for point, when in zip(points, (WEEK_A, WEEK_B), strict=True):
        start = date.fromisoformat(point["week"])
        assert start.isoweekday() == 1 and start <= when.date() < start + timedelta(days=7)  # Monday to Sunday

        with transaction.atomic():  # the same project with that week's annotations only, then put back
            Annotation.objects.filter(project=project).exclude(pk__in=placed[when]).delete()
            alone = compute_kinds.compute_kind(project=project, version=1, kind="agreement")
            transaction.set_rollback(True)
        assert alone["annotations"] == point["annotations"]
        assert point["alpha"] == pytest.approx(alone[lead], abs=1e-12)
        assert alone["over_time"] == [point]
        assert point["alpha"] == pytest.approx(reference_alpha(task_type, labels, rows[when]), abs=1e-9)

    first, second = (p["alpha"] for p in points)
    assert first > second  # the later week disagrees more; neither is the whole project's figure
    assert report[lead] not in (pytest.approx(first), pytest.approx(second))


def test_the_dashboard_draws_the_weeks_for_every_task_type(make_project, team, reviewer):
    client = Client()
    client.force_login(reviewer)
    for task_type, (labels, plan) in CASES.items():
        project = make_project(task_type, labels, texts(len(plan)))
        for user in team[:3]:
            add_member(project, user, "annotator")
        for item_index, (item, values) in enumerate(zip(items_of(project), plan, strict=True)):
            for annotator, (user, value) in enumerate(zip(team, values, strict=False)):
                Annotation.objects.filter(pk=submit(item, user, value).pk).update(
                    updated_at=week_of(item_index, annotator)
                )
        page = client.get(f"/projects/{project.pk}/agreement/").content.decode()
        chart = page[page.index('id="ag-time-h"') : page.index('id="ag-ann-h"')]
        assert chart.count("<circle") == 2, task_type  # one dot per week
        assert "week of 2024-03-04" in chart and "week of 2024-03-18" in chart  # Mondays
