"""Bring a model evaluation up to date: in the request for a small project, by a worker for a
large one (queued once; the page says so and reloads)."""

from django.db import transaction

from labeling.models import ReviewResult
from labeling.models_eval.selectors import CachedEvaluation
from labeling.models_eval.services import model_evaluation_compute, model_evaluation_mark_computing
from labeling.tasks import model_evaluation_task
from projects.models import Project


def model_evaluation_current(*, project: Project, cached: CachedEvaluation) -> ReviewResult:
    if cached.fresh and cached.row is not None:
        return cached.row
    if cached.inline:
        return model_evaluation_compute(project=project, prediction_set=cached.prediction_set)
    if cached.running and cached.row is not None:
        return cached.row
    row = model_evaluation_mark_computing(
        project=project, prediction_set=cached.prediction_set, fingerprint=cached.fingerprint
    )
    set_id = cached.prediction_set.pk
    transaction.on_commit(lambda: model_evaluation_task.delay(project.pk, set_id))
    return row
