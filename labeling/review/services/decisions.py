"""The reviewers' decisions, each in one transaction, validation first: adjudications,
send-backs and gold answers (prediction uploads: ``labeling.predictions``)."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.errors import DomainError
from datasets.models import Item
from labeling import services as labeling_services
from labeling.models import (
    Adjudication,
    AdjudicationAction,
    GoldLabel,
)
from labeling.values import InvalidValue, check_value

MAX_SEND_BACK = 10
MAX_NOTE = 5000
# One wording for the API, the page's forms and the services alike.
COUNT_ERROR = f"count must be a whole number from 1 to {MAX_SEND_BACK}"
NOTE_ERROR = f"note must be text of at most {MAX_NOTE} characters"
VALUE_REQUIRED = "choose the final label first, then save it"


def _checked(*, item: Item, value: Any) -> Any:
    project = item.project
    text = item.data.get("text") if isinstance(item.data, dict) else None
    try:
        return check_value(value, task_type=project.task_type, labels=project.label_names, text=text)
    except InvalidValue as exc:
        raise DomainError(str(exc)) from None


def _checked_note(note: str | None) -> str:
    note = note or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise DomainError(NOTE_ERROR)
    return note


def adjudication_create(*, item: Item, reviewer: AbstractBaseUser, value: Any, note: str = "") -> Adjudication:
    """Settle the item's final label; earlier adjudications stay as its history."""
    value = _checked(item=item, value=value)
    note = _checked_note(note)
    with transaction.atomic():
        return Adjudication.objects.create(
            item=item, project=item.project, reviewer=reviewer, action=AdjudicationAction.LABEL, value=value, note=note
        )


def item_send_back(*, item: Item, reviewer: AbstractBaseUser, count: int = 1, note: str = "") -> Adjudication:
    """Ask ``count`` more annotators for the item, and keep who asked and why."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEND_BACK:
        raise DomainError(COUNT_ERROR)
    note = _checked_note(note)
    with transaction.atomic():
        labeling_services.item_request_more_labels(item=item, count=count)
        return Adjudication.objects.create(
            item=item,
            project=item.project,
            reviewer=reviewer,
            action=AdjudicationAction.SEND_BACK,
            value=None,
            extra_labels=count,
            note=note,
        )


def gold_set(*, item: Item, user: AbstractBaseUser, value: Any) -> GoldLabel:
    """Plant (or change) the item's known answer."""
    value = _checked(item=item, value=value)
    with transaction.atomic():
        gold, _ = GoldLabel.objects.update_or_create(
            item=item, defaults={"project": item.project, "value": value, "set_by": user}
        )
    return gold


def gold_delete(*, item: Item) -> bool:
    with transaction.atomic():
        deleted, _ = GoldLabel.objects.filter(item=item).delete()
    return bool(deleted)
