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

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
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
_POLICY = ITEM_COLUMNS.index("augmentation__label_policy")

# Plain rows with text columns: PostgreSQL's text output costs it less than building JSON (measured
# in bench/export.py), and the driver then makes no Python object per UUID, JSON value or time.
_ANNOTATIONS_SQL = f"""
    SELECT a.item_id, a.uuid::text, u.username, a.value::text, a.revision, (a.created_at AT TIME ZONE 'UTC')::text,
           (a.updated_at AT TIME ZONE 'UTC')::text, a.origin, a.import_batch_id
    FROM {Annotation._meta.db_table} a JOIN {get_user_model()._meta.db_table} u ON u.id = a.annotator_id
    WHERE a.item_id BETWEEN %s AND %s AND a.item_id = ANY(%s) ORDER BY a.item_id, a.id
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
        rows = fetch_rows(columns.filter(id__gt=last_id)[:size])
        if not rows:
            return
        last_id = rows[-1][0]
        item_ids = [row[0] for row in rows]
        annotations = _annotations_of(item_ids=item_ids)
        values = {item_id: [a["value"] for a in found] for item_id, found in annotations.items()}
        finals = final_labels_of(item_ids=item_ids, values=values, adjudicated=adjudicated_of(item_ids))
        lineage = {row[0]: row for row in rows if row[7] is not None}
        inherited = inherited_of(finals, lineage) if lineage else {}
        chunk = []
        for row in rows:
            item_id = row[0]
            final, final_source = inherited.get(item_id) or finals[item_id]
            augmentation = augmentation_of(row) if item_id in lineage else None
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


def fetch_rows(queryset: QuerySet, db: BaseDatabaseWrapper | None = None) -> list[tuple]:
    """The rows of a ``values_list`` queryset straight from the cursor: JSON columns stay text.
    ``db``: the connection to read on (a thread reading ahead passes its caller's)."""
    sql, params = queryset.query.sql_with_params()
    with (db or connections[queryset.db]).cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _pg_iso(text: str) -> str:
    """PostgreSQL's text of a time in UTC (``2024-05-01 12:00:00.12``) as ``datetime.isoformat``
    writes it (``2024-05-01T12:00:00.120000+00:00``): microseconds in six digits unless zero."""
    moment, _, fraction = text.partition(".")
    if fraction:
        moment = f"{moment}.{fraction:0<6}"
    return moment.replace(" ", "T", 1) + "+00:00"


def adjudicated_of(item_ids: list[int], db: BaseDatabaseWrapper | None = None) -> dict[int, Any]:
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
    for item_id, value in fetch_rows(rows, db):
        if item_id in wanted and item_id not in newest:
            newest[item_id] = _loads(value)
    return newest


def value_of(text: str) -> Any:
    """A JSON value from its text, a plain string (most labels) taken as it is."""
    return text[1:-1] if text[0] == '"' and "\\" not in text else json_loads(text)


def _loads(text: Any) -> Any:
    return json_loads(text) if isinstance(text, str) else text


def augmentation_of(row: tuple) -> Record:
    lineage = dict(zip(LINEAGE_FIELDS[1:], row[7 : len(ITEM_COLUMNS)], strict=True))
    lineage["params"] = _loads(row[_PARAMS])
    return lineage


def final_labels_of(
    *, item_ids: list[int], values: dict[int, list[Any]], adjudicated: dict[int, Any]
) -> dict[int, tuple[Any, str | None]]:
    """``final_labels`` for a chunk (``values``: each item's annotation values in order), with labels
    that are plain strings counted without a canonical JSON text each (strings are their own canonical form)."""
    finals: dict[int, tuple[Any, str | None]] = {}
    for item_id in item_ids:
        if item_id in adjudicated:
            finals[item_id] = (adjudicated[item_id], "adjudication")
            continue
        values_of = values.get(item_id, ())
        if all(type(value) is str for value in values_of):
            counts: dict[str, int] = {}
            for value in values_of:
                counts[value] = counts.get(value, 0) + 1
            top = max(counts.values(), default=0)
            winners = [value for value, count in counts.items() if count == top]
            finals[item_id] = (winners[0], "consensus") if len(winners) == 1 else (None, None)
            continue
        value, _, tie = majority_of(list(values_of))
        finals[item_id] = (value, "consensus") if value is not None and not tie else (None, None)
    return finals


def inherited_of(
    finals: dict[int, tuple[Any, str | None]],
    lineage: dict[int, tuple],
    root_values: Callable[[list[int]], dict[int, list[Any]]] | None = None,
    db: BaseDatabaseWrapper | None = None,
) -> dict[int, tuple[Any, str]]:
    """The root's final label for ``inherit`` items that people left unlabeled: two queries per chunk
    (``root_values``: the roots' annotation values, read as the caller reads them)."""
    waiting = {
        item_id: row[6]
        for item_id, row in lineage.items()
        if row[_POLICY] == LabelPolicy.INHERIT and finals[item_id][0] is None
    }
    if not waiting:
        return {}
    roots = sorted(set(waiting.values()))
    if root_values is None:
        values = {item_id: [a["value"] for a in found] for item_id, found in _annotations_of(item_ids=roots).items()}
    else:
        values = root_values(roots)
    root_finals = final_labels_of(item_ids=roots, values=values, adjudicated=adjudicated_of(roots, db))
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
            cursor.execute(_ANNOTATIONS_SQL, [item_ids[0], item_ids[-1], item_ids])  # the range: an index scan
            for item_id, uuid, username, value, revision, created_at, updated_at, origin, batch in cursor.fetchall():
                by_item[item_id].append(
                    {
                        "uuid": uuid,
                        "annotator": username,
                        "value": value_of(value),
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
    return content_text(record["data"], column)


def content_in(data_text: str, column: str) -> str | None:
    """``content_text`` of an item's data given as its JSON text; data that is one string under
    ``column`` (most items) is read without parsing the whole object."""
    prefix = f'{{"{column}": '
    if data_text.startswith(prefix) and data_text.count('"') == 4 and data_text[-1] == "}":
        return value_of(data_text[len(prefix) : -1])
    return content_text(_loads(data_text), column)


def compact_json(text: str | None) -> str:
    """``dumps`` of the JSON value PostgreSQL printed as ``text`` (with spaces after ``,`` and ``:``):
    an object of one string, as most items' data, by moving a space; a value seen lately from a
    cache (metadata repeats); anything else parsed and written again."""
    if text is None:
        return "null"
    if text.startswith('{"') and text.endswith('"}') and text.count('"') == 4:
        return text.replace('": "', '":"', 1)
    return _compact_cached(text)


_FALSY = frozenset(("null", "{}", "[]", '""', "false", "0", "0.0", "-0.0"))


def metadata_cell(text: str | None) -> str:
    """``dumps(metadata or {})`` of metadata given as PostgreSQL's JSON text."""
    value = compact_json(text)
    return "{}" if value in _FALSY else value


@functools.lru_cache(maxsize=4096)
def _compact_cached(text: str) -> str:
    return dumps(json_loads(text))


def content_text(data: Record | None, column: str) -> str | None:
    """The item's content (its text or image) from its data, as a cell holds it."""
    value = (data or {}).get(column)
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
    return labels_in([annotation["value"] for annotation in record["annotations"]], task_type)


def labels_in(values: list[Any], task_type: str) -> list[str]:
    """The labels of annotation values, once each, in order of first appearance."""
    if task_type not in (TaskType.MULTILABEL, TaskType.SPANS):
        return list(dict.fromkeys(value if type(value) is str else str(value) for value in values if value is not None))
    seen: dict[str, None] = {}
    for value in values:
        for label in value_labels(value, task_type):
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
    if (b"e-" in text or b"e+" in text or b"0.0000" in text) and _UNLIKE_PYTHON.search(text):  # a cheap test first
        return _ENCODER.encode(value).encode()
    return text


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()


def json_loads(text: str) -> Any:
    """``json.loads``, by orjson unless the text may hold an integer it would round."""
    return _json_decode(text) if _LONG_NUMBER.search(text) else orjson.loads(text)
