"""Storing the labels a batch brought: staged with each chunk, moved in with the version.

Each chunk's labels are written as ``StagedLabel`` rows in the transaction that writes its
items (``labels_stage``), so a batch of any size holds no label in memory and its progress
moves while they are read. Nothing but the import reads staged rows. The transaction that
makes the batch's version moves them into annotations, skips, gold answers and predictions
with a few set-based statements (``imported_labels_store``), or not at all: a run that dies
leaves staged rows nobody sees, which its next run or its failure deletes, and a run that
lost its batch's lease never gets there, so nothing is stored twice.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.errors import DomainError
from datasets.models import Item
from labeling.imports.parse import UPLOADER, BatchLabels, LabelMapping
from labeling.imports.selectors import annotators_match
from labeling.models import (
    Annotation,
    AnnotationOrigin,
    AnnotationRevision,
    Assignment,
    AssignmentStatus,
    GoldLabel,
    ItemState,
    Prediction,
    PredictionSet,
    StagedLabel,
    StagedLabelKind,
)
from labeling.queue_rule import STARTED_FLAG, open_flag
from labeling.suggestions.refresh import queue_order_refresh
from projects.models import Project
from projects.services import inactive_annotators_add

BULK = 2000
NAMES_PER_UPDATE = 500
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
        moment = parse_datetime(text) if text else None
    except ValueError:  # a well-formed but impossible date: the time of the import stands
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)  # Label Studio writes UTC
    return moment


# -- while the batch imports: one chunk at a time ---------------------------------------------
def labels_stage(*, project: Project, batch_id: str, uploader_id: int, labels: BatchLabels) -> int:
    """Write a chunk's labels as staged rows; call in the transaction that writes the chunk's items.

    The items are the batch's own (written just before) or ones the dataset holds already; the
    annotators who are members are named by id here, the others when the version is made.
    Returns how many rows were staged.
    """
    hashes = {h for h, _ in labels.annotations} | set(labels.gold)
    for per_item in labels.predictions.values():
        hashes.update(per_item)
    if not hashes:
        return 0
    item_ids = dict(
        Item.objects.filter(Q(batch__version__isnull=False) | Q(batch_id=batch_id), project=project)
        .filter(content_hash__in=list(hashes))
        .values_list("content_hash", "pk")
    )
    members, _ = annotators_match(project=project, names=labels.annotators())
    members[UPLOADER] = uploader_id
    rows = _staged_rows(batch_id=batch_id, labels=labels, item_ids=item_ids, members=members)
    if connection.vendor == "postgresql":
        return _staged_copy(rows)
    staged = 0
    while block := list(islice(rows, BULK)):
        StagedLabel.objects.bulk_create(block)
        staged += len(block)
    return staged


STAGED_COLUMNS = ("batch_id", "item_id", "kind", "annotator_name", "annotator_id", "model_name", "value", "uuid",
                  "created_at", "updated_at", "chosen")  # fmt: skip


def _staged_copy(rows: Iterator[StagedLabel]) -> int:
    """The rows by ``COPY``, on PostgreSQL: a chunk's hundreds of thousands of labels in seconds,
    where INSERTs of model instances take minutes."""
    table = connection.ops.quote_name(StagedLabel._meta.db_table)
    statement = f"COPY {table} ({', '.join(STAGED_COLUMNS)}) FROM STDIN"
    staged = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                (row.batch_id, row.item_id, row.kind, row.annotator_name, row.annotator_id, row.model_name,
                 None if row.value is None else json.dumps(row.value),
                 row.uuid, row.created_at, row.updated_at, False)
            )  # fmt: skip
            staged += 1
    return staged


def _staged_rows(
    *, batch_id: str, labels: BatchLabels, item_ids: dict[str, int], members: dict[str, int]
) -> Iterator[StagedLabel]:
    for content_hash, annotation in labels.annotations:
        if content_hash in item_ids:
            yield StagedLabel(
                batch_id=batch_id,
                item_id=item_ids[content_hash],
                kind=StagedLabelKind.SKIP if annotation.skipped else StagedLabelKind.ANNOTATION,
                annotator_name=annotation.annotator[:255],
                annotator_id=members.get(annotation.annotator),
                value=annotation.value,
                created_at=_stamp(annotation.created_at),
                updated_at=_stamp(annotation.updated_at),
            )
    for content_hash, value in labels.gold.items():
        if content_hash in item_ids:
            yield StagedLabel(batch_id=batch_id, item_id=item_ids[content_hash], kind=StagedLabelKind.GOLD, value=value)
    for model, per_item in labels.predictions.items():
        for content_hash, probabilities in per_item.items():
            if content_hash in item_ids:
                yield StagedLabel(
                    batch_id=batch_id,
                    item_id=item_ids[content_hash],
                    kind=StagedLabelKind.PREDICTION,
                    model_name=model,
                    value=probabilities,
                )


def staged_labels_discard(*, batch_id: str) -> None:
    """Drop what an earlier or failed run of the batch staged; nothing else ever read it."""
    StagedLabel.objects.filter(batch_id=batch_id).delete()


# -- with the version: staged rows become labels ------------------------------------------------
def imported_labels_store(
    *, project: Project, batch_id: str, uploader_id: int, labels: BatchLabels, mapping: LabelMapping
) -> dict[str, Any]:
    """Move the batch's staged labels into annotations, skips, gold answers and predictions; return what was done.

    Call in the transaction that makes the batch's version, after the project row is locked.
    Each step is one statement over the batch's staged rows (or one per annotator name group
    and per model), so the time this transaction holds its locks grows with the rows, not
    with round trips. An annotator who has labeled the item already keeps their label (a file
    uploaded twice stores its labels once); an item with more annotations than the overlap is
    kept over-full. The imported annotations carry ``origin="imported"`` and the batch.
    """
    summary: dict[str, Any] = {
        "annotations": 0, "skips": 0, "gold": 0, "predictions": 0, "already_labeled": 0,
        "over_overlap": 0, "unmatched_skipped": 0, "added_annotators": [],
        "unsupported": labels.unsupported_count, "unsupported_tasks": labels.unsupported,
    }  # fmt: skip
    staged = StagedLabel.objects.filter(batch_id=batch_id)
    if labels.staged or labels.count():
        _annotators_resolve(project=project, staged=staged, uploader_id=uploader_id, mapping=mapping, summary=summary)
        _statistics_refresh()
        _annotations_move(project=project, batch_id=batch_id, staged=staged, summary=summary)
        _gold_move(project=project, staged=staged, uploader_id=uploader_id, summary=summary)
        _predictions_move(project=project, staged=staged, uploader_id=uploader_id, summary=summary)
        staged.delete()
        if summary["predictions"]:
            queue_order_refresh(project=project)  # the newest model may reorder the queue
    return summary


def _statistics_refresh() -> None:
    """Let PostgreSQL's planner see what was staged and resolved: with the statistics of an empty
    table (or of unresolved annotators) it picks plans made for a handful of rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(StagedLabel._meta.db_table)}")


