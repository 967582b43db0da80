"""Reading a project's current annotations as arrays, bounded and without model instances.

One row per (item, annotator): ``Annotation`` holds the latest revision, so an
annotator's label counts once per item. Classification labels are read as text by the
database (the JSON string unquoted) and coded into a numpy array; the other task
types need the JSON itself and are decoded in Python.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BigIntegerField, Func, Max, QuerySet, TextField

from datasets.models import DatasetVersion, Item
from datasets.selectors import JSONText
from labeling.models import Annotation
from projects.models import Project, TaskType

SECONDS_PER_WEEK = 7 * 24 * 3600
# 1970-01-01 was a Thursday: counting from the Monday before it, weeks start on Mondays (ISO 8601).
WEEK_SHIFT_SECONDS = 3 * 24 * 3600
SINGLE_LABEL = (TaskType.CLASSIFICATION, TaskType.IMAGE)


class JSONScalarText(Func):
    """A JSON string value as plain text (``"cat"`` -> ``cat``), read by the database."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s #>> '{}')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="json_extract(%(expressions)s, '$')", **extra)


class EpochWeek(Func):
    """Whole weeks since Monday 1969-12-29 of a timestamp: the bucket of the agreement-over-time chart."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        # bigint before dividing: EXTRACT gives numeric, whose division costs more on a million rows
        template = f"((EXTRACT(EPOCH FROM %(expressions)s)::bigint + {WEEK_SHIFT_SECONDS}) / {SECONDS_PER_WEEK})"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # '%%%%s': one % survives the template, the other the backend's placeholder rewriting.
        template = f"CAST((strftime('%%%%s', %(expressions)s) + {WEEK_SHIFT_SECONDS}) / {SECONDS_PER_WEEK} AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


def canonical(value: Any) -> str:
    """One text per distinct value, so multi-label sets and span lists can be compared as wholes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class AnnotationArrays:
    """The project's current annotations, one row per (item, annotator), densely coded.

    ``item_ids[items[r]]`` is row r's item id, ``annotator_ids[annotators[r]]`` its
    annotator's user id. ``values`` are label codes for classification (-1: a label no
    longer in the schema), else the stored JSON values.
    """

    task_type: str
    label_names: list[str]
    items: np.ndarray
    annotators: np.ndarray
    item_ids: np.ndarray
    annotator_ids: np.ndarray
    usernames: list[str]
    weeks: np.ndarray
    values: Any = None
    texts: list[str] = field(default_factory=list)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_annotators(self) -> int:
        return len(self.annotator_ids)

    @property
    def n_rows(self) -> int:
        return len(self.items)


def annotations_queryset(*, project: Project, version: int):
    """The current annotations of the items of version ``version``.

    Only items of a version can be annotated, so for the newest version the project's
    annotations are the answer without joining items, batches and versions.
    """
    annotations = Annotation.objects.filter(project=project)
    newest = DatasetVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"]
    if newest is not None and version >= newest:
        return annotations
    return annotations.filter(item__batch__version__number__lte=version)


def _fetch(queryset, columns: list[str]) -> list[tuple]:
    """The rows of ``queryset.values_list(*columns)``, fetched by the driver without Django's
    per-row conversion: a million tuples of ints and text in about a second."""
    sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()  # no sort: order is free
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def label_codes(labels: Sequence[str | None], label_names: list[str]) -> np.ndarray:
    """Label names -> their index in the project's order (-1 for a name not in it)."""
    position = {name: index for index, name in enumerate(label_names)}
    return np.fromiter((position.get(label, -1) for label in labels), dtype=np.int64, count=len(labels))


def _column(rows: list[tuple], index: int) -> np.ndarray:
    return np.fromiter((row[index] or 0 for row in rows), dtype=np.int64, count=len(rows))


def annotation_arrays(
    *, project: Project, version: int, with_texts: bool = False, items: QuerySet[Item] | None = None
) -> AnnotationArrays:
    """Every current annotation of the items of version ``version`` (of ``items`` only, when
    given: a slice) as coded arrays."""
    queryset = annotations_queryset(project=project, version=version)
    if items is not None:
        queryset = queryset.filter(item__in=items.values("id"))
    queryset = queryset.annotate(week=EpochWeek("updated_at"))
    single = project.task_type in SINGLE_LABEL
    if single:
        rows = _fetch(queryset.annotate(label=JSONScalarText("value")), ["item_id", "annotator_id", "week", "label"])
    else:
        rows = _fetch(queryset, ["item_id", "annotator_id", "week", "value"])
    raw_items, raw_annotators, weeks = _column(rows, 0), _column(rows, 1), _column(rows, 2)
    item_ids, items = np.unique(raw_items, return_inverse=True)
    annotator_ids, annotators = np.unique(raw_annotators, return_inverse=True)
    names = dict(get_user_model().objects.filter(pk__in=annotator_ids.tolist()).values_list("pk", "username"))
    if single:
        values: Any = label_codes([row[3] for row in rows], project.label_names)
    else:
        values = [json.loads(row[3]) if isinstance(row[3], str) else row[3] for row in rows]
    arrays = AnnotationArrays(
        task_type=project.task_type,
        label_names=project.label_names,
        items=items.astype(np.int64).reshape(-1),
        annotators=annotators.astype(np.int64).reshape(-1),
        item_ids=item_ids,
        annotator_ids=annotator_ids,
        usernames=[names.get(int(pk), str(pk)) for pk in annotator_ids.tolist()],
        weeks=weeks,
        values=values,
    )
    if with_texts:
        arrays.texts = item_texts(item_ids=item_ids.tolist())
    return arrays


def item_texts(*, item_ids: list[int]) -> list[str]:
    texts = dict(Item.objects.filter(pk__in=item_ids).annotate(t=JSONText("data", "text")).values_list("pk", "t"))
    return [texts.get(pk) or "" for pk in item_ids]
