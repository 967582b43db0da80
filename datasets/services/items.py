"""Writing a chunk of new items: binary COPY on PostgreSQL, bulk inserts elsewhere.

The caller guarantees that one batch at a time writes to a project, so duplicates
can be filtered before the write instead of by conflicts during it; the unique
constraint on (project, content_hash) still holds the line if that ever fails.

On PostgreSQL the COPY stream is assembled by Arrow kernels, column by column, never
row by row in Python: the binary format needs no escaping, and the rows of a chunk
end up back to back in one buffer that goes to the server as it is.
"""

import json
import struct
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from datasets.files.reader import ItemChunk, content_hashes, json_strings
from datasets.models import Item

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
    hashes = chunk.hashes if chunk.hashes is not None else content_hashes(chunk.content)
    stored = existing_hashes(project_id=project_id, hashes=hashes) if project_has_items else set()
    keep = _first_unseen(hashes, seen, stored)
    added = int(keep.sum())
    if not added:
        return 0, len(hashes)
    everything = added == len(hashes)
    mask = pa.array(keep, pa.bool_())

    def kept(column: pa.Array) -> pa.Array:
        return column if everything else column.filter(mask)

    data_json = pc.binary_join_element_wise(
        "{" + json.dumps(content_key) + ": ", json_strings(kept(chunk.content)), "}", ""
    )
    columns = {
        "external_id": kept(chunk.external_id),
        "data": data_json,
        "metadata": kept(chunk.metadata_json),
        "content_hash": kept(pa.array(hashes, pa.string())),
    }
    if connection.vendor == "postgresql":
        _copy(project_id=project_id, batch_id=batch_id, columns=columns)
    else:
        _bulk_insert(project_id=project_id, batch_id=batch_id, columns=columns)
    return added, len(hashes) - added


def _first_unseen(hashes: list[str], seen: set[str], stored: set[str]) -> np.ndarray:
    """A mask of the rows to write: first of their hash in the batch, not stored before; updates ``seen``."""
    keep = np.zeros(len(hashes), dtype=bool)
    add = seen.add
    for index, value in enumerate(hashes):
        if value not in seen and value not in stored:
            keep[index] = True
            add(value)
    return keep


# PostgreSQL's binary COPY: a signature, flags and header extension length, then rows
# (a 16-bit field count, each field as a 32-bit length and its bytes), then -1.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)
JSONB_VERSION = b"\x01"
WRITE_BYTES = 4 * 1024 * 1024


def _length_prefixes(column: pa.Array, extra: int = 0) -> pa.Array:
    """Each value's byte length (+ ``extra``) as a 4-byte big-endian binary value."""
    lengths = pc.binary_length(column).to_numpy(zero_copy_only=False).astype(np.int64) + extra
    packed = lengths.astype(">i4")
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4), len(packed), [None, pa.py_buffer(packed.tobytes())])
    return fixed.cast(pa.large_binary())


def copy_rows(*, project_id: int, batch_id: str, columns: dict[str, pa.Array]) -> pa.Buffer:
    """The chunk's rows in binary COPY format for ``COPY_COLUMNS``, back to back in one buffer."""

    def blob(value: bytes) -> pa.Scalar:
        return pa.scalar(value, pa.large_binary())

    external_id, data, metadata, content_hash = (
        columns[name].cast(pa.large_binary()) for name in ("external_id", "data", "metadata", "content_hash")
    )
    row_start = struct.pack("!hiqi", len(COPY_COLUMNS), 8, project_id, 16) + uuid.UUID(batch_id).bytes
    rows = pc.binary_join_element_wise(
        blob(row_start),
        _length_prefixes(external_id),
        external_id,
        _length_prefixes(data, 1),
        blob(JSONB_VERSION),
        data,
        _length_prefixes(metadata, 1),
        blob(JSONB_VERSION),
        metadata,
        _length_prefixes(content_hash),
        content_hash,
        blob(b""),
    )
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return rows.buffers()[2][start:end]


def _copy(*, project_id: int, batch_id: str, columns: dict[str, pa.Array]) -> None:
    payload = memoryview(copy_rows(project_id=project_id, batch_id=batch_id, columns=columns))
    sql = f"COPY {Item._meta.db_table} ({', '.join(COPY_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(COPY_HEADER)
        for start in range(0, len(payload), WRITE_BYTES):
            copy.write(payload[start : start + WRITE_BYTES])
        copy.write(COPY_TRAILER)


def _bulk_insert(*, project_id: int, batch_id: str, columns: dict[str, pa.Array]) -> None:
    """Plain INSERTs with the JSON text as it is: the column stores text, so parsing each
    row into Python and serialising it again (what model instances would do) buys nothing."""
    table = Item._meta.db_table
    batch_value = Item._meta.get_field("batch").get_db_prep_value(batch_id, connection)
    rows = zip(
        columns["external_id"].to_pylist(),
        columns["data"].to_pylist(),
        columns["metadata"].to_pylist(),
        columns["content_hash"].to_pylist(),
        strict=True,
    )
    sql = (
        f"INSERT INTO {table} (project_id, batch_id, external_id, data, metadata, content_hash) "
        "VALUES (%s, %s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(project_id, batch_value, *row) for row in rows])


def items_discard(*, batch_id: str) -> None:
    """Drop what a run of the batch wrote: it never joined a version, so nothing else sees it."""
    Item.objects.filter(batch_id=batch_id).delete()


def invisible_items_delete(*, project_id: int) -> None:
    """Items of batches without a version are leftovers of runs that died; nothing sees them."""
    Item.objects.filter(project_id=project_id, batch__version__isnull=True).delete()


def project_has_items(*, project_id: int) -> bool:
    return Item.objects.filter(project_id=project_id).exists()
