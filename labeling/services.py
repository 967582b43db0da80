"""Every write of the labeling queue and of annotations, each in one transaction.

The queue's invariant: for every item, ``submitted + held <= overlap + extra``, where
``submitted`` counts annotations, ``held`` live leases and ``extra`` the annotations a
reviewer asked for beyond the project's overlap; an item is open below that
(``labeling.queue_rule``). Claims, submits, skips and releases all change those counters
under a lock on the item's ``ItemState`` row, in the transaction that writes the
assignment or annotation, so no race can break it.
"""

import time
import uuid
from collections import Counter
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from config.errors import Conflict, DomainError, QueueFilling
from datasets.models import Augmentation, Batch, DatasetVersion, Item, LabelPolicy
from labeling import queue_rule
from labeling.claim_sql import claim, item_by_id
from labeling.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    AssignmentStatus,
    ItemState,
    QueueSync,
)
from labeling.review.selectors import label_uses
from labeling.selectors import QueueVersions, queue_backlog, queue_projects_behind, queue_versions
from labeling.submit_sql import submit_snapshot, submit_store
from labeling.suggestions.refresh import queue_order_refresh
from labeling.suggestions.uncertainty import queue_order_apply
from labeling.values import InvalidValue, check_value
from projects.models import Membership, Project
from projects.services import project_update

RELEASE_LIMIT = 200
ANALYZE_AFTER_ROWS = 50_000  # a fill this large changes the queue's statistics (autovacuum would, later)


def _lease_until():
    return timezone.now() + timedelta(seconds=settings.GROUNDWORK_LABEL_LEASE_SECONDS)


def queue_sync(*, project: Project, versions: QueueVersions | None = None) -> None:
    """Put the items of versions the queue has not seen yet into it (one set-based INSERT).

    The worker that makes a version calls this in the version's own transaction, so a queue
    is ready when its version is. Requests call it through ``queue_catch_up``, which leaves a
    large backlog to a worker. ``versions``: the caller's ``queue_versions``, if it has them.
    """
    if versions is None:
        versions = queue_versions(project_id=project.pk)
    if not versions.behind:
        return
    latest = versions.latest
    with transaction.atomic():
        QueueSync.objects.get_or_create(project=project)
        sync = QueueSync.objects.select_for_update().get(project=project)
        if sync.version_number >= latest:
            return
        sql = f"""
            INSERT INTO {ItemState._meta.db_table}
                (item_id, project_id, submitted, held, is_open, started, priority, extra, sort_key)
            SELECT i.id, i.project_id, 0, 0, {queue_rule.open_sql(submitted="0", held="0", extra="0", overlap="%s")},
                   false, 0, 0, i.content_hash
            FROM {Item._meta.db_table} i
            JOIN {Batch._meta.db_table} b ON b.id = i.batch_id
            JOIN {DatasetVersion._meta.db_table} v ON v.id = b.version_id
            WHERE i.project_id = %s AND v.number > %s AND v.number <= %s
              AND NOT EXISTS (
                  SELECT 1 FROM {Augmentation._meta.db_table} a
                  WHERE a.item_id = i.id AND a.label_policy = %s AND NOT a.label_check
              )
            ON CONFLICT DO NOTHING
        """
        # An item that inherits its label waits for no one, unless it is in the sample people check.
        with connection.cursor() as cursor:
            cursor.execute(sql, [project.overlap, project.pk, sync.version_number, latest, LabelPolicy.INHERIT])
            if cursor.rowcount > ANALYZE_AFTER_ROWS and connection.vendor == "postgresql":
                # Statistics from before these rows would send the first /next/ scanning them all, and
                # the pages of an older version walking the new items (ANALYZE sees this transaction's rows).
                # The items' batch column only: their text's statistics are autovacuum's (tens of seconds).
                cursor.execute(f"ANALYZE {ItemState._meta.db_table}, {Item._meta.db_table} (batch_id)")
        queue_order_apply(project=project, only_new=True)
        sync.version_number = latest
        sync.save(update_fields=["version_number"])


def queue_catch_up(*, project: Project, versions: QueueVersions | None = None) -> bool:
    """Take in new versions if a request can afford to; True when the queue holds every version.

    A backlog of more than ``GROUNDWORK_QUEUE_FILL_IN_REQUEST_MAX`` items (a version made before
    its worker filled the queue, or by hand) is left to the sweep (``queues_fill_behind``): a web
    request never inserts a million rows. Every /next/ asks, so the usual answer costs no query.
    """
    if versions is None:
        versions = queue_versions(project_id=project.pk)
    if not versions.behind:
        return True
    if queue_backlog(project_id=project.pk, taken_in=versions.taken_in) > settings.GROUNDWORK_QUEUE_FILL_IN_REQUEST_MAX:
        return False
    queue_sync(project=project, versions=versions)
    return True


