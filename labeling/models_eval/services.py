"""Computing a model evaluation and keeping it in the review's result cache."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError
from labeling.models import PredictionSet, ReviewResult, ReviewResultStatus
from labeling.models_eval.data import evaluation_arrays
from labeling.models_eval.evaluation import evaluate
from labeling.models_eval.selectors import CACHE_VERSION, evaluation_fingerprint, evaluation_kind
from labeling.models_eval.set_data import set_evaluation_arrays
from labeling.models_eval.set_evaluation import evaluate_sets
from projects.models import Project, TaskType


def model_evaluation_compute(*, project: Project, prediction_set: PredictionSet) -> ReviewResult:
    """Evaluate now and store it. The fingerprint is taken before reading, so a label that
    changes meanwhile leaves the stored result stale, never wrongly fresh."""
    fingerprint, _ = evaluation_fingerprint(project=project, prediction_set=prediction_set)
    try:
        result = _evaluated(project, prediction_set)
    except DomainError:
        raise
    except Exception as exc:  # kept on the row so the page can say what failed
        _store(project, prediction_set, fingerprint=fingerprint, status=ReviewResultStatus.FAILED,
               result=None, error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        raise
    result["model_name"] = prediction_set.model_name
    result["prediction_set"] = prediction_set.pk
    return _store(project, prediction_set, fingerprint=fingerprint, status=ReviewResultStatus.DONE,
                  result=result, error="")  # fmt: skip


def _evaluated(project: Project, prediction_set: PredictionSet) -> dict[str, Any]:
    if project.task_type in (TaskType.MULTILABEL, TaskType.SPANS):
        return evaluate_sets(set_evaluation_arrays(project=project, prediction_set=prediction_set))
    return {
        "task_type": project.task_type,
        **evaluate(evaluation_arrays(project=project, prediction_set=prediction_set)),
    }


def model_evaluation_mark_computing(
    *, project: Project, prediction_set: PredictionSet, fingerprint: str
) -> ReviewResult:
    return _store(project, prediction_set, fingerprint=fingerprint, status=ReviewResultStatus.COMPUTING, error="")


def _store(project: Project, prediction_set: PredictionSet, **fields: Any) -> ReviewResult:
    now = timezone.now()
    fields["started_at" if fields["status"] == ReviewResultStatus.COMPUTING else "computed_at"] = now
    kind = evaluation_kind(prediction_set)
    for _ in range(2):  # two first requests at once: the second updates the row the first created
        try:
            with transaction.atomic():
                row, _ = ReviewResult.objects.update_or_create(
                    project=project, version=CACHE_VERSION, kind=kind, defaults=fields
                )
                return row
        except IntegrityError:
            continue
    raise DomainError("the evaluation is being written by another request; try again", status_code=409)
