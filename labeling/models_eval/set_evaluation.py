"""A model version's evaluation for multi-label and span projects, as a JSON-ready dict, from
coded arrays; no database, no Django.

Values are compared as sets: a multi-label value is a set of labels, each label a yes/no
decision; a span value a set of ``(start, end, label)`` spans, a span right only when the
other side holds exactly the same one. The settled value of an item is its adjudication,
else the annotators' strict majority with values compared whole (as the export settles it);
people are measured on the same items, each annotation against the adjudication, else the
majority of the OTHER annotations, so nobody is scored against their own vote.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labeling.models_eval import metrics, set_metrics
from labeling.models_eval.evaluation import (
    MAX_DISAGREEMENTS,
    MIN_SLICE_ITEMS,
    SEED,
    gap_of,
    label_gaps,
    largest_first,
    most_confident,
    rounded,
)
from labeling.models_eval.set_metrics import Elements, UnitCounts

MULTILABEL, SPANS = "multilabel", "spans"
# The headline figures of each task type: (key in the JSON, SetScores attribute).
HEADLINE = {
    MULTILABEL: (
        ("micro_f1", "micro_f1"),
        ("macro_f1", "macro_f1"),
        ("subset_accuracy", "exact"),
        ("hamming_loss", "hamming_loss"),
        ("mean_kappa", "mean_kappa"),
        ("micro_precision", "micro_precision"),
        ("micro_recall", "micro_recall"),
    ),
    SPANS: (
        ("micro_f1", "micro_f1"),
        ("macro_f1", "macro_f1"),
        ("micro_precision", "micro_precision"),
        ("micro_recall", "micro_recall"),
        ("exact_match", "exact"),
    ),
}


@dataclass
class SetArrays:
    """Everything a multi-label or span evaluation reads, densely coded over ``item_ids``.

    ``annotation_values``, ``adjudicated`` and ``predicted`` hold value codes (-1: none) whose
    elements are in ``elements``; ``confidence`` is the model's per item (multi-label: the
    least sure of its yes/no decisions, max(p, 1 - p); NaN without one); ``slices`` as in
    ``EvaluationArrays``.
    """

    task_type: str
    label_names: list[str]
    item_ids: np.ndarray
    annotation_items: np.ndarray
    annotation_annotators: np.ndarray
    annotation_values: np.ndarray
    usernames: list[str]
    adjudicated: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    elements: Elements
    slices: list[tuple[str, np.ndarray, list[str]]] = field(default_factory=list)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_labels(self) -> int:
        return len(self.label_names)

    def shown(self, code: int) -> list[Any]:
        """A value as the API writes it: label names (multi-label) or ``{start, end, label}`` spans."""
        low, high = self.elements.offsets[code], self.elements.offsets[code + 1]
        labels = self.elements.label[low:high].tolist()
        if self.task_type == MULTILABEL:
            return [self.label_names[label] for label in sorted(labels)]
        starts, ends = self.elements.start[low:high].tolist(), self.elements.end[low:high].tolist()
        return [
            {"start": s, "end": e, "label": self.label_names[label]}
            for s, e, label in sorted(zip(starts, ends, labels, strict=True))
        ]


def _interval(bounds: np.ndarray) -> list[float | None]:
    return [rounded(bounds[0]), rounded(bounds[1])]


def figures(
    counts: UnitCounts, arrays: SetArrays, *, rng: np.random.Generator, units: np.ndarray | None = None
) -> dict[str, Any]:
    """The headline and per-label figures of the compared units (all, or a mask), with bootstrap intervals."""
    k, multilabel = arrays.n_labels, arrays.task_type == MULTILABEL
    weights = counts.weights(units)
    n = int(weights.sum())
    found = set_metrics.set_scores(weights @ counts.rows, n, n_labels=k)
    drawn = set_metrics.bootstrap_set_scores(counts.rows, weights, n_labels=k, rng=rng) if n else None

    def bounds(name: str) -> np.ndarray:
        if drawn is None:
            return np.full((2, *np.shape(getattr(found, name))), np.nan)
        return set_metrics.percentile_bounds(getattr(drawn, name))

    body: dict[str, Any] = {"n": n}
    for key, name in HEADLINE[arrays.task_type]:
        body[key] = rounded(getattr(found, name))
        body[f"{key}_interval"] = _interval(bounds(name))
    f1_bounds = bounds("f1")
    kappa_bounds = bounds("kappa") if multilabel else None
    body["per_label"] = []
    for index, label in enumerate(arrays.label_names):
        entry = {
            "label": label,
            "precision": rounded(found.precision[index]),
            "recall": rounded(found.recall[index]),
            "f1": rounded(found.f1[index]),
            "f1_interval": _interval(f1_bounds[:, index]),
            "support": int(found.tp[index] + found.fn[index]),
            "predicted": int(found.tp[index] + found.fp[index]),
            "tp": int(found.tp[index]),
            "fp": int(found.fp[index]),
            "fn": int(found.fn[index]),
        }
        if multilabel:
            entry["tn"] = int(found.n - found.tp[index] - found.fp[index] - found.fn[index])
            entry["kappa"] = rounded(found.kappa[index])
            entry["kappa_interval"] = _interval(kappa_bounds[:, index])
        body["per_label"].append(entry)
    return body


def _micro_f1_by_code(counts: UnitCounts, codes: np.ndarray, n_values: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Micro F1 of the units of each code (-1: in none) and how many units each has."""
    has = codes >= 0
    groups = len(counts.rows)
    cells = np.bincount(codes[has] * groups + counts.group[has], minlength=n_values * groups)
    cells = cells.reshape(n_values, groups)
    units = cells.sum(axis=1)
    return set_metrics.set_scores(cells @ counts.rows, units, n_labels=k).micro_f1, units


