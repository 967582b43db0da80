"""Reads for labeling, scoped to the caller's memberships."""

from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from config.raw_rows import columns, fetch_one, model_from_row
from datasets.models import Batch, DatasetVersion, Item
from labeling.models import Annotation, Assignment, ItemState, QueueSync
from projects.models import Membership, Project
from projects.selectors import MAX_ID, ProjectAccess, project_access, project_id_or_404

# Asked on every submit: one raw query, as ``project_access``, for the item, its project and the caller's role.
_ITEM_FOR_USER = f"""
    SELECT {columns(Item, "i")}, {columns(Project, "p")}, m.role
    FROM {Item._meta.db_table} i
    JOIN {Batch._meta.db_table} b ON b.id = i.batch_id
    JOIN {Project._meta.db_table} p ON p.id = i.project_id
    JOIN {Membership._meta.db_table} m ON m.project_id = p.id
    WHERE i.id = %s AND b.version_id IS NOT NULL AND m.user_id = %s
"""


@dataclass(frozen=True)
class ItemAccess:
    """An item and the caller's access to its project (``item.project`` is ``access.project``)."""

    item: Item
    access: ProjectAccess


def item_access(*, user: AbstractBaseUser, item_id: int) -> ItemAccess:
    """An item of a version of one of the caller's projects, with the caller's role there; 404 for anything else."""
    if not 0 < item_id <= MAX_ID or user.pk is None:
        raise Http404
    found = fetch_one(Item, _ITEM_FOR_USER, [item_id, user.pk])
    if found is None:
        raise Http404
    item, rest = found
    item.project = model_from_row(Project, rest)
    return ItemAccess(item=item, access=ProjectAccess(project=item.project, role=rest[-1]))


def item_get_for_user(*, user: AbstractBaseUser, item_id: int) -> Item:
    """``item_access`` for callers that need only the item."""
    return item_access(user=user, item_id=item_id).item


# The newest version and the one the queue has taken in, as columns over the project ``p``.
_QUEUE_VERSIONS = f"""
    (SELECT max(v.number) FROM {DatasetVersion._meta.db_table} v WHERE v.project_id = p.id),
    (SELECT q.version_number FROM {QueueSync._meta.db_table} q WHERE q.project_id = p.id)
"""
_QUEUE_VERSIONS_OF = f"SELECT {_QUEUE_VERSIONS} FROM {Project._meta.db_table} p WHERE p.id = %s"
# /next/ asks who the caller is and whether the queue is behind on every call: one round trip.
_QUEUE_FOR_USER = f"""
    SELECT {columns(Project, "p")}, m.role, {_QUEUE_VERSIONS}
    FROM {Project._meta.db_table} p JOIN {Membership._meta.db_table} m ON m.project_id = p.id
    WHERE p.id = %s AND m.user_id = %s
"""


@dataclass(frozen=True)
class QueueVersions:
    """The project's newest version and the one its queue has taken in (None: none yet)."""

    latest: int | None
    taken_in: int | None

    @property
    def behind(self) -> bool:
        """The newest version has items the queue has not taken in yet."""
        return self.latest is not None and (self.taken_in is None or self.taken_in < self.latest)


@dataclass(frozen=True)
class QueueAccess:
    access: ProjectAccess
    versions: QueueVersions


def queue_versions(*, project_id: int) -> QueueVersions:
    """One indexed query; ``queue_access`` reads the same with the project."""
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_VERSIONS_OF, [project_id])
        latest, taken_in = cursor.fetchone()
    return QueueVersions(latest=latest, taken_in=taken_in)


def queue_backlog(*, project_id: int, taken_in: int | None) -> int:
    """Items in the versions after ``taken_in``: their added counts, a few version rows read."""
    versions = DatasetVersion.objects.filter(project_id=project_id, number__gt=taken_in or 0)
    return versions.aggregate(n=Sum("added_count"))["n"] or 0


def queue_projects_behind() -> QuerySet[Project]:
    """Projects with a version their queue has not taken in (a few rows a project: versions, one sync)."""
    return Project.objects.annotate(_latest=Max("versions__number")).filter(
        _latest__gt=Coalesce("queue_sync__version_number", 0)
    )


def queue_access(*, user: AbstractBaseUser, project_id: object) -> QueueAccess:
    """``project_access`` (any role) and the queue's ``queue_versions``, in one round trip."""
    project_id = project_id_or_404(project_id)
    if user.pk is None:
        raise Http404
    found = fetch_one(Project, _QUEUE_FOR_USER, [project_id, user.pk])
    if found is None:
        raise Http404
    project, (role, latest, taken_in) = found
    return QueueAccess(
        access=ProjectAccess(project=project, role=role), versions=QueueVersions(latest=latest, taken_in=taken_in)
    )


def annotation_get_for_user(*, user: AbstractBaseUser, annotation_uuid: str) -> Annotation:
    try:
        annotation = Annotation.objects.select_related("item", "item__project").get(uuid=annotation_uuid)
    except (Annotation.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
    access = project_access(user=user, project_id=annotation.project_id)
    if annotation.annotator_id != user.pk and access.is_annotator:
        raise Http404
    return annotation


def annotations_of_item(*, found: ItemAccess, user: AbstractBaseUser) -> QuerySet[Annotation]:
    """Reviewers and managers see every annotation of an item; an annotator sees their own."""
    annotations = Annotation.objects.filter(item=found.item).select_related("annotator").order_by("id")
    if found.access.is_annotator:
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
