"""From annotation arrays to JSON-ready results: the agreement report, per-item ranking and
consensus, Dawid-Skene and label issues. No queries here beyond what the arrays carry;
the statistics themselves are ``labeling.agreement``'s.
"""

import json
import math
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from labeling import agreement
from labeling.review.data import SECONDS_PER_WEEK, SINGLE_LABEL, WEEK_SHIFT_SECONDS, AnnotationArrays, canonical

WEEKS_SHOWN = 26
# Bootstrap resamples for alpha's interval: fewer on large projects, where the interval is narrow anyway.
BOOTSTRAP_SMALL, BOOTSTRAP_LARGE, LARGE_ROWS = 1000, 200, 200_000


def _bootstrap(arrays: AnnotationArrays) -> int:
    return BOOTSTRAP_SMALL if arrays.n_rows < LARGE_ROWS else BOOTSTRAP_LARGE


def _rename(report: Any, *, usernames: list[str], label_names: list[str]) -> Any:
    """Turn the codes in a report (``a``, ``b``, ``annotator``, ``label``) into usernames and label names."""
    if isinstance(report, list):
        return [_rename(entry, usernames=usernames, label_names=label_names) for entry in report]
    if not isinstance(report, dict):
        return report
    renamed = {}
    for key, value in report.items():
        if key in ("a", "b", "annotator") and isinstance(value, int | np.integer):
            renamed[key] = usernames[int(value)]
        elif key == "label" and isinstance(value, int | np.integer) and 0 <= int(value) < len(label_names):
            renamed[key] = label_names[int(value)]
        else:
            renamed[key] = _rename(value, usernames=usernames, label_names=label_names)
    return renamed


def _whole_value_codes(arrays: AnnotationArrays) -> tuple[np.ndarray, list[Any]]:
    """Codes of the distinct whole values (a label set, a span list) and those values."""
    texts = np.array([canonical(value) for value in arrays.values], dtype=object)
    if not len(texts):
        return np.zeros(0, dtype=np.int64), []
    distinct, inverse = np.unique(texts, return_inverse=True)
    return inverse.astype(np.int64), [json.loads(text) for text in distinct.tolist()]


def _multilabel_matrix(arrays: AnnotationArrays) -> np.ndarray:
    position = {name: index for index, name in enumerate(arrays.label_names)}
    matrix = np.zeros((arrays.n_rows, len(arrays.label_names)), dtype=bool)
    for row, value in enumerate(arrays.values):
        for name in value or []:
            if name in position:
                matrix[row, position[name]] = True
    return matrix


def _span_columns(arrays: AnnotationArrays) -> dict[str, np.ndarray]:
    position = {name: index for index, name in enumerate(arrays.label_names)}
    rows, starts, ends, labels = [], [], [], []
    for row, value in enumerate(arrays.values):
        for span in value or []:
            if span.get("label") in position:
                rows.append(row)
                starts.append(span["start"])
                ends.append(span["end"])
                labels.append(position[span["label"]])
    return {
        "span_row": np.array(rows, dtype=np.int64),
        "span_start": np.array(starts, dtype=np.int64),
        "span_end": np.array(ends, dtype=np.int64),
        "span_label": np.array(labels, dtype=np.int64),
    }


def _week_start(week: int) -> str:
    return datetime.fromtimestamp(int(week) * SECONDS_PER_WEEK - WEEK_SHIFT_SECONDS, tz=UTC).date().isoformat()


def label_values(label_names: list[str]) -> list[float] | None:
    """The labels as numbers, when every one reads as a finite number ("1", "2.5", "-3").

    An interval project whose labels are numbers measures distance between those numbers;
    one with word labels ("cold" .. "hot") takes them as equally spaced in the schema's order.
    """
    try:
        values = [float(name) for name in label_names]
    except ValueError:
        return None
    return values if values and all(math.isfinite(v) for v in values) else None


def _scale(arrays: AnnotationArrays, level: str) -> list[float] | None:
    return label_values(arrays.label_names) if level == "interval" else None


