"""Bring a cached result up to date: computed in the request for a small project, handed to a
worker for a large one. The one place a review result is enqueued; pages and the API call it
when the cache they read is not fresh."""

from django.db import transaction

from labeling.models import ReviewResult
from labeling.review.selectors import CachedResult, ResultState
from labeling.review.services.results import inline_limit, review_result_compute, review_result_mark_computing
from labeling.tasks import review_result_compute_task
from projects.models import Project


def review_result_refresh(*, project: Project, version: int, cached: CachedResult) -> ReviewResult:
    """The result for the labels ``cached`` was read against: as stored when fresh, else computed
    now (small projects) or queued once for a worker (large ones), returning the row in
    ``computing`` state for the caller to poll. A worker already on it is left to finish."""
    if cached.fresh and cached.row is not None:
        return cached.row
    if cached.n_annotations < inline_limit():
        return review_result_compute(project=project, version=version, kind=cached.kind)
    if cached.state in (ResultState.RUNNING, ResultState.FAILED) and cached.row is not None:
        return cached.row
    row = review_result_mark_computing(
        project=project, version=version, kind=cached.kind, fingerprint=cached.fingerprint
    )
    transaction.on_commit(lambda: review_result_compute_task.delay(project.pk, version, cached.kind))
    return row
