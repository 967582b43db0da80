"""Act on a selection: in the request when it is small, as a job on a worker when it is not.

A selection of up to ``GROUNDWORK_SELECTION_INLINE_MAX`` items (counted with a bounded count)
runs at once, as set-based statements; a larger one is stored as a ``SelectionJob`` with the
filters as given and run by ``selection_run`` a chunk at a time, its progress on the page.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict

from config.errors import DomainError
from datasets.models import Item
from datasets.selectors import version_get
from labeling.explorer import selections
from labeling.explorer.selection_run import selection_items
from labeling.models import SelectionAction, SelectionJob
from labeling.review.services import COUNT_ERROR, MAX_SEND_BACK
from labeling.tasks import selection_job_run_task
from projects.models import Project
from projects.selectors import MANAGERS, project_get_for_user


@dataclass(frozen=True)
class SelectionResult:
    """What acting on a selection did: the counts when it ran at once, else the job that runs it."""

    action: str
    touched: int = 0
    refused: int = 0
    job: SelectionJob | None = None


def filters_given(filters: QueryDict | dict[str, Any]) -> dict[str, str]:
    """The filters as a job keeps them: the last value of each, empty ones left out."""
    if isinstance(filters, QueryDict):
        return {key: filters[key] for key in filters if filters[key] != ""}
    return {key: str(value) for key, value in filters.items() if value not in ("", None)}


def selection_amount_check(*, action: str, amount: object) -> int:
    """The number of labels to ask for, or the priority, in its range; else a ``DomainError``."""
    if action not in SelectionAction.values:
        raise DomainError(f"action must be one of {', '.join(SelectionAction.values)}")
    top, error = (
        (MAX_SEND_BACK, COUNT_ERROR)
        if action == SelectionAction.SEND_BACK
        else (selections.MAX_PRIORITY, f"priority must be a whole number from 1 to {selections.MAX_PRIORITY}")
    )
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= top:
        raise DomainError(error)
    return amount


def selection_is_small(items: QuerySet[Item]) -> bool:
    """At most ``GROUNDWORK_SELECTION_INLINE_MAX`` items: one count that stops past the limit."""
    limit = settings.GROUNDWORK_SELECTION_INLINE_MAX
    return items.order_by()[: limit + 1].count() <= limit


def selection_job_create(
    *,
    project: Project,
    number: int,
    user: AbstractBaseUser,
    action: str,
    amount: int,
    note: str = "",
    filters: QueryDict | dict[str, Any],
    enqueue: bool = True,
) -> SelectionJob:
    """Check the action and filters, store the job, hand it to a worker once it is committed
    (``enqueue=False``: the caller runs it)."""
    version = version_get(project=project, number=number)
    amount = selection_amount_check(action=action, amount=amount)
    kept = filters_given(filters)
    selection_items(project=project, number=version.number, filters=kept)  # a bad filter stores nothing
    return _job_store(
        project=project, number=version.number, user=user, action=action, amount=amount, note=note, filters=kept,
        enqueue=enqueue,
    )  # fmt: skip


def _job_store(
    *, project: Project, number: int, user: AbstractBaseUser, action: str, amount: int, note: str,
    filters: dict[str, Any], enqueue: bool,
) -> SelectionJob:  # fmt: skip
    """Store a job whose action, amount and filters are already checked."""
    with transaction.atomic():
        job = SelectionJob.objects.create(
            project=project,
            version=number,
            requested_by=user,
            action=action,
            amount=amount,
            note=note or "",
            filters=filters,
        )
        if enqueue:
            transaction.on_commit(lambda: selection_job_run_task.delay(str(job.pk)))
    return job


def selection_act(
    *,
    project: Project,
    number: int,
    user: AbstractBaseUser,
    action: str,
    amount: int,
    note: str = "",
    filters: QueryDict | dict[str, Any],
) -> SelectionResult:
    """Send back or raise the priority of the selected items: at once when few, else a job."""
    version = version_get(project=project, number=number)
    amount = selection_amount_check(action=action, amount=amount)
    kept = filters_given(filters)
    items = selection_items(project=project, number=version.number, filters=kept)
    if not selection_is_small(items):  # the checks above hold for the job: it is stored as it stands
        job = _job_store(
            project=project, number=version.number, user=user, action=action, amount=amount, note=note,
            filters=kept, enqueue=True,
        )  # fmt: skip
        return SelectionResult(action=action, job=job)
    if action == SelectionAction.SEND_BACK:
        outcome = selections.items_send_back(project=project, items=items, reviewer=user, count=amount, note=note)
        return SelectionResult(action=action, touched=outcome.sent, refused=outcome.refused)
    touched = selections.items_prioritize(project=project, items=items, priority=amount)
    return SelectionResult(action=action, touched=touched)


def outcome_text(*, action: str, amount: int, touched: int, refused: int) -> str:
    """What an action did, in words: the same after a request and after a job."""
    if action == SelectionAction.PRIORITY:
        return f"{touched} item{'s' if touched != 1 else ''} now have priority {amount} or more."
    text = f"Sent {touched} item{'s' if touched != 1 else ''} back for {amount} more label(s) each."
    if refused:
        text += f" {refused} kept as they were: too few members left who have not labeled them."
    return text


def job_outcome_text(job: SelectionJob) -> str:
    return outcome_text(action=job.action, amount=job.amount, touched=job.touched, refused=job.refused)


def selection_job_get_for_user(*, user: AbstractBaseUser, job_id: object) -> SelectionJob:
    """The job, for a manager of its project; anyone else gets a 404 (or a 403 for a member)."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404 from None
    job = SelectionJob.objects.select_related("project").filter(pk=job_uuid).first()
    if job is None:
        raise Http404
    project_get_for_user(user=user, project_id=job.project_id, roles=MANAGERS)
    return job


def selection_jobs_recent(*, project: Project, number: int, limit: int = 5) -> QuerySet[SelectionJob]:
    return SelectionJob.objects.filter(project=project, version=number).order_by("-created_at")[:limit]