def _slice_gaps(
    arrays: SetArrays,
    evaluated_codes: np.ndarray,
    model_counts: UnitCounts,
    human_items: np.ndarray,
    human_counts: UnitCounts,
) -> list[dict[str, Any]]:
    """Per metadata value, human-level micro F1 minus the model's on the slice's items."""
    rows = []
    k = arrays.n_labels
    for key, codes, values in arrays.slices:
        if not values:
            continue
        model_f1, items = _micro_f1_by_code(model_counts, codes[evaluated_codes], len(values), k)
        human_f1, pairs = _micro_f1_by_code(human_counts, codes[human_items], len(values), k)
        for index, value in enumerate(values):
            if items[index] < MIN_SLICE_ITEMS:
                continue
            human = rounded(human_f1[index]) if pairs[index] else None
            rows.append(
                {
                    "key": key,
                    "value": value,
                    "items": int(items[index]),
                    "model_micro_f1": rounded(model_f1[index]),
                    "human_micro_f1": human,
                    "gap": gap_of(human, rounded(model_f1[index])),
                }
            )
    return largest_first(rows)


def _coverage(confidence: np.ndarray, exact: np.ndarray) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    coverage = metrics.coverage_accuracy(confidence, exact)
    table = [
        {"threshold": float(t), "coverage": rounded(c), "accuracy": rounded(a), "items": int(n)}
        for t, c, a, n in zip(coverage.thresholds, coverage.coverage, coverage.accuracy, coverage.taken, strict=True)
    ]
    curve = [
        {"coverage": rounded(c), "accuracy": rounded(a)}
        for c, a in zip(coverage.curve_coverage, coverage.curve_accuracy, strict=True)
    ]
    return table, curve


def evaluate_sets(arrays: SetArrays, *, seed: int = SEED) -> dict[str, Any]:
    """The whole evaluation: the model, each annotator and the group, per-label and per-slice
    gaps, per-label counts, disagreements and (multi-label) coverage against accuracy."""
    rng = np.random.default_rng(seed)
    k = arrays.n_labels
    items, values = arrays.annotation_items, arrays.annotation_values
    majority = set_metrics.whole_majority(items, values, n_items=arrays.n_items)
    settled = np.where(arrays.adjudicated >= 0, arrays.adjudicated, majority)
    evaluated = (settled >= 0) & (arrays.predicted >= 0)
    truth, predicted = settled[evaluated], arrays.predicted[evaluated]
    model_counts = set_metrics.pair_counts(truth, predicted, arrays.elements, n_labels=k)

    others = set_metrics.others_whole_majority(items, values, n_items=arrays.n_items)
    decided = arrays.adjudicated[items]
    reference = np.where(decided >= 0, decided, others)
    compared = evaluated[items] & (reference >= 0) & (values >= 0)
    human_counts = set_metrics.pair_counts(reference[compared], values[compared], arrays.elements, n_labels=k)
    human_annotators = arrays.annotation_annotators[compared]

    model = figures(model_counts, arrays, rng=rng)
    group = figures(human_counts, arrays, rng=rng)
    annotators = [
        {"annotator": name, **figures(human_counts, arrays, rng=rng, units=human_annotators == index)}
        for index, name in enumerate(arrays.usernames)
        if (human_annotators == index).any()
    ]
    annotators.sort(key=lambda entry: (-(entry["micro_f1"] or 0), entry["annotator"]))

    exact = model_counts.exact()
    if arrays.task_type == MULTILABEL:
        confidence = arrays.confidence[evaluated]
        coverage, curve = _coverage(confidence, exact)
        wrong = most_confident(np.flatnonzero(~exact), confidence, MAX_DISAGREEMENTS)
    else:
        confidence = np.full(len(truth), np.nan)
        coverage, curve = [], []
        errors = model_counts.errors()
        wrong = np.flatnonzero(~exact)
        wrong = wrong[np.argsort(-errors[wrong], kind="stable")]
    evaluated_ids = arrays.item_ids[evaluated]
    return {
        "task_type": arrays.task_type,
        "labels": arrays.label_names,
        "items_settled": int((settled >= 0).sum()),
        "items_evaluated": int(evaluated.sum()),
        "items_adjudicated": int(((arrays.adjudicated >= 0) & evaluated).sum()),
        "model": model,
        "human_level": group,
        "annotators": annotators,
        "per_label_gap": label_gaps(model, group, counts=("support", "predicted")),
        "per_slice_gap": _slice_gaps(arrays, evaluated, model_counts, items[compared], human_counts),
        "confusion": None,
        "label_confusion": [
            {"label": row["label"], "tp": row["tp"], "fp": row["fp"], "fn": row["fn"], "tn": row.get("tn")}
            for row in model["per_label"]
        ],
        "disagreements": [
            {
                "item": int(evaluated_ids[i]),
                "settled": arrays.shown(int(truth[i])),
                "predicted": arrays.shown(int(predicted[i])),
                "confidence": rounded(confidence[i]),
            }
            for i in wrong[:MAX_DISAGREEMENTS].tolist()
        ],
        "coverage": coverage,
        "coverage_curve": curve,
    }
