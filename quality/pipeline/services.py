"""The batch pipeline: upload -> claim -> validate -> import in chunks -> one new version, atomically.

A claimed batch is first validated (``quality.validation``: the project's GX suite and the
built-in checks, over the file read as DataFrame chunks). One that fails a critical check
is ``quarantined`` with its results and no item is written; one that passes is imported.
A manager's "accept anyway" sends a quarantined batch back here to be imported without
validating again. Results are written in the transaction that sets the final status,
after the run token is checked, so they are stored once whatever happens to workers.

Why it cannot lose or double a batch:

- Upload stores the file, then creates the ``Batch`` row; the task is sent only once
  that transaction committed.
- A worker *claims* the batch under a lock on the project row: one batch imports into
  a project at a time, and the claim writes a fresh ``run_token``. Every later write of
  that run checks the token, so a worker that lost its lease can write nothing more.
- Items are written in chunks, each committed, but they are invisible until the batch
  has a version: version *n* holds the items of batches with versions <= *n*. A run that
  dies leaves only such invisible rows, and the next claim deletes them first.
- A chunk commits together with the heartbeat that checks the run token, so a run that
  stalled past its lease (a paused process, a long GC, a slow disk) and was taken over
  cannot add rows behind its successor's back: its chunk is rolled back instead.
- A claim that finds another batch of the project with a stale lease revokes that
  batch's token before deleting the invisible rows, so the stalled run stops there.
- The project and batch rows are locked ``FOR NO KEY UPDATE``. A chunk's rows hold ``KEY
  SHARE`` locks on both through their foreign keys, which a plain ``FOR UPDATE`` would wait
  on, so a duplicated task's claim could deadlock with the running import's open chunk.
- The version, its counts and the batch's ``accepted`` status are written in one
  transaction at the end. A redelivered or duplicated task finds the batch accepted
  and does nothing.
- A claimed batch whose heartbeat stops is handed back to the queue by
  ``batch_recover_stale``; after ``GROUNDWORK_BATCH_MAX_ATTEMPTS`` runs it ends
  ``failed`` instead of looping.
"""

import contextlib
import logging
import uuid
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from config.errors import DomainError
from datasets.files.frames import FrameReader
from datasets.files.reader import BatchFileError, BatchReader
from datasets.models import ACTIVE_STATUSES, Batch, BatchStatus
from datasets.services import items, lineage, uploads, versions
from labeling.imports import rows as label_rows
from labeling.imports.parse import SINGLE_LABEL, BatchLabels, LabelError, LabelMapping
from labeling.imports.services import annotators_check, imported_labels_store, labels_stage, staged_labels_discard
from labeling.services import queue_sync
from projects.models import Project
from quality.pipeline.lease import LeaseKeeper, LeaseLost, Progress, heartbeat, lease_cutoff
from quality.reports.services import report_request
from quality.suites.selectors import check_settings_for, reference_sample, suite_get
from quality.validation import ValidationReport, validate_batch

logger = logging.getLogger(__name__)


class ProjectBusy(Exception):
    """Another batch of the project is importing; try again shortly."""


# -- upload ---------------------------------------------------------------------------
def batch_upload(
    *,
    project: Project,
    user: AbstractBaseUser,
    uploaded: UploadedFile,
    fmt: str | None = None,
    enqueue: bool = True,
    label_mapping: LabelMapping | None = None,
) -> Batch:
    """Keep an uploaded file as a batch and queue it; the worker starts once this commits.

    ``enqueue=False`` leaves the batch for the caller to import in-process (the demo loader).
    ``label_mapping`` names the columns that hold labels; a file whose labels name annotators
    who are not members is refused here (``UnmatchedAnnotators``, nothing kept) unless the
    mapping says what to do with them.
    """
    label_mapping = label_mapping or LabelMapping()
    with transaction.atomic():
        batch = uploads.batch_store(project=project, user=user, uploaded=uploaded, fmt=fmt)
        if label_mapping.as_dict():
            batch.label_mapping = label_mapping.as_dict()
            batch.save(update_fields=["label_mapping"])
        annotators_check(project=project, names=_annotators_named(batch, label_mapping), mapping=label_mapping)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


