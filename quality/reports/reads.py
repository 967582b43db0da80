"""The report's two large reads as numpy arrays: a version's annotations, and its items' slice columns.

On PostgreSQL the server codes every value in SQL (none null), packs each column's binary values
into one ``bytea`` and hands the few values over by binary COPY; numpy reads them in one pass, with
no message and no Python object per row. Elsewhere (SQLite, small projects) the same arrays come
from ordinary queries.
"""

from dataclasses import dataclass, replace

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Max

from config.packed import MAX_PACKED_BYTES, Packed, copied_rows, read_packed
from datasets.models import DatasetVersion, Item
from datasets.selectors import JSONText, version_batch_ids
from labeling.models import Annotation
from labeling.review.data import (
    SECONDS_PER_WEEK,
    SINGLE_LABEL,
    WEEK_SHIFT_SECONDS,
    AnnotationArrays,
    JSONScalarText,
    annotation_arrays,
    annotations_queryset,
)
from projects.models import Project

HASH_LENGTH = 64  # a content hash is a SHA-256 hex digest
CHUNK_ITEMS = 50_000
# Bytes of the server's text (UTF8, as Django's PostgreSQL databases are): ``textsend`` hands them over as they
# are (the client's encoding is UTF8 too); ``convert_to`` would copy each value through a conversion, 3x slower.
HASH_WIDE = f"octet_length(content_hash) = {HASH_LENGTH}"
HASH_ZEROS = f"decode(repeat('00', {HASH_LENGTH}), 'hex')"
# labeling's label index expression, as PostgreSQL spells it (a query must repeat it to the letter to use the
# index), and the covering index's predicate: only scalar string values (labels) are in it
LABEL = "(value #>> '{}'::text[])"
STRING_VALUE = "jsonb_typeof(value) = 'string'"
POSTGRES_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01, where PostgreSQL's binary timestamps count from


def _fast() -> bool:
    return connection.vendor == "postgresql"


def item_id_range(batches: list) -> tuple[int, int]:
    """The lowest and highest item id of the batches (each batch's ends read from its (batch, id) index)."""
    sql = (
        f"SELECT min(lo), max(hi) FROM unnest(%s::uuid[]) AS b(id), LATERAL"
        f" (SELECT min(id) AS lo, max(id) AS hi FROM {Item._meta.db_table} WHERE batch_id = b.id) AS ends"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [batches])
        low, high = cursor.fetchone()
    return (int(low), int(high)) if low is not None else (0, -1)


def weeks_of(timestamps_us: np.ndarray, *, week_seconds: int, shift_seconds: int) -> np.ndarray:
    """``EpochWeek`` of PostgreSQL binary timestamps (microseconds since 2000): seconds since 1970 rounded
    half up, as ``EXTRACT(EPOCH ...)::bigint`` rounds, then whole weeks."""
    seconds = (timestamps_us.astype(np.int64) + POSTGRES_EPOCH_US + 500_000) // 1_000_000
    return (seconds + shift_seconds) // week_seconds


