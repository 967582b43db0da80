"""Reading a cached model evaluation and deciding whether it is fresh; reads only."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from labeling.models import PredictionSet, ReviewResult, ReviewResultStatus
from labeling.review.selectors import inline_limit, labels_fingerprint
from projects.models import Project

# Evaluations share the review's result cache, one row per model version: version 0 is "the project's labels".
CACHE_VERSION = 0


def evaluation_kind(prediction_set: PredictionSet) -> str:
    return f"model_eval:{prediction_set.pk}"


@dataclass(frozen=True)
class CachedEvaluation:
    prediction_set: PredictionSet
    row: ReviewResult | None
    fingerprint: str
    n_annotations: int

    @property
    def fresh(self) -> bool:
        return self.row is not None and self.row.fingerprint == self.fingerprint and self.row.status == "done"

    @property
    def running(self) -> bool:
        """A worker is on it (or failed on it) for these very labels, recently enough to wait for."""
        row = self.row
        return (
            row is not None
            and row.fingerprint == self.fingerprint
            and row.status in (ReviewResultStatus.COMPUTING, ReviewResultStatus.FAILED)
            and row.started_at is not None
            and row.started_at > timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        )

    @property
    def inline(self) -> bool:
        return self.n_annotations < inline_limit()


def evaluation_fingerprint(*, project: Project, prediction_set: PredictionSet) -> tuple[str, int]:
    """The labels' fingerprint (annotations, adjudications, schema) and the model version it is of."""
    fingerprint, n_annotations = labels_fingerprint(project=project, kind="agreement")
    return f"{fingerprint}:m{prediction_set.pk}", n_annotations


def evaluation_cached(*, project: Project, prediction_set: PredictionSet) -> CachedEvaluation:
    fingerprint, n_annotations = evaluation_fingerprint(project=project, prediction_set=prediction_set)
    row = ReviewResult.objects.filter(
        project=project, version=CACHE_VERSION, kind=evaluation_kind(prediction_set)
    ).first()
    return CachedEvaluation(
        prediction_set=prediction_set, row=row, fingerprint=fingerprint, n_annotations=n_annotations
    )
