"""Label Studio's JSON task format, so a team can move its labels either way."""

from collections.abc import Iterable, Iterator
from typing import Any

from labeling.exports.records import Chunk, ExportContext, Record, content_of, dumps, iso, value_labels
from projects.models import TaskType


def labelstudio_result(value: Any, *, task_type: str, text: str | None, region_prefix: str) -> list[Record]:
    """One annotation's value as Label Studio results: ``choices`` for classification,
    multi-label and image, one ``labels`` region per span (from_name ``label``)."""
    if task_type == TaskType.SPANS:
        return [
            {
                "id": f"{region_prefix}-{position}",
                "type": "labels",
                "from_name": "label",
                "to_name": "text",
                "origin": "manual",
                "value": {
                    "start": span["start"],
                    "end": span["end"],
                    "text": (text or "")[span["start"] : span["end"]],
                    "labels": [span["label"]],
                },
            }
            for position, span in enumerate(value or [], start=1)
        ]
    choices = value_labels(value, task_type)
    if not choices:
        return []
    return [
        {
            "id": region_prefix,
            "type": "choices",
            "from_name": "label",
            "to_name": "image" if task_type == TaskType.IMAGE else "text",
            "origin": "manual",
            "value": {"choices": choices},
        }
    ]


def labelstudio_task(record: Record, context: ExportContext) -> Record:
    """A Label Studio task: the content in ``data``, our ids and metadata in ``meta``."""
    text = content_of(record, "text")
    annotations = []
    for annotation in record["annotations"]:
        region_prefix = annotation["uuid"][:8]
        annotations.append(
            {
                "result": labelstudio_result(
                    annotation["value"], task_type=context.task_type, text=text, region_prefix=region_prefix
                ),
                # Label Studio matches an imported annotator by email; the username is ours.
                "completed_by": {
                    "email": context.annotators.get(annotation["annotator"], ""),
                    "username": annotation["annotator"],
                },
                "created_at": iso(annotation["created_at"]),
                "updated_at": iso(annotation["updated_at"]),
                "was_cancelled": False,
                "ground_truth": False,
            }
        )
    return {
        "id": record["id"],
        "data": {context.content_column: content_of(record, context.content_column)},
        "meta": {
            "external_id": record["external_id"],
            "metadata": record["metadata"] or {},
            "split": record.get("split"),
        },
        "annotations": annotations,
    }


def write_labelstudio(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """A JSON array of Label Studio tasks, written a chunk at a time."""
    yield b"["
    separator = "\n"
    for chunk in chunks:
        if not chunk:
            continue
        tasks = ",\n".join(dumps(labelstudio_task(record, context)) for record in chunk)
        yield (separator + tasks).encode()
        separator = ",\n"
    yield b"\n]\n"
