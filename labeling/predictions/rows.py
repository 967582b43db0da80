"""Checking one prediction row, whatever the task type; no database, no Django.

A row is ``{"item": id, "probabilities": ...}`` (classification, image: a distribution over
the labels; multilabel: each label's own probability) or ``{"item": id, "spans": [{start,
end, label, score}]}`` (spans). Probabilities are a list in the project's label order or an
object keyed by every label name. The message names what is wrong so a person can fix it.
"""

import math
from dataclasses import dataclass
from typing import Any

SUM_TOLERANCE = 1e-3
MAX_SPANS_PER_ROW = 1000
SINGLE_LABEL = ("classification", "image")
TASK_TYPES = ("classification", "image", "multilabel", "spans")


class InvalidRow(ValueError):
    """A row that cannot be stored; the message says why (without the row's position)."""


@dataclass(frozen=True)
class PredictionRow:
    item: int
    probabilities: list[float]  # empty for spans
    spans: list[dict[str, Any]] | None  # spans only


def _share(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRow(f"{what} must be a number")
    if not 0 <= value <= 1:
        raise InvalidRow(f"{what} must lie between 0 and 1")
    return float(value)


def _probabilities(raw: Any, labels: list[str]) -> list[float]:
    if isinstance(raw, dict):
        if set(raw) != set(labels):
            raise InvalidRow(f"probabilities must have exactly the project's labels as keys: {', '.join(labels)}")
        raw = [raw[name] for name in labels]
    if not isinstance(raw, list) or len(raw) != len(labels):
        raise InvalidRow(f"probabilities must be a list of {len(labels)} numbers, one per label")
    return [_share(number, "probabilities") for number in raw]


def _spans(raw: Any, labels: set[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_SPANS_PER_ROW:
        raise InvalidRow(f"spans must be a list of at most {MAX_SPANS_PER_ROW} {{start, end, label, score}}")
    spans = []
    for span in raw:
        if not isinstance(span, dict) or set(span) != {"start", "end", "label", "score"}:
            raise InvalidRow("each span must be an object with exactly start, end, label and score")
        start, end = span["start"], span["end"]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)) or not 0 <= start < end:
            raise InvalidRow("a span's start and end must be whole numbers with 0 <= start < end")
        if span["label"] not in labels:
            raise InvalidRow(f"not a label of this project: {span['label']!r}")
        spans.append({"start": start, "end": end, "label": span["label"], "score": _share(span["score"], "score")})
    return sorted(spans, key=lambda s: (s["start"], s["end"], s["label"]))


def check_row(entry: Any, *, task_type: str, labels: list[str]) -> PredictionRow:
    """The row in its stored form, or ``InvalidRow`` saying what is wrong."""
    if task_type not in TASK_TYPES:
        raise InvalidRow(f"unknown task type {task_type!r}")
    key = "spans" if task_type == "spans" else "probabilities"
    if not isinstance(entry, dict) or set(entry) != {"item", key}:
        raise InvalidRow(f"must be an object with exactly item and {key}")
    item = entry["item"]
    if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**63:
        raise InvalidRow("item must be an item id")
    if task_type == "spans":
        return PredictionRow(item=item, probabilities=[], spans=_spans(entry["spans"], set(labels)))
    numbers = _probabilities(entry["probabilities"], labels)
    if task_type in SINGLE_LABEL and abs(sum(numbers) - 1) > SUM_TOLERANCE:
        raise InvalidRow(f"probabilities must sum to 1 (they sum to {sum(numbers):.6g})")
    return PredictionRow(item=item, probabilities=numbers, spans=None)
