"""The statements of a submit, the request every annotator makes most: raw SQL, few round trips.

A submit reads what decides it under the item's lock (``submit_snapshot``), then writes the
annotation, its first revision, the assignment and the item's counters (``submit_store``):
on PostgreSQL as one statement of data-modifying CTEs, elsewhere as one statement each.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from config.raw_rows import db_value
from datasets.models import Item
from labeling.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    AssignmentStatus,
    ItemState,
    Prediction,
    PredictionSet,
)
from labeling.queue_rule import open_sql
from labeling.suggestions.serve import json_column, stored_prediction
from labeling.suggestions.values import suggested_value

_ANNOTATION, _REVISION = Annotation._meta.db_table, AnnotationRevision._meta.db_table
_ASSIGNMENT, _STATE = Assignment._meta.db_table, ItemState._meta.db_table
_SET, _PREDICTION = PredictionSet._meta.db_table, Prediction._meta.db_table

_INSERT_ANNOTATION = f"""
    INSERT INTO {_ANNOTATION} (uuid, item_id, project_id, annotator_id, value, revision,
                               suggestion_set_id, suggestion_value, suggestion_shown, created_at, updated_at)
    VALUES (%(uuid)s, %(item)s, %(project)s, %(user)s, %(value)s, 1,
            %(suggestion_set)s, %(suggestion_value)s, %(suggestion_shown)s, %(stamp)s, %(stamp)s) RETURNING id
"""
# The caller's assignment, locked, with the suggestion /next/ recorded on it (the set's label
# order and this item's prediction): what the annotation is to say was on screen.
_ASSIGNMENT_WITH_SUGGESTION = f"""
    SELECT a.status, a.suggestion_set_id, a.suggestion_withheld, ps.labels, p.probabilities, p.spans
    FROM {_ASSIGNMENT} a
    LEFT JOIN {_SET} ps ON ps.id = a.suggestion_set_id
    LEFT JOIN {_PREDICTION} p ON p.prediction_set_id = a.suggestion_set_id AND p.item_id = a.item_id
    WHERE a.item_id = %s AND a.annotator_id = %s
"""


@dataclass(frozen=True)
class SuggestionRecord:
    """The suggestion an annotation records: its model set and value, and whether it was on screen."""

    set_id: int | None = None
    value: Any = None
    shown: bool = False


NO_SUGGESTION = SuggestionRecord()


def _suggestion_record(item: Item, row: tuple) -> SuggestionRecord:
    set_id, held_out, set_labels, probabilities, spans = row
    if set_id is None:
        return NO_SUGGESTION
    project = item.project
    suggested = suggested_value(
        task_type=project.task_type,
        set_labels=json_column(set_labels),
        labels=project.label_names,
        prediction=stored_prediction(probabilities, spans),
    )
    if suggested is None:
        return NO_SUGGESTION
    return SuggestionRecord(set_id=set_id, value=suggested.value, shown=not held_out)


_REVISION_INTO = f"{_REVISION} (annotation_id, number, request_uuid, value, created_at)"
_INSERT_REVISION = f"INSERT INTO {_REVISION_INTO} VALUES (%(annotation)s, 1, %(uuid)s, %(value)s, %(stamp)s)"
_SUBMIT_ASSIGNMENT = f"""
    UPDATE {_ASSIGNMENT} SET status = %(submitted)s, leased_until = NULL, updated_at = %(stamp)s
    WHERE item_id = %(item)s AND annotator_id = %(user)s
"""
_INSERT_ASSIGNMENT = f"""
    INSERT INTO {_ASSIGNMENT}
        (item_id, project_id, annotator_id, status, leased_until, skip_reason, created_at, updated_at)
    VALUES (%(item)s, %(project)s, %(user)s, %(submitted)s, NULL, '', %(stamp)s, %(stamp)s)
"""
# The annotation counts, its lease (if any) no longer does, and the flags follow (SET reads the old values).
_COUNT = f"""
    UPDATE {_STATE}
    SET submitted = submitted + 1, held = held - %(released)s, started = true,
        is_open = {open_sql(submitted="submitted + 1", held="held - %(released)s")}
    WHERE item_id = %(item)s