ANNOTATOR_MARK = b'"completed_by"'
SCAN_BLOCK = 4 * 1024 * 1024


def _annotators_named(batch: Batch, mapping: LabelMapping) -> set[str]:
    """The annotators the file names, read at upload so unmatched ones are refused before anything is kept.

    A file the reader cannot read names nobody here: the worker fails it with the reader's message.
    """
    if not mapping.annotator_column and not _mentions(batch.file.path, ANNOTATOR_MARK):
        return set()
    reader = BatchReader(
        batch.file.path,
        batch.format,
        content_column=batch.project.content_column,
        max_rows=settings.GROUNDWORK_MAX_BATCH_ROWS,
        max_field_bytes=settings.GROUNDWORK_MAX_FIELD_BYTES,
        chunk_rows=settings.GROUNDWORK_IMPORT_CHUNK_ROWS,
    )
    names: set[str] = set()
    try:
        for chunk in reader.chunks():
            names |= label_rows.chunk_annotators(chunk, mapping=mapping)
    except BatchFileError:
        return set()
    return names


def _mentions(path: str, mark: bytes) -> bool:
    """Whether the file holds ``mark``, read in blocks that overlap by its length."""
    tail = b""
    with open(path, "rb") as handle:
        while block := handle.read(SCAN_BLOCK):
            if mark in tail + block:
                return True
            tail = block[-len(mark) :]
    return False


def images_batch_upload(*, project: Project, user: AbstractBaseUser, files: list[UploadedFile]) -> Batch:
    """Images dropped on the project page: kept, then queued as one batch with an item per image."""
    with transaction.atomic():
        batch = uploads.images_batch_store(project=project, user=user, files=files)
        transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def _enqueue(batch_id: uuid.UUID) -> None:
    from quality.tasks import batch_process

    try:
        batch_process.delay(str(batch_id))
    except Exception:  # the broker is down: the recovery sweep sends it later
        logger.exception("could not enqueue batch %s; the recovery sweep will retry", batch_id)


# -- the worker's side -------------------------------------------------------------------
def batch_claim(*, batch_id: str) -> uuid.UUID | None:
    """Take the batch for this run; None when it is done, owned by a live run, or given up on.

    Batches of a project are imported one at a time, in upload order, so versions are
    numbered as their batches were uploaded. Raises ``ProjectBusy`` while an older batch
    of the project is still waiting or importing, or another one imports with a live lease.
    """
    with transaction.atomic():
        batch = Batch.objects.filter(pk=batch_id).only("project_id").first()
        if batch is None:
            return None
        Project.objects.select_for_update(no_key=True).filter(pk=batch.project_id).first()
        # Lock every active batch of the project (in the sweep's order), so a stalled run
        # cannot renew its lease between the check below and its revocation.
        active = list(
            Batch.objects.select_for_update(no_key=True).filter(project_id=batch.project_id, status__in=ACTIVE_STATUSES)
        )
        batch = next((b for b in active if b.pk == batch.pk), None)
        if batch is None:  # accepted, quarantined or failed already
            return None
        cutoff = lease_cutoff()
        if batch.status == BatchStatus.VALIDATING and batch.heartbeat_at and batch.heartbeat_at > cutoff:
            return None
        others = [b for b in active if b.pk != batch.pk]
        importing = [b for b in others if b.status == BatchStatus.VALIDATING]
        busy = any(_upload_order(b) < _upload_order(batch) for b in others) or any(
            b.heartbeat_at and b.heartbeat_at > cutoff for b in importing
        )
        if not busy:
            for stalled in importing:  # its run stops at its next chunk; the sweep sends it again
                stalled.status = BatchStatus.QUEUED
                stalled.run_token = None
                stalled.stage = ""
                stalled.save(update_fields=["status", "run_token", "stage"])
            return _claim_locked(batch)
    # This message is alive and comes back after its countdown: keep the sweep from sending another.
    Batch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(heartbeat_at=timezone.now())
    raise ProjectBusy(batch_id)