def dense(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` by counting when the ids are dense (no sort)."""
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    low, high = int(ids.min()), int(ids.max())
    if high - low > 4 * ids.size:
        distinct, inverse = np.unique(ids, return_inverse=True)
        return distinct.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    present = np.zeros(high - low + 1, dtype=bool)
    present[ids - low] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64) + low, rank[ids - low]


def _whole_project(project: Project, version: int) -> bool:
    """Whether the version's annotations are all the project's (its newest version: see ``annotations_queryset``)."""
    newest = DatasetVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"]
    return newest is not None and version >= newest


def _by_label(project: Project, ids: tuple[int, int]) -> dict[str, np.ndarray] | None:
    """Item and annotator of each of the project's annotations, label by label, or None when some
    annotation holds a value that is not one of the project's labels (those take the general read).

    Each label's rows come from an index-only scan of ``annotation_label_covering`` (labeling's
    migration of that name): the label is the index's key and the query's constant, so no row's
    JSON is read, and two columns are packed instead of three. The project's count of annotations
    (an index-only scan too) tells whether every annotation was read; all in one snapshot.
    """
    table = Annotation._meta.db_table
    sql = (
        "SELECT l.code, p.n, p.items, p.annotators FROM unnest(%s::text[]) WITH ORDINALITY AS l(name, code)"
        " CROSS JOIN LATERAL (SELECT count(*) AS n, string_agg(int8send(item_id), ''::bytea) AS items,"
        " string_agg(int8send(annotator_id::int8), ''::bytea) AS annotators"
        f" FROM {table} WHERE project_id = %s AND {STRING_VALUE} AND {LABEL} = l.name"
        " AND item_id >= %s AND item_id < %s) AS p"
    )
    span = max(1, MAX_PACKED_BYTES // 16)
    items, annotators, codes = [], [], []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:  # one snapshot for every statement (only the first statement of a transaction may ask)
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET LOCAL jit = off")
        for low in range(ids[0], ids[1] + 1, span):
            for code, count, item_bytes, annotator_bytes in copied_rows(
                sql, [list(project.label_names), project.pk, low, low + span]
            ):
                n = int.from_bytes(count, "big")
                if n:
                    items.append(item_bytes)
                    annotators.append(annotator_bytes)
                    codes.append(np.full(n, int.from_bytes(code, "big") - 1, dtype=np.int64))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE project_id = %s", [project.pk])
            (total,) = cursor.fetchone()
    if sum(len(c) for c in codes) != total:
        return None
    if not codes:
        return {"item": np.zeros(0, ">i8"), "annotator": np.zeros(0, ">i8"), "code": np.zeros(0, np.int64)}
    return {
        "item": np.frombuffer(b"".join(items), dtype=">i8"),
        "annotator": np.frombuffer(b"".join(annotators), dtype=">i8"),
        "code": np.concatenate(codes),
    }


def version_annotations(*, project: Project, version: int, weeks: bool = True) -> AnnotationArrays:
    """The same arrays as ``labeling.review.data.annotation_arrays``, read packed on PostgreSQL.

    ``weeks=False`` leaves out when each annotation changed (``weeks`` is then empty): only the
    agreement-over-time chart needs it. Without it, the newest version's annotations are read label
    by label from an index (``_by_label``): about a third of the server's work.
    """
    if not (_fast() and project.task_type in SINGLE_LABEL):
        arrays = annotation_arrays(project=project, version=version)
        return arrays if weeks else replace(arrays, weeks=np.zeros(0, dtype=np.int64))
    rows = (
        annotations_queryset(project=project, version=version)
        .annotate(label=JSONScalarText("value"))
        .order_by()
        .values_list("item_id", "annotator_id", "updated_at", "label")
    )
    inner, params = rows.query.sql_with_params()
    columns = [
        Packed("item", "item_id::int8", "int8send", ">i8"),
        Packed("annotator", "annotator_id::int8", "int8send", ">i8"),
        *(
            [Packed("updated", "COALESCE(updated_at, 'epoch'::timestamptz)", "timestamptz_send", ">i8")]
            if weeks
            else []
        ),
        Packed("code", "(COALESCE(array_position(%s::text[], label), 0) - 1)::int2", "int2send", ">i2"),
    ]
    batches = version_batch_ids(project=project, number=version)
    ids = item_id_range(batches)
    table = _by_label(project, ids) if not weeks and _whole_project(project, version) else None
    if table is None:  # the placeholders in order: the label names (in the packed columns), then the inner query's
        table = read_packed(inner, [list(project.label_names), *params], columns, chunk="item_id", ids=ids)
    item_ids, items = dense(table["item"].astype(np.int64))
    annotator_ids, annotators = dense(table["annotator"].astype(np.int64))
    names = dict(get_user_model().objects.filter(pk__in=annotator_ids.tolist()).values_list("pk", "username"))
    return AnnotationArrays(
        task_type=project.task_type,
        label_names=project.label_names,
        items=items,
        annotators=annotators.reshape(-1).astype(np.int64),
        item_ids=item_ids,
        annotator_ids=annotator_ids.astype(np.int64),
        usernames=[names.get(int(pk), str(pk)) for pk in annotator_ids.tolist()],
        weeks=(
            weeks_of(table["updated"], week_seconds=SECONDS_PER_WEEK, shift_seconds=WEEK_SHIFT_SECONDS)
            if weeks
            else np.zeros(0, dtype=np.int64)
        ),
        values=table["code"].astype(np.int64),
    )


@dataclass
class VersionItems:
    """Every item of a version, in id order: its content hash, whether its batch's validation found
    problems, and for each slice column the code of its value (``values[column][code - 1]``; 0: none)."""

    ids: np.ndarray
    hashes: np.ndarray | None  # fixed-width bytes; None when a hash is not 64 characters (read apart)
    flagged_batch: np.ndarray
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]


def column_values(version: DatasetVersion, columns: list[str], *, max_values: int) -> dict[str, dict[str, int]]:
    """Each column's distinct values (as text) among the version's items with their counts; a column
    with more than ``max_values`` values is left out. One scan of the items for all columns."""
    if not columns:
        return {}
    batches = version_batch_ids(project=version.project, number=version.number)
    if not batches:
        return {}
    counts: dict[str, dict[str, int]] = {}
    if _fast():
        sql = (
            f"SELECT c.key, i.metadata ->> c.key, count(*) FROM {Item._meta.db_table} AS i"
            " CROSS JOIN unnest(%s::text[]) AS c(key) WHERE i.batch_id = ANY(%s::uuid[])"
            " GROUP BY 1, 2"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [columns, batches])
            rows = cursor.fetchall()
    else:
        rows = []
        for column in columns:
            grouped = (
                Item.objects.filter(batch_id__in=batches)
                .annotate(v=JSONText("metadata", column))
                .values_list("v")
                .annotate(n=Count("id"))
                .order_by()
            )
            rows += [(column, value, n) for value, n in grouped]
    for column, value, n in rows:
        if value is not None:
            counts.setdefault(column, {})[value] = int(n)
    return {c: v for c, v in counts.items() if 1 < len(v) <= max_values}


def version_items(version: DatasetVersion, values: dict[str, list[str]], *, flagged_batches: list) -> VersionItems:
    """The version's items with their hashes, batch flag and coded slice values (one binary COPY on PostgreSQL)."""
    batches = version_batch_ids(project=version.project, number=version.number)
    columns = list(values)
    if _fast() and batches:
        return _items_copied(batches, values, flagged_batches)
    queryset = Item.objects.filter(batch_id__in=batches).order_by("pk")
    annotations = {f"c{n}": JSONText("metadata", column) for n, column in enumerate(columns)}
    ids, hashes, flagged, coded = [], [], [], {column: [] for column in columns}
    position = {column: {v: i + 1 for i, v in enumerate(values[column])} for column in columns}
    flagged_set = set(flagged_batches)
    for row in (
        queryset.annotate(**annotations)
        .values_list("pk", "content_hash", "batch_id", *annotations)
        .iterator(chunk_size=CHUNK_ITEMS)
    ):
        ids.append(row[0])
        hashes.append(row[1])
        flagged.append(row[2] in flagged_set)
        for n, column in enumerate(columns):
            coded[column].append(position[column].get(row[3 + n], 0))
    uniform = all(len(h) == HASH_LENGTH and h.isascii() for h in hashes)
    return VersionItems(
        ids=np.asarray(ids, dtype=np.int64),
        hashes=np.asarray([h.encode() for h in hashes], dtype=f"S{HASH_LENGTH}") if uniform else None,
        flagged_batch=np.asarray(flagged, dtype=bool),
        codes={column: np.asarray(coded[column], dtype=np.int64) for column in columns},
        values=values,
    )


def _items_copied(batches: list, values: dict[str, list[str]], flagged_batches: list) -> VersionItems:
    names = list(values)
    source = f"SELECT id, content_hash, batch_id, metadata FROM {Item._meta.db_table} WHERE batch_id = ANY(%s::uuid[])"
    columns = [
        Packed("id", "id::int8", "int8send", ">i8"),
        # a hash of another width reads as zeros (keeping the columns aligned) and the set's hash is read apart
        Packed(
            "hash", f"CASE WHEN {HASH_WIDE} THEN textsend(content_hash) ELSE {HASH_ZEROS} END", "", f"S{HASH_LENGTH}"
        ),
        Packed("flagged", "batch_id = ANY(%s::uuid[])", "boolsend", "?"),
    ]
    columns += [
        Packed(f"c{n}", "COALESCE(array_position(%s::text[], metadata ->> %s), 0)::int2", "int2send", ">i2")
        for n in range(len(names))
    ]
    params: list = [flagged_batches]
    for column in names:
        params += [values[column], column]
    params.append(batches)  # the source's placeholder comes last: the packed columns precede it in the query
    ids = item_id_range(batches)
    table = read_packed(source, params, columns, chunk="id", ids=ids, extra=f"bool_and({HASH_WIDE})")
    ids = table["id"].astype(np.int64)
    # id order, sorted here rather than by the server; rows usually arrive in it already (a table written in order)
    order = slice(None) if bool((ids[1:] > ids[:-1]).all()) else np.argsort(ids, kind="stable")
    uniform = all(flag == b"\x01" for flag in table["extra"])
    return VersionItems(
        ids=ids[order],
        hashes=table["hash"][order] if uniform else None,
        flagged_batch=table["flagged"].astype(bool)[order],
        codes={column: table[f"c{n}"].astype(np.int64)[order] for n, column in enumerate(names)},
        values=values,
    )