"""


def _all_in_one(assignment_sql: str) -> str:
    """Every write of a submit as one PostgreSQL statement; each CTE runs exactly once."""
    return f"""
        WITH annotation AS ({_INSERT_ANNOTATION}),
             revision AS (INSERT INTO {_REVISION_INTO} SELECT id, 1, %(uuid)s, %(value)s, %(stamp)s FROM annotation),
             assignment AS ({assignment_sql}),
             counted AS ({_COUNT})
        SELECT id FROM annotation
    """


_ALL_IN_ONE = {True: _all_in_one(_SUBMIT_ASSIGNMENT), False: _all_in_one(_INSERT_ASSIGNMENT)}


def submit_snapshot(*, item: Item, user: AbstractBaseUser, request_uuid: uuid.UUID) -> tuple | None:
    """What decides a submit, read under the item's lock: its counters (submitted, held, extra),
    the id of the annotation that has this request's uuid, the uuid of the caller's own
    annotation of the item, whether a revision has this request's uuid, and the caller's
    assignment status (also locked) and the suggestion recorded on it. None when the item has no
    queue row yet.

    The annotations are read by a statement of their own, after the locks: its snapshot then
    holds what a concurrent submit of the same item (a double click) committed while we waited.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    request_key = db_value(Annotation, "uuid", request_uuid)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT submitted, held, extra FROM {_STATE} WHERE item_id = %s{lock}", [item.pk])
        counters = cursor.fetchone()
        if counters is None:
            return None
        cursor.execute(f"{_ASSIGNMENT_WITH_SUGGESTION}{lock and ' FOR UPDATE OF a'}", [item.pk, user.pk])
        assignment = cursor.fetchone()
        cursor.execute(
            f"""
            SELECT (SELECT a.id FROM {_ANNOTATION} a WHERE a.uuid = %s),
                   (SELECT a.uuid FROM {_ANNOTATION} a WHERE a.item_id = %s AND a.annotator_id = %s),
                   EXISTS (SELECT 1 FROM {_REVISION} r WHERE r.request_uuid = %s)
            """,
            [request_key, item.pk, user.pk, request_key],
        )
        found = cursor.fetchone()
    if assignment is None:
        return (*counters, *found, None, NO_SUGGESTION)
    return (*counters, *found, assignment[0], _suggestion_record(item, assignment[1:]))


def submit_store(
    *,
    item: Item,
    user: AbstractBaseUser,
    request_uuid: uuid.UUID,
    value: Any,
    assigned: bool,
    released: int,
    suggestion: SuggestionRecord = NO_SUGGESTION,
) -> tuple[int, datetime]:
    """Write the annotation, its first revision, the assignment and the counters; returns (id, time).

    ``assigned``: the caller has an assignment row for the item; ``released``: 1 when it held a lease.
    """
    now = timezone.now()
    params = {
        "uuid": db_value(Annotation, "uuid", request_uuid),
        "value": db_value(Annotation, "value", value),
        "stamp": db_value(Annotation, "created_at", now),
        "item": item.pk,
        "project": item.project_id,
        "user": user.pk,
        "submitted": AssignmentStatus.SUBMITTED,
        "released": released,
        "overlap": item.project.overlap,
        "suggestion_set": suggestion.set_id,
        "suggestion_value": db_value(Annotation, "suggestion_value", suggestion.value),
        "suggestion_shown": suggestion.shown,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_ALL_IN_ONE[assigned], params)
            return cursor.fetchone()[0], now
        cursor.execute(_INSERT_ANNOTATION, params)
        params["annotation"] = cursor.fetchone()[0]
        cursor.execute(_INSERT_REVISION, params)
        cursor.execute(_SUBMIT_ASSIGNMENT if assigned else _INSERT_ASSIGNMENT, params)
        cursor.execute(_COUNT, params)
    return params["annotation"], now
