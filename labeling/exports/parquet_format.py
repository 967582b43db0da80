"""Parquet: typed columns, the annotations as a list of structs, written row group by row group."""

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from labeling.exports.records import (
    Chunk,
    ExportContext,
    content_in,
    content_of,
    distinct_labels,
    dumps,
    iso,
    json_loads,
    labels_in,
    metadata_cell,
    value_of,
)
from labeling.exports.rows import VALUE_SEPARATOR, RowChunk
from projects.models import TaskType

ANNOTATION_TYPE = pa.struct(
    [
        ("uuid", pa.string()),
        ("annotator", pa.string()),
        ("value", pa.string()),  # JSON: a label, a list of labels, or a list of spans
        ("revision", pa.int32()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("updated_at", pa.timestamp("us", tz="UTC")),
        ("origin", pa.string()),  # "app" or "imported"
        ("import_batch", pa.string()),  # the batch an imported annotation came with
    ]
)


def parquet_schema(content_column: str) -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.int64()),
            ("external_id", pa.string()),
            (content_column, pa.string()),
            ("metadata", pa.string()),  # JSON: its keys differ from item to item
            ("annotations", pa.list_(ANNOTATION_TYPE)),
            ("labels", pa.list_(pa.string())),
            ("final", pa.string()),  # JSON: the adjudication, else the consensus; null for a tie or no label
            ("final_source", pa.string()),  # adjudication | consensus | inherited | null
            ("source", pa.int64()),  # the item an augmented item was made from
            ("root", pa.int64()),  # the original at the top of its chain
            ("augmentation", pa.string()),  # JSON: method, params, seed, generation...
            ("split", pa.string()),  # train | dev | test | null: in no split
        ]
    )


class _Drain:
    """A write-only file that hands back what was written since the last ``take``.

    ``ParquetWriter`` writes each row group as it is added, so draining after every
    chunk streams the file with one row group in memory.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def write_parquet(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One row group per chunk; metadata, annotation values and ``final`` as JSON text."""
    return _write(chunks, context, chunk_batch)


def write_parquet_rows(chunks: Iterable[RowChunk], context: ExportContext) -> Iterator[bytes]:
    """``write_parquet``'s bytes from rows (``COLUMNS``): the annotations' columns straight from the cursor."""
    return _write(chunks, context, rows_batch)


def _write(chunks: Iterable[Any], context: ExportContext, batch_of: Any) -> Iterator[bytes]:
    schema = parquet_schema(context.content_column)
    sink = _Drain()
    with pq.ParquetWriter(sink, schema) as writer:
        for chunk in chunks:
            writer.write_batch(batch_of(chunk, context, schema))
            yield sink.take()
    yield sink.take()


_TIMESTAMP = ANNOTATION_TYPE.field("created_at").type


def rows_batch(chunk: RowChunk, context: ExportContext, schema: pa.Schema) -> pa.RecordBatch:
    """``chunk_batch`` of a row chunk (``COLUMNS``): the annotations' columns made from the packed
    values in place (Arrow arrays over the server's bytes), a value that is a string kept as the
    server wrote it; per item only the few cells a record has once."""
    packed, offsets, texts = chunk.packed, chunk.offsets, chunk.value_texts
    count = packed["count"]
    annotation_columns = {
        "uuid": _packed_strings(count, packed["uuid"], packed["uuid_bytes"]),
        "annotator": _packed_strings(count, packed["annotator"], packed["annotator_bytes"]),
        "value": [text if text[0] == '"' else dumps(json_loads(text)) for text in texts],
        "revision": pa.array(np.frombuffer(packed["revision"] or b"", ">i4").astype(np.int32)),
        "created_at": _packed_times(count, packed["created"]),
        "updated_at": _packed_times(count, packed["updated"]),
        "origin": _packed_strings(count, packed["origin"], packed["origin_bytes"]),
        "import_batch": _packed_strings(count, packed["import_batch"], packed["import_batch_bytes"]),
    }
    fields = {field.name: field.type for field in ANNOTATION_TYPE}
    annotations = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.StructArray.from_arrays(
            [_column(cells, fields[name]) for name, cells in annotation_columns.items()],
            fields=list(ANNOTATION_TYPE),
        ),
    )
    rows = chunk.rows
    finals = [chunk.finals[row[0]] for row in rows]
    augmentations = [chunk.augmentation(row) for row in rows]
    columns = {
        "id": [row[0] for row in rows],
        "external_id": [row[1] for row in rows],
        context.content_column: [content_in(row[2], context.content_column) for row in rows],
        "metadata": [metadata_cell(row[3]) for row in rows],
        "annotations": annotations,
        "labels": _labels(chunk, context.task_type),
        "final": [final for final, _ in finals],
        "final_source": [source for _, source in finals],
        "source": [row[4] for row in rows],
        "root": [None if aug is None else row[6] for row, aug in zip(rows, augmentations, strict=True)],
        "augmentation": [None if augmentation is None else dumps(augmentation) for augmentation in augmentations],
        "split": [row[5] for row in rows],
    }
    arrays = [_column(columns[field.name], field.type) for field in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _packed_times(count: int, values: bytes | None) -> pa.Array:
    """Times packed as microseconds since 1970 (big-endian), as a timestamp array over their bytes: no
    cast (Arrow's first cast in a process sets up every cast kernel, seconds on a busy machine)."""
    micros = np.frombuffer(values or b"", ">i8").astype(np.int64)
    return pa.Array.from_buffers(_TIMESTAMP, count, [None, pa.py_buffer(micros.tobytes())])


def _packed_strings(count: int, lengths: bytes | None, data: bytes | None) -> pa.Array:
    """A string array over packed text: UTF-8 lengths (-1: null) and the bytes, as ``rows`` reads them."""
    sizes = np.frombuffer(lengths or b"", ">i4").astype(np.int32)
    valid = sizes >= 0
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.where(valid, sizes, 0), out=offsets[1:])
    nulls = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data or b""), nulls)