def _annotators_resolve(
    *, project: Project, staged: QuerySet, uploader_id: int, mapping: LabelMapping, summary: dict
) -> None:
    """The annotators staging left unnamed (not members then): members now, or as the mapping says."""
    people = staged.filter(kind__in=[StagedLabelKind.ANNOTATION, StagedLabelKind.SKIP], annotator__isnull=True)
    names = set(people.order_by().values_list("annotator_name", flat=True).distinct())
    matched, unmatched = annotators_match(project=project, names=names - {UPLOADER})
    if unmatched:
        if mapping.unmatched == "add_as_annotators":
            matched.update(inactive_annotators_add(project=project, names=unmatched))
            summary["added_annotators"] = unmatched
        elif mapping.unmatched != "skip":
            raise UnmatchedAnnotators(unmatched)
    by_key = {name.lower(): user_id for name, user_id in matched.items()}
    ids = {name: by_key.get(name.lower()) for name in names if name != UPLOADER}
    ids[UPLOADER] = uploader_id
    known = sorted((name, user_id) for name, user_id in ids.items() if user_id is not None)
    for start in range(0, len(known), NAMES_PER_UPDATE):
        group = known[start : start + NAMES_PER_UPDATE]
        people.filter(annotator_name__in=[name for name, _ in group]).update(
            annotator_id=Case(
                *(When(annotator_name=name, then=Value(user_id)) for name, user_id in group),
                output_field=IntegerField(),
            )
        )
    summary["unmatched_skipped"] = people.filter(annotator__isnull=True).count()


def _insert_select(model: type, columns: list[str], rows: QuerySet) -> int:
    """``INSERT INTO model (columns) SELECT ...``: the rows never leave the database.

    ``rows`` selects one annotation per column, named ``c0``, ``c1``... in order, so Django
    writes the SELECT (and converts its parameters) for whichever database runs it.
    """
    sql, params = rows.order_by().values(*(f"c{i}" for i in range(len(columns)))).query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount


def _selecting(rows: QuerySet, *expressions: Any) -> QuerySet:
    return rows.annotate(**{f"c{i}": expression for i, expression in enumerate(expressions)})


