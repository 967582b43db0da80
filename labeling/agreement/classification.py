"""The agreement report of a single-label project (classification and image). No Django."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from labeling.agreement._common import (
    LEVELS,
    NO_ANNOTATIONS,
    ONE_VALUE,
    SINGLE_ANNOTATIONS,
    as_codes,
    check_size,
    number,
)
from labeling.agreement.alpha import (
    KEY_SLOTS,
    alpha_from_coincidences,
    alpha_point,
    coincidences,
    distinct_rows,
    interval_or_reason,
    interval_scale,
    item_counts,
    one_vs_rest_alpha,
    row_sums,
    units_from_rows,
)
from labeling.agreement.kappa import SCALE_WEIGHTS, fleiss_kappa, gwet_ac, pairwise_kappa

PAIR_CHANCE_ONE = "both annotators used one and the same label on their shared items: chance agreement is one"


def alpha_reason(annotations: int, items_compared: int) -> str:
    """Why alpha is undefined, given how many annotations and pairable items there are."""
    if annotations == 0:
        return NO_ANNOTATIONS
    if items_compared == 0:
        return SINGLE_ANNOTATIONS
    return ONE_VALUE


def classification_report(
    items: ArrayLike,
    annotators: ArrayLike,
    values: ArrayLike,
    *,
    n_items: int,
    n_annotators: int,
    n_categories: int,
    level: str = "nominal",
    scale: ArrayLike | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Agreement of one label per (item, annotator), JSON-safe: undefined figures are None with a reason.

    ``percent_agreement`` is a share in [0, 1]: the mean over items with two or more ratings
    of the share of their rating pairs that match (Gwet's ``p_a``). ``per_annotator`` gives,
    for each annotator, how often the others on the same items chose the same label
    (``percent_agreement``), the mean Cohen's kappa with each colleague weighted by shared
    items (``mean_kappa``) and alpha of everyone else's ratings (``alpha_without``): an
    annotator whose removal raises alpha is the one pulling agreement down.

    ``scale`` gives each category's numeric value on an interval scale (alpha's distance,
    weighted kappa's and AC2's weights); other levels, or none given, use the codes' order.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    check_size(n_items, name="n_items")
    check_size(n_annotators, name="n_annotators")
    check_size(n_categories, name="n_categories", minimum=1)
    items = as_codes(items, name="items", upper=n_items)
    annotators = as_codes(annotators, name="annotators", size=items.size, upper=n_annotators)
    values = as_codes(values, name="values", size=items.size, upper=n_categories)
    scale = interval_scale(n_categories, scale) if level == "interval" else None

    reasons: dict[str, str] = {}
    # Every figure below but the pairwise ones depends on an item only through its row of
    # label counts, so it is computed once per distinct row, weighted by how many items have it.
    counts = item_counts(items, values, n_items=n_items, n_categories=n_categories)
    rows, row_of_item, freq = distinct_rows(counts)
    totals = row_sums(rows)
    pairable = totals >= 2
    n_compared = int(freq[pairable].sum())
    annotations = int(items.size)
    report: dict[str, Any] = {
        "annotations": annotations,
        "items": int(freq[totals > 0].sum()),
        "items_compared": n_compared,
        "level": level,
    }

    units = units_from_rows(rows, freq, level=level, scale=scale)
    rows = rows.astype(np.float64)
    alpha = alpha_point(units)
    report["krippendorff_alpha"] = number(alpha)
    if report["krippendorff_alpha"] is None:
        reasons["krippendorff_alpha"] = alpha_reason(annotations, n_compared)
    report["krippendorff_alpha_ci"], why = interval_or_reason(units, alpha=alpha, bootstrap=bootstrap, seed=seed)
    if why:
        reasons["krippendorff_alpha_ci"] = why

    kappa, why = fleiss_kappa(rows, freq)
    report["fleiss_kappa"] = number(kappa)
    if why:
        reasons["fleiss_kappa"] = why

    report["percent_agreement"] = None
    if n_compared:
        paired = rows[pairable]
        m = totals[pairable]
        share = row_sums(paired * (paired - 1.0)) / (m * (m - 1.0))
        report["percent_agreement"] = number(freq[pairable] @ share / n_compared)
    else:
        reasons["percent_agreement"] = alpha_reason(annotations, 0)

    weights = SCALE_WEIGHTS[level]
    gwet, why = gwet_ac(rows, weights=weights, scale=scale, freq=freq)
    report["gwet_ac"] = number(gwet)
    report["gwet_weights"] = weights or "unweighted"
    if why:
        reasons["gwet_ac"] = why

    pairs = pairwise_kappa(
        items, annotators, values, n_annotators=n_annotators, n_categories=n_categories, weights=weights, scale=scale
    )
    report["pairwise"] = _pairwise_entries(pairs)
    if not report["pairwise"]:
        reasons["pairwise"] = "no two annotators share an item" if annotations else NO_ANNOTATIONS

    report["per_label"] = _per_label(rows, freq, values)
    report["per_annotator"] = _per_annotator(
        annotators,
        row_of_item[items] * n_categories + values,
        rows=rows,
        freq=freq,
        pairs=pairs,
        level=level,
        scale=scale,
        n_annotators=n_annotators,
    )
    report["reasons"] = reasons
    return report


def _pairwise_entries(pairs) -> list[dict[str, Any]]:
    entries = []
    for index in range(pairs.a.size):
        entry = {
            "a": int(pairs.a[index]),
            "b": int(pairs.b[index]),
            "n": int(pairs.n[index]),
            "percent_agreement": number(pairs.percent_agreement[index]),
            "cohen_kappa": number(pairs.cohen_kappa[index]),
            "weighted_kappa": None if pairs.weighted_kappa is None else number(pairs.weighted_kappa[index]),
        }
        if entry["cohen_kappa"] is None:
            entry["reason"] = PAIR_CHANCE_ONE
        entries.append(entry)
    return entries


def _per_label(rows: np.ndarray, freq: np.ndarray, values: np.ndarray) -> list[dict[str, Any]]:
    used = np.bincount(values, minlength=rows.shape[1])
    alphas = one_vs_rest_alpha(rows, freq)
    entries = []
    for label in range(rows.shape[1]):
        entry = {"label": label, "count": int(used[label]), "alpha": number(alphas[label])}
        if entry["alpha"] is None:
            entry["reason"] = "this label is used on all or none of the compared annotations"
        entries.append(entry)
    return entries


def _rated_cells(annotators: np.ndarray, cells: np.ndarray, *, n_annotators: int, n_cells: int):
    """The distinct (annotator, cell) pairs of the ratings, annotator first, and how many ratings each has."""
    if n_annotators * n_cells <= KEY_SLOTS:
        count = np.bincount(annotators * n_cells + cells, minlength=n_annotators * n_cells)
        present = np.flatnonzero(count)
        count = count[present]
    else:
        present, count = np.unique(annotators * n_cells + cells, return_counts=True)
    return present // n_cells, present % n_cells, count


def _per_annotator(
    annotators: np.ndarray,
    cells: np.ndarray,
    *,
    rows: np.ndarray,
    freq: np.ndarray,
    pairs,
    level: str,
    scale: np.ndarray | None,
    n_annotators: int,
) -> list[dict[str, Any]]:
    """Per annotator figures. A rating is a cell ``row * V + value`` of the distinct count rows:
    every figure of it depends on the item only through the item's row, so each annotator's
    ratings are first counted per cell, and the figures weigh each cell by that count."""
    n_rows, n_categories = rows.shape
    who, cell, count = _rated_cells(annotators, cells, n_annotators=n_annotators, n_cells=n_rows * n_categories)
    row, value = cell // n_categories, cell % n_categories
    totals = row_sums(rows)
    compared = totals[row] >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        agree = np.where(compared, (rows[row, value] - 1.0) / (totals[row] - 1.0), 0.0)
    ratings = np.bincount(who, weights=count, minlength=n_annotators)
    ratings_compared = np.bincount(who, weights=count * compared, minlength=n_annotators)
    agreed = np.bincount(who, weights=count * agree, minlength=n_annotators)

    defined = np.isfinite(pairs.cohen_kappa)
    kappa_weight = np.where(defined, pairs.n, 0).astype(np.float64)
    kappa_sum = np.where(defined, pairs.cohen_kappa * pairs.n, 0.0)
    weight_of = np.bincount(pairs.a, weights=kappa_weight, minlength=n_annotators)
    weight_of += np.bincount(pairs.b, weights=kappa_weight, minlength=n_annotators)
    kappa_of = np.bincount(pairs.a, weights=kappa_sum, minlength=n_annotators)
    kappa_of += np.bincount(pairs.b, weights=kappa_sum, minlength=n_annotators)

    # Alpha without one annotator: only the items they rated change, so their coincidences are
    # swapped for those of the same items less that annotator's rating, per cell times its count.
    everyone = coincidences(rows, freq)
    before = rows[row]
    after = before.copy()
    after[np.arange(row.size), value] -= 1.0
    bounds = np.searchsorted(who, np.arange(n_annotators + 1))
    entries = []
    for annotator in np.flatnonzero(ratings).tolist():
        mine = slice(bounds[annotator], bounds[annotator + 1])
        without = everyone - coincidences(before[mine], count[mine]) + coincidences(after[mine], count[mine])
        entry = {
            "annotator": int(annotator),
            "n": int(ratings[annotator]),
            "n_compared": int(ratings_compared[annotator]),
            "percent_agreement": (
                number(agreed[annotator] / ratings_compared[annotator]) if ratings_compared[annotator] else None
            ),
            "mean_kappa": number(kappa_of[annotator] / weight_of[annotator]) if weight_of[annotator] else None,
            "alpha_without": number(alpha_from_coincidences(without, level=level, scale=scale)),
        }
        if entry["percent_agreement"] is None:
            entry["reason"] = "shares no item with another annotator"
        entries.append(entry)
    return entries
