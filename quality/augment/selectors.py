"""Reads of augmentation jobs, within a project the caller may see."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import Http404

from datasets.models import DatasetVersion
from projects.selectors import project_get_for_user
from quality.models import AugmentationJob


def job_get_for_user(*, user: AbstractBaseUser, job_id: str) -> AugmentationJob:
    try:
        job = AugmentationJob.objects.select_related("version", "batch").get(pk=job_id)
    except (AugmentationJob.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
    project_get_for_user(user=user, project_id=job.project_id)
    return job


RECENT_JOBS = 5


def jobs_of_version(*, version: DatasetVersion) -> list[AugmentationJob]:
    """The newest generation jobs made from a version, with their batches and the versions those made."""
    jobs = AugmentationJob.objects.filter(version=version).select_related("batch", "batch__version", "created_by")
    return list(jobs.order_by("-created_at")[:RECENT_JOBS])