def _upload_order(batch: Batch) -> tuple:
    return (batch.created_at, str(batch.pk))


def _claim_locked(batch: Batch) -> uuid.UUID | None:
    items.invisible_items_delete(project_id=batch.project_id)
    if batch.attempts >= settings.GROUNDWORK_BATCH_MAX_ATTEMPTS:
        _mark_failed(batch, f"gave up after {batch.attempts} attempts; the last one stopped without finishing")
        return None
    batch.status = BatchStatus.VALIDATING
    batch.stage = "reading"
    batch.attempts += 1
    batch.run_token = uuid.uuid4()
    batch.heartbeat_at = timezone.now()
    batch.started_at = batch.started_at or batch.heartbeat_at
    batch.progress = 0.0
    batch.rows_total = batch.rows_added = batch.rows_duplicate = 0
    batch.error = ""
    batch.save()
    return batch.run_token


def _mark_failed(batch: Batch, message: str) -> None:
    batch.status = BatchStatus.FAILED
    batch.error = message[:5000]
    batch.stage = ""
    batch.run_token = None
    batch.finished_at = timezone.now()
    batch.save()


def batch_fail(*, batch_id: str, token: uuid.UUID | None, message: str) -> None:
    """End a batch as failed and drop whatever its run had written."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update(no_key=True).filter(pk=batch_id).first()
        if batch is None or batch.status not in ACTIVE_STATUSES:
            return
        if token is not None and batch.run_token != token:
            return
        staged_labels_discard(batch_id=str(batch.pk))
        items.items_discard(batch_id=batch.pk)
        _mark_failed(batch, message)


def _reader(reader_class: type[BatchReader], batch: Batch) -> BatchReader:
    """The batch's file with the limits the settings give: the same for validating and importing."""
    return reader_class(
        batch.file.path,
        batch.format,
        content_column=batch.project.content_column,
        max_rows=settings.GROUNDWORK_MAX_BATCH_ROWS,
        max_field_bytes=settings.GROUNDWORK_MAX_FIELD_BYTES,
        chunk_rows=settings.GROUNDWORK_IMPORT_CHUNK_ROWS,
        max_columns=settings.GROUNDWORK_MAX_COLUMNS,
    )


VALIDATION_SHARE = 0.5  # of the progress bar, when the batch is validated before its import
LABEL_COLUMN = "label"  # a batch column with this name is checked against the project's labels
SAMPLE_VALUE_CHARS = 300  # a sample row's value as stored with the results


def _validate(batch: Batch, token: uuid.UUID, progress: Progress) -> ValidationReport:
    """The project's suite and the built-in checks over the file, read in chunks; nothing is written."""
    project = batch.project
    stored = suite_get(project=project)
    suite = stored.suite if stored and stored.suite.get("expectations") else None
    check_settings = check_settings_for(stored=stored)
    reference = reference_sample(project=project, rows=check_settings.reference_rows)
    reader = _reader(FrameReader, batch)
    heartbeat(str(batch.pk), token, stage="validating")

    def frames():
        for frame in reader.chunks():
            yield frame
            progress.report(VALIDATION_SHARE * 0.9 * reader.fraction_done, rows_total=reader.rows_read)

    report = _run_validation(batch, frames(), suite, check_settings, reference, progress)
    progress.report(VALIDATION_SHARE, force=True)
    return report


def _run_validation(batch, frames, suite, check_settings, reference, progress) -> ValidationReport:
    project = batch.project
    mapped = batch.label_mapping.get("label_column")
    # A mapped column of lists or spans is checked as it is imported, row by row, not here.
    label_column = LABEL_COLUMN if not mapped else mapped if project.task_type in SINGLE_LABEL else None
    return validate_batch(
        frames,
        suite=suite,
        settings=check_settings,
        content_column=project.content_column,
        reference=reference,
        label_column=label_column,
        labels=project.label_names,
        known_hashes=lambda hashes: items.existing_hashes(project_id=project.pk, hashes=hashes),
        on_progress=lambda fraction: progress.report(VALIDATION_SHARE * fraction),
        suite_run=_spark_suite_run(batch) if settings.GROUNDWORK_VALIDATION_ENGINE == "spark" else None,
    )


