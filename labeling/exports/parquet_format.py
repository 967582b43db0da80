"""Parquet: typed columns, the annotations as a list of structs, written row group by row group."""

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from labeling.exports.records import Chunk, ExportContext, content_of, distinct_labels, dumps, iso

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
    schema = parquet_schema(context.content_column)
    sink = _Drain()
    with pq.ParquetWriter(sink, schema) as writer:
        for chunk in chunks:
            writer.write_batch(chunk_batch(chunk, context, schema))
            yield sink.take()
    yield sink.take()


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
    return pa.array(cells, kind)
