"""Storing the labels a batch brought, in the transaction that makes its version.

Nothing is written while the batch imports: its labels are read with its rows and stored
here, together with the version, or not at all. A worker killed mid-way leaves nothing to
undo, and a run that lost its batch's lease never gets here, so nothing is stored twice.
"""

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from config.errors import DomainError
from datasets.models import Item
from labeling.imports.parse import UPLOADER, BatchLabels, LabelMapping
from labeling.imports.selectors import annotators_match
from labeling.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    AssignmentStatus,
    GoldLabel,
    ItemState,
    Prediction,
    PredictionSet,
)
from labeling.suggestions.refresh import queue_order_refresh
from projects.models import Project
from projects.services import inactive_annotators_add

BULK = 2000
UNMATCHED_SHOWN = 20


class UnmatchedAnnotators(DomainError):
    """The file names annotators who are not members, and the manager did not say what to do."""

    def __init__(self, names: list[str]) -> None:
        more = len(names) - UNMATCHED_SHOWN
        shown = ", ".join(names[:UNMATCHED_SHOWN]) + (f" and {more} more" if more > 0 else "")
        super().__init__(
            f"{len(names)} annotator(s) of the file are not members of the project: {shown}; add them to the "
            "project, or upload again with unmatched=add_as_annotators (they join as annotators who never "
            "log in) or unmatched=skip (their labels are left out)"
        )
        self.names = names


def annotators_check(*, project: Project, names: set[str], mapping: LabelMapping) -> list[str]:
    """The names no member has; raises ``UnmatchedAnnotators`` unless the manager chose what to do with them."""
    _, unmatched = annotators_match(project=project, names=names)
    if unmatched and not mapping.unmatched:
        raise UnmatchedAnnotators(unmatched)
    return unmatched


def _stamp(text: str | None) -> datetime | None:
    try:
        return parse_datetime(text) if text else None
    except ValueError:  # a well-formed but impossible date: the time of the import stands
        return None


def imported_labels_store(
    *, project: Project, batch_id: str, uploader_id: int, labels: BatchLabels, mapping: LabelMapping
) -> dict[str, Any]:
    """Store the batch's annotations, skips, gold answers and predictions; return what was done.

    Call in the transaction that makes the batch's version, after the project row is locked.
    An annotator who has labeled the item already keeps their label (a file uploaded twice
    stores its labels once); an item with more annotations than the overlap is kept over-full.
    """
    summary: dict[str, Any] = {
        "annotations": 0, "skips": 0, "gold": 0, "predictions": 0, "already_labeled": 0,
        "over_overlap": 0, "unmatched_skipped": 0, "added_annotators": [],
        "unsupported": labels.unsupported_count, "unsupported_tasks": labels.unsupported,
    }  # fmt: skip
    if not labels:
        return summary
    matched, unmatched = annotators_match(project=project, names=labels.annotators())
    if unmatched:
        if mapping.unmatched == "add_as_annotators":
            matched.update(inactive_annotators_add(project=project, names=unmatched))
            summary["added_annotators"] = unmatched
        elif mapping.unmatched != "skip":
            raise UnmatchedAnnotators(unmatched)
    matched[UPLOADER] = uploader_id
    hashes = {h for h, _ in labels.annotations} | set(labels.gold)
    for per_model in labels.predictions.values():
        hashes.update(per_model)
    item_ids = dict(
        Item.objects.filter(Q(batch__version__isnull=False) | Q(batch_id=batch_id), project=project)
        .filter(content_hash__in=list(hashes))
        .values_list("content_hash", "pk")
    )
    _annotations_store(project=project, labels=labels, item_ids=item_ids, matched=matched, summary=summary)
    gold = {item_ids[h]: value for h, value in labels.gold.items() if h in item_ids}
    GoldLabel.objects.bulk_create(
        [GoldLabel(item_id=pk, project=project, value=value, set_by_id=uploader_id) for pk, value in gold.items()],
        batch_size=BULK, update_conflicts=True, unique_fields=["item"], update_fields=["value", "set_by"],
    )  # fmt: skip
    summary["gold"] = len(gold)
    for model, per_item in labels.predictions.items():
        rows = {item_ids[h]: p for h, p in per_item.items() if h in item_ids}
        if not rows:
            continue
        prediction_set = PredictionSet.objects.create(
            project=project, model_name=model, labels=project.label_names, created_by_id=uploader_id, count=len(rows)
        )
        Prediction.objects.bulk_create(
            [Prediction(prediction_set=prediction_set, item_id=pk, probabilities=p) for pk, p in rows.items()],
            batch_size=BULK,
        )
        summary["predictions"] += len(rows)
    if labels.predictions:
        queue_order_refresh(project=project)  # the newest model may reorder the queue
    return summary


