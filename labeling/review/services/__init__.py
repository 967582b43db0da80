"""Every write of the review, each in one transaction, validation first.

``decisions``: adjudications, send-backs, gold answers, prediction uploads; ``results``: the
cache of computed results; ``refresh``: bringing a result up to date, in the request or by a
worker. ``refresh`` enqueues the worker's task, whose module imports ``results``: it is
imported by its own name, never from here.
"""

from labeling.predictions.services import predictions_store
from labeling.review.services.decisions import (
    COUNT_ERROR,
    MAX_NOTE,
    MAX_SEND_BACK,
    NOTE_ERROR,
    VALUE_REQUIRED,
    adjudication_create,
    gold_delete,
    gold_set,
    item_send_back,
)
from labeling.review.services.results import inline_limit, review_result_compute, review_result_mark_computing

__all__ = [
    "COUNT_ERROR",
    "MAX_NOTE",
    "MAX_SEND_BACK",
    "NOTE_ERROR",
    "VALUE_REQUIRED",
    "adjudication_create",
    "gold_delete",
    "gold_set",
    "inline_limit",
    "item_send_back",
    "predictions_store",
    "review_result_compute",
    "review_result_mark_computing",
]
