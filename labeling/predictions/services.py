"""Storing a model version's predictions: every row checked before anything is written, then
the whole set written in one transaction, so a bad row stores nothing and a reader never sees
half a set.

A JSON body (at most ``MAX_BODY_ROWS`` rows) is stored in the request; a JSONL file (at most
``MAX_FILE_ROWS``) is kept on disk and turned into a set by a worker, whose progress and error
live on its ``PredictionUpload``.
"""

import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models.functions import Length

from config.errors import DomainError
from datasets.models import Item
from datasets.selectors import JSONText
from labeling.models import Prediction, PredictionSet, PredictionUpload, PredictionUploadStatus
from labeling.predictions.rows import InvalidRow, check_row
from labeling.suggestions.refresh import queue_order_refresh
from projects.models import Project, TaskType

MAX_BODY_ROWS = 50_000
MAX_FILE_ROWS = 1_000_000
MAX_NAME = 200
ITEM_CHUNK = 10_000
WRITE_CHUNK = 5_000
PROGRESS_EVERY = 50_000
UPLOAD_DIR = "predictions"
# Validation is reported as the first half of the job, writing as the second.
CHECKED_SHARE = 0.5

Progress = Callable[[int, float], None]


@dataclass
class CheckedRows:
    """Rows that passed ``check_row``, held compactly: a million rows fit in tens of megabytes."""

    n_labels: int
    items: array = field(default_factory=lambda: array("q"))
    probabilities: array = field(default_factory=lambda: array("d"))
    spans: list[list[dict[str, Any]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def row_probabilities(self, index: int) -> list[float]:
        start = index * self.n_labels
        return self.probabilities[start : start + self.n_labels].tolist()


def model_name_checked(model_name: Any) -> str:
    """A model version's name: it is part of the evaluation's URL, so no slash."""
    if not isinstance(model_name, str) or not model_name.strip() or len(model_name.strip()) > MAX_NAME:
        raise DomainError(f"model must be a name of 1 to {MAX_NAME} characters")
    if "/" in model_name or not model_name.isprintable():
        raise DomainError("model must be a name without slashes or control characters")
    return model_name.strip()


def predictions_check(
    *, project: Project, entries: Iterable[tuple[int, Any]], limit: int, progress: Progress | None = None
) -> CheckedRows:
    """Check ``(row number, row)`` pairs and the items they name; ``DomainError`` names the first bad row."""
    labels = project.label_names
    spans = project.task_type == TaskType.SPANS
    checked = CheckedRows(n_labels=0 if spans else len(labels))
    numbers = array("q")
    for number, entry in entries:
        if len(checked) >= limit:
            raise DomainError(f"at most {limit:,} predictions per upload; send the rest in another")
        try:
            row = check_row(entry, task_type=project.task_type, labels=labels)
        except InvalidRow as exc:
            raise DomainError(f"row {number}: {exc}") from None
        checked.items.append(row.item)
        numbers.append(number)
        if spans:
            checked.spans.append(row.spans or [])
        else:
            checked.probabilities.extend(row.probabilities)
        if progress and len(checked) % PROGRESS_EVERY == 0:
            progress(len(checked), 0.0)
    if not len(checked):
        raise DomainError("predictions must be a non-empty list")
    _check_items(project=project, checked=checked, numbers=np.frombuffer(numbers, dtype=np.int64))
    return checked


def _check_items(*, project: Project, checked: CheckedRows, numbers: np.ndarray) -> None:
    """Each item once, each an item of this project (else 404, as if it did not exist), each span inside its text."""
    items = np.frombuffer(checked.items, dtype=np.int64)
    order = np.argsort(items, kind="stable")
    repeated = order[1:][items[order][1:] == items[order][:-1]]
    if len(repeated):
        first = int(repeated.min())
        raise DomainError(f"row {numbers[first]}: item {items[first]} appears twice")
    distinct = items[order]
    lengths: dict[int, int] = {}
    found = np.zeros(len(items), dtype=bool)
    for start in range(0, len(distinct), ITEM_CHUNK):
        chunk = distinct[start : start + ITEM_CHUNK].tolist()
        rows = Item.objects.filter(project=project, pk__in=chunk)
        if project.task_type == TaskType.SPANS:
            found_lengths = dict(rows.annotate(n=Length(JSONText("data", "text"))).values_list("pk", "n"))
            lengths.update(found_lengths)
            present = np.fromiter(found_lengths, dtype=np.int64)
        else:
            present = np.fromiter(rows.values_list("pk", flat=True), dtype=np.int64)
        found[order[start : start + ITEM_CHUNK]] = np.isin(distinct[start : start + ITEM_CHUNK], present)
    if not found.all():
        first = int(np.flatnonzero(~found)[0])
        raise DomainError(f"row {numbers[first]}: no such item in this project: {items[first]}", status_code=404)
    for index, spans in enumerate(checked.spans):
        length = lengths.get(int(items[index])) or 0
        if spans and max(span["end"] for span in spans) > length:
            raise DomainError(f"row {numbers[index]}: a span ends after the item's text ({length} characters)")


def _write(*, project: Project, user: AbstractBaseUser, model_name: str, checked: CheckedRows) -> PredictionSet:
    """Write the set and its rows; the caller holds the transaction. PostgreSQL takes them by COPY."""
    prediction_set = PredictionSet.objects.create(
        project=project, model_name=model_name, labels=project.label_names, created_by=user, count=len(checked)
    )
    spans = project.task_type == TaskType.SPANS

    def rows() -> Iterator[tuple[int, str, str | None]]:
        for index, item in enumerate(checked.items):
            if spans:
                yield item, "[]", json.dumps(checked.spans[index])
            else:
                yield item, json.dumps(checked.row_probabilities(index)), None

    if connection.vendor == "postgresql":
        table = Prediction._meta.db_table
        with connection.cursor() as cursor:
            copy_sql = f"COPY {table} (prediction_set_id, item_id, probabilities, spans) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for item, probabilities, span_text in rows():
                    copy.write_row((prediction_set.pk, item, probabilities, span_text))
        queue_order_refresh(project=project)  # the newest model may reorder the queue
        return prediction_set
    batch: list[Prediction] = []
    for item, probabilities, span_text in rows():
        batch.append(
            Prediction(
                prediction_set=prediction_set,
                item_id=item,
                probabilities=json.loads(probabilities),
                spans=json.loads(span_text) if span_text else None,
            )
        )
        if len(batch) >= WRITE_CHUNK:
            Prediction.objects.bulk_create(batch)
            batch = []
    Prediction.objects.bulk_create(batch)
    queue_order_refresh(project=project)
    return prediction_set


def predictions_store(
    *, project: Project, user: AbstractBaseUser, model_name: str, predictions: list[dict[str, Any]]
) -> PredictionSet:
    """Store a model version's predictions sent as a JSON body; the newest set feeds label issues."""
    model_name = model_name_checked(model_name)
    if not isinstance(predictions, list) or not predictions:
        raise DomainError("predictions must be a non-empty list")
    if len(predictions) > MAX_BODY_ROWS:
        raise DomainError(f"at most {MAX_BODY_ROWS:,} predictions in a JSON body; upload a JSONL file for more")
    checked = predictions_check(project=project, entries=enumerate(predictions, start=1), limit=MAX_BODY_ROWS)
    with transaction.atomic():
        return _write(project=project, user=user, model_name=model_name, checked=checked)


def prediction_upload_process(*, upload_id: int) -> PredictionUpload | None:
    """Check every row of an uploaded file, then write the set in one transaction.

    Safe to run twice: a finished upload is left as it is, and the write re-reads the upload
    under a row lock, so two workers cannot both write a set for it.
    """
    upload = PredictionUpload.objects.select_related("project", "created_by").filter(pk=upload_id).first()
    if upload is None or upload.status in (PredictionUploadStatus.DONE, PredictionUploadStatus.FAILED):
        return upload
    project = upload.project

    def progress(rows: int, share: float) -> None:
        PredictionUpload.objects.filter(pk=upload_id).update(rows_read=rows, progress=share)

    PredictionUpload.objects.filter(pk=upload_id).update(status=PredictionUploadStatus.VALIDATING, progress=0.0)
    size = max(1, default_storage.size(upload.file_name))
    try:
        with default_storage.open(upload.file_name, "rb") as handle:

            def reported(rows: int, _: float) -> None:
                progress(rows, CHECKED_SHARE * min(1.0, handle.tell() / size))

            entries = _numbered(handle)
            checked = predictions_check(project=project, entries=entries, limit=MAX_FILE_ROWS, progress=reported)
        PredictionUpload.objects.filter(pk=upload_id).update(
            status=PredictionUploadStatus.WRITING, rows_read=len(checked), progress=CHECKED_SHARE
        )
        with transaction.atomic():
            locked = PredictionUpload.objects.select_for_update().get(pk=upload_id)
            if locked.prediction_set_id is not None:
                return locked
            prediction_set = _write(
                project=project, user=upload.created_by, model_name=upload.model_name, checked=checked
            )
            locked.prediction_set = prediction_set
            locked.status = PredictionUploadStatus.DONE
            locked.progress = 1.0
            locked.save(update_fields=["prediction_set", "status", "progress", "updated_at"])
    except DomainError as exc:
        PredictionUpload.objects.filter(pk=upload_id).update(status=PredictionUploadStatus.FAILED, error=str(exc))
    except Exception as exc:  # said on the upload, so its page does not wait forever; the file is kept
        PredictionUpload.objects.filter(pk=upload_id).update(
            status=PredictionUploadStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    default_storage.delete(upload.file_name)
    upload.refresh_from_db()
    return upload


def _numbered(handle: Any) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError:
            raise DomainError(f"row {number}: not a JSON object") from None
