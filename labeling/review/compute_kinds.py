"""One function per cached result kind: read the arrays, run the statistics, return JSON."""

from typing import Any

import numpy as np

from config.errors import DomainError
from labeling.models import Prediction
from labeling.review import compute
from labeling.review.data import SINGLE_LABEL, annotation_arrays, annotations_queryset, canonical
from labeling.review.selectors import inline_limit, latest_prediction_set, slice_items
from labeling.suggestions.anchoring import anchoring_report
from projects.models import Project


def _agreement(project: Project, version: int) -> dict[str, Any]:
    arrays = annotation_arrays(project=project, version=version, with_texts=project.task_type == "spans")
    return compute.agreement_report(arrays, level=project.label_scale)


def slice_agreement(*, project: Project, version: int, metadata: str) -> dict[str, Any]:
    """The agreement report of one metadata slice (``key=value``), computed in the request and not
    cached: a slice too large for a request is refused rather than answered for the whole project."""
    items = slice_items(project=project, version=version, metadata=metadata)
    counted = annotations_queryset(project=project, version=version).filter(item__in=items.values("id")).count()
    if counted >= inline_limit():
        raise DomainError(
            f"the slice {metadata} has {counted:,} annotations; agreement of a slice is computed in the "
            f"request for fewer than {inline_limit():,}: narrow it, or read the whole version's report"
        )
    arrays = annotation_arrays(project=project, version=version, with_texts=project.task_type == "spans", items=items)
    return compute.agreement_report(arrays, level=project.label_scale)


def _items(project: Project, version: int) -> dict[str, Any]:
    return compute.item_ranking(annotation_arrays(project=project, version=version))


def _dawid_skene(project: Project, version: int) -> dict[str, Any]:
    if project.task_type not in SINGLE_LABEL:
        raise DomainError("Dawid-Skene is for classification and image projects; use method=majority")
    return compute.dawid_skene_consensus(annotation_arrays(project=project, version=version))


def _label_issues(project: Project, version: int) -> dict[str, Any]:
    return label_issues_and_queue(project=project, version=version)[0]


def label_issues_and_queue(*, project: Project, version: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The label-issue result, and the item ranking (agreement, consensus) it was computed from:
    stored beside it as rows in label-issue order, so the queue in that order reads a page of rows.
    No ranking when there are no predictions to order by."""
    if project.task_type not in SINGLE_LABEL:
        raise DomainError("label issues are for classification and image projects")
    prediction_set = latest_prediction_set(project=project)
    if prediction_set is None:
        return {"issues": [], "checked": 0, "scores": {}, "model": None, "reason": "no predictions uploaded yet"}, None
    ranking = compute.item_ranking(annotation_arrays(project=project, version=version))
    position = {name: index for index, name in enumerate(project.label_names)}
    consensus = {
        item_id: position[value]
        for item_id, value, tie in zip(ranking["item_ids"], ranking["consensus"], ranking["tie"], strict=True)
        if value is not None and not tie and value in position
    }
    predictions = Prediction.objects.filter(prediction_set=prediction_set, item_id__in=list(consensus)).values_list(
        "item_id", "probabilities"
    )
    same_order = prediction_set.labels == project.label_names
    item_ids, given, probabilities = [], [], []
    for item_id, row in predictions.order_by("item_id"):
        if same_order:
            item_ids.append(item_id)
            given.append(consensus[item_id])
            probabilities.append(row)
    result = compute.label_issues(
        given=np.array(given, dtype=np.int64),
        probabilities=np.array(probabilities, dtype=float).reshape(len(given), len(project.label_names)),
        item_ids=item_ids,
        label_names=project.label_names,
    )
    result["model"] = prediction_set.model_name
    if not same_order:
        result["reason"] = "the labels changed since the predictions were uploaded; upload them again"
    return result, ranking


def _anchoring(project: Project, version: int) -> dict[str, Any]:
    """Annotations made while a model suggestion existed: shown, or withheld by the holdout."""
    rows = (
        annotations_queryset(project=project, version=version)
        .filter(suggestion_set__isnull=False)
        .values_list("item_id", "suggestion_shown", "value", "suggestion_value")
    )
    items, shown, values, suggested = [], [], [], []
    for item_id, was_shown, value, suggestion in rows.iterator(chunk_size=10_000):
        items.append(item_id)
        shown.append(was_shown)
        values.append(canonical(value))
        suggested.append(canonical(suggestion))
    return anchoring_report(
        items=np.array(items, dtype=np.int64),
        shown=np.array(shown, dtype=bool),
        values=np.array(values, dtype=object),
        suggested=np.array(suggested, dtype=object),
    )


KIND_FUNCTIONS = {
    "agreement": _agreement,
    "items": _items,
    "dawid_skene": _dawid_skene,
    "label_issues": _label_issues,
    "anchoring": _anchoring,
}


def compute_kind(*, project: Project, version: int, kind: str) -> dict[str, Any]:
    return KIND_FUNCTIONS[kind](project, version)
