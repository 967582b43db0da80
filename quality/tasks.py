"""Thin Celery tasks: ids in, a service call, safe to run twice.

Nothing here runs as a worker's child process starts: Celery kills a child that has not
reported itself up within ``CELERY_WORKER_PROC_ALIVE_TIMEOUT``, and an import of seconds
there (GX took 21 s on a loaded machine) turns every restart of the child into a kill loop.
Great Expectations is imported by the first batch whose suite needs it, inside the batch's
lease, which ``LeaseKeeper`` renews meanwhile.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from datasets.models import DatasetVersion
from quality.augment import services as augment_services
from quality.leakage import services as leakage_services
from quality.pipeline import services
from quality.reports import services as report_services
from quality.splits import services as split_services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def batch_process(self, batch_id: str) -> None:
    try:
        services.batch_import(batch_id=batch_id, keep_lease=True)
    except services.ProjectBusy:
        raise self.retry(countdown=5) from None
    except services.LeaseLost:
        logger.warning("batch %s was taken over by another worker; this run stops", batch_id)
    except SoftTimeLimitExceeded:
        services.batch_fail(batch_id=batch_id, token=None, message="the import took longer than the time limit")


@shared_task(acks_late=True, ignore_result=True)
def batch_recover_stale() -> list[str]:
    return services.batch_recover_stale()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def augmentation_generate(job_id: str) -> None:
    """Generate a job's augmented rows; their batch then goes through ``batch_process`` like any other."""
    augment_services.augmentation_job_run(job_id=job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def version_report_compute(version_id: int) -> None:
    """Compute a version's report. Safe to run twice: the second run stores the same report again."""
    version = DatasetVersion.objects.select_related("project", "parent").filter(pk=version_id).first()
    if version is not None:
        report_services.report_compute(version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def split_assign(split_id: int) -> None:
    split_services.split_run(split_id=split_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def leakage_check(check_id: int) -> None:
    leakage_services.leakage_run(check_id=check_id)
