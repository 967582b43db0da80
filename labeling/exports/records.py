"""The records an export writes, read a chunk at a time, and what every format shares.

``version_chunks`` walks the version's items in id order by keyset pagination (``id > last``
with a LIMIT, never OFFSET) and fetches the annotations of each chunk in one query, as plain
tuples: two queries per chunk whatever the version's size, and one chunk in memory at a time.
Versions are immutable; annotations are read chunk by chunk, so an export that runs while
people label holds each item's annotations as they were when its chunk was read. A record::

    {"id", "external_id", "data": {"text" | "image": ...}, "metadata": {...},
     "annotations": [{"uuid", "annotator", "value", "revision", "created_at", "updated_at",
                      "origin": "app" | "imported", "import_batch": batch id | None}],
     "final": ..., "final_source": "adjudication" | "consensus" | "inherited" | None,
     "source": item id | None, "root": item id | None,
     "augmentation": {"method", "params", "seed", "generation", "library", "library_version",
                      "config_hash", "label_policy"} | None,
     "split": "train" | "dev" | "test" | None}

``final`` is the item's settled label: the newest adjudication when a reviewer made one,
else the majority of its annotations (values compared whole), else null (no annotation,
or a tie, which waits for a reviewer). ``final_source`` says which. Both are read per
chunk (one more query for the chunk's adjudications), so the export stays bounded.

An augmented item made under the ``inherit`` policy that no person has labeled carries its
root's final label, with ``final_source`` "inherited": it is never one of ``annotations``,
so nothing that counts people's labels sees it.

``split`` is the item's split, null when it is in none (not split yet, or an augmented
copy left out because its source is in dev or test); it comes with the items' query.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from datasets.models import LabelPolicy
from datasets.selectors import items_in_version
from labeling.models import Annotation
from labeling.review.selectors import final_labels
from projects.models import Project, TaskType

CHUNK_SIZE = 1000

Record = dict[str, Any]
Chunk = list[Record]


def version_chunks(*, project: Project, number: int, chunk_size: int | None = None) -> Iterator[Chunk]:
    """The items of version ``number`` with their annotations, ``chunk_size`` items at a time."""
    size = chunk_size or CHUNK_SIZE
    items = items_in_version(project=project, number=number).values_list(
        "id",
        "external_id",
        "data",
        "metadata",
        "source_id",
        "split_assignment__split",
        *(f"augmentation__{name}" for name in LINEAGE_FIELDS),
    )
    last_id = 0
    while True:
        rows = list(items.filter(id__gt=last_id)[:size])
        if not rows:
            return
        last_id = rows[-1][0]
        item_ids = [row[0] for row in rows]
        annotations = _annotations_of(item_ids=item_ids)
        finals = final_labels(
            item_ids=item_ids,
            annotations={item_id: [a["value"] for a in entries] for item_id, entries in annotations.items()},
        )
        lineage = {row[0]: dict(zip(LINEAGE_FIELDS, row[6:], strict=True)) for row in rows}
        inherited = _inherited(finals, lineage)
        chunk = []
        for item_id, external_id, data, metadata, source_id, split, *_ in rows:
            augmentation = lineage[item_id] if lineage[item_id]["method"] is not None else None
            final, final_source = inherited.get(item_id, finals[item_id])
            chunk.append(
                {
                    "id": item_id,
                    "external_id": external_id,
                    "data": data,
                    "metadata": metadata,
                    "annotations": annotations.get(item_id, []),
                    "final": final,
                    "final_source": final_source,
                    "source": source_id,
                    "root": augmentation["root_id"] if augmentation else None,
                    "augmentation": {k: v for k, v in augmentation.items() if k != "root_id"} if augmentation else None,
                    "split": split,
                }
            )
        yield chunk
        if len(rows) < size:
            return


LINEAGE_FIELDS = (
    "root_id", "method", "params", "seed", "generation", "library", "library_version", "config_hash", "label_policy",
)  # fmt: skip


def _inherited(
    finals: dict[int, tuple[Any, str | None]], lineage: dict[int, dict[str, Any]]
) -> dict[int, tuple[Any, str]]:
    """The root's final label for ``inherit`` items that people left unlabeled: two queries per chunk."""
    waiting = {
        item_id: info["root_id"]
        for item_id, info in lineage.items()
        if info["label_policy"] == LabelPolicy.INHERIT and finals[item_id][0] is None
    }
    if not waiting:
        return {}
    roots = sorted(set(waiting.values()))
    annotations = _annotations_of(item_ids=roots)
    root_finals = final_labels(
        item_ids=roots,
        annotations={item_id: [a["value"] for a in entries] for item_id, entries in annotations.items()},
    )
    return {
        item_id: (root_finals[root][0], "inherited")
        for item_id, root in waiting.items()
        if root_finals[root][0] is not None
    }


def _annotations_of(*, item_ids: list[int]) -> dict[int, list[Record]]:
    rows = (
        Annotation.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "id")
        .values_list(
            "item_id", "uuid", "annotator__username", "value", "revision", "created_at", "updated_at", "origin",
            "import_batch_id",
        )
    )  # fmt: skip
    by_item: dict[int, list[Record]] = defaultdict(list)
    for item_id, uuid, username, value, revision, created_at, updated_at, origin, import_batch in rows:
        by_item[item_id].append(
            {
                "uuid": str(uuid),
                "annotator": username,
                "value": value,
                "revision": revision,
                "created_at": created_at,
                "updated_at": updated_at,
                "origin": origin,
                "import_batch": str(import_batch) if import_batch else None,
            }
        )
    return by_item


def version_annotators(*, project: Project, number: int) -> dict[str, str]:
    """Username -> email of everyone who annotated an item of the version, by username."""
    rows = (
        Annotation.objects.filter(project=project, item__batch__version__number__lte=number)
        .order_by("annotator__username")
        .values_list("annotator__username", "annotator__email")
        .distinct()
    )
    return dict(rows)


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs to know about the project besides the records."""

    task_type: str
    content_column: str
    # username -> email of the version's annotators: CoNLL's columns, Label Studio's completed_by
    annotators: dict[str, str] = field(default_factory=dict)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def json_record(record: Record) -> Record:
    """The record with its times as ISO 8601 text, ready for ``json.dumps``."""
    return {
        **record,
        "annotations": [
            {**annotation, "created_at": iso(annotation["created_at"]), "updated_at": iso(annotation["updated_at"])}
            for annotation in record["annotations"]
        ],
    }


def content_of(record: Record, column: str) -> str | None:
    value = (record["data"] or {}).get(column)
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def value_labels(value: Any, task_type: str) -> list[str]:
    """The label names one annotation's value holds, whatever the task type."""
    if value is None:
        return []
    if task_type == TaskType.MULTILABEL:
        return [str(label) for label in value]
    if task_type == TaskType.SPANS:
        return [str(span["label"]) for span in value]
    return [str(value)]


def distinct_labels(record: Record, task_type: str) -> list[str]:
    """Every label any annotator gave the item, once each, in order of first appearance."""
    seen: dict[str, None] = {}
    for annotation in record["annotations"]:
        for label in value_labels(annotation["value"], task_type):
            seen.setdefault(label, None)
    return list(seen)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
