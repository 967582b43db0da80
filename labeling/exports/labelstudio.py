"""Label Studio's JSON task format, so a team can move its labels either way.

Besides the annotations a task carries the item's gold answer (the annotation that gives it
is ``ground_truth: true``; a gold answer no annotation gives goes in ``meta.gold``) and the
predictions of each model (its newest upload): the top label as a ``choices`` result with its
probability as ``score``, and every label's probability in ``probabilities``, so our own
import reads the same predictions back. Each annotation says where it came from (``origin``,
``import_batch``). Gold and predictions are read per chunk: two more queries a chunk.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from labeling.exports.records import Chunk, ExportContext, Record, content_of, dumps, iso, value_labels
from labeling.models import GoldLabel, Prediction
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


def chunk_gold(item_ids: list[int]) -> dict[int, Any]:
    return dict(GoldLabel.objects.filter(item_id__in=item_ids).values_list("item_id", "value"))


def chunk_predictions(item_ids: list[int]) -> dict[int, list[Record]]:
    """Each item's predictions as Label Studio writes them, one per model (its newest upload)."""
    rows = (
        Prediction.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "prediction_set__model_name", "-prediction_set_id")
        .values_list(
            "item_id", "prediction_set__model_name", "prediction_set__labels", "prediction_set__created_at",
            "probabilities",
        )
    )  # fmt: skip
    found: dict[int, list[Record]] = {}
    seen: set[tuple[int, str]] = set()
    for item_id, model, labels, created_at, probabilities in rows:
        if (item_id, model) in seen or not probabilities:
            continue
        seen.add((item_id, model))
        top = max(range(len(probabilities)), key=probabilities.__getitem__)
        found.setdefault(item_id, []).append(
            {
                "model_version": model,
                "score": probabilities[top],
                "result": [
                    {
                        "id": f"prediction-{len(seen)}",
                        "type": "choices",
                        "from_name": "label",
                        "to_name": "text",
                        "origin": "prediction",
                        "value": {"choices": [labels[top]]},
                        "score": probabilities[top],
                    }
                ],
                "probabilities": dict(zip(labels, probabilities, strict=False)),
                "created_at": iso(created_at),
            }
        )
    return found


def labelstudio_task(
    record: Record, context: ExportContext, *, gold: Any = None, predictions: list[Record] | None = None
) -> Record:
    """A Label Studio task: the content in ``data``, our ids and metadata in ``meta``; the gold answer
    flags the first annotation that gives it, or rides in ``meta.gold`` when none does."""
    text = content_of(record, "text")
    annotations = []
    gold_given = gold is None
    for annotation in record["annotations"]:
        ground_truth = not gold_given and annotation["value"] == gold
        gold_given = gold_given or ground_truth
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
                "ground_truth": ground_truth,
                "origin": annotation["origin"],
                "import_batch": annotation["import_batch"],
            }
        )
    task = {
        "id": record["id"],
        "data": {context.content_column: content_of(record, context.content_column)},
        "meta": {
            "external_id": record["external_id"],
            "metadata": record["metadata"] or {},
            "split": record.get("split"),
        },
        "annotations": annotations,
    }
    if not gold_given:
        task["meta"]["gold"] = gold
    if predictions:
        to_name = "image" if context.task_type == TaskType.IMAGE else "text"
        for prediction in predictions:
            prediction["result"][0]["to_name"] = to_name
        task["predictions"] = predictions
    return task


def write_labelstudio(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """A JSON array of Label Studio tasks, written a chunk at a time."""
    yield b"["
    separator = "\n"
    for chunk in chunks:
        if not chunk:
            continue
        item_ids = [record["id"] for record in chunk]
        gold, predictions = chunk_gold(item_ids), chunk_predictions(item_ids)
        tasks = ",\n".join(
            dumps(
                labelstudio_task(
                    record, context, gold=gold.get(record["id"]), predictions=predictions.get(record["id"])
                )
            )
            for record in chunk
        )
        yield (separator + tasks).encode()
        separator = ",\n"
    yield b"\n]\n"
