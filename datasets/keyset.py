"""Keyset pagination on the item id: every page costs the same, wherever it is in the list.

A cursor names the last id of the page before (``n<id>``: the next page starts after it),
the first id of the page after (``p<id>``: the page ends before it), or the end of the list
(``last``). It is opaque to callers, so a later sort key can ride in it without a new
parameter. No page ever counts the rows it skips.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import QuerySet

from config.errors import DomainError

T = TypeVar("T")
LAST = "last"


@dataclass(frozen=True)
class Cursor:
    direction: str  # "next": ids after ``pivot``; "previous": ids before it (None: the end)
    pivot: int | None


def cursor_parse(raw: str | None) -> Cursor | None:
    """The cursor of ``?cursor=``; None for the first page. A malformed one is a 400."""
    if raw in (None, ""):
        return None
    if raw == LAST:
        return Cursor("previous", None)
    kind, digits = raw[:1], raw[1:]
    if kind not in ("n", "p") or not digits.isdigit() or len(digits) > 19:
        raise DomainError("cursor is not one this list gave out; follow the next and previous links")
    return Cursor("next" if kind == "n" else "previous", int(digits))


@dataclass
class KeysetPage(Generic[T]):
    rows: list[T]
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(queryset: QuerySet, *, cursor: Cursor | None, size: int, key: Callable[[T], int]) -> KeysetPage:
    """One page of ``queryset`` in id order, with the cursors of its neighbours: one query of ``size + 1`` rows."""
    if cursor is None or cursor.direction == "next":
        rows = queryset.order_by("id")
        if cursor is not None:
            rows = rows.filter(id__gt=cursor.pivot)
        found = list(rows[: size + 1])
        more, found = len(found) > size, found[:size]
        has_previous = cursor is not None
        has_next = more
    else:
        rows = queryset.order_by("-id")
        if cursor.pivot is not None:
            rows = rows.filter(id__lt=cursor.pivot)
        found = list(rows[: size + 1])
        more, found = len(found) > size, found[:size][::-1]
        has_previous = more
        has_next = cursor.pivot is not None
    return KeysetPage(
        rows=found,
        next_cursor=f"n{key(found[-1])}" if has_next and found else None,
        previous_cursor=f"p{key(found[0])}" if has_previous and found else None,
    )