def queues_fill_behind() -> list[int]:
    """Fill the queue of every project behind its newest version; the ids of those filled.

    The sweep behind ``queue_catch_up``; each project in its own transaction, so a repeat is harmless."""
    filled = []
    for project in queue_projects_behind():
        queue_sync(project=project)
        filled.append(project.pk)
    return filled


def _queue_filling() -> QueueFilling:
    return QueueFilling("new items are being added to this project's queue; ask again in a few seconds")


def _refresh_flags(*, item_ids: list[int], overlap: int) -> None:
    ItemState.objects.filter(item_id__in=item_ids).update(
        is_open=queue_rule.open_flag(overlap), started=queue_rule.STARTED_FLAG
    )


def queue_overlap_changed(*, project: Project) -> None:
    """The overlap is part of every item's open flag: recompute them all in one UPDATE."""
    ItemState.objects.filter(project=project).update(is_open=queue_rule.open_flag(project.overlap))


def project_settings_update(*, project: Project, **fields: Any) -> Project:
    """Change a project's settings under labeling's rules, in one transaction.

    A label that annotations, final labels or gold answers hold cannot leave the schema;
    a new overlap reopens or closes items in the queue at once, a new queue order reorders it.
    """
    with transaction.atomic():
        old_overlap, old_order = project.overlap, project.queue_order
        old_labels = set(project.label_names)
        project = project_update(project=project, **fields)
        dropped = old_labels - set(project.label_names)
        if dropped and (uses := label_uses(project=project, names=sorted(dropped))):
            held = ", ".join(f"{name!r} ({count})" for name, count in uses.items())
            raise Conflict(
                f"labels in use cannot be removed: {held} annotations, final labels or gold answers hold them; "
                "keep them in the schema, or change those labels first"
            )
        if project.overlap != old_overlap:
            queue_overlap_changed(project=project)
        if project.queue_order != old_order:
            queue_order_refresh(project=project, order_changed=True)
    return project


def item_request_more_labels(*, item: Item, count: int = 1) -> ItemState:
    """Send an item back to the queue for ``count`` more annotators than it has now asked for."""
    if count < 1:
        raise DomainError("ask for at least one more label")
    with transaction.atomic():
        state = _state_for_update(item=item)
        project = item.project
        labeled_or_holding = Assignment.objects.filter(item=item).exclude(status=AssignmentStatus.SKIPPED)
        free = (
            Membership.objects.filter(project=project)
            .exclude(user_id__in=labeled_or_holding.values("annotator_id"))
            .exclude(user_id__in=Annotation.objects.filter(item=item).values("annotator_id"))
            .count()
        )
        already_open = queue_rule.labels_to_come(
            submitted=state.submitted, held=state.held, overlap=project.overlap, extra=state.extra
        )
        if count > free - already_open:
            raise Conflict(
                f"only {free} member(s) of the project have not labeled this item, and {already_open} label(s) "
                f"it asked for are still to come: ask for at most {max(free - already_open, 0)} more, "
                "or add annotators to the project first"
            )
        ItemState.objects.filter(item=item).update(extra=F("extra") + count)
        _refresh_flags(item_ids=[item.pk], overlap=item.project.overlap)
        state.refresh_from_db()
    return state


# Leases last minutes: looking for expired ones on every /next/ of every process is waste,
# so each process looks at most every GROUNDWORK_LABEL_RELEASE_CHECK_SECONDS per project.
_release_checked: dict[int, float] = {}


def _release_due(project_id: int) -> bool:
    now, every = time.monotonic(), settings.GROUNDWORK_LABEL_RELEASE_CHECK_SECONDS
    if every > 0 and now - _release_checked.get(project_id, -every) < every:
        return False
    _release_checked[project_id] = now
    return True


def assignments_release_expired(*, project: Project) -> int:
    """Give back items whose annotator walked away; their lease ran out.

    Locks the items' queue rows before their assignments, the order a submit and a skip take
    them in, and skips rows another transaction holds: a lease that runs out during its own
    submit is left to that submit, not fought over (a deadlock would abort one of the two).
    """
    expired = Q(project=project, status=AssignmentStatus.ACTIVE, leased_until__lt=timezone.now())
    if not Assignment.objects.filter(expired).exists():
        return 0
    with transaction.atomic():
        candidates = Assignment.objects.filter(expired).values("item_id")[:RELEASE_LIMIT]
        free_items = ItemState.objects.select_for_update(skip_locked=True).filter(item_id__in=candidates)
        released = list(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(expired, item_id__in=list(free_items.values_list("item_id", flat=True)))
            .values_list("pk", "item_id")
        )
        if not released:
            return 0
        per_item = Counter(item_id for _, item_id in released)  # two leases of one item ran out: held - 2
        for count in set(per_item.values()):
            items = [item_id for item_id, n in per_item.items() if n == count]
            ItemState.objects.filter(item_id__in=items).update(held=Greatest(F("held") - count, 0))
        _refresh_flags(item_ids=list(per_item), overlap=project.overlap)
        Assignment.objects.filter(pk__in=[pk for pk, _ in released]).delete()
        return len(released)


