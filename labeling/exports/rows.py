"""The bulk formats' reads on PostgreSQL: rows instead of records, the next chunk read while this one is written.

``row_chunks`` yields the items ``records.version_chunks`` yields, in the same order and with the
same final labels, but as rows: the item's columns as the cursor gives them (JSON as text), and
each annotation in the shape its writer needs:

- ``JSON_TEXT`` (JSON Lines, CSV): the annotation object as ``dumps`` writes it, composed by the
  server (uuid, name, times as ``isoformat`` writes them, all as text); a value that is a JSON
  string goes in as the server prints it, which is how ``dumps`` writes a string (the same escapes),
  any other value is left out for Python to write;
- ``COLUMNS`` (Parquet): the chunk's annotations in one row, each field's values packed into one
  ``bytea`` (binary integers; lengths and bytes of text; times in microseconds since 1970), which
  the writer turns into Arrow arrays without a Python object per annotation.

Each chunk costs the same three queries as ``version_chunks`` (items, annotations, adjudications;
two more when an augmented item inherits its root's label). ``read_ahead`` runs the reading in a
thread on the caller's connection and transaction, one chunk ahead of the writer, so the server
(and the driver's waits) overlap with the encoding on a second core; at most three chunks are in
memory (the one written, one waiting, one being read).
"""

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from queue import Empty, Queue
from typing import Any, TypeVar

import numpy as np
from django.contrib.auth import get_user_model
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

from datasets.models import Item
from labeling.exports.records import (
    ITEM_COLUMNS,
    adjudicated_of,
    augmentation_of,
    dumps,
    fetch_rows,
    final_labels_of,
    inherited_of,
    json_loads,
    value_of,
)
from labeling.models import Annotation

JSON_TEXT = "json"
COLUMNS = "columns"
CHUNK_SIZE = 10_000

_ANNOTATIONS = Annotation._meta.db_table
_USERS = get_user_model()._meta.db_table


def _iso(column: str) -> str:
    """SQL for ``datetime.isoformat()`` of a UTC time: microseconds in six digits unless zero."""
    moment = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({moment}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || COALESCE(NULLIF(to_char({moment}, '.US'), '.000000'), '') || '+00:00'"
    )


# Each item's annotations, in the order they were made, as the text of a JSON list's items (each
# object as ``dumps`` writes it, its value left empty, ``,"value":,``, unless it is a string) and
# their values' JSON texts joined by a unit separator (JSON text never holds a raw control character).
_ANNOTATION_JSON = (
    """'{"uuid":"' || a.uuid::text || '","annotator":' || to_json(u.username)::text || ',"value":'"""
    " || CASE WHEN jsonb_typeof(a.value) = 'string' THEN a.value::text ELSE '' END"
    """ || ',"revision":' || a.revision::text"""
    f""" || ',"created_at":"' || {_iso("a.created_at")} || '","updated_at":"' || {_iso("a.updated_at")}"""
    """ || '","origin":' || to_json(a.origin)::text"""
    """ || ',"import_batch":' || COALESCE('"' || a.import_batch_id::text || '"', 'null') || '}'"""
)
VALUE_SEPARATOR = "\x1f"
# Grouped over a subquery sorted by item and id: PostgreSQL keeps a subquery's ORDER BY (it never
# pulls a sorted subquery up) and aggregates rows in the order they come, without the sort per
# item an ORDER BY inside each aggregate costs (a third of the query's time, measured).
_JSON_SQL = f"""
    SELECT item_id, string_agg(annotation, ','), string_agg(value, E'\\x1f') FROM (
        SELECT a.item_id, {_ANNOTATION_JSON} AS annotation, a.value::text AS value
        FROM {_ANNOTATIONS} a JOIN {_USERS} u ON u.id = a.annotator_id
        WHERE a.item_id BETWEEN %s AND %s AND a.item_id = ANY(%s::bigint[]) ORDER BY a.item_id, a.id
    ) AS annotations GROUP BY item_id
"""
_NONE = _TIE = (None, None)
_NEXT_STRING = VALUE_SEPARATOR + '"'
_EMPTY_VALUE = ',"value":,'
_VALUE_AT = len(',"value":')


def _packed_text(column: str) -> str:
    """A text column packed as its values' UTF-8 lengths (-1: null) and their bytes, both ``bytea``."""
    return (
        f"string_agg(int4send(COALESCE(octet_length({column}), -1)), ''::bytea),"
        f" string_agg(convert_to(COALESCE({column}, ''), 'UTF8'), ''::bytea)"
    )


