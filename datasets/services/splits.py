"""Writing splits: the request, its progress, and the assignment of a version's items, set-based.

An item's split is decided once for the whole project (``ItemSplit``), so a later
version keeps every earlier item's split; assignments only ever insert rows for items
that have none (``ON CONFLICT DO NOTHING``), never change one.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from config.errors import Conflict, DomainError
from datasets.models import DatasetVersion, ItemSplit, Split, SplitName, SplitStatus

RATIO_SUM_TOLERANCE = 1e-6
WRITE_CHUNK = 100_000


def split_check_ratios(*, ratios: Mapping[str, float]) -> tuple[float, float, float]:
    """train, dev, test: each at least 0, summing to 1, with train above 0."""
    if set(ratios) != set(SplitName.values):
        raise DomainError("ratios must give train, dev and test")
    values = tuple(float(ratios[name]) for name in SplitName.values)
    if any(not np.isfinite(v) or v < 0 for v in values):
        raise DomainError("ratios must not be negative")
    if abs(sum(values) - 1.0) > RATIO_SUM_TOLERANCE:
        raise DomainError(f"ratios must sum to 1 (they sum to {sum(values):g})")
    if values[0] == 0:
        raise DomainError("train's ratio must be above 0: augmented items can only go there")
    return values  # type: ignore[return-value]


def split_create(*, version: DatasetVersion, ratios: Mapping[str, float], seed: int, user: AbstractBaseUser) -> Split:
    """A queued split of ``version``; a version is split once (a failed attempt may be retried)."""
    train, dev, test = split_check_ratios(ratios=ratios)
    with transaction.atomic():
        existing = Split.objects.select_for_update().filter(version=version).first()
        if existing is not None:
            if existing.status != SplitStatus.FAILED:
                raise Conflict(f"version {version.number} is already split ({existing.status}); splits never change")
            existing.delete()
        return Split.objects.create(version=version, train=train, dev=dev, test=test, seed=seed, requested_by=user)


def split_start(*, split_id: int) -> Split | None:
    """Mark the split running; None when it is not waiting to run (done, or already taken)."""
    with transaction.atomic():
        split = Split.objects.select_for_update().select_related("version__project").filter(pk=split_id).first()
        if split is None or split.status == SplitStatus.DONE:
            return None
        split.status = SplitStatus.RUNNING
        split.progress = 0.0
        split.error = ""
        split.save(update_fields=["status", "progress", "error"])
        return split


def split_progress(*, split_id: int, progress: float) -> None:
    Split.objects.filter(pk=split_id, status=SplitStatus.RUNNING).update(progress=min(max(progress, 0.0), 1.0))


def split_fail(*, split_id: int, message: str) -> None:
    Split.objects.filter(pk=split_id).exclude(status=SplitStatus.DONE).update(
        status=SplitStatus.FAILED, error=message, finished_at=timezone.now()
    )


def split_finish(*, split_id: int, item_ids: np.ndarray, codes: np.ndarray, report: dict[str, Any]) -> None:
    """Store the new items' splits (code -1: left out) and the report, in one transaction."""
    names = np.array([*SplitName.values, None], dtype=object)  # code -1 indexes the last: None
    with transaction.atomic():
        split = Split.objects.select_for_update().select_related("version").get(pk=split_id)
        if split.status == SplitStatus.DONE:
            return
        version = split.version
        for start in range(0, len(item_ids), WRITE_CHUNK):
            ids = [int(i) for i in item_ids[start : start + WRITE_CHUNK]]
            splits = list(names[codes[start : start + WRITE_CHUNK]])
            _insert(project_id=version.project_id, version_id=version.pk, item_ids=ids, splits=splits)
        split.status = SplitStatus.DONE
        split.progress = 1.0
        split.report = report
        split.finished_at = timezone.now()
        split.save(update_fields=["status", "progress", "report", "finished_at"])


def _insert(*, project_id: int, version_id: int, item_ids: list[int], splits: list[str | None]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ItemSplit._meta.db_table} (item_id, project_id, split, decided_in_id) "
                "SELECT item_id, %s, split, %s FROM unnest(%s::bigint[], %s::text[]) AS t(item_id, split) "
                "ON CONFLICT (item_id) DO NOTHING",
                [project_id, version_id, item_ids, splits],
            )
        return
    ItemSplit.objects.bulk_create(
        [
            ItemSplit(item_id=item_id, project_id=project_id, split=split, decided_in_id=version_id)
            for item_id, split in zip(item_ids, splits, strict=True)
        ],
        ignore_conflicts=True,
        batch_size=5_000,
    )