def _reopen_skipped(*, project: Project, user: AbstractBaseUser) -> int | None:
    """Skipped items come back last, oldest skip first, if they still need a label.

    The item's queue row is locked before the assignment, the order of every other write."""
    item_id = (
        Assignment.objects.filter(
            project=project, annotator=user, status=AssignmentStatus.SKIPPED, item__state__is_open=True
        )
        .order_by("updated_at", "pk")
        .values_list("item_id", flat=True)
        .first()
    )
    if item_id is None:
        return None
    state = ItemState.objects.select_for_update().get(item_id=item_id)
    skipped = (
        Assignment.objects.select_for_update()
        .filter(item_id=item_id, annotator=user, status=AssignmentStatus.SKIPPED)
        .first()
    )
    if skipped is None or not queue_rule.is_open(
        submitted=state.submitted, held=state.held, overlap=project.overlap, extra=state.extra
    ):
        return None  # taken back, or filled, while we waited for the lock
    ItemState.objects.filter(item_id=item_id).update(held=F("held") + 1)
    _refresh_flags(item_ids=[item_id], overlap=project.overlap)
    skipped.status = AssignmentStatus.ACTIVE
    skipped.leased_until = _lease_until()
    skipped.save(update_fields=["status", "leased_until", "updated_at"])
    return item_id


_RENEW = f"""
    UPDATE {Assignment._meta.db_table} SET leased_until = %(until)s, updated_at = %(now)s
    WHERE project_id = %(project)s AND annotator_id = %(user)s AND status = %(active)s
    RETURNING id, item_id
"""
# A lease lost in a crash costs nothing (it would expire), so on PostgreSQL the commit of a
# /next/ need not wait for the disk, set in the same round trip; annotations keep full durability.
_RENEW_NOT_DURABLE = f"""
    WITH renewed AS ({_RENEW})
    SELECT set_config('synchronous_commit', 'off', true), (SELECT array_agg(item_id ORDER BY id) FROM renewed)
"""


def _renew_leases(*, project: Project, user: AbstractBaseUser) -> list[int]:
    """Asking for the next item means the page is alive: every item it holds keeps its lease.
    Returns the held items, oldest assignment first (one statement, row locks included)."""
    params = {
        "until": _lease_until(),
        "now": timezone.now(),
        "project": project.pk,
        "user": user.pk,
        "active": AssignmentStatus.ACTIVE,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_RENEW_NOT_DURABLE, params)
            return cursor.fetchone()[1] or []
        cursor.execute(_RENEW, params)
        return [item_id for _, item_id in sorted(cursor.fetchall())]


# The item on screen, the one prefetched behind it, and submits still on their way.
MAX_HELD = 4


def next_item(
    *,
    project: Project,
    user: AbstractBaseUser,
    exclude: Collection[int] = (),
    versions: QueueVersions | None = None,
) -> Item | None:
    """The item this annotator should label now, or None when nothing is left for them.

    An item they already hold comes back (a reload does not lose it), with a fresh lease.
    ``exclude`` names held items the page already has (the one on screen, submits on their
    way), so the page can prefetch the item after them; at most ``MAX_HELD`` are held at once.
    ``versions``: see ``queue_sync``. While a worker is still filling the queue with a large
    new version, the items already in it are served; with none left for the caller, a 503
    (``QueueFilling``, with Retry-After) says to ask again rather than that the work is done.
    """
    caught_up = queue_catch_up(project=project, versions=versions)
    if _release_due(project.pk):
        assignments_release_expired(project=project)
    excluded = set(exclude)
    claimed: Item | None = None
    with transaction.atomic():
        held_items = _renew_leases(project=project, user=user)
        waiting = [item_id for item_id in held_items if item_id not in excluded]
        if waiting:
            item_id = waiting[0]
        elif len(held_items) >= MAX_HELD:
            raise Conflict(f"you hold {len(held_items)} items already; submit or skip one of them first")
        else:
            claimed = claim(project=project, user=user, until=_lease_until())
            item_id = claimed.pk if claimed else _reopen_skipped(project=project, user=user)
    if claimed is not None:
        return claimed
    if not item_id:
        if not caught_up:
            raise _queue_filling()
        return None
    return item_by_id(item_id)


def _state_for_update(*, item: Item) -> ItemState:
    """The item's queue row, locked; only an item of a version the queue has not taken in yet needs the sync."""
    state = ItemState.objects.select_for_update().filter(item=item).first()
    if state is None:
        if not queue_catch_up(project=item.project):
            raise _queue_filling()
        state = ItemState.objects.select_for_update().get(item=item)
    return state