def _annotations_store(
    *, project: Project, labels: BatchLabels, item_ids: dict[str, int], matched: dict[str, int], summary: dict
) -> None:
    """Annotations with their first revision and a submitted assignment, skips as skipped
    assignments, and the queue counters of every item they touch."""
    wanted: dict[tuple[int, int], Any] = {}  # (item, annotator) -> the last of its rows in the file
    for content_hash, annotation in labels.annotations:
        user_id = matched.get(annotation.annotator)
        if user_id is None:
            summary["unmatched_skipped"] += 1
            continue
        if content_hash in item_ids:
            wanted[(item_ids[content_hash], user_id)] = annotation
    if not wanted:
        return
    items = {item_id for item_id, _ in wanted}
    taken = set(
        Assignment.objects.filter(item_id__in=items, annotator_id__in={u for _, u in wanted}).values_list(
            "item_id", "annotator_id"
        )
    )
    summary["already_labeled"] = sum(1 for key in wanted if key in taken)
    new = {key: a for key, a in wanted.items() if key not in taken}
    annotations, assignments, stamped = [], [], []
    for (item_id, user_id), imported in new.items():
        status = AssignmentStatus.SKIPPED if imported.skipped else AssignmentStatus.SUBMITTED
        assignments.append(
            Assignment(item_id=item_id, project=project, annotator_id=user_id, status=status, leased_until=None)
        )
        if imported.skipped:
            continue
        annotation = Annotation(
            uuid=uuid.uuid4(), item_id=item_id, project=project, annotator_id=user_id, value=imported.value
        )
        annotations.append(annotation)
        created, updated = _stamp(imported.created_at), _stamp(imported.updated_at)
        if created or updated:
            stamped.append((annotation, created or updated, updated or created))
    Assignment.objects.bulk_create(assignments, batch_size=BULK)
    Annotation.objects.bulk_create(annotations, batch_size=BULK)
    if stamped:  # auto_now fields take the time of the write; the file's times are the true ones
        annotation_ids = dict(
            Annotation.objects.filter(uuid__in=[a.uuid for a, _, _ in stamped]).values_list("uuid", "pk")
        )
        for annotation, created, updated in stamped:
            annotation.pk = annotation_ids[annotation.uuid]
            annotation.created_at, annotation.updated_at = created, updated
        Annotation.objects.bulk_update([a for a, _, _ in stamped], ["created_at", "updated_at"], batch_size=BULK)
    ids = dict(Annotation.objects.filter(uuid__in=[a.uuid for a in annotations]).values_list("uuid", "pk"))
    AnnotationRevision.objects.bulk_create(
        [AnnotationRevision(annotation_id=ids[a.uuid], number=1, request_uuid=uuid.uuid4(), value=a.value)
         for a in annotations],
        batch_size=BULK,
    )  # fmt: skip
    summary["annotations"] = len(annotations)
    summary["skips"] = len(assignments) - len(annotations)
    _queue_counts(project=project, item_ids=items, summary=summary)


def _queue_counts(*, project: Project, item_ids: set[int], summary: dict) -> None:
    """The items' queue rows, counting every annotation they now have: created here for new items
    (the queue's sync leaves a row it finds alone), updated for items it holds already."""
    counts = Counter(Annotation.objects.filter(item_id__in=item_ids).values_list("item_id", flat=True).order_by())
    states = {s.item_id: s for s in ItemState.objects.select_for_update().filter(item_id__in=item_ids)}
    hashes = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "content_hash"))
    rows, over = [], 0
    for item_id in item_ids:
        state = states.get(item_id) or ItemState(item_id=item_id, project=project, sort_key=hashes[item_id])
        state.submitted = counts.get(item_id, 0)
        state.is_open = state.submitted + state.held < project.overlap + state.extra
        state.started = state.submitted + state.held > 0
        over += state.submitted > project.overlap + state.extra
        rows.append(state)
    ItemState.objects.bulk_create(
        rows, batch_size=BULK, update_conflicts=True, unique_fields=["item"],
        update_fields=["submitted", "is_open", "started"],
    )  # fmt: skip
    summary["over_overlap"] = over
