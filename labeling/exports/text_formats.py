"""JSON Lines and CSV: the formats a person opens in an editor or a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from labeling.exports.records import Chunk, ExportContext, Record, content_of, distinct_labels, dumps, dumps_bytes


def write_jsonl(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One JSON object per line and item."""
    for chunk in chunks:
        yield b"".join([dumps_bytes(record) + b"\n" for record in chunk])


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula by prefixing a single quote."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def write_csv(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One row per item; metadata and annotations as JSON, ``labels`` the distinct labels joined by ``|``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["id", "external_id", context.content_column, "metadata", "annotations", "labels", "final"]
    header += ["final_source", "source", "root", "augmentation", "split"]
    writer.writerow(header)
    yield buffer.getvalue().encode()
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_nested_row(record, context) for record in chunk)
        yield buffer.getvalue().encode()


def _nested_row(record: Record, context: ExportContext) -> list[Any]:
    cells = [
        record["external_id"] or "",
        content_of(record, context.content_column) or "",
        dumps(record["metadata"] or {}),
        dumps(record["annotations"]),
        "|".join(distinct_labels(record, context.task_type)),
        "" if record["final"] is None else dumps(record["final"]),
        record.get("final_source") or "",
        "" if record.get("source") is None else str(record["source"]),
        "" if record.get("root") is None else str(record["root"]),
        "" if record.get("augmentation") is None else dumps(record["augmentation"]),
        record.get("split") or "",
    ]
    return [record["id"], *[escape_cell(cell) for cell in cells]]
