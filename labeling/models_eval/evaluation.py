"""A model version's evaluation as a JSON-ready dict, from coded arrays; no database, no Django.

The items evaluated are those with a settled label (adjudicated, else the annotators' strict
majority) and a prediction. People are measured on the same items: each annotation against
the item's adjudicated label, else the majority of the OTHER annotators (ties and items with
no other annotation left out), so nobody is scored against their own vote.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labeling.models_eval import metrics

MAX_DISAGREEMENTS = 200
MIN_SLICE_ITEMS = 5
SEED = 20240601


@dataclass
class EvaluationArrays:
    """Everything an evaluation reads, densely coded over ``item_ids``.

    ``annotation_*`` hold one row per current annotation; ``adjudicated`` and ``predicted``
    one code per item (-1: none); ``confidence`` the model's probability of its predicted
    label (NaN without a prediction); ``slices`` (key, per-item value code or -1, value names).
    """

    label_names: list[str]
    item_ids: np.ndarray
    annotation_items: np.ndarray
    annotation_annotators: np.ndarray
    annotation_labels: np.ndarray
    usernames: list[str]
    adjudicated: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    slices: list[tuple[str, np.ndarray, list[str]]] = field(default_factory=list)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_labels(self) -> int:
        return len(self.label_names)


def predictions_from_probabilities(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The predicted label (the most probable; -1 for a row of NaN: no prediction) and its probability."""
    missing = np.isnan(probabilities).any(axis=1) if probabilities.size else np.zeros(len(probabilities), bool)
    filled = np.where(np.isnan(probabilities), -1.0, probabilities)
    predicted = filled.argmax(axis=1) if probabilities.shape[1] else np.full(len(probabilities), -1)
    confidence = filled.max(axis=1) if probabilities.shape[1] else np.full(len(probabilities), np.nan)
    return np.where(missing, -1, predicted), np.where(missing, np.nan, confidence)


def most_confident(rows: np.ndarray, confidence: np.ndarray, limit: int) -> np.ndarray:
    """The first ``limit`` of ``rows`` by confidence, highest first (ties in row order): the same as a
    stable sort of them all, but sorting only those at or above the ``limit``-th confidence."""
    if len(rows) > limit:
        cut = np.partition(-confidence[rows], limit - 1)[limit - 1]
        rows = rows[-confidence[rows] <= cut]
    return rows[np.argsort(-confidence[rows], kind="stable")][:limit]


def rounded(value: float) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else round(float(value), 6)


def _interval(bounds: tuple[float, float] | np.ndarray) -> list[float | None]:
    return [rounded(bounds[0]), rounded(bounds[1])]


def figures(matrix: np.ndarray, *, label_names: list[str], rng: np.random.Generator) -> dict[str, Any]:
    """Accuracy, kappa and F1 of one confusion matrix, each with its bootstrap interval."""
    found = metrics.scores(matrix)
    bounds = metrics.bootstrap_intervals(matrix, rng=rng)
    return {
        "n": int(found.n),
        "accuracy": rounded(found.accuracy),
        "accuracy_interval": _interval(bounds.accuracy),
        "cohen_kappa": rounded(found.kappa),
        "cohen_kappa_interval": _interval(bounds.kappa),
        "macro_f1": rounded(found.macro_f1),
        "macro_f1_interval": _interval(bounds.macro_f1),
        "per_label": [
            {
                "label": name,
                "f1": rounded(found.f1[index]),
                "f1_interval": _interval(bounds.f1[index]),
                "support": int(found.support[index]),
            }
            for index, name in enumerate(label_names)
        ],
    }


