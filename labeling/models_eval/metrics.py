"""Model evaluation statistics on coded arrays: no database, no Django, vectorised.

Labels are codes ``0..k-1`` (``-1``: none). Every figure derives from a confusion matrix
(rows: the reference label, columns: the label given), so a bootstrap is a multinomial
resample of its cells: resampling the compared pairs with replacement, a thousand times in
a few milliseconds whatever the number of items.
"""

from dataclasses import dataclass

import numpy as np

BOOTSTRAP = 1000
CONFIDENCE_LEVEL = 0.95
THRESHOLDS = (*tuple(round(0.05 * step, 2) for step in range(20)), 0.99)
CURVE_POINTS = 50
ROW_CHUNK = 500_000


def confusion(reference: np.ndarray, given: np.ndarray, n_labels: int) -> np.ndarray:
    """Counts of (reference, given) pairs as a k x k matrix; pairs with a -1 are left out."""
    keep = (reference >= 0) & (given >= 0)
    codes = reference[keep].astype(np.int64) * n_labels + given[keep]
    return np.bincount(codes, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


@dataclass(frozen=True)
class Scores:
    """Figures of one or many confusion matrices (leading axes kept): NaN where undefined."""

    n: np.ndarray
    accuracy: np.ndarray
    kappa: np.ndarray
    f1: np.ndarray  # (..., k)
    macro_f1: np.ndarray
    support: np.ndarray  # (..., k) pairs per reference label


def scores(matrix: np.ndarray) -> Scores:
    """Accuracy, Cohen's kappa, per-label and macro F1 from confusion matrices ``(..., k, k)``.

    As scikit-learn computes them: F1 is 0 for a label never given nor expected, and the macro
    mean runs over the labels present in either; kappa is NaN when chance agreement is 1.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    n = matrix.sum(axis=(-2, -1))
    true_pos = np.diagonal(matrix, axis1=-2, axis2=-1)
    expected = matrix.sum(axis=-1)
    given = matrix.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = true_pos.sum(axis=-1) / n
        chance = (expected * given).sum(axis=-1) / (n * n)
        kappa = np.where(chance < 1, (accuracy - chance) / (1 - chance), np.nan)
        both = expected + given
        f1 = np.where(both > 0, 2 * true_pos / np.where(both > 0, both, 1), 0.0)
        present = both > 0
        macro = np.where(present.any(axis=-1), (f1 * present).sum(axis=-1) / present.sum(axis=-1), np.nan)
    return Scores(n=n, accuracy=accuracy, kappa=kappa, f1=f1, macro_f1=macro, support=expected)


@dataclass(frozen=True)
class Intervals:
    """Bootstrap percentile intervals (low, high) of the figures in ``Scores``."""

    accuracy: tuple[float, float]
    kappa: tuple[float, float]
    macro_f1: tuple[float, float]
    f1: np.ndarray  # (k, 2)


def bootstrap_intervals(matrix: np.ndarray, *, rng: np.random.Generator, resamples: int = BOOTSTRAP) -> Intervals:
    """Percentile intervals from ``resamples`` multinomial redraws of the matrix's pairs."""
    matrix = np.asarray(matrix, dtype=np.int64)
    k = matrix.shape[0]
    total = int(matrix.sum())
    if total == 0:
        nan = (float("nan"), float("nan"))
        return Intervals(accuracy=nan, kappa=nan, macro_f1=nan, f1=np.full((k, 2), np.nan))
    draws = rng.multinomial(total, matrix.ravel() / total, size=resamples).reshape(resamples, k, k)
    drawn = scores(draws)
    tail = (1 - CONFIDENCE_LEVEL) / 2 * 100

    def bounds(values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.nanpercentile(values, [tail, 100 - tail], axis=0) if np.isfinite(values).any() else None

    def pair(values: np.ndarray) -> tuple[float, float]:
        found = bounds(values)
        return (float("nan"), float("nan")) if found is None else (float(found[0]), float(found[1]))

    f1 = bounds(drawn.f1)
    return Intervals(
        accuracy=pair(drawn.accuracy),
        kappa=pair(drawn.kappa),
        macro_f1=pair(drawn.macro_f1),
        f1=np.full((k, 2), np.nan) if f1 is None else f1.T,
    )


def label_counts(items: np.ndarray, labels: np.ndarray, *, n_items: int, n_labels: int) -> np.ndarray:
    """Votes per (item, label): an ``n_items x k`` matrix; rows with label -1 are left out."""
    keep = labels >= 0
    codes = items[keep].astype(np.int64) * n_labels + labels[keep]
    return np.bincount(codes, minlength=n_items * n_labels).reshape(n_items, n_labels).astype(np.int32)


def _unique_top(counts: np.ndarray) -> np.ndarray:
    """The label with strictly the most votes in each row; -1 for no votes or a tie."""
    top = counts.argmax(axis=-1)
    best = np.take_along_axis(counts, top[..., None], axis=-1)[..., 0]
    ties = (counts == best[..., None]).sum(axis=-1) > 1
    return np.where((best > 0) & ~ties, top, -1)


def settled_labels(counts: np.ndarray, adjudicated: np.ndarray) -> np.ndarray:
    """Each item's settled label: the adjudicated one, else the annotators' strict majority (-1: none, or a tie)."""
    return np.where(adjudicated >= 0, adjudicated, _unique_top(counts))


def others_majority(items: np.ndarray, labels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each annotation, the strict majority of the OTHER annotations of its item (-1: none, or a tie):
    the reference an annotator is measured against, never including their own vote."""
    result = np.full(len(items), -1, dtype=np.int64)
    n_labels = counts.shape[1]
    for start in range(0, len(items), ROW_CHUNK):
        stop = min(start + ROW_CHUNK, len(items))
        rows = counts[items[start:stop]].copy()
        own = labels[start:stop]
        valid = own >= 0
        rows[np.flatnonzero(valid), own[valid]] -= 1
        result[start:stop] = _unique_top(rows) if n_labels else -1
    return result


def human_references(items: np.ndarray, labels: np.ndarray, counts: np.ndarray, adjudicated: np.ndarray) -> np.ndarray:
    """Each annotation's reference: the item's adjudicated label (never the annotator's own vote),
    else the others' majority."""
    reference = others_majority(items, labels, counts)
    decided = adjudicated[items]
    return np.where(decided >= 0, decided, reference)


@dataclass(frozen=True)
class Coverage:
    """Partial automation: taking every item whose confidence is at least a threshold."""

    thresholds: np.ndarray
    coverage: np.ndarray  # share of the items taken
    accuracy: np.ndarray  # share right among them (NaN when none taken)
    taken: np.ndarray
    curve_coverage: np.ndarray
    curve_accuracy: np.ndarray


def coverage_accuracy(
    confidence: np.ndarray, correct: np.ndarray, thresholds: tuple[float, ...] = THRESHOLDS
) -> Coverage:
    """Coverage and accuracy by confidence threshold, and the whole curve (most confident first)."""
    edges = np.array(thresholds, dtype=np.float64)
    if not len(confidence):  # nothing evaluated yet: nothing taken at any threshold
        nothing = np.zeros(0)
        return Coverage(edges, np.zeros(len(edges)), np.full(len(edges), np.nan), np.zeros(len(edges), np.int64),
                        nothing, nothing)  # fmt: skip
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence = confidence[order]
    right = np.cumsum(correct[order])
    n = len(confidence)
    taken = np.searchsorted(-sorted_confidence, -edges, side="right")  # items with confidence >= threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(taken > 0, right[np.maximum(taken, 1) - 1] / np.maximum(taken, 1), np.nan)
        positions = np.unique(np.linspace(1, n, min(n, CURVE_POINTS)).round().astype(np.int64)) if n else np.zeros(0)
        curve_accuracy = right[positions - 1] / positions if n else np.zeros(0)
    return Coverage(
        thresholds=edges,
        coverage=taken / n if n else np.zeros(len(edges)),
        accuracy=accuracy if n else np.full(len(edges), np.nan),
        taken=taken if n else np.zeros(len(edges), dtype=np.int64),
        curve_coverage=positions / n if n else np.zeros(0),
        curve_accuracy=curve_accuracy,
    )
