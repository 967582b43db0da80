"""Reads of the explorer: label filters on a version's items, a page's labels, one item's story.

Every read is bounded: filters are correlated subqueries the database stops asking once a page
is full, and a page's labels are two queries for its items whatever the project's size.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce

from config.errors import DomainError
from datasets.models import Item
from datasets.selectors import ItemFilters, Lineage, item_lineage, items_filtered
from labeling.models import (
    Adjudication,
    AdjudicationAction,
    Annotation,
    AnnotationRevision,
    GoldLabel,
    ReviewResult,
    ReviewResultStatus,
)
from labeling.review.data import SINGLE_LABEL, JSONScalarText, canonical
from labeling.review.selectors import final_labels
from projects.models import Project


@dataclass(frozen=True)
class LabelFilters:
    """Filters that read labels: an annotation's label, the final label, who annotated."""

    label: str | None = None
    final: str | None = None
    annotator: str | None = None
    disagreement: bool = False  # items whose annotations are not all the same
    label_issue: bool = False  # items the newest label-issue ranking flags

    @property
    def any(self) -> bool:
        return bool(self.label or self.final or self.annotator or self.disagreement or self.label_issue)


def _label_in_schema(project: Project, name: str, what: str) -> None:
    if name not in project.label_names:
        raise DomainError(f"{what} must be one of the project's labels: {', '.join(project.label_names)}")


def _annotations_with_label(project: Project, label: str) -> QuerySet[Annotation]:
    # The project too, so a rare label is found through the (project, label, item) index of
    # labeling migration 0007 rather than by asking every item in turn.
    annotations = Annotation.objects.filter(item=OuterRef("pk"), project=project)
    if project.task_type in SINGLE_LABEL:
        return annotations.annotate(_label=JSONScalarText("value")).filter(_label=label)
    # Multi-label lists and span lists hold the name as a quoted JSON string.
    return annotations.annotate(_text=Cast("value", TextField())).filter(_text__contains=f'"{label}"')


def _most_votes(label_filter: Q) -> Subquery:
    """The largest number of annotators of the outer item who gave one label passing ``label_filter``."""
    votes = (
        Annotation.objects.filter(item=OuterRef("pk"))
        .annotate(_label=JSONScalarText("value"))
        .filter(label_filter)
        .values("_label")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values("n")[:1]
    )
    return Subquery(votes, output_field=IntegerField())


def _value_text(project: Project) -> Func:
    """An annotation's value as text that is equal for equal values (values are stored normalised)."""
    return JSONScalarText("value") if project.task_type in SINGLE_LABEL else Cast("value", TextField())


def _disagreeing(project: Project) -> Exists:
    """The outer item has an annotation whose value differs from its first one."""
    first = (
        Annotation.objects.filter(item=OuterRef(OuterRef("pk")))
        .order_by("id")
        .annotate(_value=_value_text(project))
        .values("_value")[:1]
    )
    return Exists(
        Annotation.objects.filter(item=OuterRef("pk"))
        .annotate(_value=_value_text(project))
        .exclude(_value=Subquery(first, output_field=TextField()))
    )


# The ids a label-issue ranking flags, read from its stored JSON by the database itself.
_FLAGGED_SQL = {
    "postgresql": (
        f"SELECT (issue ->> 'item')::bigint FROM {ReviewResult._meta.db_table} r, "
        "jsonb_array_elements(r.result -> 'issues') issue WHERE r.id = %s"
    ),
    "sqlite": (
        f"SELECT json_extract(issue.value, '$.item') FROM {ReviewResult._meta.db_table} r, "
        "json_each(r.result, '$.issues') issue WHERE r.id = %s"
    ),
}


def newest_label_issues(*, project: Project) -> ReviewResult | None:
    """The newest computed label-issue ranking of the project, of any version."""
    return (
        ReviewResult.objects.filter(project=project, kind="label_issues", status=ReviewResultStatus.DONE)
        .exclude(result__isnull=True)
        .order_by("-computed_at", "-id")
        .first()
    )


def _could_be_final(project: Project, label: str) -> QuerySet:
    """Ids of items an annotation or an adjudication gives ``label``: the only ones it can be final for.

    A semi-join the database reads from the label index in item order, so a final label few items
    have (or none) costs a few probes, and a common one stops at the page's end: asking each item's
    votes in turn walked the whole version. Adjudications join in only when one gives the label (a
    union has no item order: every candidate is then asked)."""
    voted = (
        Annotation.objects.filter(project=project)
        .annotate(_label=JSONScalarText("value"))
        .filter(_label=label)
        .values("item_id")
        .order_by()
    )
    settled = (
        Adjudication.objects.filter(project=project, action=AdjudicationAction.LABEL)
        .annotate(_label=JSONScalarText("value"))
        .filter(_label=label)
        .values("item_id")
        .order_by()
    )
    return voted.union(settled, all=True) if settled.exists() else voted


