"""Export of a dataset version with its labels, streamed in every format a team may need.

Reading (``records``) yields chunks of records; one generator per format turns them into
bytes as they come, so a response can stream a million items without holding them. On
PostgreSQL the bulk formats (JSON Lines, CSV, Parquet) read rows instead (``rows``), a chunk
ahead of the writer on a second thread, and write the same bytes.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections

from datasets.selectors import items_in_version
from labeling.exports.conll import write_conll
from labeling.exports.flat_csv import metadata_columns, write_flat_csv
from labeling.exports.labelstudio import write_labelstudio
from labeling.exports.parquet_format import write_parquet, write_parquet_rows
from labeling.exports.records import CHUNK_SIZE as RECORDS_CHUNK_SIZE
from labeling.exports.records import Chunk, ExportContext, version_annotators, version_chunks
from labeling.exports.rows import COLUMNS, JSON_TEXT, RowChunk, read_ahead, row_chunks
from labeling.exports.selection import FLAT, NESTED, ExportSelection
from labeling.exports.text_formats import write_csv, write_csv_rows, write_jsonl, write_jsonl_rows
from projects.models import Project, TaskType


@dataclass(frozen=True)
class ExportFormat:
    writer: Callable[[Iterable[Chunk], ExportContext], Iterator[bytes]]
    content_type: str
    suffix: str
    task_types: tuple[str, ...] | None = None  # None: every task type
    # The same bytes from ``rows.row_chunks`` of this shape, on PostgreSQL; None: records only.
    rows_writer: Callable[[Iterable[RowChunk], ExportContext], Iterator[bytes]] | None = None
    rows_shape: str = JSON_TEXT
    # Items a chunk of rows holds when the caller names none; None: ``rows.CHUNK_SIZE``. Parquet keeps
    # the records' chunk: a chunk is a row group, so the file stays the same whichever path wrote it.
    rows_chunk_size: int | None = None


FORMATS: dict[str, ExportFormat] = {
    "jsonl": ExportFormat(write_jsonl, "application/x-ndjson; charset=utf-8", ".jsonl", rows_writer=write_jsonl_rows),
    "csv": ExportFormat(write_csv, "text/csv; charset=utf-8", ".csv", rows_writer=write_csv_rows),
    "parquet": ExportFormat(
        write_parquet,
        "application/vnd.apache.parquet",
        ".parquet",
        rows_writer=write_parquet_rows,
        rows_shape=COLUMNS,
        rows_chunk_size=RECORDS_CHUNK_SIZE,
    ),
    "labelstudio": ExportFormat(write_labelstudio, "application/json", "-labelstudio.json"),
    "conll": ExportFormat(write_conll, "text/plain; charset=utf-8", ".conll", task_types=(TaskType.SPANS,)),
}


# Layouts other than the nested one, per format: the writer that replaces the format's own.
FLAT_WRITERS: dict[str, Callable[[Iterable[Chunk], ExportContext], Iterator[bytes]]] = {"csv": write_flat_csv}


def export_stream(
    *,
    project: Project,
    number: int,
    export_format: str,
    chunk_size: int | None = None,
    selection: ExportSelection | None = None,
    layout: str = NESTED,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[bytes]:
    """The bytes of version ``number`` of the project in ``export_format``, as they are written;
    only the items that pass ``selection`` when it filters; ``progress`` is told each chunk's
    number of items and last item id once the chunk is written."""
    spec = FORMATS[export_format]
    writer = FLAT_WRITERS[export_format] if layout == FLAT else spec.writer
    selected = selection is not None and selection.any
    items = selection.items(project=project, number=number) if selected else None
    needs_annotators = export_format in ("conll", "labelstudio") or layout == FLAT
    annotators = version_annotators(project=project, number=number) if needs_annotators else {}
    metadata: tuple[str, ...] = ()
    if layout == FLAT:
        metadata = tuple(
            metadata_columns(items if items is not None else items_in_version(project=project, number=number))
        )
    context = ExportContext(
        task_type=project.task_type,
        content_column=project.content_column,
        annotators=annotators,
        metadata_columns=metadata,
    )
    if spec.rows_writer is not None and layout != FLAT and connection.vendor == "postgresql":
        if items is None:
            items = items_in_version(project=project, number=number)
        db = connections[items.db]  # the wrapper itself, not the per-thread proxy: the reading thread shares it
        rows = read_ahead(
            row_chunks(items=items, shape=spec.rows_shape, db=db, chunk_size=chunk_size or spec.rows_chunk_size), db=db
        )
        return spec.rows_writer(_watched(rows, progress) if progress else rows, context)
    chunks = version_chunks(project=project, number=number, chunk_size=chunk_size, items=items)
    return writer(_watched(chunks, progress) if progress else chunks, context)


def _watched(chunks: Iterable[Any], progress: Callable[[int, int], None]) -> Iterator[Any]:
    for chunk in chunks:
        yield chunk
        if len(chunk):
            progress(len(chunk), chunk.last_id if isinstance(chunk, RowChunk) else chunk[-1]["id"])
