"""A manager's decisions on a quarantined batch: accept it anyway, reject it, or validate it again.

Each is validated first, then written under a lock on the batch row in one transaction;
a batch sent back to the pipeline is enqueued only once that transaction committed.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from config.errors import Conflict, DomainError
from datasets.models import Batch, BatchStatus
from quality.pipeline.services import _enqueue

MAX_REASON = 5000


def _reason(reason: object, *, required: bool) -> str:
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise DomainError("reason must be text")
    reason = reason.strip()
    if required and not reason:
        raise DomainError("a reason is required to accept a quarantined batch")
    if len(reason) > MAX_REASON:
        raise DomainError(f"the reason is longer than {MAX_REASON:,} characters")
    return reason


def _locked(batch: Batch, allowed: tuple[str, ...], action: str) -> Batch:
    locked = Batch.objects.select_for_update(no_key=True).get(pk=batch.pk)
    if locked.status not in allowed:
        raise Conflict(f"only a {' or '.join(allowed)} batch can be {action}; this one is {locked.status}")
    return locked


def _requeue(batch: Batch) -> None:
    """Back to the pipeline as a fresh run: its own attempts, no lease yet."""
    batch.status = BatchStatus.QUEUED
    batch.attempts = 0
    batch.progress = 0.0
    batch.stage = ""
    batch.error = ""
    batch.run_token = None
    batch.heartbeat_at = timezone.now()
    batch.finished_at = None
    batch.save()
    transaction.on_commit(lambda: _enqueue(batch.pk))


def batch_accept_anyway(*, batch: Batch, user: AbstractBaseUser, reason: str) -> Batch:
    """Import a quarantined batch without validating it again; who, when and why are kept with it."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        batch = _locked(batch, (BatchStatus.QUARANTINED,), "accepted anyway")
        batch.accepted_anyway = True
        batch.decided_by = user
        batch.decided_at = timezone.now()
        batch.decision_reason = reason
        _requeue(batch)
    return batch


def batch_reject(*, batch: Batch, user: AbstractBaseUser, reason: str = "") -> Batch:
    """Close a quarantined batch for good: nothing of it joins the dataset."""
    reason = _reason(reason, required=False)
    with transaction.atomic():
        batch = _locked(batch, (BatchStatus.QUARANTINED,), "rejected")
        batch.status = BatchStatus.REJECTED
        batch.decided_by = user
        batch.decided_at = timezone.now()
        batch.decision_reason = reason
        batch.save()
    return batch


def batch_revalidate(*, batch: Batch) -> Batch:
    """Run the (changed) suite again on a quarantined or rejected batch; an earlier decision is dropped."""
    with transaction.atomic():
        batch = _locked(batch, (BatchStatus.QUARANTINED, BatchStatus.REJECTED), "validated again")
        batch.results = []
        batch.summary = {}
        batch.accepted_anyway = False
        batch.decided_by = None
        batch.decided_at = None
        batch.decision_reason = ""
        _requeue(batch)
    return batch
