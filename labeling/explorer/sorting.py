"""The explorer's sort orders and their keyset pages: every page one bounded query, in any order.

Only orders an index serves are offered: the id (the primary key) and the external id
(``item_external_id`` on ``(project, external_id)``, which holds only items that have one:
sorting by it lists those items). Ties on the external id are broken by the id, so a page
boundary is exact. In id order the cursors are ``datasets.keyset``'s; in another order a
cursor carries the boundary row's sort value and id, opaque to callers.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from config.errors import DomainError
from datasets.keyset import LAST, KeysetPage, cursor_parse, keyset_page

# ?sort= value -> (column, descending)
SORTS: dict[str, tuple[str, bool]] = {
    "id": ("id", False),
    "-id": ("id", True),
    "external_id": ("external_id", False),
    "-external_id": ("external_id", True),
}
DEFAULT_SORT = "id"
SORT_HELP = (
    "id, -id, external_id or -external_id (the columns with an index; '-' is descending). "
    "Sorting by external_id lists the items that have one."
)
CURSOR_ERROR = "cursor is not one this list gave out in this order; follow the next and previous links"


@dataclass(frozen=True)
class SortedCursor:
    direction: str  # "next": rows after the boundary; "previous": rows before it
    value: Any  # the boundary row's sort value (None with ``pivot`` None: the end of the list)
    pivot: int | None


def sorted_cursor_parse(raw: str | None, *, sort: str) -> Any:
    """The cursor of ``?cursor=`` for this order: ``datasets.keyset``'s in id order, else ours."""
    if sort == DEFAULT_SORT:
        return cursor_parse(raw)
    if raw in (None, ""):
        return None
    if raw == LAST:
        return SortedCursor("previous", None, None)
    try:
        direction, value, pivot = json.loads(base64.urlsafe_b64decode(raw.encode() + b"=="))
    except (ValueError, TypeError, binascii.Error):
        raise DomainError(CURSOR_ERROR) from None
    column = SORTS[sort][0]
    value_ok = isinstance(value, int) if column == "id" else isinstance(value, str)
    if direction not in ("n", "p") or not isinstance(pivot, int) or not value_ok:
        raise DomainError(CURSOR_ERROR)
    return SortedCursor("next" if direction == "n" else "previous", value, pivot)


def _encode(direction: str, value: Any, pivot: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([direction, value, pivot]).encode()).decode().rstrip("=")


def sorted_items(items: QuerySet, *, project_id: int, sort: str) -> QuerySet:
    """``items`` narrowed to what the order's index holds (items with an external id, for that order)."""
    if SORTS[sort][0] == "external_id":
        return items.filter(project_id=project_id).exclude(external_id="")
    return items


def _after(column: str, descending: bool, value: Any, pivot: int) -> Q:
    """Rows after (value, pivot) in the order (column, id), both ascending or both descending."""
    later = "lt" if descending else "gt"
    if column == "id":
        return Q(**{f"id__{later}": pivot})
    return Q(**{f"{column}__{later}": value}) | Q(**{column: value, f"id__{later}": pivot})


def sorted_page(items: QuerySet, *, sort: str, cursor: Any, size: int) -> KeysetPage:
    """One page of ``items`` in ``sort`` order with its neighbours' cursors: one query of ``size + 1`` rows."""
    if sort == DEFAULT_SORT:
        return keyset_page(items, cursor=cursor, size=size, key=lambda item: item.pk)
    column, descending = SORTS[sort]
    forward = [f"-{column}", "-id"] if descending else [column, "id"]
    backward = [column, "id"] if descending else [f"-{column}", "-id"]
    if cursor is None or cursor.direction == "next":
        rows = items.order_by(*forward)
        if cursor is not None:
            rows = rows.filter(_after(column, descending, cursor.value, cursor.pivot))
        found = list(rows[: size + 1])
        has_next, found = len(found) > size, found[:size]
        has_previous = cursor is not None
    else:
        rows = items.order_by(*backward)
        if cursor.pivot is not None:
            rows = rows.filter(_after(column, not descending, cursor.value, cursor.pivot))
        found = list(rows[: size + 1])
        has_previous, found = len(found) > size, found[:size][::-1]
        has_next = cursor.pivot is not None

    def key(item: Any) -> Any:
        return getattr(item, column)

    return KeysetPage(
        rows=found,
        next_cursor=_encode("n", key(found[-1]), found[-1].pk) if has_next and found else None,
        previous_cursor=_encode("p", key(found[0]), found[0].pk) if has_previous and found else None,
    )