def _checked_value(*, item: Item, value: Any) -> Any:
    project = item.project
    try:
        return check_value(value, task_type=project.task_type, labels=project.label_names, text=item.data.get("text"))
    except InvalidValue as exc:
        raise DomainError(str(exc)) from None


def annotation_submit(
    *, item: Item, user: AbstractBaseUser, request_uuid: uuid.UUID, value: Any
) -> tuple[Annotation, bool]:
    """Store the annotator's label of an item; returns (annotation, created).

    The same ``request_uuid`` again returns the stored annotation unchanged, so a double
    click or a retried request stores one. Over the overlap: 409. Every annotator's every
    label passes here, so it speaks raw SQL, short statements in one transaction.
    """
    project = item.project
    value = _checked_value(item=item, value=value)
    with transaction.atomic():
        snapshot = submit_snapshot(item=item, user=user, request_uuid=request_uuid)
        if snapshot is None:
            if not queue_catch_up(project=project):
                raise _queue_filling()
            snapshot = submit_snapshot(item=item, user=user, request_uuid=request_uuid)
        submitted, held, extra, same_request, own, uuid_of_a_change, status, suggestion = snapshot
        if same_request is not None:
            existing = Annotation.objects.select_related("annotator").get(pk=same_request)
            if existing.annotator_id != user.pk or existing.item_id != item.pk:
                raise Conflict("this uuid belongs to another annotation")
            return existing, False
        if uuid_of_a_change:
            raise Conflict("this uuid belongs to a change of another annotation")
        if own is not None:
            raise Conflict(f"you have annotated this item already; change annotation {uuid.UUID(str(own))} instead")
        holding = status == AssignmentStatus.ACTIVE
        if not holding and not queue_rule.is_open(submitted=submitted, held=held, overlap=project.overlap, extra=extra):
            raise Conflict(f"this item has all {project.overlap + extra} annotations it needs")
        annotation_id, now = submit_store(
            item=item,
            user=user,
            request_uuid=request_uuid,
            value=value,
            assigned=status is not None,
            released=1 if holding else 0,
            suggestion=suggestion,
        )
    annotation = Annotation(
        id=annotation_id, uuid=request_uuid, item=item, project=project, annotator=user, value=value,
        revision=1, suggestion_set_id=suggestion.set_id, suggestion_value=suggestion.value,
        suggestion_shown=suggestion.shown, created_at=now, updated_at=now,
    )  # fmt: skip
    return annotation, True


def annotation_revise(
    *, annotation: Annotation, user: AbstractBaseUser, value: Any, base_revision: int, request_uuid: uuid.UUID
) -> Annotation:
    """Change one's own annotation; the old value stays in its revisions.

    ``base_revision`` is the revision the change was made from: if someone (another tab)
    changed it since, 409 instead of overwriting their change.
    """
    if annotation.annotator_id != user.pk:
        raise DomainError("only its annotator can change an annotation", status_code=403)
    value = _checked_value(item=annotation.item, value=value)
    with transaction.atomic():
        annotation = Annotation.objects.select_for_update().get(pk=annotation.pk)
        if AnnotationRevision.objects.filter(request_uuid=request_uuid, annotation=annotation).exists():
            return annotation
        if base_revision != annotation.revision:
            raise Conflict(
                f"the annotation changed since revision {base_revision}; it is at revision {annotation.revision}"
            )
        annotation.revision += 1
        annotation.value = value
        annotation.save(update_fields=["revision", "value", "updated_at"])
        try:
            with transaction.atomic():
                AnnotationRevision.objects.create(
                    annotation=annotation, number=annotation.revision, request_uuid=request_uuid, value=value
                )
        except IntegrityError:
            raise Conflict("this request uuid was used for another change") from None
    return annotation


def item_skip(*, item: Item, user: AbstractBaseUser, reason: str = "") -> Assignment:
    """Put the item back: it returns at the end of this annotator's queue."""
    project = item.project
    with transaction.atomic():
        _state_for_update(item=item)
        assignment = Assignment.objects.select_for_update().filter(item=item, annotator=user).first()
        if assignment is None or assignment.status != AssignmentStatus.ACTIVE:
            raise Conflict("this item is not assigned to you")
        ItemState.objects.filter(item=item, held__gt=0).update(held=F("held") - 1)
        _refresh_flags(item_ids=[item.pk], overlap=project.overlap)
        assignment.status = AssignmentStatus.SKIPPED
        assignment.skip_reason = (reason or "")[:500]
        assignment.leased_until = None
        assignment.save(update_fields=["status", "skip_reason", "leased_until", "updated_at"])
    return assignment
