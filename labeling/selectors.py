"""Reads for labeling, scoped to the caller's memberships."""

from datetime import datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from config.raw_rows import columns, fetch_one, model_from_row
from datasets.models import Batch, Item
from labeling.models import Annotation, Assignment, ItemState
from projects.models import Membership, Project, Role
from projects.selectors import MAX_ID, project_get_for_user

# Asked on every submit: one raw query, as ``project_get_for_user``, for the item and its project.
_ITEM_FOR_USER = f"""
    SELECT {columns(Item, "i")}, {columns(Project, "p")}, m.role
    FROM {Item._meta.db_table} i
    JOIN {Batch._meta.db_table} b ON b.id = i.batch_id
    JOIN {Project._meta.db_table} p ON p.id = i.project_id
    JOIN {Membership._meta.db_table} m ON m.project_id = p.id
    WHERE i.id = %s AND b.version_id IS NOT NULL AND m.user_id = %s
"""


def item_get_for_user(*, user: AbstractBaseUser, item_id: int) -> Item:
    """An item of a version of one of the caller's projects (its project's ``caller_role`` the
    caller's role); 404 for anything else."""
    if not 0 < item_id <= MAX_ID or user.pk is None:
        raise Http404
    found = fetch_one(Item, _ITEM_FOR_USER, [item_id, user.pk])
    if found is None:
        raise Http404
    item, rest = found
    item.project = model_from_row(Project, rest)
    item.project.caller_role = rest[-1]
    return item


def annotation_get_for_user(*, user: AbstractBaseUser, annotation_uuid: str) -> Annotation:
    try:
        annotation = Annotation.objects.select_related("item", "item__project").get(uuid=annotation_uuid)
    except (Annotation.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
    project = project_get_for_user(user=user, project_id=annotation.project_id)
    if annotation.annotator_id != user.pk and project.caller_role == Role.ANNOTATOR:
        raise Http404
    return annotation


def annotations_of_item(*, item: Item, user: AbstractBaseUser) -> QuerySet[Annotation]:
    """Reviewers and managers see every annotation of an item; an annotator sees their own."""
    annotations = Annotation.objects.filter(item=item).select_related("annotator").order_by("id")
    if item.project.caller_role == Role.ANNOTATOR:
        annotations = annotations.filter(annotator=user)
    return annotations


def annotation_history(*, project: Project, user: AbstractBaseUser) -> QuerySet[Annotation]:
    return (
        Annotation.objects.filter(project=project, annotator=user).select_related("item").order_by("-updated_at", "-id")
    )


def annotator_progress(*, project: Project, user: AbstractBaseUser) -> dict[str, int]:
    """Done today, done in the project, and items left for this annotator: the ones the queue
    could still give them plus the ones they hold (on screen, prefetched) but have not labeled."""
    start_of_day = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    mine = Annotation.objects.filter(project=project, annotator=user)
    assignments = Assignment.objects.filter(project=project, annotator=user)
    # One statement, so one snapshot: counted in two, an item claimed in between (the page's
    # prefetch) would count as both open and held.
    left = (
        ItemState.objects.filter(project=project)
        .filter(
            Q(is_open=True) & ~Q(item_id__in=assignments.values("item_id"))
            | Q(item_id__in=assignments.filter(status="active").values("item_id"))
        )
        .count()
    )
    skipped = assignments.filter(status="skipped").count()
    return {
        "done_today": mine.filter(created_at__gte=start_of_day).count(),
        "done_total": mine.count(),
        "left": left,
        "skipped": skipped,
    }


def annotation_history_position(*, annotation: Annotation) -> int:
    """How many of the annotator's annotations in the project come before this one in
    ``annotation_history`` order, so the labeling page can open the history there."""
    newer = Q(updated_at__gt=annotation.updated_at) | Q(updated_at=annotation.updated_at, id__gt=annotation.id)
    mine = Annotation.objects.filter(project_id=annotation.project_id, annotator_id=annotation.annotator_id)
    return mine.filter(newer).count()
