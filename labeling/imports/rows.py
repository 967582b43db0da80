"""Taking the labels out of a chunk of batch rows, before its items are written. No Django.

A row's labels ride in its metadata (the Label Studio task's under ``LABELSTUDIO_COLUMN``, or
the columns a manager mapped); they are taken out, so they never become an item's metadata.
"""

import json
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datasets.files.reader import ItemChunk, content_hashes
from datasets.label_columns import LABELSTUDIO_COLUMN
from labeling.imports.parse import (
    UPLOADER,
    BatchLabels,
    LabelMapping,
    annotator_name,
    blank,
    column_row_labels,
    labelstudio_row_labels,
)


def chunk_labels(
    chunk: ItemChunk, *, mapping: LabelMapping, task_type: str, labels: list[str], into: BatchLabels
) -> ItemChunk:
    """The chunk without its label columns; the labels of its rows are added to ``into``.

    Raises ``LabelError`` naming the row when a label is not one the project can hold.
    """
    has_tasks = pc.any(pc.match_substring(chunk.metadata_json, f'"{LABELSTUDIO_COLUMN}"')).as_py()
    if not has_tasks and not mapping.columns:
        return chunk
    hashes = chunk.hashes if chunk.hashes is not None else content_hashes(chunk.content)
    texts = chunk.content.to_pylist() if task_type == "spans" else None
    external_ids = chunk.external_id.to_pylist()
    records: list[dict[str, Any]] = [json.loads(text) for text in chunk.metadata_json.to_pylist()]
    for index, record in enumerate(records):
        row = chunk.first_row + index
        text = texts[index] if texts is not None else None
        payload = record.pop(LABELSTUDIO_COLUMN, None)
        found = column_row_labels(record, mapping, task_type=task_type, labels=labels, text=text, row=row)
        if isinstance(payload, dict):
            task = labelstudio_row_labels(payload, task_type=task_type, labels=labels, text=text, row=row)
            found.annotations.extend(task.annotations)
            found.predictions.update(task.predictions)
            found.unsupported.extend(task.unsupported)
            found.gold = task.gold if task.gold is not None else found.gold
        if found:
            into.add(hashes[index], found, row=row, task_id=external_ids[index] or None)
    cleaned = pa.array([json.dumps(record, ensure_ascii=False) for record in records], pa.string())
    return replace(chunk, metadata_json=cleaned, hashes=hashes)


def chunk_annotators(chunk: ItemChunk, *, mapping: LabelMapping) -> set[str]:
    """The annotators a chunk's rows name, read before the batch is kept; its labels are checked later."""
    has_tasks = pc.any(pc.match_substring(chunk.metadata_json, f'"{LABELSTUDIO_COLUMN}"')).as_py()
    if not has_tasks and not mapping.annotator_column:
        return set()
    names: set[str] = set()
    for text in chunk.metadata_json.to_pylist():
        record = json.loads(text)
        if mapping.annotator_column and not blank(record.get(mapping.annotator_column)):
            names.add(str(record[mapping.annotator_column]).strip())
        payload = record.get(LABELSTUDIO_COLUMN)
        if isinstance(payload, dict):
            for annotation in payload.get("annotations") or []:
                if isinstance(annotation, dict):
                    names.add(annotator_name(annotation.get("completed_by")))
    names.discard(UPLOADER)
    return names