def evaluate(arrays: EvaluationArrays, *, seed: int = SEED) -> dict[str, Any]:
    """The whole evaluation: the model, each annotator and the group, the gaps, the confusion
    matrix, confident disagreements and coverage against accuracy."""
    rng = np.random.default_rng(seed)
    k, names = arrays.n_labels, arrays.label_names
    counts = metrics.label_counts(arrays.annotation_items, arrays.annotation_labels, n_items=arrays.n_items, n_labels=k)
    settled = metrics.settled_labels(counts, arrays.adjudicated)
    evaluated = (settled >= 0) & (arrays.predicted >= 0)
    truth, predicted, confidence = settled[evaluated], arrays.predicted[evaluated], arrays.confidence[evaluated]
    model_matrix = metrics.confusion(truth, predicted, k)

    reference = metrics.human_references(arrays.annotation_items, arrays.annotation_labels, counts, arrays.adjudicated)
    compared = evaluated[arrays.annotation_items] & (reference >= 0) & (arrays.annotation_labels >= 0)
    human_items = arrays.annotation_items[compared]
    human_reference, human_given = reference[compared], arrays.annotation_labels[compared]
    human_annotators = arrays.annotation_annotators[compared]
    group_matrix = metrics.confusion(human_reference, human_given, k)

    annotators = []
    codes = human_reference.astype(np.int64) * k + human_given
    per_annotator = np.bincount(
        human_annotators.astype(np.int64) * k * k + codes, minlength=len(arrays.usernames) * k * k
    ).reshape(len(arrays.usernames), k, k)
    for index, username in enumerate(arrays.usernames):
        if per_annotator[index].sum():
            annotators.append({"annotator": username, **figures(per_annotator[index], label_names=names, rng=rng)})
    annotators.sort(key=lambda entry: (-(entry["accuracy"] or 0), entry["annotator"]))

    model = figures(model_matrix, label_names=names, rng=rng)
    group = figures(group_matrix, label_names=names, rng=rng)
    correct = truth == predicted
    coverage = metrics.coverage_accuracy(confidence, correct)
    order = most_confident(np.flatnonzero(~correct), confidence, MAX_DISAGREEMENTS)
    evaluated_ids = arrays.item_ids[evaluated]
    return {
        "labels": names,
        "items_settled": int((settled >= 0).sum()),
        "items_evaluated": int(evaluated.sum()),
        "items_adjudicated": int(((arrays.adjudicated >= 0) & evaluated).sum()),
        "model": model,
        "human_level": group,
        "annotators": annotators,
        "per_label_gap": label_gaps(model, group),
        "per_slice_gap": _slice_gaps(arrays, evaluated, settled, human_items, human_reference == human_given),
        "confusion": model_matrix.tolist(),
        "disagreements": [
            {
                "item": int(evaluated_ids[i]),
                "settled": names[int(truth[i])],
                "predicted": names[int(predicted[i])],
                "confidence": rounded(confidence[i]),
            }
            for i in order.tolist()
        ],
        "coverage": [
            {"threshold": float(t), "coverage": rounded(c), "accuracy": rounded(a), "items": int(n)}
            for t, c, a, n in zip(
                coverage.thresholds, coverage.coverage, coverage.accuracy, coverage.taken, strict=True
            )
        ],
        "coverage_curve": [
            {"coverage": rounded(c), "accuracy": rounded(a)}
            for c, a in zip(coverage.curve_coverage, coverage.curve_accuracy, strict=True)
        ],
    }


def gap_of(human: float | None, model: float | None) -> float | None:
    return None if human is None or model is None else round(human - model, 6)


def largest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (row["gap"] is None, -(row["gap"] or 0)))


def label_gaps(
    model: dict[str, Any], group: dict[str, Any], *, counts: tuple[str, ...] = ("support",)
) -> list[dict[str, Any]]:
    """Per label, human-level F1 minus the model's: positive where the model is behind the people.
    A label is left out when every one of ``counts`` is zero for both."""
    rows = [
        {
            "label": m["label"],
            "model_f1": m["f1"],
            "human_f1": h["f1"],
            "gap": gap_of(h["f1"], m["f1"]),
            "support": m["support"],
        }
        for m, h in zip(model["per_label"], group["per_label"], strict=True)
        if any(m[key] or h[key] for key in counts)
    ]
    return largest_first(rows)


def _slice_gaps(
    arrays: EvaluationArrays,
    evaluated: np.ndarray,
    settled: np.ndarray,
    human_items: np.ndarray,
    human_right: np.ndarray,
) -> list[dict[str, Any]]:
    """Per metadata value, human-level accuracy minus the model's on the slice's items."""
    model_right = evaluated & (settled == arrays.predicted)
    rows = []
    for key, codes, values in arrays.slices:
        if not values:
            continue
        n_values = len(values)
        in_slice = evaluated & (codes >= 0)
        items = np.bincount(codes[in_slice], minlength=n_values)
        right = np.bincount(codes[in_slice & model_right], minlength=n_values)
        pair_codes = codes[human_items]
        has = pair_codes >= 0
        pairs = np.bincount(pair_codes[has], minlength=n_values)
        pairs_right = np.bincount(pair_codes[has & human_right], minlength=n_values)
        for index, value in enumerate(values):
            if items[index] < MIN_SLICE_ITEMS:
                continue
            model_accuracy = right[index] / items[index]
            human_accuracy = pairs_right[index] / pairs[index] if pairs[index] else None
            rows.append(
                {
                    "key": key,
                    "value": value,
                    "items": int(items[index]),
                    "model_accuracy": rounded(model_accuracy),
                    "human_accuracy": rounded(human_accuracy) if human_accuracy is not None else None,
                    "gap": gap_of(
                        rounded(human_accuracy) if human_accuracy is not None else None, rounded(model_accuracy)
                    ),
                }
            )
    return largest_first(rows)
