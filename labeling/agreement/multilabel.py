"""The agreement report of a multi-label project: MASI alpha over label sets and binary alpha per label.

No Django. Each distinct label set is one category of the MASI alpha; the distance
between two sets is NLTK's ``masi_distance`` (Passonneau 2006), with two empty sets at
distance zero (NLTK divides by zero there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from labeling.agreement._common import NO_ANNOTATIONS, SINGLE_ANNOTATIONS, as_codes, check_size, number, row_pairs
from labeling.agreement._common import annotator_pairs as group_pairs
from labeling.agreement.alpha import AlphaUnits, alpha_point, interval_or_reason, merge_identical

ONE_SET = "all annotations chose the same label set: expected disagreement is zero"
# Merge identical items before a bootstrap only while the dense (items x distinct sets) matrix stays this small.
DENSE_CELLS = 20_000_000


def masi_distances(sets: np.ndarray) -> np.ndarray:
    """(V, V) MASI distance between the rows of a boolean (V, labels) matrix of label sets."""
    as_int = sets.astype(np.int64)
    common = as_int @ as_int.T
    sizes = as_int.sum(axis=1)
    left, right = sizes[:, None], sizes[None, :]
    union = left + right - common
    monotonicity = np.select(
        [(left == right) & (common == left), common == np.minimum(left, right), common > 0],
        [1.0, 2.0 / 3.0, 1.0 / 3.0],
        default=0.0,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = 1.0 - common / union * monotonicity
    return np.where(union > 0, distance, 0.0)


def _label_sets(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code among the distinct label sets, and those sets as a boolean matrix."""
    if matrix.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, matrix.shape[1]), dtype=bool)
    packed = np.packbits(matrix, axis=1)
    if packed.shape[1] <= 8:  # up to 64 labels: one integer key per row sorts far faster than rows
        padded = np.zeros((packed.shape[0], 8), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        _, first, codes = np.unique(padded.view(np.uint64).ravel(), return_index=True, return_inverse=True)
        distinct = packed[first]
    else:
        distinct, codes = np.unique(packed, axis=0, return_inverse=True)
    sets = np.unpackbits(distinct, axis=1, count=matrix.shape[1]).astype(bool)
    return codes.ravel().astype(np.int64), sets


def _masi_units(items: np.ndarray, annotators: np.ndarray, matrix: np.ndarray, *, n_items: int, merge: bool):
    """MASI alpha units (one per item with two or more annotations) plus the row pairs and their distances."""
    codes, sets = _label_sets(matrix)
    delta = masi_distances(sets)
    first, second = row_pairs(items, annotators)
    pair_distance = delta[codes[first], codes[second]]
    totals = np.bincount(items, minlength=n_items).astype(np.float64)
    keep = np.flatnonzero(totals >= 2)
    local = np.full(n_items, -1, dtype=np.int64)
    local[keep] = np.arange(keep.size)
    # Ordered pairs count each unordered pair twice: sum(n_c n_k d_ck) = 2 * sum over pairs.
    disagreement = 2.0 * np.bincount(items[first], weights=pair_distance, minlength=n_items)[keep] / (totals[keep] - 1)
    rows = totals[items] >= 2
    counts = sparse.csr_matrix(
        (np.ones(int(rows.sum())), (local[items[rows]], codes[rows])), shape=(keep.size, sets.shape[0])
    )
    freq = np.ones(keep.size)
    if merge and keep.size * sets.shape[0] <= DENSE_CELLS:
        dense = counts.toarray().astype(np.int64)
        chosen, freq = merge_identical(dense)
        counts, disagreement = dense[chosen].astype(np.float64), disagreement[chosen]
        freq = freq.astype(np.float64)
        totals_kept = dense[chosen].sum(axis=1).astype(np.float64)
    else:
        totals_kept = totals[keep]
    units = AlphaUnits(
        counts=counts, totals=totals_kept, freq=freq, level="masi", disagreement=disagreement, delta=delta
    )
    return units, codes, delta, first, second, pair_distance


def multilabel_report(
    items: ArrayLike,
    annotators: ArrayLike,
    matrix: ArrayLike,
    *,
    n_items: int,
    n_annotators: int,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Agreement of label sets, JSON-safe: undefined figures are None with a reason.

    ``krippendorff_alpha`` uses the MASI distance between whole sets; ``binary_alpha`` is the
    nominal alpha of the yes/no decisions on every (item, label), all labels pooled, and
    ``per_label`` the same per label. ``percent_agreement`` is the mean over compared items
    of the share of annotation pairs with exactly the same set; ``masi_agreement`` in
    ``pairwise`` is the mean of ``1 - MASI distance``.
    """
    check_size(n_items, name="n_items")
    check_size(n_annotators, name="n_annotators")
    items = as_codes(items, name="items", upper=n_items)
    annotators = as_codes(annotators, name="annotators", size=items.size, upper=n_annotators)
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != items.size:
        raise ValueError(f"matrix must have one row per annotation ({items.size}) and one column per label")
    matrix = matrix.astype(bool)
    n_labels = matrix.shape[1]

    reasons: dict[str, str] = {}
    totals = np.bincount(items, minlength=n_items)
    n_compared = int((totals >= 2).sum())
    annotations = int(items.size)
    report: dict[str, Any] = {
        "annotations": annotations,
        "items": int((totals > 0).sum()),
        "items_compared": n_compared,
    }

    units, codes, delta, first, second, pair_distance = _masi_units(
        items, annotators, matrix, n_items=n_items, merge=bootstrap > 0
    )
    alpha = alpha_point(units)
    report["krippendorff_alpha"] = number(alpha)
    if report["krippendorff_alpha"] is None:
        reasons["krippendorff_alpha"] = _reason(annotations, n_compared, ONE_SET)
    report["krippendorff_alpha_ci"], why = interval_or_reason(units, alpha=alpha, bootstrap=bootstrap, seed=seed)
    if why:
        reasons["krippendorff_alpha_ci"] = why

    pooled, per_label = _binary_alpha(items, matrix, totals=totals, n_items=n_items)
    report["binary_alpha"] = number(pooled)
    if report["binary_alpha"] is None:
        reasons["binary_alpha"] = _reason(
            annotations, n_compared, "every label is chosen by all or none of the compared annotations"
        )

    same = (codes[first] == codes[second]).astype(np.float64)
    report["percent_agreement"] = None
    if n_compared:
        pairable = totals >= 2
        matches = np.bincount(items[first], weights=same, minlength=n_items)[pairable]
        m = totals[pairable].astype(np.float64)
        report["percent_agreement"] = number((matches / (m * (m - 1.0) / 2.0)).mean())
    else:
        reasons["percent_agreement"] = _reason(annotations, 0, "")

    used = matrix.sum(axis=0)
    report["per_label"] = []
    for label in range(n_labels):
        entry = {"label": label, "count": int(used[label]), "alpha": number(per_label[label])}
        if entry["alpha"] is None:
            entry["reason"] = "this label is chosen by all or none of the compared annotations"
        report["per_label"].append(entry)

    pair_a, pair_b, pair = group_pairs(annotators[first], annotators[second], n_annotators=n_annotators)
    shared = np.bincount(pair, minlength=pair_a.size)
    exact = np.bincount(pair, weights=same, minlength=pair_a.size)
    closeness = np.bincount(pair, weights=1.0 - pair_distance, minlength=pair_a.size)
    report["pairwise"] = [
        {
            "a": int(pair_a[index]),
            "b": int(pair_b[index]),
            "n": int(shared[index]),
            "percent_agreement": number(exact[index] / shared[index]),
            "masi_agreement": number(closeness[index] / shared[index]),
        }
        for index in range(pair_a.size)
    ]
    if not report["pairwise"]:
        reasons["pairwise"] = "no two annotators share an item" if annotations else NO_ANNOTATIONS

    without = _alpha_without_each(
        items, annotators, codes, delta=delta, first=first, second=second, pair_distance=pair_distance, totals=totals
    )
    report["per_annotator"] = _per_annotator(
        items,
        annotators,
        totals=totals,
        first=first,
        second=second,
        same=same,
        alpha_without=without,
        n_annotators=n_annotators,
    )
    report["reasons"] = reasons
    return report


def _reason(annotations: int, items_compared: int, otherwise: str) -> str:
    if annotations == 0:
        return NO_ANNOTATIONS
    if items_compared == 0:
        return SINGLE_ANNOTATIONS
    return otherwise


def _binary_alpha(items: np.ndarray, matrix: np.ndarray, *, totals: np.ndarray, n_items: int):
    """Nominal alpha of per-(item, label) yes/no decisions: pooled over labels, and per label."""
    pairable = totals >= 2
    if not pairable.any() or matrix.shape[1] == 0:
        return float("nan"), np.full(matrix.shape[1], np.nan)
    indicator = sparse.csr_matrix((np.ones(items.size), (items, np.arange(items.size))), shape=(n_items, items.size))
    yes = np.asarray(indicator @ matrix.astype(np.float64))[pairable]  # (items, labels)
    m = totals[pairable].astype(np.float64)[:, None]
    observed = (2.0 * yes * (m - yes) / (m - 1.0)).sum(axis=0)
    chosen = yes.sum(axis=0)
    n = float(m.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        per_label = np.where(
            chosen * (n - chosen) > 0, 1.0 - (n - 1.0) * observed / (2.0 * chosen * (n - chosen)), np.nan
        )
        n_all = n * matrix.shape[1]
        chosen_all = chosen.sum()
        expected_all = 2.0 * chosen_all * (n_all - chosen_all)
        pooled = 1.0 - (n_all - 1.0) * observed.sum() / expected_all if expected_all > 0 else float("nan")
    return float(pooled), per_label


def _alpha_without_each(
    items: np.ndarray,
    annotators: np.ndarray,
    codes: np.ndarray,
    *,
    delta: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    pair_distance: np.ndarray,
    totals: np.ndarray,
) -> dict[int, float]:
    """MASI alpha of everyone else, per annotator, by taking each annotator's share out of the sums.

    An item's disagreement is ``2 * (sum of its pair distances) / (m - 1)``; dropping one
    annotator removes the pairs that include their row and lowers ``m`` by one, and an item
    left with a single rating leaves the pooled counts along with that rating.
    """
    n_rows, n_sets = items.size, delta.shape[0]
    item_sum = np.bincount(items[first], weights=pair_distance, minlength=totals.size)
    row_sum = np.bincount(first, weights=pair_distance, minlength=n_rows)
    row_sum += np.bincount(second, weights=pair_distance, minlength=n_rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        item_disagreement = np.where(totals >= 2, 2.0 * item_sum / (totals - 1.0), 0.0)
    observed = item_disagreement.sum()
    pairable_row = totals[items] >= 2
    pooled = np.bincount(codes[pairable_row], minlength=n_sets).astype(np.float64)
    partner = np.full(n_rows, -1, dtype=np.int64)  # the other row of an item with exactly two ratings
    two = totals[items[first]] == 2
    partner[first[two]] = second[two]
    partner[second[two]] = first[two]

    order = np.argsort(annotators, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(annotators))])
    alphas = {}
    for annotator in np.flatnonzero(np.diff(bounds)).tolist():
        rows = order[bounds[annotator] : bounds[annotator + 1]]
        rows = rows[pairable_row[rows]]
        item = items[rows]
        left = totals[item] - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.where(left >= 2, 2.0 * (item_sum[item] - row_sum[rows]) / (left - 1.0), 0.0)
        seen = observed - item_disagreement[item].sum() + kept.sum()
        gone = np.concatenate([codes[rows], codes[partner[rows[left == 1]]]])
        remaining = pooled - np.bincount(gone, minlength=n_sets)
        expected = float(remaining @ delta @ remaining)
        defined = (remaining > 0).sum() >= 2 and expected > 0
        alphas[annotator] = 1.0 - (remaining.sum() - 1.0) * seen / expected if defined else float("nan")
    return alphas


def _per_annotator(
    items, annotators, *, totals, first, second, same, alpha_without: dict[int, float], n_annotators: int
) -> list[dict[str, Any]]:
    """Per annotator: exact-set agreement with the others on shared items, and MASI alpha without them."""
    matches = np.bincount(first, weights=same, minlength=items.size)
    matches += np.bincount(second, weights=same, minlength=items.size)
    row_totals = totals[items]
    compared = row_totals >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        agree = np.where(compared, matches / (row_totals - 1.0), 0.0)
    ratings = np.bincount(annotators, minlength=n_annotators)
    ratings_compared = np.bincount(annotators, weights=compared, minlength=n_annotators)
    agreed = np.bincount(annotators, weights=agree, minlength=n_annotators)
    entries = []
    for annotator in np.flatnonzero(ratings).tolist():
        entry = {
            "annotator": int(annotator),
            "n": int(ratings[annotator]),
            "n_compared": int(ratings_compared[annotator]),
            "percent_agreement": (
                number(agreed[annotator] / ratings_compared[annotator]) if ratings_compared[annotator] else None
            ),
            "alpha_without": number(alpha_without[annotator]),
        }
        if entry["percent_agreement"] is None:
            entry["reason"] = "shares no item with another annotator"
        entries.append(entry)
    return entries
