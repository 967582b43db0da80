"""Label Studio tasks as batch rows, so a team can bring its data over from Label Studio.

A task of Label Studio's JSON export is ``{"id", "data": {"text": ..., ...}, "meta", "annotations",
"predictions", ...}``: its ``data`` holds what is labeled and its other columns. Such a task becomes
the row of its ``data``; the external id is ``meta.external_id`` (our own Label Studio export writes
it there) or else the task's id, and ``meta.metadata`` (ours again) joins the row's metadata. The
task's ``annotations``, ``predictions`` and ``meta.gold`` (ours) are not part of the item: they ride along under
``LABELSTUDIO_COLUMN`` for the import to turn into labels (``labeling.imports``).
"""

from typing import Any

from datasets.label_columns import LABELSTUDIO_COLUMN


def is_task(record: dict[str, Any], content_column: str) -> bool:
    """A record with a ``data`` object and no content of its own is a Label Studio task."""
    return content_column not in record and isinstance(record.get("data"), dict)


def task_row(record: dict[str, Any], content_column: str, id_column: str) -> dict[str, Any]:
    """The batch row of a record: the record itself, or the row a Label Studio task stands for."""
    if not is_task(record, content_column):
        return record
    row = dict(record["data"])
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    if id_column not in row:
        identifier = meta.get("external_id") or record.get("id")  # Label Studio's own task id
        if identifier not in (None, ""):
            row[id_column] = identifier
    metadata = meta.get("metadata")
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            row.setdefault(key, value)
    labels = {key: record[key] for key in ("annotations", "predictions") if record.get(key)}
    if meta.get("gold") is not None:  # our own export's gold answer that no annotation gives
        labels["gold"] = meta["gold"]
    if labels:
        row[LABELSTUDIO_COLUMN] = labels
    return row
