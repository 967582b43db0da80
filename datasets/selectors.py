"""Reads of batches, versions, items and images, always within a project the caller may see."""

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Count, F, Func, Max, Min, QuerySet, TextField
from django.db.models.fields.json import KT
from django.http import Http404

from datasets.models import Augmentation, Batch, DatasetVersion, Item, ItemImage, Split, SplitName
from projects.models import Project
from projects.selectors import REVIEWERS, ProjectAccess, project_access, project_get_for_user

# Who sees a batch's own rows: its file and the sample rows of its check results. Many of them
# never join the dataset (a quarantined, rejected or failed batch; duplicates and empty rows of
# an accepted one), so annotators, who meet data only as items to label, see a batch's status,
# counts and check outcomes, and no row.
ROW_READERS = REVIEWERS


def versions_list(*, project: Project) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(project=project).select_related("parent", "batch").order_by("-number")


def version_latest(*, project: Project) -> DatasetVersion | None:
    return DatasetVersion.objects.filter(project=project).order_by("-number").first()


def version_get(*, project: Project, number: int) -> DatasetVersion:
    try:
        return DatasetVersion.objects.select_related("parent", "batch").get(project=project, number=number)
    except (DatasetVersion.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def version_batch_ids(*, project: Project, number: int) -> list[uuid.UUID]:
    """The batches of versions <= ``number``: one per version, so a short list whatever the items."""
    return list(
        Batch.objects.filter(project=project, version__number__lte=number)
        .order_by("version__number")
        .values_list("id", flat=True)
    )


def items_in_version(*, project: Project, number: int) -> QuerySet[Item]:
    """Items of version ``number``: those of every batch accepted into a version <= number.

    The batch ids are read first and the items filtered on them, so the item scan uses the
    item's batch index (or the primary key, for a page in id order) instead of joining
    batch and version on every row.
    """
    return Item.objects.filter(batch_id__in=version_batch_ids(project=project, number=number)).order_by("id")


# The expression the GIN index of datasets migration 0003 is built on; a query must repeat it
# to the letter for PostgreSQL to use the index.
ITEM_TEXT_VECTOR = "to_tsvector('simple'::regconfig, COALESCE(({column} ->> 'text'), ''))"


class TextSearch(Func):
    """Full-text match of an item's text: PostgreSQL's text search on the indexed expression;
    on SQLite (the embedded default, for small projects) a case-insensitive substring, unindexed."""

    output_field = BooleanField()

    def __init__(self, words: str, **extra) -> None:
        self.words = words
        super().__init__(F("data"), **extra)

    def as_postgresql(self, compiler, connection, **extra):
        vector = ITEM_TEXT_VECTOR.format(column="%(expressions)s")
        template = f"({vector} @@ websearch_to_tsquery('simple'::regconfig, %%s))"
        sql, params = self.as_sql(compiler, connection, template=template, **extra)
        return sql, (*params, self.words)

    def as_sqlite(self, compiler, connection, **extra):
        template = "(instr(lower(json_extract(%(expressions)s, '$.text')), lower(%%s)) > 0)"
        sql, params = self.as_sql(compiler, connection, template=template, **extra)
        return sql, (*params, self.words)


@dataclass(frozen=True)
class ItemFilters:
    """What the data floor can filter a version's items by; each is optional."""

    external_id: str | None = None
    metadata: tuple[str, str] | None = None  # (key, value): the value compared as text
    batch: uuid.UUID | None = None
    text: str | None = None
    split: str | None = None  # a split's name, or "none": in no split
    augmented: bool | None = None  # True: only augmented items; False: only originals

    @property
    def any(self) -> bool:
        values = (self.external_id, self.metadata, self.batch, self.text, self.split, self.augmented)
        return any(value not in (None, "") for value in values)


def items_id_range(batch_ids: list[uuid.UUID]) -> tuple[int, int] | None:
    """The smallest and largest item id of ``batch_ids``; None when they hold no item.

    A batch's items are written together, but the planner assumes they are spread over the
    table: asked for an older version's last page, it walked the primary key back through every
    newer version's items. With the range in the query, a scan in id order starts and stops at
    the version's own ids. Two probes per batch into ``item_batch_id``."""
    if not batch_ids:
        return None
    if connection.vendor == "postgresql":
        found = _id_ends_postgresql(batch_ids)
    else:
        found = list(
            Item.objects.filter(batch_id__in=batch_ids)
            .values("batch_id")
            .annotate(low=Min("id"), high=Max("id"))
            .values_list("low", "high")
            .order_by()
        )
    if not found:
        return None
    return min(low for low, _ in found), max(high for _, high in found)


# Each end is asked as a row comparison on (batch, id), which only ``item_batch_id`` can answer in
# order: asked ``batch_id = %s ORDER BY id LIMIT 1``, the planner walks the primary key instead.
_ID_ENDS_SQL = f"""
SELECT low.id, high.id FROM unnest(%s::uuid[]) AS batch(id)
JOIN LATERAL (SELECT i.batch_id, i.id FROM {Item._meta.db_table} i WHERE (i.batch_id, i.id) >= (batch.id, 0)
              ORDER BY i.batch_id, i.id LIMIT 1) low ON low.batch_id = batch.id
JOIN LATERAL (SELECT i.batch_id, i.id FROM {Item._meta.db_table} i
              WHERE (i.batch_id, i.id) <= (batch.id, 9223372036854775807)
              ORDER BY i.batch_id DESC, i.id DESC LIMIT 1) high ON high.batch_id = batch.id
"""


def _id_ends_postgresql(batch_ids: list[uuid.UUID]) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(_ID_ENDS_SQL, [list(batch_ids)])
        return cursor.fetchall()


def items_filtered(*, project: Project, number: int, filters: ItemFilters) -> QuerySet[Item]:
    """The items of version ``number`` that pass ``filters``; a batch outside the version matches nothing."""
    batch_ids = version_batch_ids(project=project, number=number)
    if filters.batch is not None:
        batch_ids = [batch_id for batch_id in batch_ids if batch_id == filters.batch]
    id_range = items_id_range(batch_ids)
    items = (
        Item.objects.filter(batch_id__in=batch_ids)
        .select_related("augmentation")
        .annotate(split=F("split_assignment__split"))
    )
    if id_range is None:
        return items.none().order_by("id")
    items = items.filter(id__range=id_range)
    if filters.augmented is not None:
        # Every augmented item has a source; the partial index on ``source`` holds only those.
        items = items.filter(source__isnull=not filters.augmented)
    if filters.split == "none":
        items = items.filter(split_assignment__split__isnull=True)
    elif filters.split:
        items = items.filter(split_assignment__split=filters.split)
    if filters.external_id not in (None, ""):
        items = items.filter(project=project, external_id=filters.external_id)
    if filters.metadata is not None:
        key, value = filters.metadata
        items = items.alias(metadata_value=JSONText("metadata", key)).filter(metadata_value=value)
    if filters.text:
        items = items.filter(TextSearch(filters.text))
        few = text_matches_if_few(batch_ids=batch_ids, id_range=id_range, words=filters.text)
        if few is not None:
            items = items.filter(id__in=few)
    return items.order_by("id")


# Up to this many matches of a search are fetched from the text index and sorted; beyond it a
# page in id order meets its rows soon enough by walking the id order.
FEW_MATCHES = 5_000
# The first look: this many matches, enough to tell a rare word from a dense one.
SAMPLE_MATCHES = 100
# A page walking the id order may read this many items to fill ``PAGE_ROWS`` rows.
WALK_ROWS, PAGE_ROWS = 10_000, 100


def text_matches_if_few(*, batch_ids: list[uuid.UUID], id_range: tuple[int, int], words: str) -> list[int] | None:
    """The ids of the version's items matching ``words`` when there are at most ``FEW_MATCHES``; else None.

    PostgreSQL guesses the same small share of rows for any word outside its statistics, so for
    a word one item in a million holds it walked the id order through the whole version, testing
    each text (10 s). A first look for ``SAMPLE_MATCHES`` matches is cheap either way (the planner
    reads a word it guesses rare from the text index, and stops a common one's walk early); it
    returns a rare word's matches whole, and the span of a common one's ids says how far a page
    would walk. Only a word between the two is asked again, from the text index alone."""
    matches = (
        Item.objects.filter(batch_id__in=batch_ids, id__range=id_range)
        .filter(TextSearch(words))
        .order_by()
        .values_list("id", flat=True)
    )
    sample = list(matches[: SAMPLE_MATCHES + 1])
    if len(sample) <= SAMPLE_MATCHES:
        return sample
    if PAGE_ROWS * (max(sample) - min(sample) + 1) / len(sample) <= WALK_ROWS:
        return None  # dense: a page in id order meets its rows within ``WALK_ROWS`` items
    with index_bitmap_only():
        found = list(matches[: FEW_MATCHES + 1])
    return found if len(found) <= FEW_MATCHES else None


PLANNER_SWITCHES = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")


@contextmanager
def index_bitmap_only() -> Iterator[None]:
    """Within it, PostgreSQL reads tables through bitmaps of their indexes only: a query with a
    limit and no order then asks the text index for a sparse word instead of walking a table.
    The settings are put back after, inside the caller's transaction as outside one."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join('current_setting(%s)' for _ in PLANNER_SWITCHES)}", PLANNER_SWITCHES)
        before = cursor.fetchone()
        for name in PLANNER_SWITCHES:
            cursor.execute("SELECT set_config(%s, 'off', true)", [name])
        try:
            yield
        finally:
            for name, value in zip(PLANNER_SWITCHES, before, strict=True):
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


class JSONText(Func):
    """``column->>'key'`` on either database: a JSON value as the text it is compared to."""

    output_field = TextField()

    def __init__(self, expression: str, key: str, **extra) -> None:
        self.key = key
        super().__init__(F(expression), **extra)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self.as_sql(compiler, connection, template="(%(expressions)s ->> %%s)", **extra)
        return sql, (*params, self.key)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.as_sql(
            compiler, connection, template="CAST(json_extract(%(expressions)s, %%s) AS TEXT)", **extra
        )
        return sql, (*params, f'$."{self.key}"')


# What ``?split=`` accepts: a split's name, or ``none`` for items in no split (not split yet, or left out).
SPLIT_FILTERS = (*SplitName.values, "none")
SPLIT_CODES = {name: code for code, name in enumerate(SplitName.values)}
LEFT_OUT = -1
UNDECIDED = -2
ARRAY_CHUNK = 50_000


def items_with_splits(*, project: Project, number: int, split: str | None = None) -> QuerySet[Item]:
    """The version's items, each annotated with its ``split`` (null when in none), optionally only one split's."""
    items = items_in_version(project=project, number=number).annotate(split=F("split_assignment__split"))
    if split == "none":
        return items.filter(split_assignment__split__isnull=True)
    if split is not None:
        return items.filter(split_assignment__split=split)
    return items


def split_get(*, version: DatasetVersion) -> Split:
    try:
        return Split.objects.select_related("version").get(version=version)
    except Split.DoesNotExist:
        raise Http404(f"version {version.number} has not been split") from None


def split_find(*, version: DatasetVersion) -> Split | None:
    return Split.objects.filter(version=version).first()


def split_counts(*, project: Project, number: int) -> dict[str, int]:
    """Items of the version per split, with ``none`` for those in no split."""
    rows = items_with_splits(project=project, number=number).order_by().values_list("split").annotate(n=Count("id"))
    counts = dict.fromkeys(SPLIT_FILTERS, 0)
    for split, n in rows:
        counts[split or "none"] += n
    return counts


@dataclass(frozen=True)
class VersionItems:
    """A version's items as arrays, in id order: what splitting and the leakage check read."""

    ids: np.ndarray  # int64
    source_ids: np.ndarray  # int64; 0 for an original item
    source_index: np.ndarray  # int64 position of the source in ``ids``; -1 for none (or not in the version)
    contents: list[str]  # the text, or the image's address
    splits: np.ndarray  # int8: 0 train, 1 dev, 2 test, -1 left out, -2 not decided yet
    external_ids: list[str]

    @property
    def augmented(self) -> np.ndarray:
        return self.source_ids > 0


def version_item_arrays(
    *, project: Project, number: int, progress: Callable[[float], None] | None = None
) -> VersionItems:
    """Every item of the version as arrays, read by keyset pages of 50,000: no query per item."""
    rows = items_in_version(project=project, number=number).values_list(
        "id",
        "source_id",
        KT(f"data__{project.content_column}"),
        "split_assignment__item_id",
        "split_assignment__split",
        "external_id",
    )
    total = DatasetVersion.objects.filter(project=project, number=number).values_list("item_count", flat=True).first()
    ids, sources, contents, splits, external_ids = [], [], [], [], []
    last_id = 0
    while True:
        page = list(rows.filter(id__gt=last_id)[:ARRAY_CHUNK])
        for item_id, source_id, content, decided, split, external_id in page:
            ids.append(item_id)
            sources.append(source_id or 0)
            contents.append(content or "")
            splits.append(UNDECIDED if decided is None else SPLIT_CODES.get(split, LEFT_OUT))
            external_ids.append(external_id)
        if progress and total:
            progress(min(len(ids) / total, 1.0))
        if len(page) < ARRAY_CHUNK:
            break
        last_id = page[-1][0]
    id_array = np.array(ids, np.int64)
    source_array = np.array(sources, np.int64)
    position = np.clip(np.searchsorted(id_array, source_array), 0, max(len(ids) - 1, 0))
    found = (source_array > 0) & (id_array[position] == source_array) if ids else source_array > 0
    return VersionItems(
        ids=id_array,
        source_ids=source_array,
        source_index=np.where(found, position, -1).astype(np.int64),
        contents=contents,
        splits=np.array(splits, np.int8),
        external_ids=external_ids,
    )


def image_get(*, project: Project, sha256: str, extension: str) -> ItemImage:
    image = ItemImage.objects.filter(project=project, sha256=sha256, extension=extension).first()
    if image is None:
        raise Http404("no such image")
    return image


def batches_for_project(*, project: Project) -> QuerySet[Batch]:
    return (
        Batch.objects.filter(project=project)
        .select_related("version", "uploaded_by", "decided_by")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class BatchAccess:
    """A batch and the caller's access to its project (``batch.project`` is ``access.project``):
    the role decides what of the batch may be shown."""

    batch: Batch
    access: ProjectAccess


def batch_access(*, user: AbstractBaseUser, batch_id: str, roles: Iterable[str] | None = None) -> BatchAccess:
    try:
        batch = Batch.objects.select_related("version", "uploaded_by", "decided_by").get(pk=batch_id)
    except (Batch.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
    access = project_access(user=user, project_id=batch.project_id, roles=roles)
    batch.project = access.project
    return BatchAccess(batch=batch, access=access)


def batch_get_for_user(*, user: AbstractBaseUser, batch_id: str, roles: Iterable[str] | None = None) -> Batch:
    """``batch_access`` for callers that need only the batch."""
    return batch_access(user=user, batch_id=batch_id, roles=roles).batch


@dataclass(frozen=True)
class LineageNode:
    """One item of a family; the augmentation fields are empty for the original."""

    id: int
    external_id: str
    source: int | None
    generation: int
    method: str = ""
    params: dict[str, Any] | None = None
    seed: int | None = None
    library: str = ""
    library_version: str = ""
    config_hash: str = ""
    label_policy: str = ""
    batch: str | None = None
    job: str | None = None
    created_by: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class Lineage:
    item: LineageNode
    root: int
    ancestors: list[LineageNode]  # the source first, the root last
    descendants: list[LineageNode]  # breadth first: generation by generation


def item_lineage(*, user: AbstractBaseUser, item_id: int) -> Lineage:
    """An item's ancestors and descendants, read in two queries whatever the family's size."""
    item = Item.objects.filter(pk=item_id, batch__version__isnull=False).select_related("augmentation").first()
    if item is None:
        raise Http404
    project_get_for_user(user=user, project_id=item.project_id)
    augmentation = getattr(item, "augmentation", None)
    root_id = augmentation.root_id if augmentation else item.pk
    family = (
        Augmentation.objects.filter(root_id=root_id, item__batch__version__isnull=False)
        .select_related("item", "created_by")
        .order_by("generation", "item_id")
    )
    nodes = {a.item_id: _node(a) for a in family}
    root = Item.objects.only("id", "external_id").get(pk=root_id)
    nodes[root.pk] = LineageNode(id=root.pk, external_id=root.external_id, source=None, generation=0)
    ancestors, current = [], nodes[item.pk].source
    while current is not None and current in nodes:
        ancestors.append(nodes[current])
        current = nodes[current].source
    children: dict[int, list[int]] = {}
    for node in nodes.values():
        if node.source is not None:
            children.setdefault(node.source, []).append(node.id)
    descendants, frontier = [], [item.pk]
    while frontier:
        frontier = [child for parent in frontier for child in sorted(children.get(parent, []))]
        descendants.extend(nodes[child] for child in frontier)
    return Lineage(item=nodes[item.pk], root=root_id, ancestors=ancestors, descendants=descendants)


def _node(augmentation: Augmentation) -> LineageNode:
    return LineageNode(
        id=augmentation.item_id,
        external_id=augmentation.item.external_id,
        source=augmentation.item.source_id,
        generation=augmentation.generation,
        method=augmentation.method,
        params=augmentation.params,
        seed=augmentation.seed,
        library=augmentation.library,
        library_version=augmentation.library_version,
        config_hash=augmentation.config_hash,
        label_policy=augmentation.label_policy,
        batch=str(augmentation.batch_id),
        job=str(augmentation.job_id) if augmentation.job_id else None,
        created_by=augmentation.created_by.username,
        created_at=augmentation.created_at,
    )


@dataclass(frozen=True)
class MethodShare:
    method: str
    items: int
    share: float  # of the version's items


def augmentation_shares(*, version: DatasetVersion) -> list[MethodShare]:
    """How many of the version's items each augmentation method made, most first."""
    rows = (
        Augmentation.objects.filter(batch_id__in=version_batch_ids(project=version.project, number=version.number))
        .values("method")
        .annotate(items=Count("item"))
        .order_by("-items", "method")
    )
    total = version.item_count or 1
    return [MethodShare(method=r["method"], items=r["items"], share=r["items"] / total) for r in rows]


def batch_rows_visible(*, role: str) -> bool:
    return role in ROW_READERS


def batch_results_for(*, results: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    """A batch's check results as ``role`` may see them: without sample rows unless it reads rows."""
    if batch_rows_visible(role=role):
        return results
    return [{key: value for key, value in result.items() if key != "samples"} for result in results]
