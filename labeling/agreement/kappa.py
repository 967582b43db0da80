"""Fleiss' kappa, Gwet's AC1/AC2 and pairwise Cohen's kappa (plain and weighted). No Django.

All take counts or long-format rows over the project's full label domain, so a label
nobody used still counts (it matters for weighted kappa's distances and for AC2's weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from labeling.agreement._common import annotator_pairs, row_pairs
from labeling.agreement.alpha import interval_scale, row_sums

# Weighted kappa / AC2 weights per scale: ordinal distances are ranks (linear), interval
# distances are differences, whose square is the usual interval metric (quadratic).
SCALE_WEIGHTS = {"nominal": None, "ordinal": "linear", "interval": "quadratic"}


def fleiss_kappa(counts: np.ndarray, freq: np.ndarray | None = None) -> tuple[float, str | None]:
    """Fleiss' kappa of an (items, categories) count table of rated items, or NaN and why not.

    Defined only when every item has the same number (two or more) of ratings. ``freq``: how
    many items each row stands for (one each without it).
    """
    raters = row_sums(counts)
    rated = raters > 0
    counts = np.asarray(counts, dtype=np.float64)[rated]
    raters = raters[rated]
    weight = np.ones(raters.size) if freq is None else np.asarray(freq, dtype=np.float64)[rated]
    if counts.shape[0] == 0:
        return float("nan"), "no annotations"
    if not np.all(raters == raters[0]):
        return float("nan"), "items have different numbers of ratings"
    m = raters[0]
    if m < 2:
        return float("nan"), "every item has a single annotation"
    per_item = (row_sums(counts**2) - m) / (m * (m - 1.0))
    used = weight @ counts
    share = used / used.sum()
    chance = float((share**2).sum())
    if chance >= 1.0:
        return float("nan"), "all annotations agree and only one label was used: expected disagreement is zero"
    return (float(weight @ per_item / weight.sum()) - chance) / (1.0 - chance), None


def agreement_weights(n_categories: int, kind: str | None, scale: ArrayLike | None = None) -> np.ndarray:
    """Gwet's agreement weights (1 on the diagonal): identity, or linear or quadratic in the distance
    between the categories' values (``scale``; equally spaced codes without it) over their range."""
    if kind is None or n_categories < 2:
        return np.eye(n_categories)
    position = interval_scale(n_categories, scale)
    spread = position.max() - position.min()
    if spread == 0:
        return np.ones((n_categories, n_categories))
    distance = np.abs(position[:, None] - position[None, :]) / spread
    return 1.0 - (distance if kind == "linear" else distance**2)


def gwet_ac(
    counts: np.ndarray,
    *,
    weights: str | None = None,
    scale: ArrayLike | None = None,
    freq: np.ndarray | None = None,
) -> tuple[float, str | None]:
    """Gwet's AC1 (``weights=None``) or AC2 (``"linear"``/``"quadratic"``) with missing ratings.

    As in Gwet's Handbook of Inter-Rater Reliability (2014): observed agreement over items
    with two or more ratings, chance agreement ``T_w / (q (q - 1)) * sum(pi_k (1 - pi_k))``
    from the mean per-item shares ``pi`` over all rated items, ``q`` the size of the domain.
    ``freq``: how many items each row of ``counts`` stands for (one each without it).
    """
    counts = np.asarray(counts, dtype=np.float64)
    q = counts.shape[1]
    totals = row_sums(counts)
    weight = np.ones(totals.size) if freq is None else np.asarray(freq, dtype=np.float64)
    rated = totals > 0
    if not rated.any():
        return float("nan"), "no annotations"
    pairable = totals >= 2
    if not pairable.any():
        return float("nan"), "every item has a single annotation"
    if q < 2:
        return float("nan"), "the label domain has a single label"
    w = agreement_weights(q, weights, scale)
    paired = counts[pairable]
    m = totals[pairable]
    per_item = row_sums(paired * (paired @ w - 1.0)) / (m * (m - 1.0))
    observed = float(weight[pairable] @ per_item / weight[pairable].sum())
    shares = weight[rated] @ (counts[rated] / totals[rated, None]) / weight[rated].sum()
    chance = float(w.sum() / (q * (q - 1.0)) * (shares * (1.0 - shares)).sum())
    if chance >= 1.0:
        return float("nan"), "chance agreement is one"
    return (observed - chance) / (1.0 - chance), None


@dataclass(frozen=True)
class PairwiseKappa:
    """One entry per annotator pair that shares at least one item (arrays aligned by pair)."""

    a: np.ndarray
    b: np.ndarray
    n: np.ndarray
    percent_agreement: np.ndarray
    cohen_kappa: np.ndarray  # NaN where chance agreement is one
    weighted_kappa: np.ndarray | None  # None for nominal scales


def pairwise_kappa(
    items: np.ndarray,
    annotators: np.ndarray,
    values: np.ndarray,
    *,
    n_annotators: int,
    n_categories: int,
    weights: str | None = None,
    scale: ArrayLike | None = None,
) -> PairwiseKappa:
    """Cohen's kappa (and weighted kappa with ``"linear"``/``"quadratic"`` disagreement weights)
    for every annotator pair on the items both rated, vectorised over all pairs at once.

    Weighted kappa is ``1 - sum(w * observed) / sum(w * expected)`` with ``w`` the distance
    between the categories' values (or its square) over the full domain: their codes by default,
    as scikit-learn's ``cohen_kappa_score`` computes it with ``labels=`` the domain, or ``scale``,
    as statsmodels' ``cohens_kappa`` does with the category values as ``weights``.
    """
    first, second = row_pairs(items, annotators)
    pair_a, pair_b, pair = annotator_pairs(annotators[first], annotators[second], n_annotators=n_annotators)
    n_pairs, k = pair_a.size, n_categories
    va, vb = values[first], values[second]
    n = np.bincount(pair, minlength=n_pairs).astype(np.float64)
    agree = np.bincount(pair, weights=(va == vb).astype(np.float64), minlength=n_pairs)
    left = np.bincount(pair * k + va, minlength=n_pairs * k).reshape(n_pairs, k) / np.maximum(n, 1)[:, None]
    right = np.bincount(pair * k + vb, minlength=n_pairs * k).reshape(n_pairs, k) / np.maximum(n, 1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = agree / n
        chance = (left * right).sum(axis=1)
        kappa = np.where(chance < 1.0, (observed - chance) / (1.0 - chance), np.nan)
        weighted = None
        if weights is not None:
            position = interval_scale(k, scale)
            distance = np.abs(position[:, None] - position[None, :])
            if weights == "quadratic":
                distance = distance**2
            step = np.abs(position[va] - position[vb])
            seen = np.bincount(pair, weights=step**2 if weights == "quadratic" else step, minlength=n_pairs) / n
            expected = ((left @ distance) * right).sum(axis=1)
            weighted = np.where(expected > 0, 1.0 - seen / expected, np.nan)
    return PairwiseKappa(
        a=pair_a, b=pair_b, n=n.astype(np.int64), percent_agreement=observed, cohen_kappa=kappa, weighted_kappa=weighted
    )
