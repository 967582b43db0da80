"""The records an export writes, read a chunk at a time, and what every format shares.

``version_chunks`` walks the version's items in id order by keyset pagination (``id > last``
with a LIMIT, never OFFSET) and fetches the annotations of each chunk in one query (on
PostgreSQL already aggregated per item as JSON), as plain tuples: three queries per chunk
(items, annotations, adjudications) whatever the version's size, and one chunk in memory.
Versions are immutable; annotations are read chunk by chunk, so an export that runs while
people label holds each item's annotations as they were when its chunk was read. A record::

    {"id", "external_id", "data": {"text" | "image": ...}, "metadata": {...},
     "annotations": [{"uuid", "annotator", "value", "revision", "created_at", "updated_at",  # times: ISO text
                      "origin": "app" | "imported", "import_batch": batch id | None}],
     "final": ..., "final_source": "adjudication" | "consensus" | "inherited" | None,
     "source": item id | None, "root": item id | None,
     "augmentation": {"method", "params", "seed", "generation", "library", "library_version",
                      "config_hash", "label_policy"} | None,
     "split": "train" | "dev" | "test" | None}

``final`` is the item's settled label: the newest adjudication when a reviewer made one,
else the majority of its annotations (values compared whole), else null (no annotation,
or a tie, which waits for a reviewer). ``final_source`` says which. Both are read per
chunk (one more query for the chunk's adjudications), so the export stays bounded.

An augmented item made under the ``inherit`` policy that no person has labeled carries its
root's final label, with ``final_source`` "inherited": it is never one of ``annotations``,
so nothing that counts people's labels sees it.

``split`` is the item's split, null when it is in none (not split yet, or an augmented
copy left out because its source is in dev or test); it comes with the items' query.
"""

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import QuerySet

from datasets.models import Item, LabelPolicy
from datasets.selectors import items_in_version
from labeling.models import Adjudication, AdjudicationAction, Annotation
from labeling.review.selectors import majority_of
from projects.models import Project, TaskType

CHUNK_SIZE = 5000

Record = dict[str, Any]
Chunk = list[Record]

LINEAGE_FIELDS = (
    "root_id", "method", "params", "seed", "generation", "library", "library_version", "config_hash", "label_policy",
)  # fmt: skip
ITEM_COLUMNS = (
    "id", "external_id", "data", "metadata", "source_id", "split_assignment__split",
    *(f"augmentation__{name}" for name in LINEAGE_FIELDS),
)  # fmt: skip
_PARAMS = ITEM_COLUMNS.index("augmentation__params")

# Plain rows with text columns: PostgreSQL's text output costs it less than building JSON (measured
# in bench/export.py), and the driver then makes no Python object per UUID, JSON value or time.
_ANNOTATIONS_SQL = f"""
    SELECT a.item_id, a.uuid::text, u.username, a.value::text, a.revision, (a.created_at AT TIME ZONE 'UTC')::text,
           (a.updated_at AT TIME ZONE 'UTC')::text, a.origin, a.import_batch_id
    FROM {Annotation._meta.db_table} a JOIN {get_user_model()._meta.db_table} u ON u.id = a.annotator_id
    WHERE a.item_id = ANY(%s) ORDER BY a.item_id, a.id
"""


def version_chunks(
    *, project: Project, number: int, chunk_size: int | None = None, items: QuerySet[Item] | None = None
) -> Iterator[Chunk]:
    """The items of version ``number`` (or ``items``, a selection of them) with their annotations,
    ``chunk_size`` items at a time.

    Rows are read as tuples through the database cursor (no model and no field converter per
    row) and the JSON columns parsed by the C decoder: three queries and a handful of Python
    steps per item, the rest in C or in the database.
    """
    size = chunk_size or CHUNK_SIZE
    if items is None:
        items = items_in_version(project=project, number=number)
    columns = items.values_list(*ITEM_COLUMNS)
    last_id = 0
    while True:
        rows = _fetch(columns.filter(id__gt=last_id)[:size])
        if not rows:
            return
        last_id = rows[-1][0]
        item_ids = [row[0] for row in rows]
        annotations = _annotations_of(item_ids=item_ids)
        finals = _finals(item_ids=item_ids, annotations=annotations)
        lineage = {row[0]: row for row in rows if row[7] is not None}
        inherited = _inherited(finals, lineage) if lineage else {}
        chunk = []
        for row in rows:
            item_id = row[0]
            final, final_source = inherited.get(item_id) or finals[item_id]
            augmentation = _augmentation(row) if item_id in lineage else None
            chunk.append(
                {
                    "id": item_id,
                    "external_id": row[1],
                    "data": _loads(row[2]),
                    "metadata": _loads(row[3]),
                    "annotations": annotations.get(item_id, []),
                    "final": final,
                    "final_source": final_source,
                    "source": row[4],
                    "root": row[6] if augmentation else None,
                    "augmentation": augmentation,
                    "split": row[5],
                }
            )
        yield chunk
        if len(rows) < size:
            return


