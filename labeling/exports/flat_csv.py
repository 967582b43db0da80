"""Flat CSV: the data as it was uploaded, one column per metadata key and one per annotator.

A spreadsheet opens it as the uploaded file looked, with each annotator's label beside the
item and the final label last. A label is its name; a multi-label value its names joined by
``|``; spans their JSON. Every text cell is guarded against formulas like the nested CSV.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import F, Func, QuerySet, TextField

from datasets.models import Item
from labeling.exports.records import Chunk, ExportContext, Record, content_of, dumps
from labeling.exports.text_formats import escape_cell
from projects.models import TaskType


def metadata_columns(items: QuerySet[Item]) -> list[str]:
    """The metadata keys the items hold, sorted: one pass in the database on PostgreSQL."""
    if connection.vendor == "postgresql":
        keys = (
            items.order_by()
            .annotate(_key=Func(F("metadata"), function="jsonb_object_keys", output_field=TextField()))
            .values_list("_key", flat=True)
            .distinct()
        )
        return sorted(keys)
    found: dict[str, None] = {}
    for metadata in items.order_by().values_list("metadata", flat=True).iterator(chunk_size=2000):
        found.update(dict.fromkeys(metadata or {}))
    return sorted(found)


def flat_header(context: ExportContext) -> list[str]:
    """id, external id, content, the metadata keys, the annotators, final; a name taken twice
    keeps its first place and the later one a ``metadata:`` or ``annotator:`` prefix."""
    header = ["id", "external_id", context.content_column]
    for prefix, names in (("metadata", context.metadata_columns), ("annotator", context.annotators)):
        header += [name if name not in header and name != "final" else f"{prefix}:{name}" for name in names]
    return [*header, "final"]


def label_text(value: Any, task_type: str) -> str:
    if value is None:
        return ""
    if task_type == TaskType.MULTILABEL and isinstance(value, list):
        return "|".join(str(label) for label in value)
    return value if isinstance(value, str) else dumps(value)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else dumps(value)


def flat_row(record: Record, context: ExportContext) -> list[Any]:
    """One item's cells in ``flat_header``'s order."""
    metadata = record["metadata"] or {}
    labels = {annotation["annotator"]: annotation["value"] for annotation in record["annotations"]}
    cells = [record["external_id"] or "", content_of(record, context.content_column) or ""]
    cells += [cell_text(metadata.get(key)) for key in context.metadata_columns]
    cells += [label_text(labels.get(name), context.task_type) for name in context.annotators]
    cells.append(label_text(record["final"], context.task_type))
    return [record["id"], *[escape_cell(cell) for cell in cells]]


def write_flat_csv(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_cell(name) for name in flat_header(context)])
    yield buffer.getvalue().encode()
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(flat_row(record, context) for record in chunk)
        yield buffer.getvalue().encode()
