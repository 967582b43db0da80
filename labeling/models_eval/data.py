"""Reading what an evaluation needs as arrays: current annotations, final adjudications, one
model version's predictions and the predicted items' metadata.

The database codes each label in SQL. On PostgreSQL the columns arrive packed in binary
(``config.packed``: a million predictions and three million annotations in a few seconds);
elsewhere every row is joined into ONE text of numbers (SQLite's ``group_concat``), which numpy
parses in C. Row by row (a cursor), the driver alone would spend over ten seconds per million rows.
"""

from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection

from config.errors import DomainError
from config.packed import Packed, read_packed, side_by_side
from datasets.models import Batch, Item
from labeling.models import Adjudication, AdjudicationAction, Annotation, Prediction, PredictionSet
from labeling.models_eval.evaluation import EvaluationArrays, predictions_from_probabilities
from projects.models import Project

MAX_SLICE_VALUES = 50  # a metadata key with more distinct values (ids, free text) is no slice
TEXT = "text"  # slices read by ``prediction_slices`` (SQLite)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _joined(expressions: list[str]) -> str:
    """Every row's expressions as ``a,b,c``, all rows joined by commas, in one text value."""
    row = " || ',' || ".join(f"CAST({e} AS TEXT)" for e in expressions)
    return f"string_agg({row}, ',')" if _postgres() else f"group_concat({row}, ',')"


def _numbers(expressions: list[str], rest: str, params: list[Any], dtype: type) -> np.ndarray:
    """The rows of ``SELECT expressions rest`` as an (n, len(expressions)) array, in one fetch."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_joined(expressions)} {rest}", params)
        text = cursor.fetchone()[0]
    width = len(expressions)
    if not text:
        return np.zeros((0, width), dtype=dtype)
    return np.fromstring(text, dtype=dtype, sep=",").reshape(-1, width)


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values, by sorting: several times faster than ``np.unique``'s hashing here."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _json_text(column: str) -> str:
    """A JSON string value as plain text, by the database."""
    return f"({column} #>> '{{}}')" if _postgres() else f"json_extract({column}, '$')"


def _json_number(column: str, index: int) -> str:
    return f"({column}->>{index})" if _postgres() else f"json_extract({column}, '$[{index}]')"


def _label_code(column: str, label_names: list[str]) -> tuple[str, list[str]]:
    """A label's code in the project's order, computed by the database (-1: not one of them)."""
    whens = " ".join("WHEN %s THEN " + str(code) for code in range(len(label_names)))
    return f"(CASE {_json_text(column)} {whens} ELSE -1 END)", list(label_names)


def _label_positions(prediction_set: PredictionSet, label_names: list[str]) -> list[int]:
    """Where each of the project's labels sits in the model version's probabilities."""
    missing = [name for name in label_names if name not in prediction_set.labels]
    if missing:
        raise DomainError(
            f"the project's labels changed since {prediction_set.model_name!r} was uploaded"
            f" (it has no probability for {', '.join(missing)}); upload it again"
        )
    return [prediction_set.labels.index(name) for name in label_names]


def prediction_probabilities(prediction_set: PredictionSet, label_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(item ids, probabilities in the project's label order) of a model version."""
    columns = [_json_number("probabilities", at) for at in _label_positions(prediction_set, label_names)]
    rows = _numbers(
        ["item_id", *columns],
        f"FROM {Prediction._meta.db_table} WHERE prediction_set_id = %s",
        [prediction_set.pk],
        np.float64,
    )
    return rows[:, 0].astype(np.int64), rows[:, 1:]


SliceRead = tuple[dict[str, list[str]], np.ndarray] | None


