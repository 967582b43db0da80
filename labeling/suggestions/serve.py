"""The suggestion /next/ hands out with an item, recorded on the caller's assignment in the same
statement that reads it (one indexed round trip), so the submit can store on the annotation
what was on screen without trusting the client."""

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from datasets.models import Item
from labeling.models import Assignment, Prediction, PredictionSet
from labeling.suggestions.values import suggested_value, withheld
from projects.models import Project, Suggestions

_ASSIGNMENT, _SET, _PREDICTION = Assignment._meta.db_table, PredictionSet._meta.db_table, Prediction._meta.db_table

# The newest prediction set of the project becomes the assignment's; RETURNING reads its name,
# label order and this item's prediction (a subquery each, by primary key and unique index).
_SERVE = f"""
    UPDATE {_ASSIGNMENT}
    SET suggestion_set_id = (SELECT max(ps.id) FROM {_SET} ps WHERE ps.project_id = %(project)s),
        suggestion_withheld = %(withheld)s
    WHERE item_id = %(item)s AND annotator_id = %(user)s
    RETURNING suggestion_set_id,
        (SELECT ps.model_name FROM {_SET} ps WHERE ps.id = suggestion_set_id),
        (SELECT ps.labels FROM {_SET} ps WHERE ps.id = suggestion_set_id),
        (SELECT p.probabilities FROM {_PREDICTION} p
         WHERE p.prediction_set_id = suggestion_set_id AND p.item_id = %(item)s),
        (SELECT p.spans FROM {_PREDICTION} p WHERE p.prediction_set_id = suggestion_set_id AND p.item_id = %(item)s)
"""


# What was served is re-recorded by every /next/; one lost in a crash costs one annotation's
# record, so on PostgreSQL its commit need not wait for the disk (as the leases' renewal).
_SERVE_NOT_DURABLE = f"""
    WITH served AS ({_SERVE})
    SELECT served.*, set_config('synchronous_commit', 'off', true) FROM served
"""


def json_column(raw: Any) -> Any:
    """A JSON column read by raw SQL: text on SQLite (and for jsonb under Django's loader), parsed."""
    return json.loads(raw) if isinstance(raw, str) else raw


def stored_prediction(probabilities: Any, spans: Any) -> Any:
    """A prediction row as ``values.suggested_value`` reads it: the probabilities, or the spans."""
    spans = json_column(spans)
    return {"spans": spans} if spans is not None else json_column(probabilities)


@dataclass(frozen=True)
class Served:
    """What /next/ says about the model with an item: the suggestion (None: none, or withheld)."""

    suggestion: dict[str, Any] | None
    withheld: bool

    def as_data(self) -> dict[str, Any]:
        return {"suggestion": self.suggestion, "suggestion_withheld": self.withheld}


NONE_SERVED = Served(suggestion=None, withheld=False)


def suggestion_serve(*, project: Project, user: AbstractBaseUser, item: Item) -> Served:
    """The newest model's suggestion for ``item``, as this annotator is to see it, recorded on their
    assignment. Nothing is read or written while the project's suggestions are off."""
    if project.suggestions == Suggestions.OFF:
        return NONE_SERVED
    held_out = withheld(item_id=item.pk, annotator_id=user.pk, share=project.suggestion_holdout)
    params = {"project": project.pk, "withheld": held_out, "item": item.pk, "user": user.pk}
    with connection.cursor() as cursor:
        cursor.execute(_SERVE_NOT_DURABLE if connection.vendor == "postgresql" else _SERVE, params)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return NONE_SERVED
    set_id, model_name, set_labels, prediction = row[0], row[1], json_column(row[2]), stored_prediction(row[3], row[4])
    suggested = suggested_value(
        task_type=project.task_type, set_labels=set_labels, labels=project.label_names, prediction=prediction
    )
    if suggested is None:
        return NONE_SERVED
    if held_out:
        return Served(suggestion=None, withheld=True)
    return Served(
        suggestion={
            "prediction_set": set_id,
            "model": model_name,
            "value": suggested.value,
            "confidence": suggested.confidence,
            "mode": project.suggestions,
        },
        withheld=False,
    )