def _annotations_move(*, project: Project, batch_id: str, staged: QuerySet, summary: dict) -> None:
    """Annotations with their first revision and a submitted assignment, skips as skipped
    assignments (the last row of each annotator and item), and the counters of their items."""
    kinds = [StagedLabelKind.ANNOTATION, StagedLabelKind.SKIP]
    people = staged.filter(kind__in=kinds, annotator__isnull=False)
    later = staged.filter(
        kind__in=kinds, item_id=OuterRef("item_id"), annotator_id=OuterRef("annotator_id"), id__gt=OuterRef("id")
    )
    wanted = people.filter(~Exists(later))  # an index lookup a row, whatever the planner knows of the table
    taken = Assignment.objects.filter(item_id=OuterRef("item_id"), annotator_id=OuterRef("annotator_id"))
    chosen = wanted.filter(~Exists(taken)).update(chosen=True)
    summary["already_labeled"] = wanted.count() - chosen
    if not chosen:
        return
    now = timezone.now()
    picked = staged.filter(chosen=True)
    status = Case(
        When(kind=StagedLabelKind.SKIP, then=Value(AssignmentStatus.SKIPPED)),
        default=Value(AssignmentStatus.SUBMITTED),
        output_field=CharField(),
    )
    stamp = Value(now, output_field=DateTimeField())
    _insert_select(
        Assignment,
        ["item", "project", "annotator", "status", "skip_reason", "created_at", "updated_at"],
        _selecting(picked, F("item_id"), Value(project.pk), F("annotator_id"), status, Value(""), stamp, stamp),
    )
    labels = picked.filter(kind=StagedLabelKind.ANNOTATION)
    created = Coalesce("created_at", "updated_at", stamp, output_field=DateTimeField())
    updated = Coalesce("updated_at", "created_at", stamp, output_field=DateTimeField())
    summary["annotations"] = _insert_select(
        Annotation,
        ["uuid", "item", "project", "annotator", "value", "revision", "created_at", "updated_at", "origin",
         "import_batch"],
        _selecting(labels, F("uuid"), F("item_id"), Value(project.pk), F("annotator_id"), F("value"), Value(1),
                   created, updated, Value(AnnotationOrigin.IMPORTED), Value(batch_id, output_field=UUIDField())),
    )  # fmt: skip
    summary["skips"] = chosen - summary["annotations"]
    # The first revision's request is the annotation's own uuid, as for a label given on the page.
    _insert_select(
        AnnotationRevision,
        ["annotation", "number", "request_uuid", "value", "created_at"],
        _selecting(Annotation.objects.filter(import_batch_id=batch_id), F("id"), Value(1), F("uuid"), F("value"),
                   F("updated_at")),
    )  # fmt: skip
    _queue_counts(project=project, labels=labels, summary=summary)


def _queue_counts(*, project: Project, labels: QuerySet, summary: dict) -> None:
    """The queue rows of the items that got annotations: counted up where the queue holds
    them, created (counting every annotation of the item) where it does not yet (the queue's
    sync leaves a row it finds alone); then their open and started flags, by the queue's rule."""
    items = labels.values("item_id")
    added = labels.filter(item_id=OuterRef("item_id")).order_by().values("item_id").annotate(n=Count("id")).values("n")
    states = ItemState.objects.filter(item_id__in=items)
    states.update(submitted=F("submitted") + Subquery(added, output_field=IntegerField()))
    counted = (
        Annotation.objects.filter(item_id=OuterRef("pk"))
        .order_by()
        .values("item_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    fresh = Item.objects.filter(pk__in=items).filter(~Exists(ItemState.objects.filter(item_id=OuterRef("pk"))))
    _insert_select(
        ItemState,
        ["item", "project", "submitted", "held", "is_open", "started", "priority", "extra", "sort_key"],
        _selecting(fresh, F("pk"), Value(project.pk), Subquery(counted, output_field=IntegerField()), Value(0),
                   Value(True, output_field=BooleanField()), Value(True, output_field=BooleanField()), Value(0),
                   Value(0), F("content_hash")),
    )  # fmt: skip
    states.update(is_open=open_flag(project.overlap), started=STARTED_FLAG)
    summary["over_overlap"] = states.filter(submitted__gt=project.overlap + F("extra")).count()


def _gold_move(*, project: Project, staged: QuerySet, uploader_id: int, summary: dict) -> None:
    """The last gold answer the file gives each item replaces the one it had."""
    gold = staged.filter(kind=StagedLabelKind.GOLD)
    last = gold.filter(~Exists(gold.filter(item_id=OuterRef("item_id"), id__gt=OuterRef("id"))))
    GoldLabel.objects.filter(item_id__in=last.values("item_id")).delete()
    summary["gold"] = _insert_select(
        GoldLabel,
        ["item", "project", "value", "set_by", "updated_at"],
        _selecting(last, F("item_id"), Value(project.pk), F("value"), Value(uploader_id),
                   Value(timezone.now(), output_field=DateTimeField())),
    )  # fmt: skip


def _predictions_move(*, project: Project, staged: QuerySet, uploader_id: int, summary: dict) -> None:
    """One prediction upload per model the file names, with its last prediction of each item."""
    predictions = staged.filter(kind=StagedLabelKind.PREDICTION)
    for model in sorted(set(predictions.order_by().values_list("model_name", flat=True).distinct())):
        of_model = predictions.filter(model_name=model)
        last = of_model.filter(~Exists(of_model.filter(item_id=OuterRef("item_id"), id__gt=OuterRef("id"))))
        prediction_set = PredictionSet.objects.create(
            project=project, model_name=model, labels=project.label_names, created_by_id=uploader_id
        )
        count = _insert_select(
            Prediction,
            ["prediction_set", "item", "probabilities"],
            _selecting(last, Value(prediction_set.pk), F("item_id"), F("value")),
        )
        PredictionSet.objects.filter(pk=prediction_set.pk).update(count=count)
        summary["predictions"] += count
