"""Writing version reports: compute and store, queue a computation, freeze, keep a note.

A report is computed by a worker when its version is made, and again when a page or the API
finds it stale (the labels changed since); a frozen report is never computed again.
"""

import io
import json
import logging
import zipfile
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import Conflict, DomainError
from datasets.models import DatasetVersion
from labeling.review.data import canonical
from labeling.review.selectors import labels_fingerprint
from quality.models import ReportStatus, VersionReport
from quality.reports import build, figures
from quality.reports.selectors import diff_base

logger = logging.getLogger(__name__)
MAX_NOTE = 10_000


def _finals_path(version: DatasetVersion, fingerprint: str) -> str:
    digest = abs(hash(fingerprint)) % 10**12
    return f"reports/{version.project_id}/v{version.number}-{digest}.npz"


def _save_finals(version: DatasetVersion, fingerprint: str, result: build.Finals) -> str:
    """The final labels as an ``.npz`` file (what ``np.savez_compressed`` writes, read by ``np.load``), deflated
    at level 1: at a million items 10x quicker than the default level (1.6 s to 0.15 s) for a file 4% larger."""
    buffer = io.BytesIO()
    arrays = {"item_ids": result.item_ids, "codes": result.codes,
              "values": np.array([canonical(v) for v in result.values])}  # fmt: skip
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return default_storage.save(_finals_path(version, fingerprint), ContentFile(buffer.getvalue()))


def _load_finals(path: str) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    if not path or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        data = np.load(io.BytesIO(handle.read()), allow_pickle=False)
        return data["item_ids"], data["codes"], [str(v) for v in data["values"].tolist()]


def _changes(base: VersionReport | None, result: build.Finals) -> dict | None:
    """Old final -> new final against the base report's snapshot, over this report's values."""
    loaded = _load_finals(base.finals_file) if base else None
    if loaded is None:
        return None
    old_ids, old_codes, old_values = loaded
    values = [canonical(v) for v in result.values]
    index = {v: i for i, v in enumerate(values)}
    for value in old_values:  # a label the base knew and no item holds now still gets its row
        index.setdefault(value, len(index))
    remap = np.array([index[v] for v in old_values] + [figures.NO_LABEL], dtype=np.int64)
    old = remap[np.where(old_codes >= 0, old_codes, len(old_values))]
    names = sorted(index, key=index.get)
    changes = figures.label_changes(result.item_ids, result.codes, old_ids, old, len(index))
    return {**changes, "labels": [json.loads(n) for n in names], "against": base.version.number}


def report_compute(*, version: DatasetVersion) -> VersionReport:
    """Compute the report now and store it (not over a frozen one). The fingerprint is read first, so
    labels that change during the computation leave the report stale, never wrongly fresh."""
    project = version.project
    fingerprint, _ = labels_fingerprint(project=project, kind="report")
    report = _row(version)
    if report.is_frozen:
        return report
    base = diff_base(version=version)
    note = report.note
    try:
        sections, result = build.build(
            version, parent_report=base.data if base else None, fingerprint=fingerprint, note=note
        )
        sections["summary"]["label_changes"] = _changes(base, result)
        finals_file = _save_finals(version, fingerprint, result)
    except Exception as exc:
        logger.exception("report of %s failed", version)
        VersionReport.objects.filter(pk=report.pk, frozen_at__isnull=True).update(
            status=ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000], computed_at=timezone.now()
        )
        raise
    with transaction.atomic():
        locked = VersionReport.objects.select_for_update().get(pk=report.pk)
        if locked.is_frozen:
            return locked
        old_file = locked.finals_file
        locked.status = ReportStatus.DONE
        locked.fingerprint = fingerprint
        locked.data = sections
        locked.finals_file = finals_file
        locked.error = ""
        locked.computed_at = timezone.now()
        locked.save()
    if old_file and old_file != finals_file:
        default_storage.delete(old_file)
    return locked


def _row(version: DatasetVersion) -> VersionReport:
    try:
        with transaction.atomic():
            report, _ = VersionReport.objects.get_or_create(
                version=version, defaults={"project_id": version.project_id}
            )
    except IntegrityError:  # created by a concurrent request
        report = VersionReport.objects.get(version=version)
    return report


def report_request(*, version: DatasetVersion) -> VersionReport:
    """Queue a computation when the report is missing or stale (and not frozen); returns the row as it stands.

    A computation already running for the same labels is not queued twice.
    """
    report = _row(version)
    if report.is_frozen:
        return report
    fingerprint, _ = labels_fingerprint(project=version.project, kind="report")
    if report.status == ReportStatus.DONE and report.fingerprint == fingerprint:
        return report
    running_since = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    if report.status == ReportStatus.COMPUTING and report.started_at and report.started_at > running_since:
        return report
    VersionReport.objects.filter(pk=report.pk, frozen_at__isnull=True).update(
        status=ReportStatus.COMPUTING, started_at=timezone.now(), error=""
    )
    transaction.on_commit(lambda: _enqueue(version.pk))
    report.refresh_from_db()
    return report


def _enqueue(version_id: int) -> None:
    from quality.tasks import version_report_compute

    try:
        version_report_compute.delay(version_id)
    except Exception:  # the broker is down: the next page visit queues it again
        logger.exception("could not queue the report of version %s", version_id)


def report_freeze(*, version: DatasetVersion, user: AbstractBaseUser) -> VersionReport:
    """Fix the report as it is now (a model was trained on this version): it never changes again."""
    with transaction.atomic():
        report = VersionReport.objects.select_for_update().filter(version=version).first()
        if report is None or report.status != ReportStatus.DONE:
            raise Conflict("the report is not computed yet; freeze it once it is")
        if report.is_frozen:
            raise Conflict(f"the report was frozen already, on {report.frozen_at:%Y-%m-%d %H:%M} UTC")
        report.frozen_at = timezone.now()
        report.frozen_by = user
        report.save(update_fields=["frozen_at", "frozen_by"])
    return report


def report_note_set(*, version: DatasetVersion, note: str) -> VersionReport:
    """The manager's free-text note for the datasheet; it shows in the next computation."""
    if not isinstance(note, str):
        raise DomainError("note must be text")
    if len(note) > MAX_NOTE:
        raise DomainError(f"the note is longer than {MAX_NOTE:,} characters")
    report = _row(version)
    if report.is_frozen:
        raise Conflict("a frozen report does not change")
    with transaction.atomic():
        report = VersionReport.objects.select_for_update().get(pk=report.pk)
        report.note = note.strip()
        if report.data:
            report.data = {**report.data, "datasheet": {**report.data.get("datasheet", {}), "note": report.note}}
        report.save(update_fields=["note", "data"])
    return report
