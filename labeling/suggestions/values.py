"""What a model's prediction suggests, whether an annotator is shown it, and how unsure the
model is. No Django: the services feed it stored rows; ``uncertainty`` mirrors the SQL of
``labeling.suggestions.uncertainty_sql`` (a test holds the two equal)."""

import hashlib
import math
from dataclasses import dataclass
from typing import Any

MULTILABEL_THRESHOLD = 0.5


@dataclass(frozen=True)
class Suggested:
    value: Any
    confidence: float | None  # the chosen label's probability (classification, image)


def _numbers(raw: Any) -> list[float] | None:
    if isinstance(raw, dict):
        raw = raw.get("probabilities")
    if not isinstance(raw, list) or not raw:
        return None
    if not all(isinstance(p, int | float) and not isinstance(p, bool) and math.isfinite(p) for p in raw):
        return None
    return [float(p) for p in raw]


def suggested_value(*, task_type: str, set_labels: list[str], labels: list[str], prediction: Any) -> Suggested | None:
    """The value a prediction suggests under the project's current ``labels``; None when it suggests
    nothing usable (no prediction, a label since removed, spans without a ``spans`` key).

    classification, image: the most probable label; multilabel: every label at or above 0.5;
    spans: the prediction's ``spans`` (their scores dropped).
    """
    if prediction is None:
        return None
    known = set(labels)
    if task_type == "spans":
        spans = prediction.get("spans") if isinstance(prediction, dict) else None
        if not isinstance(spans, list):
            return None
        value = [
            {"start": s["start"], "end": s["end"], "label": s["label"]}
            for s in spans
            if isinstance(s, dict) and {"start", "end", "label"} <= set(s) and s["label"] in known
        ]
        return Suggested(value=value, confidence=None)
    numbers = _numbers(prediction)
    if numbers is None or len(numbers) != len(set_labels):
        return None
    if task_type == "multilabel":
        chosen = {name for name, p in zip(set_labels, numbers, strict=True) if p >= MULTILABEL_THRESHOLD}
        return Suggested(value=[name for name in labels if name in chosen], confidence=None)
    best = max(range(len(numbers)), key=numbers.__getitem__)
    if set_labels[best] not in known:
        return None
    return Suggested(value=set_labels[best], confidence=numbers[best])


def withheld(*, item_id: int, annotator_id: int, share: float) -> bool:
    """Whether this annotator labels this item without the suggestion: a hash of the pair, so
    the same pair gets the same answer on every request (a reload shows what it showed), and
    about ``share`` of all pairs are withheld."""
    digest = hashlib.sha256(f"suggestion-holdout:{item_id}:{annotator_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def uncertainty(*, task_type: str, prediction: Any) -> float | None:
    """The model's margin, 0 (a coin toss) to 1 (sure); None when there is none.

    classification, image: the top probability minus the second; multilabel: the smallest
    distance of a label's probability from the 0.5 threshold, doubled (the least sure label).
    """
    numbers = _numbers(prediction)
    if numbers is None or task_type not in ("classification", "image", "multilabel"):
        return None
    if task_type == "multilabel":
        return min(abs(2 * p - 1) for p in numbers)
    top = sorted(numbers, reverse=True)
    return top[0] - (top[1] if len(top) > 1 else 0.0)


RANK_DIGITS = 4
NO_PREDICTION_RANK = 10**RANK_DIGITS - 1  # after every predicted item


def uncertainty_rank(margin: float | None) -> str:
    """The sort key's prefix: the margin in thousandths (rounded down), zero-padded, so keys sort by it."""
    if margin is None:
        return str(NO_PREDICTION_RANK)
    return str(int(min(max(margin, 0.0), 1.0) * 1000)).zfill(RANK_DIGITS)
