"""The statements of a claim, the other request every annotator makes most: give the caller
the first open item they have not been given, count its lease, record the assignment.

One claim, in three statements (pick, bump, assign) written once. PostgreSQL runs them as one
statement of data-modifying CTEs, its pick skipping rows other transactions hold
(``SKIP LOCKED``), so concurrent annotators never wait on each other and a claim is one round
trip. SQLite has neither data-modifying CTEs nor ``SKIP LOCKED`` (it runs one writer at a
time), so there the same three run one after the other; folding PostgreSQL onto that path
would cost it three round trips and lock waits on its hottest request.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from config.raw_rows import columns, db_value, fetch_one
from datasets.models import Item
from labeling.models import Assignment, AssignmentStatus, ItemState
from labeling.queue_rule import open_sql
from projects.models import Project

_STATE, _ASSIGNMENT = ItemState._meta.db_table, Assignment._meta.db_table


def _pick(lock: str) -> str:
    """The first open item not given to this annotator, in the queue's order (its partial index)."""
    return f"""
        SELECT s.item_id FROM {_STATE} s
        WHERE s.project_id = %(project)s AND s.is_open
          AND NOT EXISTS (SELECT 1 FROM {_ASSIGNMENT} a WHERE a.item_id = s.item_id AND a.annotator_id = %(user)s)
        ORDER BY s.started DESC, s.priority DESC, s.sort_key
        LIMIT 1{lock}
    """


def _bump(item: str) -> str:
    """The picked item holds one more lease; its flags follow (SET reads the old values)."""
    return f"""
        UPDATE {_STATE}
        SET held = held + 1, started = true, is_open = {open_sql(held="held + 1")}
        WHERE item_id = {item}
    """


def _assign(item: str, source: str) -> str:
    return f"""
        INSERT INTO {_ASSIGNMENT}
            (item_id, project_id, annotator_id, status, leased_until, skip_reason, created_at, updated_at)
        SELECT {item}, %(project)s, %(user)s, %(active)s, %(until)s, '', %(stamp)s, %(stamp)s{source}
    """


_ALL_IN_ONE = f"""
    WITH picked AS ({_pick(" FOR UPDATE OF s SKIP LOCKED")}),
         bumped AS ({_bump("(SELECT item_id FROM picked)")} RETURNING item_id),
         assigned AS ({_assign("item_id", " FROM bumped")} RETURNING item_id)
    SELECT {columns(Item, "i")} FROM {Item._meta.db_table} i JOIN assigned ON i.id = assigned.item_id
"""
_PICK, _BUMP, _ASSIGN = _pick(""), _bump("%(item)s"), _assign("%(item)s", "")
_ITEM_BY_ID = f"SELECT {columns(Item, 'i')} FROM {Item._meta.db_table} i WHERE i.id = %s"


def item_by_id(item_id: int) -> Item:
    """The item a claim or a held lease names (one raw query: this runs on every /next/)."""
    return fetch_one(Item, _ITEM_BY_ID, [item_id])[0]


def claim(*, project: Project, user: AbstractBaseUser, until: datetime) -> Item | None:
    """Give ``user`` the next item of ``project``'s queue, leased until ``until``; None when none is left for them."""
    params = {
        "project": project.pk,
        "user": user.pk,
        "overlap": project.overlap,
        "active": AssignmentStatus.ACTIVE.value,
        "until": db_value(Assignment, "leased_until", until),
        "stamp": db_value(Assignment, "created_at", timezone.now()),
    }
    if connection.vendor == "postgresql":
        found = fetch_one(Item, _ALL_IN_ONE, params)
        return found[0] if found else None
    with connection.cursor() as cursor:
        cursor.execute(_PICK, params)
        picked = cursor.fetchone()
        if picked is None:
            return None
        params["item"] = picked[0]
        cursor.execute(_BUMP, params)
        cursor.execute(_ASSIGN, params)
    return item_by_id(picked[0])
