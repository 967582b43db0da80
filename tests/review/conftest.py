"""A review project: items imported through the real pipeline, annotations through the real
service (or bulk-inserted rows for the larger reference data), users of every role."""

import json
import uuid
from collections.abc import Callable

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Item
from labeling import services as labeling_services
from labeling.models import Annotation
from projects.models import Project
from quality.pipeline import services as quality_services
from tests.factories import ProjectFactory, UserFactory, add_member

SENTIMENT = ["positive", "negative", "neutral"]


def import_rows(project: Project, user, rows: list[dict]) -> None:
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    batch = quality_services.batch_upload(
        project=project, user=user, uploaded=SimpleUploadedFile("rows.jsonl", body), enqueue=False
    )
    batch = quality_services.batch_import(batch_id=str(batch.pk))
    assert batch is not None and batch.status == "accepted", batch and batch.error


def items_of(project: Project) -> list[Item]:
    return list(Item.objects.filter(project=project).order_by("id"))


def submit(item: Item, user, value) -> Annotation:
    annotation, _ = labeling_services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=value)
    return annotation


def bulk_annotate(project: Project, rows: list[tuple[Item, object, object]]) -> None:
    """(item, user, value) rows written as the current annotations, as an import of existing labels would."""
    Annotation.objects.bulk_create(
        [Annotation(item=item, project=project, annotator=user, value=value) for item, user, value in rows],
        batch_size=1000,
    )


@pytest.fixture
def team(project, reviewer) -> list:
    users = [UserFactory(username=f"ann{n}") for n in range(1, 5)]
    for user in users:
        add_member(project, user, "annotator")
    return users


@pytest.fixture
def make_project(manager, reviewer) -> Callable[..., Project]:
    """A project of any task type with ``reviewer`` as reviewer and rows imported."""

    def make(task_type: str, labels: list, rows: list[dict], *, overlap: int = 5, **extra) -> Project:
        project = ProjectFactory(user=manager, task_type=task_type, labels=labels, overlap=overlap, **extra)
        add_member(project, reviewer, "reviewer")
        import_rows(project, manager, rows)
        return project

    return make


@pytest.fixture
def labeled(project, manager, team) -> Project:
    """Six items of the Sentiment project, labeled by up to four annotators:

    t0: all four agree; t1: 2 positive vs 2 negative (a tie); t2: 3 neutral vs 1 positive;
    t3: a single annotation; t4, t5: none.
    """
    project.overlap = 5
    project.save(update_fields=["overlap"])
    import_rows(
        project,
        manager,
        [{"id": f"t{n}", "text": f"review number {n}", "channel": "email" if n % 2 else "web"} for n in range(6)],
    )
    items = items_of(project)
    plan = {
        0: ["positive"] * 4,
        1: ["positive", "positive", "negative", "negative"],
        2: ["neutral", "neutral", "neutral", "positive"],
        3: ["negative"],
    }
    for index, values in plan.items():
        for user, value in zip(team, values, strict=False):
            submit(items[index], user, value)
    return project


def random_labels(
    n_items: int, n_annotators: int, n_labels: int, *, seed: int, missing: float = 0.0
) -> list[tuple[int, int, int]]:
    """(item, annotator, label) rows with a realistic structure: a true label per item, each
    annotator right with their own accuracy, some ratings missing (at least one per item)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_labels, n_items)
    accuracy = rng.uniform(0.55, 0.95, n_annotators)
    rows = []
    for item in range(n_items):
        raters = [a for a in range(n_annotators) if rng.random() >= missing] or [int(rng.integers(n_annotators))]
        for annotator in raters:
            label = truth[item] if rng.random() < accuracy[annotator] else int(rng.integers(n_labels))
            rows.append((item, annotator, int(label)))
    return rows