def items_label_filtered(items: QuerySet[Item], *, project: Project, filters: LabelFilters) -> QuerySet[Item]:
    """``items`` narrowed by ``filters``; a label outside the schema or an unknown annotator is a 400."""
    if filters.disagreement:
        items = items.filter(_disagreeing(project))
    if filters.label_issue:
        ranking = newest_label_issues(project=project)
        if ranking is None:
            raise DomainError(
                "label_issue: no label-issue ranking yet; upload a model's predictions, then open the label issues"
            )
        items = items.filter(pk__in=RawSQL(_FLAGGED_SQL[connection.vendor], [ranking.pk]))
    if filters.label:
        _label_in_schema(project, filters.label, "label")
        items = items.filter(Exists(_annotations_with_label(project, filters.label)))
    if filters.annotator:
        user_id = get_user_model().objects.filter(username=filters.annotator).values_list("pk", flat=True).first()
        if user_id is None:
            raise DomainError(f"annotator: there is no user named {filters.annotator}")
        items = items.filter(Exists(Annotation.objects.filter(item=OuterRef("pk"), annotator_id=user_id)))
    if filters.final:
        _label_in_schema(project, filters.final, "final")
        if project.task_type not in SINGLE_LABEL:
            raise DomainError("final filters classification and image projects; use label for this task type")
        # The rule of ``final_labels``: the newest adjudication, else a majority that is not a tie.
        adjudicated = Subquery(
            Adjudication.objects.filter(item=OuterRef("pk"), action=AdjudicationAction.LABEL)
            .order_by("-id")
            .annotate(_label=JSONScalarText("value"))
            .values("_label")[:1],
            output_field=TextField(),
        )
        has_adjudication = Exists(Adjudication.objects.filter(item=OuterRef("pk"), action=AdjudicationAction.LABEL))
        items = items.filter(pk__in=_could_be_final(project, filters.final))
        items = items.alias(
            _adjudicated=adjudicated,
            _for=Coalesce(_most_votes(Q(_label=filters.final)), Value(0)),
            _against=Coalesce(_most_votes(~Q(_label=filters.final)), Value(0)),
        ).filter(Q(_adjudicated=filters.final) | (~has_adjudication & Q(_for__gt=F("_against"))))
    return items


def explorer_items(*, project: Project, number: int, data: ItemFilters, labels: LabelFilters) -> QuerySet[Item]:
    """The items of version ``number`` that pass every filter, in id order (not yet paged)."""
    items = items_filtered(project=project, number=number, filters=data)
    return items_label_filtered(items, project=project, filters=labels)


def pairwise_agreement(values: list[Any]) -> float | None:
    """The share of annotator pairs that gave the same value (compared whole); None under two."""
    if len(values) < 2:
        return None
    counts = Counter(canonical(value) for value in values)
    pairs = len(values) * (len(values) - 1) / 2
    return sum(n * (n - 1) / 2 for n in counts.values()) / pairs


@dataclass(frozen=True)
class ExplorerRow:
    item: Item
    annotation_count: int
    annotators: list[str]
    final: Any
    final_source: str | None  # "adjudication", "consensus", or None: not settled
    agreement: float | None

    @property
    def final_names(self) -> list[str]:
        return value_names(self.final)


def value_names(value: Any) -> list[str]:
    """The label names a value holds: the label, a multi-label list, or the labels of spans."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v.get("label")) if isinstance(v, dict) else str(v) for v in value]
    return [] if value is None else [str(value)]


def explorer_rows(*, items: list[Item]) -> list[ExplorerRow]:
    """A page's items with their labels: two queries, whatever the page's items hold."""
    item_ids = [item.pk for item in items]
    values: dict[int, list[Any]] = defaultdict(list)
    annotators: dict[int, list[str]] = defaultdict(list)
    rows = (
        Annotation.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "annotator__username")
        .values_list("item_id", "value", "annotator__username")
    )
    for item_id, value, username in rows:
        values[item_id].append(value)
        annotators[item_id].append(username)
    finals = final_labels(item_ids=item_ids, annotations=values)
    return [
        ExplorerRow(
            item=item,
            annotation_count=len(values[item.pk]),
            annotators=annotators[item.pk],
            final=finals[item.pk][0],
            final_source=finals[item.pk][1],
            agreement=pairwise_agreement(values[item.pk]),
        )
        for item in items
    ]


@dataclass(frozen=True)
class AnnotationStory:
    annotation: Annotation
    revisions: list[AnnotationRevision]  # oldest first; the last is the current value


@dataclass(frozen=True)
class ItemStory:
    """Everything known about one item, for the item page."""

    item: Item  # with its batch and the batch's version
    annotations: list[AnnotationStory]
    adjudications: list[Adjudication]  # newest first
    gold: GoldLabel | None
    final: Any
    final_source: str | None
    agreement: float | None
    lineage: Lineage | None  # None when the item is neither augmented nor a source


def item_story(*, item_id: int, user: AbstractBaseUser) -> ItemStory:
    """The item with its annotations and their revisions, adjudications, gold answer and lineage.

    The caller's access to the item's project is checked before (``item_get_for_user``).
    """
    item = Item.objects.select_related("batch", "batch__version", "augmentation").get(pk=item_id)
    annotations = list(
        Annotation.objects.filter(item=item).select_related("annotator", "import_batch").order_by("annotator__username")
    )
    revisions: dict[int, list[AnnotationRevision]] = defaultdict(list)
    for revision in AnnotationRevision.objects.filter(annotation__item=item).order_by("annotation_id", "number"):
        revisions[revision.annotation_id].append(revision)
    values = [annotation.value for annotation in annotations]
    final, source = final_labels(item_ids=[item.pk], annotations={item.pk: values})[item.pk]
    has_family = hasattr(item, "augmentation") or item.derived.exists()
    return ItemStory(
        item=item,
        annotations=[AnnotationStory(annotation=a, revisions=revisions[a.pk]) for a in annotations],
        adjudications=list(Adjudication.objects.filter(item=item).select_related("reviewer").order_by("-id")),
        gold=GoldLabel.objects.filter(item=item).first(),
        final=final,
        final_source=source,
        agreement=pairwise_agreement(values),
        lineage=item_lineage(user=user, item_id=item.pk) if has_family else None,
    )
