"""Reads for the review: fingerprints of a project's labels, filters, pages of items with
their annotations, final labels and gold accuracy. Every read is scoped by the caller's
project (resolved by ``projects.selectors.project_get_for_user`` in the API) and bounded.
"""

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone

from config.errors import DomainError
from datasets.models import Item
from datasets.selectors import JSONText, items_id_range, version_batch_ids, version_get, version_latest
from labeling.models import (
    Adjudication,
    AdjudicationAction,
    Annotation,
    GoldLabel,
    PredictionSet,
    ReviewResult,
    ReviewResultStatus,
)
from labeling.review.data import SINGLE_LABEL, JSONScalarText, annotations_queryset, canonical
from labeling.review.report import AgreementReport
from labeling.review.slices import SLICED_KINDS
from projects.models import Project, TaskType

METADATA_KEY = re.compile(r"^[\w\- .]{1,100}$")
METADATA_FORMAT = "metadata must look like key=value (key: letters, digits, space, - _ .)"
RESULT_KINDS = ("agreement", "items", "dawid_skene", "label_issues", "anchoring")
# The slice picker: metadata of this many of the newest items, keys with this many values at most.
SLICE_SAMPLE, SLICE_MAX_VALUES, SLICE_MAX_KEYS = 2000, 12, 8


class ResultState(StrEnum):
    FRESH = "fresh"  # computed from the labels as they are now
    MISSING = "missing"  # never computed
    STALE = "stale"  # computed from other labels, or a computation that stopped long ago
    RUNNING = "running"  # a worker took it up for these labels within the task time limit
    FAILED = "failed"  # a worker's computation for these labels failed within the time limit


@dataclass(frozen=True)
class CachedResult:
    """A cached result as it stands, and what it was read against, so a refresh needs no second look."""

    kind: str
    row: ReviewResult | None
    fingerprint: str
    n_annotations: int
    state: ResultState

    @property
    def fresh(self) -> bool:
        return self.state == ResultState.FRESH


@dataclass(frozen=True)
class SliceOption:
    """A metadata key with few values, each offered as a ready-made ``key=value`` filter."""

    key: str
    values: list[str]

    @property
    def filters(self) -> list[str]:
        return [f"{self.key}={value}" for value in self.values]


def version_number(*, project: Project, raw: str | None) -> int:
    """The version asked for (``?version=n``, 404 if it does not exist), else the newest; 0 for none yet."""
    if raw in (None, ""):
        latest = version_latest(project=project)
        return latest.number if latest else 0
    try:
        number = int(raw)
    except ValueError:
        raise DomainError("version must be a whole number") from None
    return version_get(project=project, number=number).number


def labels_fingerprint(*, project: Project, kind: str) -> tuple[str, int]:
    """A cheap description of everything a result depends on, and the number of annotations up
    to ``inline_limit() + 1`` (enough to choose between the request and a worker).

    Any submit or change of an annotation changes the newest (``updated_at``, id), and
    annotations are never deleted; gold answers are timestamped and counted (a removal changes
    the count), adjudications and prediction uploads are append-only. The label schema and scale
    are part of it too: a result computed for other labels, or at another level of measurement,
    is stale. Every review page asks, so nothing here reads all of a large project's annotations.
    """
    mine = Annotation.objects.filter(project=project)
    newest = mine.order_by("-updated_at", "-id").values_list("updated_at", "id").first()
    annotations = {"n": mine[: inline_limit() + 1].count(), "last": newest}  # n: not in the fingerprint
    gold = GoldLabel.objects.filter(project=project).aggregate(n=Count("item_id"), last=Max("updated_at"))
    adjudicated = Adjudication.objects.filter(project=project).aggregate(last=Max("id"))["last"]
    schema = hashlib.sha256(canonical([project.labels, project.label_scale]).encode()).hexdigest()[:16]
    parts = [str(annotations["last"]), f"g{gold['n']}:{gold['last']}", f"a{adjudicated}", schema]
    if kind == "label_issues":
        last_set = PredictionSet.objects.filter(project=project).aggregate(last=Max("id"))["last"]
        parts.append(f"p{last_set}")
    return ":".join(parts), annotations["n"]


