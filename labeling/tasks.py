"""Thin Celery tasks of the labeling app: primitive ids in, re-fetch, call a service."""

from celery import shared_task

from labeling.explorer.selection_run import selection_job_run
from labeling.exports.job_run import export_job_run
from labeling.models import PredictionSet
from labeling.models_eval.services import model_evaluation_compute
from labeling.predictions.services import prediction_upload_process
from labeling.review.services.results import review_result_compute
from labeling.services import queues_fill_behind as queues_fill_behind_service
from labeling.suggestions.tasks import queue_order_apply_task
from labeling.team.services import team_counts_refresh
from projects.models import Project

__all__ = ["queue_order_apply_task", "review_result_compute_task"]  # the worker finds both here


@shared_task(acks_late=True, reject_on_worker_lost=True)
def review_result_compute_task(project_id: int, version: int, kind: str) -> None:
    """Compute an agreement report, consensus or label-issue ranking too large for a request.

    Safe to run twice: the second run stores the same result over the first.
    """
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return
    review_result_compute(project=project, version=version, kind=kind)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def prediction_upload_task(upload_id: int) -> None:
    """Check and write an uploaded predictions file. Safe to run twice (see the service)."""
    prediction_upload_process(upload_id=upload_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def model_evaluation_task(project_id: int, prediction_set_id: int) -> None:
    """Evaluate a model version of a project too large for a request. Safe to run twice."""
    prediction_set = PredictionSet.objects.select_related("project").filter(pk=prediction_set_id).first()
    if prediction_set is None or prediction_set.project_id != project_id:
        return
    model_evaluation_compute(project=prediction_set.project, prediction_set=prediction_set)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1800, time_limit=1900)
def queues_fill_behind() -> list[int]:
    """The sweep: fill queues that are behind their newest version (see ``queue_catch_up``)."""
    return queues_fill_behind_service()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def export_job_run_task(job_id: str) -> None:
    """Write an export job's file. Safe to run twice: a finished job is left as it is."""
    export_job_run(job_id=job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def team_counts_refresh_task(project_id: int) -> None:
    """Take a project's team counts again, too long a count for a request. Safe to run twice,
    and two at once (see the service)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return
    team_counts_refresh(project=project)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, soft_time_limit=3600, time_limit=3700)
def selection_job_run_task(job_id: str) -> None:
    """Act on a large selection a chunk at a time. Safe to run twice: a rerun resumes after the
    last chunk committed, and a finished job is left as it is."""
    selection_job_run(job_id=job_id)
