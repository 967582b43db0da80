"""The review queue's order stored as rows (``RankedItem``), so a page of it reads its own rows.

The ranking of kind ``items`` holds every item of the version (4.6 MB of JSON at a million
items); the queue's page read it whole, filtered and sorted it in Python on every view (13 s).
Written with the ranking, in its transaction; read a page at a time by ``rank``; filtered, walked
in rank order by the database, each filter a probe per row, until the page is full.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Q

from labeling.models import RankedItem, ReviewResult

# An item's agreement at or above this is everyone agreeing: shown only when all items are asked for.
AGREED = 1.0 - 1e-9
INSERT_CHUNK = 100_000
UNSCORED = 2.0  # in label-issue order, an item without a score goes after every scored one (scores are 0-1)
# A ranking of this many rows or more has the table's statistics taken again once it is committed.
ANALYZE_FROM = 50_000
# A filtered queue is counted exactly up to this many items; beyond, it is estimated from the
# share of the queue's first ranks that pass the filters.
EXACT_COUNT_LIMIT = 1_000


def ranked_order(ranking: dict[str, Any], scores: np.ndarray | None = None) -> np.ndarray:
    """Positions in ``ranking`` of the items that have an agreement, least agreement first, then by
    item id; with ``scores`` (one per item, NaN for none), lowest score first, unscored ones last."""
    agreement = np.array([np.nan if a is None else a for a in ranking["agreement"]], dtype=np.float64)
    item_ids = np.asarray(ranking["item_ids"], dtype=np.int64)
    ranked = np.flatnonzero(~np.isnan(agreement))
    first = agreement if scores is None else np.where(np.isnan(scores), UNSCORED, scores)
    return ranked[np.lexsort((item_ids[ranked], first[ranked]))]


def ranked_items_replace(
    *, row: ReviewResult, ranking: dict[str, Any] | None, scores: dict[str, float] | None = None
) -> None:
    """The rows of ``row``'s ranking, in the queue's order (by ``scores``, keyed by item id, when
    given); none when it has no ranking. In the caller's transaction."""
    RankedItem.objects.filter(result=row).delete()
    if not ranking:
        return
    by_item = None
    if scores is not None:
        by_item = np.array([scores.get(str(item_id), np.nan) for item_id in ranking["item_ids"]], dtype=np.float64)
    order = ranked_order(ranking, by_item)
    for start in range(0, len(order), INSERT_CHUNK):
        chunk = order[start : start + INSERT_CHUNK].tolist()
        columns = {
            "rank": list(range(start, start + len(chunk))),
            "item_id": [ranking["item_ids"][i] for i in chunk],
            "agreement": [ranking["agreement"][i] for i in chunk],
            "consensus": [ranking["consensus"][i] for i in chunk],
            "confidence": [ranking["confidence"][i] for i in chunk],
            "tie": [bool(ranking["tie"][i]) for i in chunk],
            "score": [None if by_item is None or np.isnan(by_item[i]) else float(by_item[i]) for i in chunk],
        }
        _insert(row.pk, columns)
    if connection.vendor == "postgresql" and len(order) >= ANALYZE_FROM:
        # A filtered page joins these rows to a filter: the planner walks them in rank order or
        # hashes the filter's items by the table's statistics, and a ranking just written has
        # none (a filter matching nothing walked a million rows: 0.7 s, against 0.04 ms).
        # After the commit, so the lock ANALYZE takes is not held through the caller's transaction.
        transaction.on_commit(_analyze)


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {RankedItem._meta.db_table}")


def _insert(result_id: int, columns: dict[str, list]) -> None:
    if connection.vendor != "postgresql":
        RankedItem.objects.bulk_create(
            [
                RankedItem(result_id=result_id, **dict(zip(columns, values, strict=True)))
                for values in zip(*columns.values(), strict=True)
            ],
            batch_size=2_000,
        )
        return
    with connection.cursor() as cursor:  # one statement a chunk: rows built from arrays by the server
        cursor.execute(
            f"""
            INSERT INTO {RankedItem._meta.db_table}
                (result_id, rank, item_id, agreement, consensus, confidence, tie, score)
            SELECT %s, u.rank, u.item_id, u.agreement, u.consensus::jsonb, u.confidence, u.tie, u.score
            FROM unnest(%s::integer[], %s::bigint[], %s::float8[], %s::text[], %s::float8[], %s::boolean[],
                        %s::float8[])
                 AS u(rank, item_id, agreement, consensus, confidence, tie, score)
            """,
            [
                result_id,
                columns["rank"],
                columns["item_id"],
                columns["agreement"],
                [json.dumps(value) for value in columns["consensus"]],
                columns["confidence"],
                columns["tie"],
                columns["score"],
            ],
        )


