"""Drift statistics between a reference sample and a batch, with Evidently's defaults. Pure numpy/scipy.

Evidently picks the test from the reference's size and the column's type: up to 1000
reference rows, two-sample Kolmogorov-Smirnov for numeric columns, chi-square goodness of
fit (reference shares as expected) for categorical ones, a two-proportion z-test for binary
ones, drift at p < 0.05; for larger references, the Wasserstein distance normed by the
reference's standard deviation (numeric) and the Jensen-Shannon distance (categorical),
drift at >= 0.1. A numeric column with at most 5 distinct values is treated as categorical.
PSI is reported beside every test. Its current release does not import on pandas 3, so
these are written here on scipy, and tested against scipy and statsmodels.
"""

import math
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial import distance

NUMERIC_AS_CATEGORICAL_MAX_VALUES = 5
PSI_EMPTY_SHARE = 1e-4  # a bin empty on one side would make PSI infinite


def _finite(value: float | None) -> float | None:
    """JSON-safe float: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov: (statistic, p-value)."""
    result = stats.ks_2samp(reference, current)
    return float(result.statistic), float(result.pvalue)


def normed_wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """Wasserstein distance over the reference's standard deviation (floored at 0.001, as Evidently does)."""
    norm = max(float(np.std(reference)), 0.001)
    return float(stats.wasserstein_distance(reference, current)) / norm


def chisquare_test(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float | None, float]:
    """Chi-square goodness of fit of the batch's counts to the reference's shares: (statistic, p-value).

    A category the reference never saw has an expected count of 0, so any batch row in it
    is drift for certain: p = 0 and the statistic (infinite) is None.
    """
    reference_counts = np.asarray(reference_counts, dtype=float)
    current_counts = np.asarray(current_counts, dtype=float)
    expected = reference_counts * (current_counts.sum() / reference_counts.sum())
    if np.any((expected == 0) & (current_counts > 0)):
        return None, 0.0
    keep = expected > 0
    result = stats.chisquare(current_counts[keep], expected[keep])
    return _finite(result.statistic), float(result.pvalue)


