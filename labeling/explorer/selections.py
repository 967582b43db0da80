"""What a manager does to the items the explorer's filters select, each in a few set-based
statements whatever the selection's size: send them back for more labels, raise their priority.

Sending back follows ``labeling.services.item_request_more_labels``'s rule for every item at
once, counted from the queue's counters: an item takes ``count`` more labels only if enough
members have neither labeled nor hold it beyond the labels it still waits for. Items the rule
refuses are left as they are and counted.
"""

import json
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest
from django.utils import timezone

from config.errors import DomainError
from datasets.models import Item
from labeling import queue_rule
from labeling.models import Adjudication, AdjudicationAction, ItemState
from labeling.review.services import COUNT_ERROR, MAX_SEND_BACK
from labeling.services import queue_sync
from projects.models import Membership, Project

MAX_PRIORITY = 1000
# Up to this many items a selection is counted exactly; beyond, the database's estimate is shown.
EXACT_COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class SelectionSize:
    count: int | None  # None: more than ``EXACT_COUNT_LIMIT`` and no estimate (SQLite)
    exact: bool


@dataclass(frozen=True)
class SendBackOutcome:
    sent: int
    refused: int  # too few members left to label them


def selection_size(items: QuerySet[Item]) -> SelectionSize:
    """How many items are selected: exact up to ``EXACT_COUNT_LIMIT`` (one bounded count), else
    the planner's estimate, said to be one."""
    counted = items.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if counted <= EXACT_COUNT_LIMIT:
        return SelectionSize(count=counted, exact=True)
    if connection.vendor != "postgresql":
        return SelectionSize(count=None, exact=False)
    plan = json.loads(items.order_by().explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return SelectionSize(count=max(estimate, EXACT_COUNT_LIMIT + 1), exact=False)


def _states(*, project: Project, items: QuerySet[Item]) -> QuerySet[ItemState]:
    queue_sync(project=project)  # items of a version the queue has not taken in yet get their rows
    return ItemState.objects.filter(project=project, item_id__in=items.order_by().values("id"))


def items_send_back(
    *, project: Project, items: QuerySet[Item], reviewer: AbstractBaseUser, count: int, note: str = ""
) -> SendBackOutcome:
    """Ask ``count`` more annotators for every selected item the rule allows, and keep on each
    item who asked and why (a send-back adjudication, as from the item page): two statements."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEND_BACK:
        raise DomainError(COUNT_ERROR)
    with transaction.atomic():
        states = _states(project=project, items=items)
        members, overlap = Membership.objects.filter(project=project).count(), project.overlap
        filled = F("submitted") + F("held")
        wanted = F("extra") + overlap
        # free - still to come >= count, for open items (free = members - filled) and full ones alike
        allowed = Q(_filled__lte=wanted, extra__lte=members - overlap - count) | Q(
            _filled__gt=wanted, _filled__lte=members - count
        )
        eligible = states.alias(_filled=filled).filter(allowed)
        selected = states.count()
        now = timezone.now()
        sql, params = eligible.values("item_id").query.sql_with_params()
        table = Adjudication._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} "
                "(item_id, project_id, reviewer_id, action, value, extra_labels, note, created_at) "
                f"SELECT chosen.item_id, %s, %s, %s, NULL, %s, %s, %s FROM ({sql}) chosen",
                [
                    project.pk,
                    reviewer.pk,
                    AdjudicationAction.SEND_BACK,
                    count,
                    note or "",
                    connection.ops.adapt_datetimefield_value(now),
                    *params,
                ],
            )
        marked = Adjudication.objects.filter(
            project=project, reviewer=reviewer, action=AdjudicationAction.SEND_BACK, created_at=now
        ).values("item_id")
        # Every SET reads the row as it was: the open flag is computed with the new ``extra``.
        is_open = RawSQL(
            queue_rule.open_sql(overlap="%s", extra="extra + %s"), [overlap, count], output_field=BooleanField()
        )
        sent = ItemState.objects.filter(item_id__in=marked).update(extra=F("extra") + count, is_open=is_open)
    return SendBackOutcome(sent=sent, refused=selected - sent)


def items_prioritize(*, project: Project, items: QuerySet[Item], priority: int) -> int:
    """Raise the selected items' queue priority to at least ``priority`` (one UPDATE); returns how many."""
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= MAX_PRIORITY:
        raise DomainError(f"priority must be a whole number from 1 to {MAX_PRIORITY}")
    with transaction.atomic():
        return _states(project=project, items=items).update(priority=Greatest(F("priority"), priority))
