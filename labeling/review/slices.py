"""A cached consensus stored in slices too (``ResultSlice``), so a page of it reads its own items.

The consensus API read the whole result for any page: 1.1 s at a million items, most of it
PostgreSQL unpacking 56 MB of JSON. Written with the result, in its transaction.
"""

from typing import Any

from labeling.models import ResultSlice, ReviewResult

SLICE = 1_000  # items per slice: a page (at most 1,000 items) spans one or two
KEYS = ("item_ids", "consensus", "confidence", "tie")  # the per-item lists of a consensus
SLICED_KINDS = ("items", "dawid_skene")


def result_slices_replace(*, row: ReviewResult, result: dict[str, Any] | None) -> None:
    """The slices of ``row``'s result; none when it has none. In the caller's transaction."""
    ResultSlice.objects.filter(result=row).delete()
    if not result or not all(key in result for key in KEYS):
        return
    total = len(result["item_ids"])
    ResultSlice.objects.bulk_create(
        [
            ResultSlice(result=row, start=start, rows={key: result[key][start : start + SLICE] for key in KEYS})
            for start in range(0, total, SLICE)
        ],
        batch_size=100,
    )


def result_window(*, row: ReviewResult, start: int, stop: int) -> dict[str, list] | None:
    """The per-item lists of positions ``start`` to ``stop`` (excluded) of ``row``'s result, read
    from its slices; None when it was stored without them (before they were kept)."""
    first = start - start % SLICE
    found = list(
        ResultSlice.objects.filter(result=row, start__gte=first, start__lt=max(stop, first + 1))
        .order_by("start")
        .values_list("start", "rows")
    )
    if not found:
        return None if not ResultSlice.objects.filter(result=row).exists() else {key: [] for key in KEYS}
    window: dict[str, list] = {key: [] for key in KEYS}
    for offset, rows in found:
        low, high = max(start - offset, 0), max(stop - offset, 0)
        for key in KEYS:
            window[key].extend(rows[key][low:high])
    return window