@dataclass(frozen=True)
class RankedPage:
    count: int  # items in the queue (disagreeing ones, or every ranked one with ``everything``)
    rows: list[RankedItem]  # the page's, in the queue's order
    exact: bool = True  # False: ``count`` is an estimate, more than ``EXACT_COUNT_LIMIT``


def ranked_stored(*, row: ReviewResult) -> bool:
    """Whether ``row``'s ranking has its rows (a ranking stored before they were kept has none)."""
    return RankedItem.objects.filter(result=row).exists()


def ranked_page(*, row: ReviewResult, everything: bool, page: int, size: int) -> RankedPage:
    """One page of the queue: three index probes whatever the ranking's size."""
    count = queue_length(row=row, everything=everything)
    start = (page - 1) * size
    mine = RankedItem.objects.filter(result=row)
    rows = (
        list(mine.filter(rank__gte=start, rank__lt=min(start + size, count)).order_by("rank")) if start < count else []
    )
    return RankedPage(count=count, rows=rows)


def queue_length(*, row: ReviewResult, everything: bool) -> int:
    """Items in the queue: ranks follow (agreement, item id), so the last disagreeing row's rank
    ends it. For a ranking in agreement order (kind ``items``), or ``everything``."""
    mine = RankedItem.objects.filter(result=row)
    if everything:
        last = mine.order_by("-rank").values_list("rank", flat=True).first()
    else:
        last = (
            mine.filter(agreement__lt=AGREED).order_by("-agreement", "-item_id").values_list("rank", flat=True).first()
        )
    return 0 if last is None else last + 1


def ranked_filtered_page(
    *,
    row: ReviewResult,
    everything: bool,
    page: int,
    size: int,
    filters: list[Exists | Q],
    by_score: bool = False,
    count: int | None = None,
) -> RankedPage:
    """One page of the queue narrowed to the rows passing every one of ``filters`` (conditions on
    a row's ``item_id``); ``by_score``: ``row`` is a ranking in label-issue order. ``count``, when
    the caller knows it, is taken as it is. Read whole into Python, the ranking and a filter's ids
    took seconds at a million items whatever the page."""
    # The queue as a range of ranks, not ``agreement < AGREED``: the planner then walks the rank
    # index in order and stops when the page is full, where it took the agreement index and
    # sorted every passing row (1.1 s at a million items). In label-issue order the agreed items
    # are spread through the ranks, so leaving them out is one more filter.
    length = queue_length(row=row, everything=everything or by_score)
    if by_score and not everything:
        filters = [*filters, Q(agreement__lt=AGREED)]
    mine = RankedItem.objects.filter(result=row, rank__lt=length)
    for condition in filters:
        mine = mine.filter(condition)
    start = (page - 1) * size
    with _without_jit():
        rows = list(mine.order_by("rank")[start : start + size])
        if count is not None:
            return RankedPage(count=count, rows=rows)
        head = mine.order_by("rank")[: EXACT_COUNT_LIMIT + 1].aggregate(found=Count("id"), last=Max("rank"))
    if head["found"] <= EXACT_COUNT_LIMIT:
        return RankedPage(count=head["found"], rows=rows)
    # Counted whole, a filter over a million-item queue took 0.5-2 s. The first ranks that pass
    # tell the share that passes; the estimate says so (``exact``).
    estimate = round(length * head["found"] / (head["last"] + 1))
    seen = start + len(rows) if rows else 0
    return RankedPage(count=max(estimate, EXACT_COUNT_LIMIT + 1, seen), rows=rows, exact=False)


@contextmanager
def _without_jit() -> Iterator[None]:
    """A walk with a probe per row is costed high, and PostgreSQL compiled it before running it:
    0.44 s of compiling for a 0.04 s walk. PostgreSQL only: a transaction on SQLite takes the write
    lock (``IMMEDIATE``), and a page would wait on a worker's import for it."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield
