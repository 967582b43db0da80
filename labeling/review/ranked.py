"""The review queue's order stored as rows (``RankedItem``), so a page of it reads its own rows.

The ranking of kind ``items`` holds every item of the version (4.6 MB of JSON at a million
items); the queue's page read it whole, filtered and sorted it in Python on every view (13 s).
Written with the ranking, in its transaction; read a page at a time by ``rank``.
"""

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection

from labeling.models import RankedItem, ReviewResult

# An item's agreement at or above this is everyone agreeing: shown only when all items are asked for.
AGREED = 1.0 - 1e-9
INSERT_CHUNK = 100_000


def ranked_order(ranking: dict[str, Any]) -> np.ndarray:
    """Positions in ``ranking`` of the items that have an agreement, least agreement first, then by item id."""
    agreement = np.array([np.nan if a is None else a for a in ranking["agreement"]], dtype=np.float64)
    item_ids = np.asarray(ranking["item_ids"], dtype=np.int64)
    ranked = np.flatnonzero(~np.isnan(agreement))
    return ranked[np.lexsort((item_ids[ranked], agreement[ranked]))]


def ranked_items_replace(*, row: ReviewResult, ranking: dict[str, Any] | None) -> None:
    """The rows of ``row``'s ranking, in the queue's order; none when it has no ranking. In the caller's transaction."""
    RankedItem.objects.filter(result=row).delete()
    if not ranking:
        return
    order = ranked_order(ranking)
    for start in range(0, len(order), INSERT_CHUNK):
        chunk = order[start : start + INSERT_CHUNK].tolist()
        columns = {
            "rank": list(range(start, start + len(chunk))),
            "item_id": [ranking["item_ids"][i] for i in chunk],
            "agreement": [ranking["agreement"][i] for i in chunk],
            "consensus": [ranking["consensus"][i] for i in chunk],
            "confidence": [ranking["confidence"][i] for i in chunk],
            "tie": [bool(ranking["tie"][i]) for i in chunk],
        }
        _insert(row.pk, columns)


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
            INSERT INTO {RankedItem._meta.db_table} (result_id, rank, item_id, agreement, consensus, confidence, tie)
            SELECT %s, u.rank, u.item_id, u.agreement, u.consensus::jsonb, u.confidence, u.tie
            FROM unnest(%s::integer[], %s::bigint[], %s::float8[], %s::text[], %s::float8[], %s::boolean[])
                 AS u(rank, item_id, agreement, consensus, confidence, tie)
            """,
            [
                result_id,
                columns["rank"],
                columns["item_id"],
                columns["agreement"],
                [json.dumps(value) for value in columns["consensus"]],
                columns["confidence"],
                columns["tie"],
            ],
        )


@dataclass(frozen=True)
class RankedPage:
    count: int  # items in the queue (disagreeing ones, or every ranked one with ``everything``)
    rows: list[RankedItem]  # the page's, in the queue's order


def ranked_stored(*, row: ReviewResult) -> bool:
    """Whether ``row``'s ranking has its rows (a ranking stored before they were kept has none)."""
    return RankedItem.objects.filter(result=row).exists()


def ranked_page(*, row: ReviewResult, everything: bool, page: int, size: int) -> RankedPage:
    """One page of the queue: three index probes whatever the ranking's size."""
    mine = RankedItem.objects.filter(result=row)
    if everything:
        last = mine.order_by("-rank").values_list("rank", flat=True).first()
    else:  # ranks follow (agreement, item id): the last disagreeing row's rank ends the queue
        last = (
            mine.filter(agreement__lt=AGREED).order_by("-agreement", "-item_id").values_list("rank", flat=True).first()
        )
    count = 0 if last is None else last + 1
    start = (page - 1) * size
    rows = (
        list(mine.filter(rank__gte=start, rank__lt=min(start + size, count)).order_by("rank")) if start < count else []
    )
    return RankedPage(count=count, rows=rows)