def _labels(chunk: RowChunk, task_type: str) -> list[list[str]]:
    """Each item's distinct labels; when every value of the chunk is a string with nothing escaped
    (most chunks), all of them unquoted by one split of the packed text."""
    offsets, texts = chunk.offsets, chunk.value_texts
    spans = range(len(chunk.rows))
    values_text = chunk.packed["values"] or ""
    if chunk.all_strings and task_type not in (TaskType.MULTILABEL, TaskType.SPANS) and "\\" not in values_text:
        labels = values_text[1:-1].split(f'"{VALUE_SEPARATOR}"')
        return [list(dict.fromkeys(labels[offsets[index] : offsets[index + 1]])) for index in spans]
    return [labels_of_texts(texts[offsets[index] : offsets[index + 1]], task_type) for index in spans]


def labels_of_texts(texts: list[str], task_type: str) -> list[str]:
    """``labels_in`` of annotation values given as JSON texts; plain strings read from their text."""
    if task_type not in (TaskType.MULTILABEL, TaskType.SPANS) and all(
        text[0] == '"' and "\\" not in text for text in texts
    ):
        return list(dict.fromkeys([text[1:-1] for text in texts]))
    return labels_in([value_of(text) for text in texts], task_type)


def chunk_batch(chunk: Chunk, context: ExportContext, schema: pa.Schema) -> pa.RecordBatch:
    """The chunk as Arrow columns, built column by column (no Python dict per row and cell)."""
    offsets = [0]
    annotation_columns: dict[str, list[Any]] = {name: [] for name in ANNOTATION_TYPE.names}
    for record in chunk:
        for annotation in record["annotations"]:
            for name, cells in annotation_columns.items():
                cells.append(annotation[name])
        offsets.append(offsets[-1] + len(record["annotations"]))
    annotation_columns["value"] = [dumps(value) for value in annotation_columns["value"]]
    fields = {field.name: field.type for field in ANNOTATION_TYPE}
    annotations = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.StructArray.from_arrays(
            [_column(cells, fields[name]) for name, cells in annotation_columns.items()],
            fields=list(ANNOTATION_TYPE),
        ),
    )
    columns = {
        "id": [record["id"] for record in chunk],
        "external_id": [record["external_id"] for record in chunk],
        context.content_column: [content_of(record, context.content_column) for record in chunk],
        "metadata": [dumps(record["metadata"] or {}) for record in chunk],
        "annotations": annotations,
        "labels": [distinct_labels(record, context.task_type) for record in chunk],
        "final": [None if record["final"] is None else dumps(record["final"]) for record in chunk],
        "final_source": [record.get("final_source") for record in chunk],
        "source": [record.get("source") for record in chunk],
        "root": [record.get("root") for record in chunk],
        "augmentation": [
            None if record.get("augmentation") is None else dumps(record["augmentation"]) for record in chunk
        ],
        "split": [record.get("split") for record in chunk],
    }
    arrays = [_column(columns[field.name], field.type) for field in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _column(cells: Any, kind: pa.DataType) -> pa.Array:
    if isinstance(cells, pa.Array):
        return cells
    if pa.types.is_timestamp(kind):  # records hold times as ISO 8601 text
        return pa.array([iso(cell) for cell in cells], pa.string()).cast(kind)
    return pa.array(cells if isinstance(cells, list) else list(cells), kind)