# The chunk's annotations in one row: each column's values packed into one value (binary integers,
# or lengths and bytes of text) in the order of item and id, so that no Python object is made per
# annotation but its value's text; every aggregate sees the sorted subquery's rows in its order.
_PACKED_SQL = f"""
    SELECT count(*), string_agg(int8send(item_id), ''::bytea), string_agg(value, E'\\x1f'),
           {_packed_text("uuid")}, {_packed_text("username")}, string_agg(int4send(revision), ''::bytea),
           string_agg(int8send(created), ''::bytea), string_agg(int8send(updated), ''::bytea),
           {_packed_text("origin")}, {_packed_text("import_batch")}
    FROM (
        SELECT a.item_id, a.value::text AS value, a.uuid::text AS uuid, u.username, a.revision,
               (extract(epoch FROM a.created_at) * 1000000)::bigint AS created,
               (extract(epoch FROM a.updated_at) * 1000000)::bigint AS updated,
               a.origin, a.import_batch_id::text AS import_batch
        FROM {_ANNOTATIONS} a JOIN {_USERS} u ON u.id = a.annotator_id
        WHERE a.item_id BETWEEN %s AND %s AND a.item_id = ANY(%s::bigint[]) ORDER BY a.item_id, a.id
    ) AS annotations
"""
PACKED_COLUMNS = ("count", "item", "values", "uuid", "uuid_bytes", "annotator", "annotator_bytes", "revision",
                  "created", "updated", "origin", "origin_bytes", "import_batch", "import_batch_bytes")  # fmt: skip

_VALUES_SQL = (
    f"SELECT item_id, value::text FROM {_ANNOTATIONS}"
    " WHERE item_id BETWEEN %s AND %s AND item_id = ANY(%s::bigint[]) ORDER BY item_id, id"
)


@dataclass
class RowChunk:
    """A chunk of items as rows.

    ``rows``: ``ITEM_COLUMNS`` per item, JSON as text; with ``JSON_TEXT`` two more: the annotations'
    JSON texts joined by commas (``with_values`` puts in values that are not strings) and their
    values' JSON texts joined by ``VALUE_SEPARATOR``, both None for an item with none.
    ``packed`` (``COLUMNS`` only): ``PACKED_COLUMNS`` of every annotation of the chunk in the order of
    item and id, as ``_PACKED_SQL`` packs them; ``offsets``: where each item's annotations start in
    them (one more at the end); ``value_texts``: their values' JSON texts.
    ``finals``: per item id, the final label's JSON text (None: null) and its source.
    """

    shape: str
    rows: list[tuple]
    finals: dict[int, tuple[str | None, str | None]]
    packed: dict[str, Any] | None = None
    offsets: list[int] | None = None
    value_texts: list[str] | None = None
    all_strings: bool = False  # every value of ``value_texts`` is a JSON string

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def last_id(self) -> int:
        return self.rows[-1][0]

    @staticmethod
    def augmentation(row: tuple) -> dict[str, Any] | None:
        return augmentation_of(row) if row[7] is not None else None


def with_values(texts: str, values_text: str) -> str:
    """The annotations' JSON texts of a ``JSON_TEXT`` row with every value that is not a string put in."""
    if _EMPTY_VALUE not in texts:
        return texts
    values = iter(value for value in values_text.split(VALUE_SEPARATOR) if value[0] != '"')
    parts = texts.split(_EMPTY_VALUE)
    return "".join(
        part if index == 0 else f',"value":{dumps(json_loads(next(values)))},{part}' for index, part in enumerate(parts)
    )


def _ids_params(ids: list[int]) -> list:
    """The parameters of ``BETWEEN %s AND %s AND item_id = ANY(%s)`` for ids in ascending order: the
    range makes PostgreSQL scan the index (with the list alone it estimates a large chunk as a
    sequential scan of the whole table, measured at a million items); the list, one text
    parameter, keeps a selection's rows only."""
    return [ids[0], ids[-1], "{" + ",".join(map(str, ids)) + "}"]


