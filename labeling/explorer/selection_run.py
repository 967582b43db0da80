"""What a worker does with a selection job: the action, a chunk of items at a time, in id order.

Each chunk is one transaction that changes its items and moves the job's cursor and counts
with them, under a lock on the job's row: a run that dies loses nothing (the chunk rolls
back), a second run waits, then starts after the first one's last chunk, so nothing is done
or counted twice. Progress is the share of the selection's id range behind the cursor.
"""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from config.errors import DomainError
from config.forms import first_error
from datasets.models import Batch, Item
from labeling.explorer import selectors
from labeling.explorer.forms import ExplorerFilterForm
from labeling.explorer.selections import items_prioritize, items_send_back
from labeling.models import ExportJobStatus, SelectionAction, SelectionJob
from labeling.services import queue_sync
from projects.models import Project

CHUNK_SIZE = 5_000
# The explorer's parameters that page or order the list: not part of what a selection holds.
NOT_FILTERS = ("cursor", "sort")


def selection_items(*, project: Project, number: int, filters: QueryDict | dict[str, Any]) -> QuerySet[Item]:
    """The version's items the explorer's filters select (the page's form, by the same names);
    an unknown or bad filter is a ``DomainError``."""
    if not isinstance(filters, QueryDict):
        given = QueryDict(mutable=True)
        for key, value in filters.items():
            given[key] = value
        filters = given
    known = set(ExplorerFilterForm.base_fields) - set(NOT_FILTERS)
    unknown = sorted(set(filters) - known)
    if unknown:
        raise DomainError(f"unknown filter {', '.join(unknown)}; the filters are {', '.join(sorted(known))}")
    batches = list(Batch.objects.filter(project=project, version__number__lte=number).order_by("version__number"))
    form = ExplorerFilterForm(filters, project=project, batches=batches)
    if not form.is_valid():
        raise DomainError(first_error(form))
    return selectors.explorer_items(
        project=project, number=number, data=form.data_filters(), labels=form.label_filters()
    )


def selection_job_run(*, job_id: str) -> SelectionJob | None:
    """Run the job from its cursor to the end; a job done or failed is left as it is."""
    job = SelectionJob.objects.select_related("project", "requested_by").filter(pk=job_id).first()
    if job is None or not job.is_active:
        return job
    project = job.project
    SelectionJob.objects.filter(pk=job.pk, status=ExportJobStatus.QUEUED).update(status=ExportJobStatus.RUNNING)
    try:
        items = selection_items(project=project, number=job.version, filters=job.filters)
        queue_sync(project=project)  # once, not per chunk: the version's items all have their rows
        ids = items.order_by("id").values_list("id", flat=True)
        first, last = ids.first() or 0, ids.order_by("-id").first() or 0
        while _chunk_run(job=job, items=items, first=first, last=last):
            pass
    except Exception as exc:  # kept on the row so the page can say what failed
        error = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        SelectionJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED, error=error, finished_at=timezone.now()
        )
        if not isinstance(exc, DomainError):
            raise
    return SelectionJob.objects.get(pk=job.pk)


def _chunk_run(*, job: SelectionJob, items: QuerySet[Item], first: int, last: int) -> bool:
    """Act on the next chunk and move the cursor past it; False once the job is done."""
    with transaction.atomic():
        locked = SelectionJob.objects.select_for_update().get(pk=job.pk)
        if not locked.is_active:  # another run finished it meanwhile
            return False
        rest = items.filter(id__gt=locked.last_item_id)
        boundary = list(rest.order_by("id").values_list("id", flat=True)[CHUNK_SIZE - 1 : CHUNK_SIZE])
        chunk = rest.filter(id__lte=boundary[0]) if boundary else rest
        if locked.action == SelectionAction.SEND_BACK:
            outcome = items_send_back(
                project=job.project, items=chunk, reviewer=job.requested_by, count=locked.amount, note=locked.note
            )
            locked.touched += outcome.sent
            locked.refused += outcome.refused
        else:
            locked.touched += items_prioritize(project=job.project, items=chunk, priority=locked.amount)
        if boundary:
            locked.last_item_id = boundary[0]
            locked.progress = min(max((boundary[0] - first) / max(last - first, 1), 0.0), 0.99)
        else:
            locked.last_item_id = max(last, locked.last_item_id)
            locked.progress = 1.0
            locked.status = ExportJobStatus.DONE
            locked.finished_at = timezone.now()
        locked.save(update_fields=["last_item_id", "touched", "refused", "progress", "status", "finished_at"])
        return bool(boundary)