def _spark_suite_run(batch: Batch) -> Callable[[dict, int], list[dict]]:
    """The suite run by GX's Spark engine on the batch file, which Spark reads itself."""

    def run(suite: dict, max_samples: int) -> list[dict]:
        from quality.validation.spark_runner import spark_suite_run

        return spark_suite_run(
            suite,
            path=batch.file.path,
            fmt=batch.format,
            content_column=batch.project.content_column,
            master=settings.GROUNDWORK_SPARK_MASTER,
            max_samples=max_samples,
        )

    return run


def _stored_results(results: list[dict]) -> list[dict]:
    """Results as stored: sample values cut short, so a page of batches stays small."""
    trimmed = []
    for result in results:
        samples = result.get("samples") or []
        if any(isinstance(s.get("value"), str) and len(s["value"]) > SAMPLE_VALUE_CHARS for s in samples):
            result = {
                **result,
                "samples": [
                    {**s, "value": s["value"][:SAMPLE_VALUE_CHARS] + "…"}
                    if isinstance(s.get("value"), str) and len(s["value"]) > SAMPLE_VALUE_CHARS
                    else s
                    for s in samples
                ],
            }
        trimmed.append(result)
    return trimmed


def batch_quarantine(*, batch_id: str, token: uuid.UUID, report: ValidationReport) -> Batch:
    """End a run whose batch failed a critical check: its results, and no item."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update(no_key=True).get(pk=batch_id)
        if batch.run_token != token or batch.status != BatchStatus.VALIDATING:
            raise LeaseLost(batch_id)
        items.items_discard(batch_id=batch.pk)
        batch.status = BatchStatus.QUARANTINED
        batch.results = _stored_results(report.results)
        batch.summary = report.summary
        batch.rows_total = int(report.summary.get("rows", batch.rows_total) or 0)
        batch.stage = ""
        batch.progress = 1.0
        batch.run_token = None
        batch.finished_at = timezone.now()
        batch.save()
    return batch


def batch_import(
    *,
    batch_id: str,
    on_progress: Callable[[float], None] | None = None,
    on_report: Callable[[float], None] | None = None,
    keep_lease: bool = False,
) -> Batch | None:
    """Run the whole pipeline for one batch. Safe to call twice, from any number of workers.

    ``on_progress`` hears the progress after each imported chunk has committed; ``on_report``
    hears every progress report, validation included (a command's progress line). ``keep_lease``
    renews the lease from a thread for as long as the run is alive (the worker; see ``LeaseKeeper``),
    so a slow step (GX over a whole column, a large chunk on a busy database) keeps its batch.
    """
    token = batch_claim(batch_id=batch_id)
    if token is None:
        return None
    with LeaseKeeper(batch_id, token) if keep_lease else contextlib.nullcontext():
        return _run(batch_id, token, on_progress, on_report)


def _run(
    batch_id: str,
    token: uuid.UUID,
    on_progress: Callable[[float], None] | None,
    on_report: Callable[[float], None] | None,
) -> Batch:
    batch = Batch.objects.select_related("project").get(pk=batch_id)
    project = batch.project
    progress = Progress(batch_id, token, listener=on_report)
    report: ValidationReport | None = None
    if not batch.accepted_anyway:
        try:
            report = _validate(batch, token, progress)
        except BatchFileError as exc:
            batch_fail(batch_id=batch_id, token=token, message=str(exc))
            return Batch.objects.get(pk=batch_id)
        except (LeaseLost, OperationalError, InterfaceError):
            raise
        except SoftTimeLimitExceeded:
            batch_fail(batch_id=batch_id, token=token, message="validation took longer than the time limit")
            return Batch.objects.get(pk=batch_id)
        except Exception as exc:
            logger.exception("batch %s: unexpected error while validating", batch_id)
            batch_fail(batch_id=batch_id, token=token, message=f"unexpected error while validating: {exc}")
            return Batch.objects.get(pk=batch_id)
        if not report.passed:
            return batch_quarantine(batch_id=batch_id, token=token, report=report)
    start = progress.value
    reader = _reader(BatchReader, batch)
    project_has_items = items.project_has_items(project_id=project.pk)
    seen: set[str] = set()
    added = duplicates = empty = 0
    mapping = LabelMapping.from_dict(batch.label_mapping)
    labels = BatchLabels()
    try:
        heartbeat(batch_id, token, stage="importing")
        staged_labels_discard(batch_id=batch_id)  # what an earlier run of this batch staged
        for chunk in reader.chunks():
            found = BatchLabels()
            chunk = label_rows.chunk_labels(
                chunk, mapping=mapping, task_type=project.task_type, labels=project.label_names, into=found
            )
            # The rows and the heartbeat that proves the lease commit together, or not at all.
            with transaction.atomic():
                chunk, augmented = lineage.chunk_lineage(project_id=project.pk, batch_id=str(batch.pk), chunk=chunk)
                chunk_added, chunk_duplicates = items.write_chunk(
                    project_id=project.pk,
                    batch_id=str(batch.pk),
                    content_key=project.content_column,
                    chunk=chunk,
                    seen=seen,
                    project_has_items=project_has_items,
                )
                lineage.lineage_record(
                    project_id=project.pk, batch_id=str(batch.pk), user_id=batch.uploaded_by_id, rows=augmented
                )
                # Staged with the chunk's items; they become labels with the version.
                labels_stage(project=project, batch_id=str(batch.pk), uploader_id=batch.uploaded_by_id, labels=found)
                added += chunk_added
                duplicates += chunk_duplicates
                empty += chunk.empty
                progress.report(
                    start + (0.98 - start) * reader.fraction_done,
                    rows_total=reader.rows_read,
                    rows_added=added,
                    rows_duplicate=duplicates,
                )
            labels.absorb(found)
            if on_progress:
                on_progress(progress.value)
        annotators_check(project=project, names=labels.annotators(), mapping=mapping)
    except (BatchFileError, LabelError, DomainError) as exc:
        batch_fail(batch_id=batch_id, token=token, message=str(exc))
        return Batch.objects.get(pk=batch_id)
    except LeaseLost:
        raise
    except SoftTimeLimitExceeded:
        batch_fail(batch_id=batch_id, token=token, message="the import took longer than the time limit and was stopped")
        return Batch.objects.get(pk=batch_id)
    except (OperationalError, InterfaceError):
        # The database went away or stayed locked: a later run may well succeed, so the
        # batch keeps its lease until it runs out and the sweep sends it again.
        logger.exception("batch %s: database error; the recovery sweep will retry it", batch_id)
        raise
    except Exception as exc:
        logger.exception("batch %s: unexpected error", batch_id)
        batch_fail(batch_id=batch_id, token=token, message=f"unexpected error while importing: {exc}")
        return Batch.objects.get(pk=batch_id)
    return batch_finalize(
        batch_id=batch_id,
        token=token,
        added=added,
        duplicates=duplicates,
        empty=empty,
        rows=reader.rows_read,
        report=report,
        labels=labels,
    )


def batch_finalize(
    *,
    batch_id: str,
    token: uuid.UUID,
    added: int,
    duplicates: int,
    rows: int,
    empty: int = 0,
    report: ValidationReport | None = None,
    labels: BatchLabels | None = None,
) -> Batch:
    """Make the batch's items visible as one new version, or not at all, with the validation's results.

    Without a ``report`` (a batch accepted anyway) the results of its validation stay as they were.
    The ``labels`` the file brought, and the labeling queue's rows of the new items, are written in
    the same transaction as the version.
    """
    with transaction.atomic():
        batch = Batch.objects.get(pk=batch_id)
        Project.objects.select_for_update(no_key=True).filter(pk=batch.project_id).first()
        batch = Batch.objects.select_for_update(no_key=True).get(pk=batch_id)
        if batch.run_token != token or batch.status != BatchStatus.VALIDATING:
            raise LeaseLost(batch_id)
        if added:
            versions.version_create(batch=batch, added=added, duplicates=duplicates)
        imported = None
        if labels:
            imported = imported_labels_store(
                project=batch.project,
                batch_id=str(batch.pk),
                uploader_id=batch.uploaded_by_id,
                labels=labels,
                mapping=LabelMapping.from_dict(batch.label_mapping),
            )
        batch.status = BatchStatus.ACCEPTED
        batch.stage = ""
        batch.progress = 1.0
        batch.rows_total, batch.rows_added, batch.rows_duplicate = rows, added, duplicates
        if report is not None:
            batch.results = _stored_results(report.results)
            batch.summary = report.summary
        checks = [r for r in batch.results if r.get("check") != "import"]
        message = "" if added else "every row was already in the dataset; no new version"
        if empty:
            message = f"{empty:,} row{'s' if empty != 1 else ''} with empty {batch.project.content_column!r} left out"
            message += "" if added else "; no new version"
        if imported is not None:
            message = "; ".join(filter(None, [message, _labels_message(imported)]))
        batch.results = [
            *checks,
            {
                "check": "import",
                "type": "import",
                "severity": "info",
                "success": True,
                "rows": rows,
                "added": added,
                "duplicates": duplicates,
                "empty": empty,
                "message": message,
                **({"labels": imported} if imported is not None else {}),
            },
        ]
        batch.run_token = None
        batch.finished_at = timezone.now()
        batch.save()
        if batch.version_id:
            # The queue is ready when the version is: no /next/ ever fills a million rows.
            queue_sync(project=batch.project)
            report_request(version=batch.version)  # from a worker, once this commits
    return batch


def _labels_message(imported: dict) -> str:
    parts = [f"{imported['annotations']:,} annotation(s), {imported['skips']:,} skip(s), "
             f"{imported['gold']:,} gold answer(s) and {imported['predictions']:,} prediction(s) imported"]  # fmt: skip
    if imported["unsupported"]:
        parts.append(f"{imported['unsupported']:,} result(s) not imported: a type this project cannot hold")
    if imported["already_labeled"]:
        parts.append(f"{imported['already_labeled']:,} label(s) left out: their annotator had labeled the item")
    if imported["unmatched_skipped"]:
        parts.append(f"{imported['unmatched_skipped']:,} label(s) of annotators who are not members left out")
    if imported["over_overlap"]:
        parts.append(f"{imported['over_overlap']:,} item(s) hold more annotations than the overlap")
    return "; ".join(parts)


def batch_recover_stale() -> list[str]:
    """Send again every batch whose worker died or whose message was lost; return their ids."""
    cutoff = lease_cutoff()
    resend: list[str] = []
    with transaction.atomic():
        stale = Batch.objects.select_for_update(no_key=True).filter(status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff)
        for batch in stale:
            if batch.status == BatchStatus.VALIDATING and batch.attempts >= settings.GROUNDWORK_BATCH_MAX_ATTEMPTS:
                staged_labels_discard(batch_id=str(batch.pk))
                items.items_discard(batch_id=batch.pk)
                _mark_failed(batch, f"gave up after {batch.attempts} attempts; the worker stopped each time")
                continue
            batch.status = BatchStatus.QUEUED
            batch.run_token = None
            batch.stage = ""
            batch.heartbeat_at = timezone.now()
            batch.save(update_fields=["status", "run_token", "stage", "heartbeat_at"])
            resend.append(str(batch.pk))
        for batch_id in resend:
            transaction.on_commit(lambda batch_id=batch_id: _enqueue(batch_id))
    return resend