def _slice_codes_read(project: Project) -> SliceRead:
    """The slices on PostgreSQL in two plain scans of the items: the keys and their values (keys of
    more than ``MAX_SLICE_VALUES`` values among the project's items left out), then each item's code
    of every kept key, packed."""
    sql = (
        f"SELECT kv.key, kv.value FROM {Item._meta.db_table} i, jsonb_each_text(i.metadata) kv"
        f" WHERE i.project_id = %s AND kv.value IS NOT NULL GROUP BY kv.key, kv.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [project.pk])
        pairs = cursor.fetchall()
    by_key: dict[str, list[str]] = {}
    for key, value in pairs:
        by_key.setdefault(str(key), []).append(str(value))
    kept = {key: sorted(values) for key, values in sorted(by_key.items()) if len(values) <= MAX_SLICE_VALUES}
    if not kept:
        return None
    fields, params = [("item", "item_id::int8", "int8send")], []
    for n, (key, values) in enumerate(kept.items()):
        fields.append((f"k{n}", "(COALESCE(array_position(%s::text[], metadata ->> %s), 0) - 1)::int2", "int2send"))
        params += [values, key]
    source = f"SELECT id AS item_id, metadata FROM {Item._meta.db_table} WHERE project_id = %s"
    return kept, _rows_packed(source, [*params, project.pk], fields, _item_id_range(project), 1)


def _slices_of(read: SliceRead, item_ids: np.ndarray) -> list[tuple[str, np.ndarray, list[str]]]:
    """The codes read by ``_slice_codes_read`` over ``item_ids`` (-1: the item has no value there)."""
    if read is None:
        return []
    kept, found = read
    read_ids = found["item"].astype(np.int64)
    at = np.minimum(np.searchsorted(item_ids, read_ids), max(len(item_ids) - 1, 0))
    known = (item_ids[at] == read_ids) if len(item_ids) else np.zeros(len(read_ids), bool)
    slices = []
    for n, (key, values) in enumerate(kept.items()):
        codes = np.full(len(item_ids), -1, dtype=np.int64)
        codes[at[known]] = found[f"k{n}"][known]
        slices.append((key, codes, values))
    return slices


def prediction_slices(prediction_set: PredictionSet, item_ids: np.ndarray) -> list[tuple[str, np.ndarray, list[str]]]:
    """Per metadata key of the predicted items, each item's value code; keys with more than
    ``MAX_SLICE_VALUES`` values (ids, free text) left out. One row per (key, value), its items joined."""
    items, predictions = Item._meta.db_table, Prediction._meta.db_table
    each = "jsonb_each_text(i.metadata)" if _postgres() else "json_each(i.metadata)"
    # PostgreSQL packs the ids in binary (8 bytes each, nothing to parse); SQLite joins them as text
    ids = "string_agg(int8send(p.item_id::int8), ''::bytea)" if _postgres() else "group_concat(p.item_id, ',')"
    sql = (
        f"WITH pairs AS (SELECT kv.key AS key, CAST(kv.value AS TEXT) AS value, {ids} AS ids"
        f" FROM {predictions} p JOIN {items} i ON i.id = p.item_id, {each} kv"
        f" WHERE p.prediction_set_id = %s GROUP BY kv.key, CAST(kv.value AS TEXT)),"
        f" small AS (SELECT key FROM pairs GROUP BY key HAVING COUNT(*) <= %s)"
        f" SELECT pairs.key, pairs.value, pairs.ids FROM pairs JOIN small ON small.key = pairs.key"
        f" ORDER BY pairs.key, pairs.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prediction_set.pk, MAX_SLICE_VALUES])
        rows = cursor.fetchall()
    slices: dict[str, tuple[np.ndarray, list[str]]] = {}
    for key, value, joined in rows:
        codes, values = slices.setdefault(str(key), (np.full(len(item_ids), -1, dtype=np.int64), []))
        if isinstance(joined, str):
            members = np.fromstring(joined, dtype=np.int64, sep=",")
        else:
            members = np.frombuffer(joined, dtype=">i8").astype(np.int64)
        codes[np.searchsorted(item_ids, members)] = len(values)  # predicted items are all in item_ids
        values.append(str(value))
    return [(key, codes, values) for key, (codes, values) in slices.items()]


def _item_id_range(project: Project) -> tuple[int, int]:
    """The project's lowest and highest item id, each batch's ends read from its (batch, id) index."""
    sql = (
        f"SELECT min(lo), max(hi) FROM {Batch._meta.db_table} b, LATERAL"
        f" (SELECT min(id) AS lo, max(id) AS hi FROM {Item._meta.db_table} WHERE batch_id = b.id) AS ends"
        f" WHERE b.project_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [project.pk])
        low, high = cursor.fetchone()
    return (int(low), int(high)) if low is not None else (0, -1)


def _packed_code(column: str) -> str:
    """A JSON label's code in the project's order (the names a parameter), -1 for none of them."""
    return f"(COALESCE(array_position(%s::text[], {column} #>> '{{}}'), 0) - 1)::int2"


def _rows_packed(source: str, params: list, fields: list[tuple[str, str, str]], ids: tuple[int, int], per_id: int):
    """The rows of ``source`` as a structured array of ``fields`` (name, SQL, send function): each row's
    binary values joined into one value, so the server runs one aggregate, not one per column."""
    row = " || ".join(f"{send}({sql})" for _, sql, send in fields)
    formats = [">f8" if send == "float8send" else ">i2" if send == "int2send" else ">i8" for _, _, send in fields]
    packed = Packed("row", row, "", ",".join(formats))
    found = read_packed(source, params, [packed], chunk="item_id", ids=ids, rows_per_id=per_id)
    return found["row"].view(np.dtype([(name, f) for (name, _, _), f in zip(fields, formats, strict=True)]))


def _read_packed(
    project: Project, prediction_set: PredictionSet, label_names: list[str], with_slices: bool
) -> tuple[Any, ...]:
    """(annotations, adjudications, predicted items, probabilities, slice read) as ``_read_text``
    gives the first four, packed, the tables read at once."""
    ids = _item_id_range(project)
    per_item = max(1, project.overlap) * 2  # sent back items take more than the overlap
    code = ("code", _packed_code("value"), "int2send")
    item, annotator = ("item", "item_id::int8", "int8send"), ("annotator", "annotator_id::int8", "int8send")
    positions = _label_positions(prediction_set, label_names)
    probabilities = [
        (f"p{n}", f"(probabilities ->> {int(at)})::float8", "float8send") for n, at in enumerate(positions)
    ]
    calls = [
        lambda: _rows_packed(
            f"SELECT item_id, annotator_id, value FROM {Annotation._meta.db_table} WHERE project_id = %s",
            [list(label_names), project.pk], [item, annotator, code], ids, per_item,
        ),
        lambda: _rows_packed(
            f"SELECT id, item_id, value FROM {Adjudication._meta.db_table} WHERE project_id = %s AND action = %s",
            [list(label_names), project.pk, AdjudicationAction.LABEL], [("id", "id::int8", "int8send"), item, code],
            ids, per_item,
        ),
        lambda: _rows_packed(
            f"SELECT item_id, probabilities FROM {Prediction._meta.db_table} WHERE prediction_set_id = %s",
            [prediction_set.pk], [item, *probabilities], ids, 1,
        ),
    ]  # fmt: skip
    if with_slices:
        calls.append(lambda: _slice_codes_read(project))
    found_annotations, found_adjudications, found, *slices = side_by_side(*calls)
    annotations = np.column_stack([found_annotations[n].astype(np.int64) for n in found_annotations.dtype.names])
    adjudications = np.column_stack([found_adjudications[n].astype(np.int64) for n in found_adjudications.dtype.names])
    names = found.dtype.names[1:]
    matrix = np.column_stack([found[n].astype(np.float64) for n in names]) if names else np.zeros((len(found), 0))
    return annotations, adjudications, found["item"].astype(np.int64), matrix, slices[0] if slices else None


def _read_text(project: Project, prediction_set: PredictionSet, label_names: list[str]) -> tuple[np.ndarray, ...]:
    """(annotations (item, annotator, code), adjudications (id, item, code), predicted items, probabilities)."""
    code, code_params = _label_code("value", label_names)
    annotations = _numbers(
        ["item_id", "annotator_id", code],
        f"FROM {Annotation._meta.db_table} WHERE project_id = %s",
        [*code_params, project.pk],
        np.int64,
    )
    adjudications = _numbers(
        ["id", "item_id", code],
        f"FROM {Adjudication._meta.db_table} WHERE project_id = %s AND action = %s",
        [*code_params, project.pk, AdjudicationAction.LABEL],
        np.int64,
    )
    return annotations, adjudications, *prediction_probabilities(prediction_set, label_names)


def evaluation_arrays(*, project: Project, prediction_set: PredictionSet, with_slices: bool = True) -> EvaluationArrays:
    """The project's current annotations and final adjudications with one model version's predictions, coded."""
    label_names = project.label_names
    if _postgres():
        read = _read_packed(project, prediction_set, label_names, with_slices)
        annotations, adjudications, predicted_items, probabilities_found, slice_read = read
    else:
        annotations, adjudications, predicted_items, probabilities_found = _read_text(
            project, prediction_set, label_names
        )
        slice_read = TEXT
    adjudications = adjudications[np.argsort(adjudications[:, 0], kind="stable")]  # the newest last: it wins
    item_ids = sorted_distinct(np.concatenate([annotations[:, 0], adjudications[:, 1], predicted_items]))
    annotator_ids = sorted_distinct(annotations[:, 1])
    annotators = np.searchsorted(annotator_ids, annotations[:, 1])
    names = dict(get_user_model().objects.filter(pk__in=annotator_ids.tolist()).values_list("pk", "username"))
    adjudicated = np.full(len(item_ids), -1, dtype=np.int64)
    adjudicated[np.searchsorted(item_ids, adjudications[:, 1])] = adjudications[:, 2]
    probabilities = np.full((len(item_ids), len(label_names)), np.nan)
    probabilities[np.searchsorted(item_ids, predicted_items)] = probabilities_found
    predicted, confidence = predictions_from_probabilities(probabilities)
    return EvaluationArrays(
        label_names=label_names,
        item_ids=item_ids,
        annotation_items=np.searchsorted(item_ids, annotations[:, 0]),
        annotation_annotators=annotators,
        annotation_labels=annotations[:, 2],
        usernames=[names.get(int(pk), str(pk)) for pk in annotator_ids.tolist()],
        adjudicated=adjudicated,
        predicted=predicted,
        confidence=confidence,
        slices=_slices(prediction_set, item_ids, slice_read) if with_slices else [],
    )


def _slices(prediction_set: PredictionSet, item_ids: np.ndarray, read: SliceRead | str) -> list:
    return prediction_slices(prediction_set, item_ids) if read == TEXT else _slices_of(read, item_ids)
