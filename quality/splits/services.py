"""Splitting a version: request it (validated, stored, queued), then run it in a worker.

The run reads the version as arrays, joins lineage and near-duplicate clusters into
groups, stratifies by final label (``quality.splits.assign``) and hands the new items'
splits to ``datasets`` to write in one transaction. When it is done, a leakage check of
the version is queued.
"""

from collections.abc import Mapping
from dataclasses import asdict

import numpy as np
from celery import current_app
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from datasets.models import DatasetVersion, Split
from datasets.selectors import UNDECIDED, version_item_arrays
from datasets.services import splits as split_writes
from labeling.exports.records import value_labels
from labeling.review.data import annotations_queryset
from labeling.review.selectors import final_labels
from projects.models import Project
from quality.leakage import services as leakage_services
from quality.leakage.selectors import duplicate_pairs
from quality.splits.assign import Assignment, assign, group_ids

LABEL_CHUNK = 10_000
SPLIT_TASK = "quality.tasks.split_assign"


def split_request(
    *, version: DatasetVersion, ratios: Mapping[str, float], seed: int, user: AbstractBaseUser, enqueue: bool = True
) -> Split:
    """Validate and store a split request; the worker starts once it is committed."""
    with transaction.atomic():
        split = split_writes.split_create(version=version, ratios=ratios, seed=seed, user=user)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(split.pk))
    return split


def _enqueue(split_id: int) -> None:
    # By name: the tasks module imports this one.
    current_app.send_task(SPLIT_TASK, args=[split_id])


def split_run(*, split_id: int, enqueue_leakage: bool = True) -> None:
    """Assign every undecided item of the split's version; safe to run twice (a done split is left alone)."""
    split = split_writes.split_start(split_id=split_id)
    if split is None:
        return
    try:
        assignment, item_ids = _assign(split)
    except Exception as error:
        split_writes.split_fail(split_id=split_id, message=f"{type(error).__name__}: {error}")
        raise
    new = item_ids[1]
    split_writes.split_finish(
        split_id=split_id,
        item_ids=item_ids[0][new],
        codes=assignment.codes[new],
        report=assignment_report(assignment),
    )
    if enqueue_leakage:
        leakage_services.leakage_request(version=split.version)


def _assign(split: Split) -> tuple[Assignment, tuple[np.ndarray, np.ndarray]]:
    version = split.version
    project = version.project

    def progress(share: float, low: float, high: float) -> None:
        split_writes.split_progress(split_id=split.pk, progress=low + (high - low) * share)

    items = version_item_arrays(project=project, number=version.number, progress=lambda s: progress(s, 0.0, 0.3))
    pairs = duplicate_pairs(project=project, items=items, progress=lambda s: progress(s, 0.3, 0.6))
    progress(1.0, 0.3, 0.6)
    groups = group_ids(source_index=items.source_index, pair_a=pairs.a, pair_b=pairs.b)
    labels, names = final_label_matrix(project=project, number=version.number, item_ids=items.ids)
    progress(1.0, 0.6, 0.8)
    assignment = assign(
        groups=groups,
        labels=labels,
        label_names=names,
        augmented=items.augmented,
        fixed=items.splits,
        ratios=(split.train, split.dev, split.test),
        seed=split.seed,
    )
    return assignment, (items.ids, items.splits == UNDECIDED)


def final_label_matrix(*, project: Project, number: int, item_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """An (items x labels) 0/1 matrix of each item's final label(s), in ``item_ids`` order."""
    names = list(project.label_names)
    column = {name: index for index, name in enumerate(names)}
    position = {int(item_id): index for index, item_id in enumerate(item_ids)}
    values: dict[int, list] = {}
    for item_id, value in annotations_queryset(project=project, version=number).values_list("item_id", "value"):
        values.setdefault(item_id, []).append(value)
    matrix = np.zeros((len(item_ids), len(names)), np.int8)
    ids = [int(i) for i in item_ids]
    for start in range(0, len(ids), LABEL_CHUNK):
        chunk = ids[start : start + LABEL_CHUNK]
        finals = final_labels(item_ids=chunk, annotations={i: values[i] for i in chunk if i in values})
        for item_id, (value, _) in finals.items():
            for label in value_labels(value, project.task_type):
                if label not in column:  # a label removed from the schema still counts as one
                    column[label] = len(names)
                    names.append(label)
                    matrix = np.hstack([matrix, np.zeros((len(ids), 1), np.int8)])
                matrix[position[item_id], column[label]] = 1
    return matrix, names


def assignment_report(assignment: Assignment) -> dict:
    """What GET .../splits/ shows besides the ratios: sizes, left-out augmented items, balance."""
    return {
        "sizes": assignment.sizes,
        "left_out": assignment.left_out,
        "groups": assignment.groups,
        "balance": {
            "tolerance": assignment.tolerance,
            "max_deviation": round(float(assignment.max_deviation), 6),
            "within_tolerance": bool(assignment.within_tolerance),
            "labels": [asdict(label) for label in assignment.balance],
        },
    }
