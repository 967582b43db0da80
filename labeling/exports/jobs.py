"""Exports written to a file by a worker: check the options, start a job, find it again.

A job stores what the request asked for (format, layout, the filters as given) and the worker
parses it again (``job_run``), so the file holds what a streamed export of the same URL would.
"""

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict

from config.errors import DomainError
from datasets.selectors import version_get
from labeling import exports
from labeling.exports.selection import FLAT, FLAT_FORMATS, ExportOptions, export_options_parse
from labeling.models import ExportJob
from labeling.tasks import export_job_run_task
from projects.models import Project
from projects.selectors import REVIEWERS, project_get_for_user


def export_options_check(
    *, project: Project, number: int, export_format: str, query: QueryDict | dict[str, str]
) -> ExportOptions:
    """The options of an export, checked: a format the project can have, a layout the format
    has, filters the items API knows with values that exist. Anything else is a 400."""
    spec = exports.FORMATS.get(export_format)
    if spec is None:
        raise DomainError(f"format must be one of {', '.join(exports.FORMATS)}")
    if spec.task_types is not None and project.task_type not in spec.task_types:
        raise DomainError(
            f"{export_format} is for {' or '.join(spec.task_types)} projects; this one is {project.task_type}"
        )
    options = export_options_parse(query, project=project)
    if options.layout == FLAT and export_format not in FLAT_FORMATS:
        raise DomainError(f"layout=flat is for {', '.join(FLAT_FORMATS)}; {export_format} has one layout")
    if options.selection.any:  # a label outside the schema, an unknown annotator: building the selection checks them
        options.selection.items(project=project, number=number)
    return options


def export_job_start(
    *,
    project: Project,
    number: int,
    user: AbstractBaseUser,
    export_format: str,
    query: QueryDict | dict[str, str],
    enqueue: bool = True,
) -> ExportJob:
    """Check the options, store the job and hand it to a worker once the row is committed
    (``enqueue=False``: the caller runs it, as the demo loader does)."""
    version = version_get(project=project, number=number)
    options = export_options_check(project=project, number=version.number, export_format=export_format, query=query)
    with transaction.atomic():
        job = ExportJob.objects.create(
            project=project,
            version=version.number,
            requested_by=user,
            format=export_format,
            layout=options.layout,
            filters=options.selection.query,
        )
        if enqueue:
            transaction.on_commit(lambda: export_job_run_task.delay(str(job.pk)))
    return job


def export_job_get_for_user(*, user: AbstractBaseUser, job_id: object) -> ExportJob:
    """The job, for a reviewer or manager of its project; anyone else gets a 404."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404 from None
    job = ExportJob.objects.select_related("project").filter(pk=job_uuid).first()
    if job is None:
        raise Http404
    project_get_for_user(user=user, project_id=job.project_id, roles=REVIEWERS)
    return job


def export_jobs_recent(*, project: Project, number: int, limit: int = 10) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(project=project, version=number).order_by("-created_at")[:limit]


def export_job_file_open(*, job: ExportJob) -> File:
    return default_storage.open(job.file, "rb")
