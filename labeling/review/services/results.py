"""The cache of computed results: compute a kind now and store it, or mark it as being computed.

Reading the cache is ``selectors.review_result_cached``; deciding between the request and a
worker is ``services.refresh``.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError
from labeling.models import ReviewResult, ReviewResultStatus
from labeling.review import compute_kinds, selectors
from labeling.review.ranked import ranked_items_replace
from labeling.review.selectors import inline_limit, result_summary
from labeling.review.slices import SLICED_KINDS, result_slices_replace

__all__ = ["inline_limit", "review_result_compute", "review_result_mark_computing"]
from projects.models import Project


def review_result_compute(*, project: Project, version: int, kind: str) -> ReviewResult:
    """Compute and store the result now. The fingerprint is taken before reading, so a label
    that changes during the computation leaves the stored result stale, never wrongly fresh."""
    fingerprint, _ = selectors.labels_fingerprint(project=project, kind=kind)
    queue = None  # label issues: the item ranking they were computed from, stored as rows in their order
    try:
        if kind == "label_issues":
            result, queue = compute_kinds.label_issues_and_queue(project=project, version=version)
        else:
            result = compute_kinds.compute_kind(project=project, version=version, kind=kind)
    except DomainError:
        raise
    except Exception as exc:  # kept on the row so the page can say what failed
        _store(project=project, version=version, kind=kind, fingerprint=fingerprint,
               status=ReviewResultStatus.FAILED, result=None, error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        raise
    return _store(project=project, version=version, kind=kind, fingerprint=fingerprint,
                  status=ReviewResultStatus.DONE, result=result, error="", queue=queue)  # fmt: skip


def review_result_mark_computing(*, project: Project, version: int, kind: str, fingerprint: str) -> ReviewResult:
    """Record that a worker is about to compute the result for the labels ``fingerprint`` describes."""
    return _store(project=project, version=version, kind=kind, fingerprint=fingerprint,
                  status=ReviewResultStatus.COMPUTING, error="")  # fmt: skip


def _store(
    *, project: Project, version: int, kind: str, queue: dict[str, Any] | None = None, **fields: Any
) -> ReviewResult:
    now = timezone.now()
    if fields["status"] == ReviewResultStatus.COMPUTING:
        fields["started_at"] = now
    else:
        fields["computed_at"] = now
        fields["summary"] = result_summary(kind=kind, result=fields["result"])
    for _ in range(2):  # two first requests at once: the second updates the row the first created
        try:
            with transaction.atomic():
                row, _ = ReviewResult.objects.update_or_create(
                    project=project, version=version, kind=kind, defaults=fields
                )
                if fields["status"] != ReviewResultStatus.COMPUTING:
                    if kind == "items":
                        ranked_items_replace(row=row, ranking=fields["result"])
                    if kind == "label_issues":
                        scores = (fields["result"] or {}).get("scores") or {}
                        ranked_items_replace(row=row, ranking=queue, scores=scores)
                    if kind in SLICED_KINDS:
                        result_slices_replace(row=row, result=fields["result"])
                return row
        except IntegrityError:
            continue
    raise DomainError("the result is being written by another request; try again", status_code=409)