def row_chunks(
    *, items: QuerySet[Item], shape: str, db: BaseDatabaseWrapper, chunk_size: int | None = None
) -> Iterator[RowChunk]:
    """``items`` (in id order) by keyset chunks of ``chunk_size``, read on ``db``."""
    size = chunk_size or CHUNK_SIZE
    columns = items.values_list(*ITEM_COLUMNS)
    last_id = 0
    while True:
        page = columns.filter(id__gt=last_id)[:size]
        rows = fetch_rows(page, db)
        if not rows:
            return
        item_ids = [row[0] for row in rows]
        extra: dict[str, Any] = {}
        if shape == JSON_TEXT:
            with db.cursor() as cursor:
                cursor.execute(_JSON_SQL, _ids_params(item_ids))
                grouped = {item_id: (texts, values) for item_id, texts, values in cursor.fetchall()}
            rows = [(*row, *grouped.get(row[0], _NONE)) for row in rows]
            finals = _json_finals(rows, adjudicated_of(item_ids, db))
        else:
            with db.cursor() as cursor:
                cursor.execute(_PACKED_SQL, _ids_params(item_ids))
                packed = dict(zip(PACKED_COLUMNS, cursor.fetchone(), strict=True))
            count = packed["count"]
            annotated = np.frombuffer(packed["item"] or b"", ">i8")
            offsets = [*np.searchsorted(annotated, np.array(item_ids, dtype=np.int64)).tolist(), count]
            values_text = packed["values"] or ""
            texts = values_text.split(VALUE_SEPARATOR) if count else []
            # every value a string (most chunks): counted by their text, with no test per item
            strings = count > 0 and values_text[0] == '"' and values_text.count(_NEXT_STRING) == count - 1
            adjudicated = adjudicated_of(item_ids, db)
            finals = {}
            for index, item_id in enumerate(item_ids):
                part = texts[offsets[index] : offsets[index + 1]]
                if item_id in adjudicated:
                    finals[item_id] = (_json(adjudicated[item_id]), "adjudication")
                elif not part:
                    finals[item_id] = _TIE
                elif strings:
                    finals[item_id] = (part[0], "consensus") if len(part) == 1 else _string_majority(part)
                else:
                    finals[item_id] = _texts_final(item_id, part)
            extra = {"packed": packed, "offsets": offsets, "value_texts": texts, "all_strings": strings}
        last_id = rows[-1][0]
        lineage = {row[0]: row for row in rows if row[7] is not None}
        if lineage:
            inherited = inherited_of(finals, lineage, lambda roots: _root_values(roots, db), db)
            finals.update({item_id: (dumps(value), source) for item_id, (value, source) in inherited.items()})
        yield RowChunk(shape=shape, rows=rows, finals=finals, **extra)
        if len(rows) < size:
            return


def _json_finals(rows: list[tuple], adjudicated: dict[int, Any]) -> dict[int, tuple[str | None, str | None]]:
    """``final_labels_of`` from the values' JSON texts: strings (most labels) counted as their text."""
    finals: dict[int, tuple[str | None, str | None]] = {}
    for row in rows:
        item_id, values_text = row[0], row[-1]
        if item_id in adjudicated:
            value = adjudicated[item_id]
            finals[item_id] = (_json(value), "adjudication")
        elif values_text is None:
            finals[item_id] = (None, None)
        elif values_text[0] == '"' and VALUE_SEPARATOR not in values_text:  # one annotation, a string
            finals[item_id] = (values_text, "consensus")
        else:
            finals[item_id] = _texts_final(item_id, values_text.split(VALUE_SEPARATOR))
    return finals


def _texts_final(item_id: int, texts: list[str]) -> tuple[str | None, str | None]:
    """The final label of annotations given as their values' JSON texts, none adjudicated."""
    if not texts:
        return _TIE
    if all(text[0] == '"' for text in texts):
        return (texts[0], "consensus") if len(texts) == 1 else _string_majority(texts)
    values = {item_id: [value_of(text) for text in texts]}
    value, source = final_labels_of(item_ids=[item_id], values=values, adjudicated={})[item_id]
    return _json(value), source


def _string_majority(texts: list[str]) -> tuple[str | None, str | None]:
    """The majority of string labels given as their JSON texts (two or more), None on a tie."""
    if len(texts) == 2:
        return (texts[0], "consensus") if texts[0] == texts[1] else _TIE
    if len(texts) == 3:
        first, second, third = texts
        if first in (second, third):
            return first, "consensus"
        return (second, "consensus") if second == third else _TIE
    counts = Counter(texts)
    top = max(counts.values())
    winners = [text for text, count in counts.items() if count == top]
    return (winners[0], "consensus") if len(winners) == 1 else _TIE


def _json(value: Any) -> str | None:
    return None if value is None else dumps(value)


def values_in(values_text: str | None) -> list[Any]:
    """The annotation values of a ``JSON_TEXT`` row, decoded."""
    return [] if values_text is None else [value_of(text) for text in values_text.split(VALUE_SEPARATOR)]


def _root_values(roots: list[int], db: BaseDatabaseWrapper) -> dict[int, list[Any]]:
    values: dict[int, list[Any]] = {}
    with db.cursor() as cursor:
        cursor.execute(_VALUES_SQL, _ids_params(roots))
        for item_id, value in cursor.fetchall():
            values.setdefault(item_id, []).append(value_of(value))
    return values


T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(chunks: Iterator[T], *, db: BaseDatabaseWrapper) -> Iterator[T]:
    """``chunks``, read by a thread one chunk ahead on ``db`` (the caller's connection, so the same
    transaction and snapshot). The caller must not use ``db`` for anything else meanwhile but
    statements of its own that psycopg serialises (a progress update)."""
    queue: Queue = Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                queue.put(chunk)
            queue.put(_DONE)
        except BaseException as error:  # handed to the caller, raised there
            queue.put(_Failed(error))

    db.inc_thread_sharing()
    reader = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            got = queue.get()
            if got is _DONE:
                return
            if isinstance(got, _Failed):
                raise got.error
            yield got
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on a full queue see the stop
            with suppress(Empty):
                queue.get(timeout=0.05)
        reader.join()
        db.dec_thread_sharing()
