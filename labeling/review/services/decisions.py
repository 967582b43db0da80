"""The reviewers' decisions, each in one transaction, validation first: adjudications,
send-backs, gold answers and prediction uploads."""

import math
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
    Prediction,
    PredictionSet,
)
from labeling.values import InvalidValue, check_value
from projects.models import Project

MAX_SEND_BACK = 10
MAX_NOTE = 5000
# One wording for the API, the page's forms and the services alike.
COUNT_ERROR = f"count must be a whole number from 1 to {MAX_SEND_BACK}"
NOTE_ERROR = f"note must be text of at most {MAX_NOTE} characters"
VALUE_REQUIRED = "choose the final label first, then save it"
MAX_PREDICTIONS = 50_000
PROBABILITY_SUM_TOLERANCE = 1e-3
BULK = 1000


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


def _checked_probabilities(raw: Any, *, position: int, n_labels: int) -> list[float]:
    if not isinstance(raw, list) or len(raw) != n_labels:
        raise DomainError(f"prediction {position}: probabilities must be a list of {n_labels} numbers, one per label")
    numbers = []
    for number in raw:
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise DomainError(f"prediction {position}: probabilities must be numbers")
        if not 0 <= number <= 1:
            raise DomainError(f"prediction {position}: probabilities must lie between 0 and 1")
        numbers.append(float(number))
    if abs(sum(numbers) - 1) > PROBABILITY_SUM_TOLERANCE:
        raise DomainError(f"prediction {position}: probabilities must sum to 1 (they sum to {sum(numbers):.6g})")
    return numbers


def predictions_store(
    *, project: Project, user: AbstractBaseUser, model_name: str, predictions: list[dict[str, Any]]
) -> PredictionSet:
    """Store one model's class probabilities for items of the project; the newest set feeds label issues.

    Every row is checked before anything is written; an item of another project (or none)
    is a 404, as if it did not exist.
    """
    if project.task_type not in ("classification", "image"):
        raise DomainError("predictions are for classification and image projects")
    if not isinstance(model_name, str) or not model_name.strip() or len(model_name) > 200:
        raise DomainError("model must be a name of 1 to 200 characters")
    if not isinstance(predictions, list) or not predictions:
        raise DomainError("predictions must be a non-empty list")
    if len(predictions) > MAX_PREDICTIONS:
        raise DomainError(f"at most {MAX_PREDICTIONS} predictions per request; send the rest in another")
    n_labels = len(project.label_names)
    rows: dict[int, list[float]] = {}
    for position, entry in enumerate(predictions, start=1):
        if not isinstance(entry, dict) or set(entry) != {"item", "probabilities"}:
            raise DomainError(f"prediction {position}: must be an object with exactly item and probabilities")
        item_id = entry["item"]
        if isinstance(item_id, bool) or not isinstance(item_id, int) or not 0 < item_id < 2**63:
            raise DomainError(f"prediction {position}: item must be an item id")
        if item_id in rows:
            raise DomainError(f"prediction {position}: item {item_id} appears twice")
        rows[item_id] = _checked_probabilities(entry["probabilities"], position=position, n_labels=n_labels)
    found = set(Item.objects.filter(project=project, pk__in=list(rows)).values_list("pk", flat=True))
    missing = [item_id for item_id in rows if item_id not in found]
    if missing:
        raise DomainError(f"no such item in this project: {missing[:10]}", status_code=404)
    with transaction.atomic():
        prediction_set = PredictionSet.objects.create(
            project=project, model_name=model_name.strip(), labels=project.label_names, created_by=user, count=len(rows)
        )
        Prediction.objects.bulk_create(
            (Prediction(prediction_set=prediction_set, item_id=pk, probabilities=p) for pk, p in rows.items()),
            batch_size=BULK,
        )
    return prediction_set