def _rows(arrays: AnnotationArrays, rows: np.ndarray) -> AnnotationArrays:
    """The same project restricted to some annotation rows (and the items they label)."""
    kept_items, items = np.unique(arrays.items[rows], return_inverse=True)
    if arrays.task_type in SINGLE_LABEL:
        values: Any = arrays.values[rows]
    else:
        values = [arrays.values[row] for row in rows.tolist()]
    return replace(
        arrays,
        items=items.astype(np.int64).reshape(-1),
        item_ids=arrays.item_ids[kept_items],
        annotators=arrays.annotators[rows],
        weeks=arrays.weeks[rows],
        values=values,
        texts=[arrays.texts[item] for item in kept_items.tolist()] if arrays.texts else [],
    )


def _statistics(arrays: AnnotationArrays, *, level: str, bootstrap: int) -> dict[str, Any]:
    """The task type's report over the arrays, with codes (not yet names)."""
    if arrays.task_type in SINGLE_LABEL:
        known = arrays.values >= 0  # a label since removed from the schema takes no part
        report = agreement.classification_report(
            arrays.items[known],
            arrays.annotators[known],
            arrays.values[known],
            n_items=arrays.n_items,
            n_annotators=arrays.n_annotators,
            n_categories=len(arrays.label_names),
            level=level,
            scale=_scale(arrays, level),
            bootstrap=bootstrap,
        )
        if level == "interval":
            report["interval_values"] = _scale(arrays, level) or "equally spaced, in the schema's order"
        return report
    if arrays.task_type == "multilabel":
        return agreement.multilabel_report(
            arrays.items,
            arrays.annotators,
            _multilabel_matrix(arrays),
            n_items=arrays.n_items,
            n_annotators=arrays.n_annotators,
            bootstrap=bootstrap,
        )
    return agreement.span_report(
        arrays.items,
        arrays.annotators,
        **_span_columns(arrays),
        texts=arrays.texts,
        n_annotators=arrays.n_annotators,
        n_labels=len(arrays.label_names),
        bootstrap=bootstrap,
    )


def lead_alpha(task_type: str) -> str:
    """The report key of the alpha a task type's report leads with, and the chart over time draws.

    Multi-label: alpha with the MASI distance between whole label sets; spans: token-level alpha.
    """
    return "token_alpha" if task_type == "spans" else "krippendorff_alpha"


def weekly_alpha(arrays: AnnotationArrays, *, level: str) -> list[dict[str, Any]]:
    """The lead alpha of the annotations last changed in each week, as if they were all there
    was, for the newest weeks only. A week whose alpha is undefined has None and the reason."""
    if not arrays.n_rows:
        return []
    key = lead_alpha(arrays.task_type)
    points = []
    for week in np.unique(arrays.weeks)[-WEEKS_SHOWN:].tolist():
        rows = np.flatnonzero(arrays.weeks == week)
        report = _statistics(_rows(arrays, rows), level=level, bootstrap=0)
        counted = report.get("annotations", len(rows))  # a label since removed from the schema is not counted
        point = {"week": _week_start(week), "annotations": counted, "alpha": report.get(key)}
        if point["alpha"] is None:
            point["reason"] = (report.get("reasons") or {}).get(key)
        points.append(point)
    return points


def agreement_report(arrays: AnnotationArrays, *, level: str, over_time: bool = True) -> dict[str, Any]:
    """The project's agreement report with usernames and label names in place of codes.

    ``over_time=False`` leaves out the weekly alphas (one more report per week), for readers that do not show them.
    """
    report = _statistics(arrays, level=level, bootstrap=_bootstrap(arrays))
    report = _rename(report, usernames=arrays.usernames, label_names=arrays.label_names)
    if "per_annotator" not in report:
        report["per_annotator"] = per_annotator_from_pairs(report.get("pairwise") or [], arrays=arrays)
    if over_time:
        report["over_time"] = weekly_alpha(arrays, level=level)
    return report


def per_annotator_from_pairs(pairwise: list[dict[str, Any]], *, arrays: AnnotationArrays) -> list[dict[str, Any]]:
    """Span reports compare pairs; each annotator's figure is their pairs' F1, weighted by shared items."""
    rated = np.bincount(arrays.annotators, minlength=arrays.n_annotators)
    entries = []
    for code, name in enumerate(arrays.usernames):
        pairs = [p for p in pairwise if name in (p["a"], p["b"]) and p.get("f1_overlap") is not None]
        shared = sum(p["n"] for p in pairs)
        entries.append(
            {
                "annotator": name,
                "n": int(rated[code]),
                "n_compared": shared,
                "f1_exact": sum(p["f1_exact"] * p["n"] for p in pairs) / shared if shared else None,
                "f1_overlap": sum(p["f1_overlap"] * p["n"] for p in pairs) / shared if shared else None,
            }
        )
    return entries