def _fetch(queryset: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` queryset straight from the cursor: JSON columns stay text."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pg_iso(text: str) -> str:
    """PostgreSQL's text of a time in UTC (``2024-05-01 12:00:00.12``) as ``datetime.isoformat``
    writes it (``2024-05-01T12:00:00.120000+00:00``): microseconds in six digits unless zero."""
    moment, _, fraction = text.partition(".")
    if fraction:
        moment = f"{moment}.{fraction:0<6}"
    return moment.replace(" ", "T", 1) + "+00:00"


def _adjudicated(item_ids: list[int]) -> dict[int, Any]:
    """``final_adjudications``' rule (the newest ``label`` adjudication) for a chunk of ids in
    ascending order, read by the id range: one index range scan, no list of parameters."""
    wanted = set(item_ids)
    rows = (
        Adjudication.objects.filter(
            item_id__gte=item_ids[0], item_id__lte=item_ids[-1], action=AdjudicationAction.LABEL
        )
        .order_by("item_id", "-id")
        .values_list("item_id", "value")
    )
    newest: dict[int, Any] = {}
    for item_id, value in rows:
        if item_id in wanted:
            newest.setdefault(item_id, value)
    return newest


def _loads(text: Any) -> Any:
    return json_loads(text) if isinstance(text, str) else text


def _augmentation(row: tuple) -> Record:
    lineage = dict(zip(LINEAGE_FIELDS[1:], row[7:], strict=True))
    lineage["params"] = _loads(row[_PARAMS])
    return lineage


def _finals(*, item_ids: list[int], annotations: dict[int, list[Record]]) -> dict[int, tuple[Any, str | None]]:
    """``final_labels`` for a chunk, with labels that are plain strings counted without a
    canonical JSON text each (strings are their own canonical form)."""
    adjudicated = _adjudicated(item_ids)
    finals: dict[int, tuple[Any, str | None]] = {}
    for item_id in item_ids:
        if item_id in adjudicated:
            finals[item_id] = (adjudicated[item_id], "adjudication")
            continue
        values = [annotation["value"] for annotation in annotations.get(item_id, ())]
        if all(type(value) is str for value in values):
            counts: dict[str, int] = {}
            for value in values:
                counts[value] = counts.get(value, 0) + 1
            top = max(counts.values(), default=0)
            winners = [value for value, count in counts.items() if count == top]
            finals[item_id] = (winners[0], "consensus") if len(winners) == 1 else (None, None)
            continue
        value, _, tie = majority_of(values)
        finals[item_id] = (value, "consensus") if value is not None and not tie else (None, None)
    return finals


def _inherited(finals: dict[int, tuple[Any, str | None]], lineage: dict[int, tuple]) -> dict[int, tuple[Any, str]]:
    """The root's final label for ``inherit`` items that people left unlabeled: two queries per chunk."""
    waiting = {
        item_id: row[6]
        for item_id, row in lineage.items()
        if row[-1] == LabelPolicy.INHERIT and finals[item_id][0] is None
    }
    if not waiting:
        return {}
    roots = sorted(set(waiting.values()))
    root_finals = _finals(item_ids=roots, annotations=_annotations_of(item_ids=roots))
    return {
        item_id: (root_finals[root][0], "inherited")
        for item_id, root in waiting.items()
        if root_finals[root][0] is not None
    }


def _annotations_of(*, item_ids: list[int]) -> dict[int, list[Record]]:
    """Each item's annotations in the order they were made, their times as ISO 8601 text."""
    by_item: dict[int, list[Record]] = defaultdict(list)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ANNOTATIONS_SQL, [item_ids])
            for item_id, uuid, username, value, revision, created_at, updated_at, origin, batch in cursor.fetchall():
                by_item[item_id].append(
                    {
                        "uuid": uuid,
                        "annotator": username,
                        "value": value[1:-1] if value[0] == '"' and "\\" not in value else json_loads(value),
                        "revision": revision,
                        "created_at": _pg_iso(created_at),
                        "updated_at": _pg_iso(updated_at),
                        "origin": origin,
                        "import_batch": str(batch) if batch else None,
                    }
                )
        return by_item
    rows = (
        Annotation.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "id")
        .values_list(
            "item_id", "uuid", "annotator__username", "value", "revision", "created_at", "updated_at", "origin",
            "import_batch_id",
        )
    )  # fmt: skip
    for item_id, uuid, username, value, revision, created_at, updated_at, origin, import_batch in rows:
        by_item[item_id].append(
            {
                "uuid": str(uuid),
                "annotator": username,
                "value": value,
                "revision": revision,
                "created_at": iso(created_at),
                "updated_at": iso(updated_at),
                "origin": origin,
                "import_batch": str(import_batch) if import_batch else None,
            }
        )
    return by_item


def version_annotators(*, project: Project, number: int) -> dict[str, str]:
    """Username -> email of everyone who annotated an item of the version, by username."""
    rows = (
        Annotation.objects.filter(project=project, item__batch__version__number__lte=number)
        .order_by("annotator__username")
        .values_list("annotator__username", "annotator__email")
        .distinct()
    )
    return dict(rows)


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs to know about the project besides the records."""

    task_type: str
    content_column: str
    # username -> email of the version's annotators: CoNLL's columns, Label Studio's completed_by
    annotators: dict[str, str] = field(default_factory=dict)
    metadata_columns: tuple[str, ...] = ()  # the flat CSV's metadata columns


def iso(moment: datetime | str | None) -> str | None:
    """A time as ISO 8601 text; records already hold their times so."""
    return moment.isoformat() if isinstance(moment, datetime) else moment


def json_record(record: Record) -> Record:
    """The record ready for ``json.dumps``: records hold JSON types only, times as ISO 8601 text."""
    return record


def content_of(record: Record, column: str) -> str | None:
    value = (record["data"] or {}).get(column)
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def value_labels(value: Any, task_type: str) -> list[str]:
    """The label names one annotation's value holds, whatever the task type."""
    if value is None:
        return []
    if task_type == TaskType.MULTILABEL:
        return [str(label) for label in value]
    if task_type == TaskType.SPANS:
        return [str(span["label"]) for span in value]
    return [str(value)]


def distinct_labels(record: Record, task_type: str) -> list[str]:
    """Every label any annotator gave the item, once each, in order of first appearance."""
    seen: dict[str, None] = {}
    for annotation in record["annotations"]:
        for label in value_labels(annotation["value"], task_type):
            seen.setdefault(label, None)
    return list(seen)


# JSON is written as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes it.
# orjson writes the same bytes ten times faster except for a few floats (1e-7 for 1e-07, 0.00005
# for 5e-05) and integers beyond 64 bits, which it refuses; those go to the standard encoder.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_UNLIKE_PYTHON = re.compile(rb"\de[-+]\d(?!\w)|0\.0000\d")
# orjson reads an integer beyond 64 bits as a float; text that may hold one goes to the standard decoder.
_LONG_NUMBER = re.compile(r"\d{19}")
_json_decode = json.JSONDecoder().decode


def dumps_bytes(value: Any) -> bytes:
    """``value`` as compact JSON in UTF-8, exactly as the standard library writes it."""
    try:
        text = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a key that is not a string
        return _ENCODER.encode(value).encode()
    return _ENCODER.encode(value).encode() if _UNLIKE_PYTHON.search(text) else text


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()


def json_loads(text: str) -> Any:
    """``json.loads``, by orjson unless the text may hold an integer it would round."""
    return _json_decode(text) if _LONG_NUMBER.search(text) else orjson.loads(text)
