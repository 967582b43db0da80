"""Reading what an evaluation needs as arrays: current annotations, final adjudications, one
model version's predictions and the predicted items' metadata.

A million predictions and three million annotations are read in seconds: PostgreSQL sends
them with ``COPY ... TO STDOUT`` as CSV, which pandas parses in C; other databases go
through the cursor. Labels become codes in the project's order (-1: not a label of it).
"""

import io
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection

from config.errors import DomainError
from datasets.models import Item
from labeling.models import Adjudication, AdjudicationAction, Annotation, Prediction, PredictionSet
from labeling.models_eval.evaluation import EvaluationArrays, predictions_from_probabilities
from projects.models import Project

MAX_SLICE_VALUES = 50  # a metadata key with more distinct values (ids, free text) is no slice


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _frame(sql: str, params: list[Any], names: list[str], text: tuple[str, ...] = ()) -> pd.DataFrame:
    """The query's rows as a data frame; ``text`` columns kept as strings."""
    dtype = dict.fromkeys(text, "string")
    if _postgres():
        buffer = io.BytesIO()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
        ):
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        if not buffer.getbuffer().nbytes:
            return pd.DataFrame({name: pd.Series(dtype=dtype.get(name, "float64")) for name in names})
        return pd.read_csv(buffer, header=None, names=names, dtype=dtype, keep_default_na=False, na_values=[""])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=names)
    for name in text:
        frame[name] = frame[name].astype("string")
    return frame


def _json_text(column: str) -> str:
    """A JSON string value as plain text, by the database."""
    return f"({column} #>> '{{}}')" if _postgres() else f"json_extract({column}, '$')"


def _json_number(column: str, index: int) -> str:
    return f"({column}->>{index})::float8" if _postgres() else f"json_extract({column}, '$[{index}]')"


def _codes(texts: pd.Series, label_names: list[str]) -> np.ndarray:
    return pd.Categorical(texts, categories=label_names).codes.astype(np.int64)


def _predictions(prediction_set: PredictionSet, label_names: list[str]) -> pd.DataFrame:
    missing = [name for name in label_names if name not in prediction_set.labels]
    if missing:
        raise DomainError(
            f"the project's labels changed since {prediction_set.model_name!r} was uploaded"
            f" (it has no probability for {', '.join(missing)}); upload it again"
        )
    columns = [_json_number("probabilities", prediction_set.labels.index(name)) for name in label_names]
    sql = f"SELECT item_id, {', '.join(columns)} FROM {Prediction._meta.db_table} WHERE prediction_set_id = %s"
    return _frame(sql, [prediction_set.pk], ["item", *[f"p{i}" for i in range(len(label_names))]])


def _slices(prediction_set: PredictionSet, item_ids: np.ndarray) -> list[tuple[str, np.ndarray, list[str]]]:
    """Per metadata key of the predicted items, each item's value code; keys with too many values left out."""
    items, predictions = Item._meta.db_table, Prediction._meta.db_table
    each = "jsonb_each_text(i.metadata)" if _postgres() else "json_each(i.metadata)"
    sql = (
        f"SELECT p.item_id, kv.key, kv.value FROM {predictions} p JOIN {items} i ON i.id = p.item_id, {each} kv"
        f" WHERE p.prediction_set_id = %s"
    )
    frame = _frame(sql, [prediction_set.pk], ["item", "key", "value"], text=("key", "value"))
    slices = []
    for key, group in frame.groupby("key", sort=True):
        values, distinct = pd.factorize(group["value"], sort=True)
        if len(distinct) > MAX_SLICE_VALUES:
            continue
        codes = np.full(len(item_ids), -1, dtype=np.int64)
        positions = np.searchsorted(item_ids, group["item"].to_numpy(dtype=np.int64))
        inside = (positions < len(item_ids)) & (item_ids[np.minimum(positions, len(item_ids) - 1)] == group["item"])
        codes[positions[inside]] = values[inside]
        slices.append((str(key), codes, [str(value) for value in distinct]))
    return slices


def evaluation_arrays(*, project: Project, prediction_set: PredictionSet, with_slices: bool = True) -> EvaluationArrays:
    """The project's current annotations and final adjudications with one model version's predictions, coded."""
    label_names = project.label_names
    annotations = _frame(
        f"SELECT item_id, annotator_id, {_json_text('value')} FROM {Annotation._meta.db_table} WHERE project_id = %s",
        [project.pk],
        ["item", "annotator", "label"],
        text=("label",),
    )
    adjudications = (
        _frame(
            f"SELECT id, item_id, {_json_text('value')} FROM {Adjudication._meta.db_table}"
            " WHERE project_id = %s AND action = %s",
            [project.pk, AdjudicationAction.LABEL],
            ["id", "item", "label"],
            text=("label",),
        )
        .sort_values("id")
        .drop_duplicates("item", keep="last")
    )  # the newest final label of each item
    predictions = _predictions(prediction_set, label_names)
    item_ids = np.unique(
        np.concatenate([frame["item"].to_numpy(dtype=np.int64) for frame in (annotations, adjudications, predictions)])
    )

    def positions(frame: pd.DataFrame) -> np.ndarray:
        return np.searchsorted(item_ids, frame["item"].to_numpy(dtype=np.int64))

    annotator_ids, annotators = np.unique(annotations["annotator"].to_numpy(dtype=np.int64), return_inverse=True)
    names = dict(get_user_model().objects.filter(pk__in=annotator_ids.tolist()).values_list("pk", "username"))
    adjudicated = np.full(len(item_ids), -1, dtype=np.int64)
    adjudicated[positions(adjudications)] = _codes(adjudications["label"], label_names)
    probabilities = np.full((len(item_ids), len(label_names)), np.nan)
    probabilities[positions(predictions)] = predictions.iloc[:, 1:].to_numpy(dtype=np.float64)
    predicted, confidence = predictions_from_probabilities(probabilities)
    return EvaluationArrays(
        label_names=label_names,
        item_ids=item_ids,
        annotation_items=positions(annotations),
        annotation_annotators=annotators.reshape(-1).astype(np.int64),
        annotation_labels=_codes(annotations["label"], label_names),
        usernames=[names.get(int(pk), str(pk)) for pk in annotator_ids.tolist()],
        adjudicated=adjudicated,
        predicted=predicted,
        confidence=confidence,
        slices=_slices(prediction_set, item_ids) if with_slices else [],
    )