def item_ranking(arrays: AnnotationArrays) -> dict[str, list]:
    """Per item: agreement (None under two annotations), annotation count and majority consensus.

    Classification compares labels; multi-label and spans compare whole values (the
    same label set, the same spans), which is what a reviewer has to settle.
    """
    if arrays.task_type in SINGLE_LABEL:
        codes = arrays.values
        known = codes >= 0
        n_categories = len(arrays.label_names)
        names: list[Any] = list(arrays.label_names)
    else:
        codes, names = _whole_value_codes(arrays)
        known = np.ones(len(codes), dtype=bool)
        n_categories = max(len(names), 1)
    items, values = arrays.items[known], codes[known]
    agreement_of, counts = agreement.per_item_agreement(
        items, values, n_items=arrays.n_items, n_categories=n_categories
    )
    majority = agreement.majority_vote(items, values, n_items=arrays.n_items, n_categories=n_categories)
    labels = np.asarray(majority.label)
    return {
        "item_ids": arrays.item_ids.tolist(),
        "agreement": [None if np.isnan(a) else float(a) for a in np.asarray(agreement_of, dtype=float)],
        "counts": np.asarray(counts).astype(int).tolist(),
        "consensus": [names[code] if code >= 0 else None for code in labels.tolist()],
        "confidence": [None if np.isnan(c) else float(c) for c in np.asarray(majority.confidence, dtype=float)],
        "tie": np.asarray(majority.tie).astype(bool).tolist(),
    }


def dawid_skene_consensus(arrays: AnnotationArrays) -> dict[str, Any]:
    """Dawid-Skene (EM) consensus of a classification project, with each annotator's confusion matrix.

    ``confusion[username][t][g]`` is the estimated probability that the annotator gives label
    ``labels[g]`` when the true label is ``labels[t]``: each row of a label in use sums to 1;
    a label nobody gave has a row of zeros (there is nothing to estimate it from).
    """
    known = arrays.values >= 0
    result = agreement.dawid_skene(
        arrays.items[known],
        arrays.annotators[known],
        arrays.values[known],
        n_items=arrays.n_items,
        n_annotators=arrays.n_annotators,
        n_categories=len(arrays.label_names),
    )
    labels = np.asarray(result.label)
    return {
        "item_ids": arrays.item_ids.tolist(),
        "consensus": [arrays.label_names[code] if code >= 0 else None for code in labels.tolist()],
        "confidence": [None if np.isnan(c) else float(c) for c in np.asarray(result.confidence, dtype=float)],
        "tie": [False] * len(labels),
        "labels": list(arrays.label_names),
        "confusion": {
            name: np.round(np.asarray(result.confusion)[index], 6).tolist()
            for index, name in enumerate(arrays.usernames)
        },
        "priors": np.round(np.asarray(result.priors, dtype=float), 6).tolist(),
        "iterations": int(result.iterations),
    }


def label_issues(
    *, given: np.ndarray, probabilities: np.ndarray, item_ids: list[int], label_names: list[str]
) -> dict[str, Any]:
    """Items whose consensus label is likely wrong, by cleanlab's confident learning, most suspicious first."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    if len(given) < 2:
        return {
            "issues": [],
            "checked": len(given),
            "reason": "needs at least two items with a consensus and a prediction",
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cleanlab warns about rare classes; the ranking stays usable
        scores = get_label_quality_scores(given, probabilities)
        # One process: by default cleanlab starts a pool of one per core, which a Celery worker's
        # child may not start (daemonic processes have no children) and which a fork from a
        # threaded web process can leave hung.
        ranked = find_label_issues(given, probabilities, return_indices_ranked_by="self_confidence", n_jobs=1)
    predicted = probabilities.argmax(axis=1)
    issues = [
        {
            "item": item_ids[index],
            "score": float(scores[index]),
            "given": label_names[given[index]],
            "predicted": label_names[predicted[index]],
        }
        for index in np.asarray(ranked).tolist()
    ]
    return {
        "issues": issues,
        "checked": len(given),
        "scores": {str(item_ids[index]): float(score) for index, score in enumerate(scores.tolist())},
        "reason": None,
    }