def proportions_z_test(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float | None, float]:
    """Two-proportion z-test (pooled variance) on the share of the first category: (z, p-value two-sided)."""
    n1, n2 = float(np.sum(reference_counts)), float(np.sum(current_counts))
    p1, p2 = float(reference_counts[0]) / n1, float(current_counts[0]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:  # one category only, on both sides: nothing moved
        return 0.0, 1.0
    z = (p1 - p2) / math.sqrt(variance)
    return z, float(2 * stats.norm.sf(abs(z)))


def jensen_shannon(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log) between the two distributions over the same categories."""
    reference_shares = np.asarray(reference_counts, dtype=float) / np.sum(reference_counts)
    current_shares = np.asarray(current_counts, dtype=float) / np.sum(current_counts)
    return float(distance.jensenshannon(reference_shares, current_shares))


def psi(reference_shares: np.ndarray, current_shares: np.ndarray) -> float:
    """Population stability index: sum of (batch - reference) * ln(batch / reference) over bins."""
    reference_shares = np.where(np.asarray(reference_shares, float) == 0, PSI_EMPTY_SHARE, reference_shares)
    current_shares = np.where(np.asarray(current_shares, float) == 0, PSI_EMPTY_SHARE, current_shares)
    return float(np.sum((current_shares - reference_shares) * np.log(current_shares / reference_shares)))


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (PSI's usual bins), duplicates dropped."""
    inner = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(inner)


def binned_shares(values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Share of values per bin; bins are (-inf, e1), [e1, e2), ... [ek, inf)."""
    counts = np.bincount(np.searchsorted(inner_edges, values, side="right"), minlength=len(inner_edges) + 1)
    return counts / max(len(values), 1)


def _whole_numbers(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values) < 2**53) and np.all(np.mod(values, 1) == 0))


def numeric_histogram(reference: np.ndarray, current: np.ndarray, bins: int) -> dict[str, Any]:
    """Equal-width histogram over both samples' range, as shares, for the page's chart.

    Whole numbers (ratings, counts) get bins of whole numbers each, edges halfway between:
    equal widths that cut between them would leave some bins empty and others double.
    """
    low = float(min(reference.min(), current.min()))
    high = float(max(reference.max(), current.max()))
    labels: list[str] | None = None
    if _whole_numbers(reference) and _whole_numbers(current):
        span = int(high - low) + 1
        width = math.ceil(span / bins)
        starts = [int(low) + width * i for i in range(math.ceil(span / width))]
        edges = np.array([start - 0.5 for start in starts] + [starts[-1] + width - 0.5])
        labels = [str(start) if width == 1 else f"{start}\u2013{start + width - 1}" for start in starts]
    else:
        if high == low:
            high = low + 1.0
        edges = np.linspace(low, high, bins + 1)
    reference_counts, _ = np.histogram(reference, edges)
    current_counts, _ = np.histogram(current, edges)
    found = {
        "edges": [float(e) for e in edges],
        "reference": [float(c) / len(reference) for c in reference_counts],
        "batch": [float(c) / len(current) for c in current_counts],
    }
    if labels is not None:
        found["labels"] = labels
    return found


def numeric_drift(
    reference: np.ndarray,
    current: np.ndarray,
    *,
    method: str = "auto",
    small_reference_rows: int = 1000,
    p_value: float = 0.05,
    distance_threshold: float = 0.1,
    psi_threshold: float = 0.2,
    bins: int = 10,
) -> dict[str, Any]:
    """Drift of a numeric column (NaNs dropped by the caller); Evidently's choice of test under "auto"."""
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    if method == "auto":
        method = "ks" if len(reference) <= small_reference_rows else "wasserstein"
    edges = quantile_edges(reference, bins)
    psi_value = psi(binned_shares(reference, edges), binned_shares(current, edges))
    statistic: float | None
    found_p: float | None = None
    if method == "ks":
        statistic, found_p = ks_test(reference, current)
        threshold, drift = p_value, found_p < p_value
    elif method == "wasserstein":
        statistic = normed_wasserstein(reference, current)
        threshold, drift = distance_threshold, statistic >= distance_threshold
    elif method == "psi":
        statistic = psi_value
        threshold, drift = psi_threshold, psi_value >= psi_threshold
    else:
        raise ValueError(f"unknown numeric drift method {method!r}")
    return {
        "method": method,
        "statistic": _finite(statistic),
        "p_value": _finite(found_p),
        "threshold": threshold,
        "drift": bool(drift),
        "psi": _finite(psi_value),
        "reference_size": len(reference),
        "batch_size": len(current),
        "histogram": numeric_histogram(reference, current, bins),
    }


def categorical_drift(
    categories: list[Any],
    reference_counts: np.ndarray,
    current_counts: np.ndarray,
    *,
    method: str = "auto",
    small_reference_rows: int = 1000,
    p_value: float = 0.05,
    distance_threshold: float = 0.1,
    psi_threshold: float = 0.2,
) -> dict[str, Any]:
    """Drift of a categorical column from its counts per category (the union of both sides' values)."""
    reference_counts = np.asarray(reference_counts, dtype=float)
    current_counts = np.asarray(current_counts, dtype=float)
    reference_size, batch_size = int(reference_counts.sum()), int(current_counts.sum())
    if method == "auto":
        if reference_size <= small_reference_rows:
            method = "z" if len(categories) <= 2 else "chisquare"
        else:
            method = "jensenshannon"
    if method == "z" and len(categories) > 2:
        method = "chisquare"  # the z-test compares one share; more categories need chi-square
    reference_shares = reference_counts / max(reference_size, 1)
    current_shares = current_counts / max(batch_size, 1)
    psi_value = psi(reference_shares, current_shares)
    statistic: float | None
    found_p: float | None = None
    if method == "chisquare":
        statistic, found_p = chisquare_test(reference_counts, current_counts)
        threshold, drift = p_value, found_p < p_value
    elif method == "z":
        if len(categories) < 2:
            statistic, found_p = 0.0, 1.0
        else:
            statistic, found_p = proportions_z_test(reference_counts, current_counts)
        threshold, drift = p_value, found_p < p_value
    elif method == "jensenshannon":
        statistic = jensen_shannon(reference_counts, current_counts)
        threshold, drift = distance_threshold, statistic >= distance_threshold
    elif method == "psi":
        statistic = psi_value
        threshold, drift = psi_threshold, psi_value >= psi_threshold
    else:
        raise ValueError(f"unknown categorical drift method {method!r}")
    return {
        "method": method,
        "statistic": _finite(statistic),
        "p_value": _finite(found_p),
        "threshold": threshold,
        "drift": bool(drift),
        "psi": _finite(psi_value),
        "reference_size": reference_size,
        "batch_size": batch_size,
        "histogram": {
            "categories": list(categories),
            "reference": [float(s) for s in reference_shares],
            "batch": [float(s) for s in current_shares],
        },
    }