# Per kind, the parts of a result kept in its ``summary`` too: what pages show of a large result.
SUMMARY_KEYS = {"dawid_skene": ("labels", "confusion", "priors", "iterations")}


def result_summary(*, kind: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    summary = {key: result.get(key) for key in SUMMARY_KEYS.get(kind, ())}
    if kind in SLICED_KINDS and isinstance(result.get("item_ids"), list):
        summary["item_count"] = len(result["item_ids"])  # a consensus page's count, read with its slices
    return summary or None


def result_parts(*, row: ReviewResult, keys: Collection[str]) -> dict[str, Any]:
    """Only ``keys`` of a stored result: from its summary when it holds them, else picked out by
    the database (each key reads the whole value there, so a page keeps to the summary's)."""
    if row.summary is not None and all(key in row.summary for key in keys):
        return {key: row.summary[key] for key in keys}
    if "result" not in row.get_deferred_fields():
        return {key: (row.result or {}).get(key) for key in keys}
    names = {f"part_{index}": key for index, key in enumerate(keys)}
    values = ReviewResult.objects.filter(pk=row.pk).values(**{name: F(f"result__{key}") for name, key in names.items()})
    found = values.first() or {}
    return {key: found.get(name) for name, key in names.items()}


def inline_limit() -> int:
    """Projects (and slices) with fewer annotations are computed in the request; larger ones by a worker."""
    return settings.GROUNDWORK_REVIEW_INLINE_MAX


def review_result_cached(*, project: Project, version: int, kind: str) -> CachedResult:
    """The stored result of ``kind`` and whether it is fresh; reads only, whatever the answer."""
    if kind not in RESULT_KINDS:
        raise DomainError(f"unknown result kind {kind!r}")
    fingerprint, n_annotations = labels_fingerprint(project=project, kind=kind)
    # Without its result: a page that shows part of a large one reads that part (``result_parts``).
    row = ReviewResult.objects.filter(project=project, version=version, kind=kind).defer("result").first()
    if row is None:
        state = ResultState.MISSING
    elif row.fingerprint != fingerprint:
        state = ResultState.STALE
    elif row.status == ReviewResultStatus.DONE:
        state = ResultState.FRESH
    elif row.started_at is not None and row.started_at > timezone.now() - timedelta(
        seconds=settings.CELERY_TASK_TIME_LIMIT
    ):
        state = ResultState.RUNNING if row.status == ReviewResultStatus.COMPUTING else ResultState.FAILED
    else:
        state = ResultState.STALE
    return CachedResult(kind=kind, row=row, fingerprint=fingerprint, n_annotations=n_annotations, state=state)


def agreement_report(
    *, project: Project, version: int, result: dict[str, Any], items: QuerySet[Item] | None = None
) -> AgreementReport:
    """The computed agreement figures with each annotator's accuracy on gold items (of ``items``
    only, for a slice), typed."""
    gold = gold_accuracy(project=project, version=version, items=items)
    return AgreementReport.from_result(result, task_type=project.task_type, gold=gold)


def label_uses(*, project: Project, names: Collection[str]) -> dict[str, int]:
    """How many annotations, adjudications and gold answers of the project hold each label name
    (names held by none are left out): the labels a schema change must not drop."""
    single = project.task_type in SINGLE_LABEL
    # JSON as each database prints it: PostgreSQL keeps non-ASCII as is, Django's SQLite text escapes it.
    ascii_only = connection.vendor != "postgresql"
    found: dict[str, int] = {}
    for name in names:
        token = json.dumps(name, ensure_ascii=ascii_only)
        if project.task_type == TaskType.SPANS:
            token = f'"label": {token}'
        total = 0
        for model in (Annotation, Adjudication, GoldLabel):
            rows = model.objects.filter(project=project)
            if single:
                rows = rows.annotate(label=JSONScalarText("value")).filter(label=name)
            else:
                rows = rows.annotate(text=Cast("value", TextField())).filter(text__contains=token)
            total += rows.count()
        if total:
            found[name] = total
    return found


def latest_prediction_set(*, project: Project) -> PredictionSet | None:
    return PredictionSet.objects.filter(project=project).order_by("-id").first()


def filtered_item_ids(
    *, project: Project, version: int, label: str | None, annotator: str | None, metadata: str | None
) -> set[int] | None:
    """Ids of the items the disagreement filters let through, or None when there is no filter.
    Read whole: for the label-issue order, which sorts the whole ranking in Python anyway."""
    annotations = annotations_queryset(project=project, version=version)
    found: list[QuerySet] = []
    if label:
        _label_in_schema(project, label)
        found.append(_with_label(annotations, project=project, label=label).values_list("item_id", flat=True))
    if annotator:
        found.append(annotations.filter(annotator__username=annotator).values_list("item_id", flat=True))
    if metadata:
        found.append(slice_items(project=project, version=version, metadata=metadata).values_list("id", flat=True))
    item_ids: set[int] | None = None
    for ids in found:
        item_ids = set(ids) if item_ids is None else item_ids & set(ids)
    return item_ids


def item_conditions(
    *, project: Project, label: str | None, annotator: str | None, metadata: str | None, item: str = "item_id"
) -> list[Exists | Q]:
    """The disagreement filters as conditions on an outer row's ``item`` column, for rows that hold
    items of the version already (a stored ranking). Each is an index probe per row, so a page in
    the ranking's order stops as soon as it is full, where an ``IN`` list of a filter's ids made
    the database read them all (a million annotations for one annotator) first."""
    found: list[Exists | Q] = []
    if label:
        _label_in_schema(project, label)
        annotations = Annotation.objects.filter(project=project, item_id=OuterRef(item))
        found.append(Exists(_with_label(annotations, project=project, label=label)))
    if annotator:
        user_id = get_user_model().objects.filter(username=annotator).values_list("pk", flat=True).first()
        found.append(Exists(Annotation.objects.filter(item_id=OuterRef(item), annotator_id=user_id)))
    if metadata:
        # The item's value read per row, not a semi-join: with no statistics on a metadata key the
        # planner took a common value for a rare one and hashed every item of the project first.
        key, wanted = metadata_filter(metadata)
        value = Item.objects.filter(pk=OuterRef(item)).annotate(meta=JSONText("metadata", key)).values("meta")[:1]
        found.append(Q(Exact(Subquery(value), wanted)))
    return found


def _label_in_schema(project: Project, label: str) -> None:
    if label not in project.label_names:
        raise DomainError(f"label must be one of the project's labels: {', '.join(project.label_names)}")


def _with_label(annotations: QuerySet[Annotation], *, project: Project, label: str) -> QuerySet[Annotation]:
    if project.task_type in SINGLE_LABEL:
        return annotations.annotate(label=JSONScalarText("value")).filter(label=label)
    # a label name appears in the JSON as a quoted string
    return annotations.annotate(text=Cast("value", TextField())).filter(text__contains=f'"{label}"')


def metadata_filter(raw: str) -> tuple[str, str]:
    """``key=value`` as its key and value; a DomainError names the expected form."""
    key, separator, wanted = raw.partition("=")
    if not separator or not METADATA_KEY.match(key):
        raise DomainError(METADATA_FORMAT)
    return key, wanted


def slice_items(*, project: Project, version: int, metadata: str) -> QuerySet[Item]:
    """The items of version ``version`` whose metadata ``key`` is ``value`` (``metadata="key=value"``)."""
    key, wanted = metadata_filter(metadata)
    items = Item.objects.filter(project=project, batch__version__number__lte=version)
    return items.annotate(meta=JSONText("metadata", key)).filter(meta=wanted)


def slice_options(*, project: Project, version: int) -> list[SliceOption]:
    """The metadata keys worth slicing by (few distinct values), read from the newest items only,
    so the picker costs one bounded query however large the project. The version's largest id
    bounds the walk: an older version's newest items come after none of a newer one's."""
    batch_ids = version_batch_ids(project=project, number=version)
    id_range = items_id_range(batch_ids)
    if id_range is None:
        return []
    rows = (
        Item.objects.filter(batch_id__in=batch_ids, id__lte=id_range[1])
        .order_by("-id")
        .values_list("metadata", flat=True)[:SLICE_SAMPLE]
    )
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for metadata in rows:
        if not isinstance(metadata, dict):
            continue
        for key, value in metadata.items():
            if isinstance(value, bool) or not isinstance(value, str | int) or not METADATA_KEY.match(str(key)):
                continue
            if len(seen[key]) <= SLICE_MAX_VALUES:  # one past the limit is enough to leave the key out
                seen[key][str(value)] += 1
    options = [
        SliceOption(key=key, values=sorted(counts, key=lambda v: (-counts[v], v)))
        for key, counts in sorted(seen.items())
        if 1 < len(counts) <= SLICE_MAX_VALUES
    ]
    return options[:SLICE_MAX_KEYS]


def items_with_annotations(*, item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The items, each with its annotations and latest adjudication: three queries for the page."""
    items = {
        pk: {
            "id": pk,
            "external_id": external_id,
            "data": data,
            "metadata": metadata,
            "augmentation_method": method,  # None for an original
            "annotations": [],
        }
        for pk, external_id, data, metadata, method in Item.objects.filter(pk__in=item_ids).values_list(
            "id", "external_id", "data", "metadata", "augmentation__method"
        )
    }
    annotations = (
        Annotation.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "annotator__username")
        .values_list("item_id", "annotator__username", "value", "updated_at")
    )
    for item_id, username, value, updated_at in annotations:
        items[item_id]["annotations"].append({"annotator": username, "value": value, "updated_at": updated_at})
    finals = final_adjudications(item_ids=item_ids)
    for item_id, entry in items.items():
        entry["adjudication"] = finals.get(item_id)
    return items


def final_adjudications(*, item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest ``label`` adjudication of each item that has one."""
    rows = (
        Adjudication.objects.filter(item_id__in=item_ids, action=AdjudicationAction.LABEL)
        .order_by("item_id", "-id")
        .values_list("item_id", "value", "note", "reviewer__username", "created_at")
    )
    finals: dict[int, dict[str, Any]] = {}
    for item_id, value, note, reviewer, created_at in rows:
        finals.setdefault(item_id, {"value": value, "note": note, "reviewer": reviewer, "created_at": created_at})
    return finals


def adjudications_of_item(*, item: Item):
    return Adjudication.objects.filter(item=item).select_related("reviewer").order_by("-id")


def majority_of(values: list[Any]) -> tuple[Any, float | None, bool]:
    """The value most annotators gave (compared whole), its share, and whether it tied; (None, None, False) if none."""
    if not values:
        return None, None, False
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, Any] = {}
    for value in values:
        key = canonical(value)
        counts[key] += 1
        first.setdefault(key, value)
    top = max(counts.values())
    winners = [key for key, count in counts.items() if count == top]
    if len(winners) > 1:
        return None, top / len(values), True
    return first[winners[0]], top / len(values), False


def final_labels(*, item_ids: list[int], annotations: dict[int, list[Any]]) -> dict[int, tuple[Any, str | None]]:
    """Each item's final label and where it came from: the newest adjudication, else the
    majority of its annotations when it is not a tie, else nothing (a tie waits for a reviewer)."""
    adjudicated = final_adjudications(item_ids=item_ids)
    finals: dict[int, tuple[Any, str | None]] = {}
    for item_id in item_ids:
        if item_id in adjudicated:
            finals[item_id] = (adjudicated[item_id]["value"], "adjudication")
            continue
        value, _, tie = majority_of(annotations.get(item_id, []))
        finals[item_id] = (value, "consensus") if value is not None and not tie else (None, None)
    return finals


def gold_accuracy(*, project: Project, version: int, items: QuerySet[Item] | None = None) -> dict[str, dict[str, Any]]:
    """Per annotator: how many gold items they labeled and the share they got right (values compared whole)."""
    annotations = annotations_queryset(project=project, version=version).filter(item__gold__isnull=False)
    if items is not None:
        annotations = annotations.filter(item__in=items.values("id"))
    rows = annotations.values_list("annotator__username", "value", "item__gold__value")
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for username, value, gold in rows:
        tally[username][0] += 1
        tally[username][1] += canonical(value) == canonical(gold)
    return {name: {"gold_n": n, "gold_accuracy": right / n} for name, (n, right) in tally.items()}


def gold_get(*, item: Item) -> GoldLabel | None:
    return GoldLabel.objects.select_related("set_by").filter(item=item).first()


def gold_count(*, project: Project, items: QuerySet[Item] | None = None) -> int:
    gold = GoldLabel.objects.filter(project=project)
    if items is not None:
        gold = gold.filter(item__in=items.values("id"))
    return gold.count()
