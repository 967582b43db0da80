"""Reading what a multi-label or span evaluation needs as arrays: the current annotations, the
final adjudications and one model version's predictions, each value coded once.

Values are read as JSON text and parsed once per distinct text: a multi-label project has few
distinct label sets whatever its size, a span project one per annotation at most. A value
holding a label no longer in the project's schema is left out (code -1), as the single-label
evaluation leaves out a removed label; a predicted span with such a label is dropped.
"""

import json
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection

from labeling.models import Adjudication, AdjudicationAction, Annotation, Prediction, PredictionSet
from labeling.models_eval.data import prediction_probabilities, prediction_slices, sorted_distinct
from labeling.models_eval.set_evaluation import MULTILABEL, SetArrays
from labeling.models_eval.set_metrics import elements_from_lists
from labeling.suggestions.values import MULTILABEL_THRESHOLD
from projects.models import Project

Element = tuple[int, int, int]


class ValueCodes:
    """Distinct values to codes: by their text first (parsed once), then by their set of elements."""

    def __init__(self, task_type: str, label_names: list[str]) -> None:
        self.multilabel = task_type == MULTILABEL
        self.position = {name: index for index, name in enumerate(label_names)}
        self.by_text: dict[str, int] = {}
        self.by_value: dict[tuple[Element, ...], int] = {}

    def of_elements(self, elements: set[Element]) -> int:
        key = tuple(sorted(elements))
        return self.by_value.setdefault(key, len(self.by_value))

    def _parsed(self, value: Any) -> int:
        if not isinstance(value, list):
            return -1
        elements: set[Element] = set()
        for entry in value:
            if self.multilabel:
                label = self.position.get(entry) if isinstance(entry, str) else None
                start = end = 0
            else:
                if not isinstance(entry, dict):
                    return -1
                label, start, end = self.position.get(entry.get("label")), entry.get("start"), entry.get("end")
                if not (isinstance(start, int) and isinstance(end, int)):
                    return -1
            if label is None:
                return -1
            elements.add((start, end, label))
        return self.of_elements(elements)

    def of_text(self, text: str | None) -> int:
        if text is None:
            return -1
        code = self.by_text.get(text)
        if code is None:
            code = self.by_text[text] = self._parsed(json.loads(text))
        return code

    def elements(self):
        return elements_from_lists([list(value) for value in self.by_value])


def _rows(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _as_text(column: str) -> str:
    return f"CAST({column} AS TEXT)" if connection.vendor == "postgresql" else column


def _predicted(prediction_set: PredictionSet, project: Project, codes: ValueCodes) -> tuple[np.ndarray, ...]:
    """(item ids, predicted value codes, confidence) of a model version."""
    if codes.multilabel:
        items, probabilities = prediction_probabilities(prediction_set, project.label_names)
        chosen = probabilities >= MULTILABEL_THRESHOLD
        keys, inverse = np.unique(chosen, axis=0, return_inverse=True)
        value_codes = np.array([codes.of_elements({(0, 0, int(j)) for j in np.flatnonzero(row)}) for row in keys])
        confidence = np.maximum(probabilities, 1 - probabilities).min(axis=1) if probabilities.shape[1] else None
        if confidence is None:
            confidence = np.ones(len(items))
        return items, value_codes[inverse.reshape(-1)].astype(np.int64), confidence
    rows = _rows(
        f"SELECT item_id, {_as_text('spans')} FROM {Prediction._meta.db_table} WHERE prediction_set_id = %s",
        [prediction_set.pk],
    )
    items = np.array([row[0] for row in rows], dtype=np.int64)
    value_codes = np.empty(len(rows), dtype=np.int64)
    for index, (_, text) in enumerate(rows):
        spans = json.loads(text) if text else []
        value_codes[index] = codes.of_elements(
            {(s["start"], s["end"], codes.position[s["label"]]) for s in spans if s["label"] in codes.position}
        )
    return items, value_codes, np.full(len(rows), np.nan)


def set_evaluation_arrays(*, project: Project, prediction_set: PredictionSet, with_slices: bool = True) -> SetArrays:
    """The project's current annotations and final adjudications with one model version's predictions, coded."""
    codes = ValueCodes(project.task_type, project.label_names)
    annotations = _rows(
        f"SELECT item_id, annotator_id, {_as_text('value')} FROM {Annotation._meta.db_table} WHERE project_id = %s",
        [project.pk],
    )
    adjudications = _rows(
        f"SELECT item_id, {_as_text('value')} FROM {Adjudication._meta.db_table}"
        " WHERE project_id = %s AND action = %s ORDER BY id",  # the newest last: it wins
        [project.pk, AdjudicationAction.LABEL],
    )
    annotation_items = np.array([row[0] for row in annotations], dtype=np.int64)
    annotation_users = np.array([row[1] for row in annotations], dtype=np.int64)
    annotation_values = np.array([codes.of_text(row[2]) for row in annotations], dtype=np.int64)
    adjudication_items = np.array([row[0] for row in adjudications], dtype=np.int64)
    adjudication_values = np.array([codes.of_text(row[1]) for row in adjudications], dtype=np.int64)
    predicted_items, predicted_values, predicted_confidence = _predicted(prediction_set, project, codes)

    item_ids = sorted_distinct(np.concatenate([annotation_items, adjudication_items, predicted_items]))
    annotator_ids = sorted_distinct(annotation_users)
    names = dict(get_user_model().objects.filter(pk__in=annotator_ids.tolist()).values_list("pk", "username"))
    adjudicated = np.full(len(item_ids), -1, dtype=np.int64)
    adjudicated[np.searchsorted(item_ids, adjudication_items)] = adjudication_values
    predicted = np.full(len(item_ids), -1, dtype=np.int64)
    predicted[np.searchsorted(item_ids, predicted_items)] = predicted_values
    confidence = np.full(len(item_ids), np.nan)
    confidence[np.searchsorted(item_ids, predicted_items)] = predicted_confidence
    return SetArrays(
        task_type=project.task_type,
        label_names=project.label_names,
        item_ids=item_ids,
        annotation_items=np.searchsorted(item_ids, annotation_items),
        annotation_annotators=np.searchsorted(annotator_ids, annotation_users),
        annotation_values=annotation_values,
        usernames=[names.get(int(pk), str(pk)) for pk in annotator_ids.tolist()],
        adjudicated=adjudicated,
        predicted=predicted,
        confidence=confidence,
        elements=codes.elements(),
        slices=prediction_slices(prediction_set, item_ids) if with_slices else [],
    )
