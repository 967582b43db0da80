"""Writing a chunk of new items: COPY on PostgreSQL, bulk inserts elsewhere.

The caller guarantees that one batch at a time writes to a project, so duplicates
can be filtered before the write instead of by conflicts during it; the unique
constraint on (project, content_hash) still holds the line if that ever fails.
"""

import io
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection

from projects.models import Item
from quality.batch_files import ItemChunk, content_hashes

LOOKUP_SLICE = 5_000
COPY_COLUMNS = ("project_id", "batch_id", "external_id", "data", "metadata", "content_hash")


def existing_hashes(*, project_id: int, hashes: list[str]) -> set[str]:
    """Which of ``hashes`` the project already holds."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT content_hash FROM {Item._meta.db_table} WHERE project_id = %s AND content_hash = ANY(%s)",
                [project_id, hashes],
            )
            return {row[0] for row in cursor.fetchall()}
    found: set[str] = set()
    for start in range(0, len(hashes), LOOKUP_SLICE):
        part = hashes[start : start + LOOKUP_SLICE]
        found.update(
            Item.objects.filter(project_id=project_id, content_hash__in=part).values_list("content_hash", flat=True)
        )
    return found


def write_chunk(
    *, project_id: int, batch_id: str, content_key: str, chunk: ItemChunk, seen: set[str], project_has_items: bool
) -> tuple[int, int]:
    """Store the chunk's new items; return (added, duplicates).

    ``seen`` holds the hashes written earlier in this batch and is updated, so a row
    repeated within the batch counts as a duplicate too.
    """
    hashes = content_hashes(chunk.content)
    stored = existing_hashes(project_id=project_id, hashes=hashes) if project_has_items else set()
    keep = []
    for value in hashes:
        fresh = value not in seen and value not in stored
        keep.append(fresh)
        if fresh:
            seen.add(value)
    added = sum(keep)
    if not added:
        return 0, len(hashes)
    mask = pa.array(keep, pa.bool_())
    content = chunk.content.filter(mask)
    data_json = pc.binary_join_element_wise(
        "{" + json.dumps(content_key) + ": ",
        pa.array([json.dumps(v, ensure_ascii=False) for v in content.to_pylist()], pa.string()),
        "}",
        "",
    )
    columns = {
        "external_id": chunk.external_id.filter(mask),
        "data": data_json,
        "metadata": chunk.metadata_json.filter(mask),
        "content_hash": pa.array(hashes, pa.string()).filter(mask),
    }
    if connection.vendor == "postgresql":
        _copy(project_id=project_id, batch_id=batch_id, columns=columns)
    else:
        _bulk_insert(project_id=project_id, batch_id=batch_id, columns=columns)
    return added, len(hashes) - added


def _copy(*, project_id: int, batch_id: str, columns: dict[str, pa.Array]) -> None:
    rows = len(columns["data"])
    table = pa.table(
        {
            "project_id": pa.array([project_id] * rows, pa.int64()),
            "batch_id": pa.array([batch_id] * rows, pa.string()),
            **columns,
        }
    )
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, write_options=pa_csv.WriteOptions(include_header=False))
    sql = f"COPY {Item._meta.db_table} ({', '.join(COPY_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        view = buffer.getbuffer()
        for start in range(0, len(view), 1024 * 1024):
            copy.write(view[start : start + 1024 * 1024])
        del view


def _bulk_insert(*, project_id: int, batch_id: str, columns: dict[str, pa.Array]) -> None:
    items = [
        Item(
            project_id=project_id,
            batch_id=batch_id,
            external_id=external_id,
            data=json.loads(data),
            metadata=json.loads(metadata),
            content_hash=content_hash,
        )
        for external_id, data, metadata, content_hash in zip(
            columns["external_id"].to_pylist(),
            columns["data"].to_pylist(),
            columns["metadata"].to_pylist(),
            columns["content_hash"].to_pylist(),
            strict=True,
        )
    ]
    Item.objects.bulk_create(items, batch_size=2_000)
