"""Parquet: typed columns, the annotations as a list of structs, written row group by row group."""

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from labeling.exports.records import Chunk, ExportContext, content_of, distinct_labels, dumps

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
            rows = [
                {
                    "id": record["id"],
                    "external_id": record["external_id"],
                    context.content_column: content_of(record, context.content_column),
                    "metadata": dumps(record["metadata"] or {}),
                    "annotations": [
                        {**annotation, "value": dumps(annotation["value"])} for annotation in record["annotations"]
                    ],
                    "labels": distinct_labels(record, context.task_type),
                    "final": None if record["final"] is None else dumps(record["final"]),
                    "final_source": record.get("final_source"),
                    "source": record.get("source"),
                    "root": record.get("root"),
                    "augmentation": None if record.get("augmentation") is None else dumps(record["augmentation"]),
                    "split": record.get("split"),
                }
                for record in chunk
            ]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            yield sink.take()
    yield sink.take()
