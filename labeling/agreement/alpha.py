"""Krippendorff's alpha from per-unit value counts, and its bootstrap interval over units. No Django.

Alpha is ``1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck)`` over the coincidence
matrix ``o`` of pairable values (units with two or more values). Since the diagonal of any
distance is zero, ``sum(o_ck * d_ck)`` is a sum over units of
``sum(n_uc * n_uk * d_ck) / (m_u - 1)``, so a unit's share of the observed disagreement is a
number fixed by its own counts (nominal, interval, or any fixed distance), and the expected
disagreement only needs the pooled counts ``n_c``. The point estimate and every bootstrap
resample are the same weighted sums: the point estimate weighs each unit once, a resample
weighs it by how often it was drawn. Units with identical counts are merged first, so
resampling 200,000 items of five ratings over five labels works on about a hundred rows.

The ordinal distance depends on the pooled counts (``d_ck = (y_k - y_c)^2`` with ``y`` the
mid-rank of each category), so for it the per-unit share is recomputed from the unit counts
for each resample's ``y``: still one matrix product per batch of resamples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from labeling.agreement._common import LEVELS

# Resamples are drawn in batches of about this many (resample x unit) cells, to bound memory.
BATCH_CELLS = 2_000_000
# Row keys below this many possible values are counted into slots instead of sorted.
KEY_SLOTS = 10_000_000


@dataclass(frozen=True)
class AlphaUnits:
    """Pairable units (or clusters of units) ready for alpha and its bootstrap.

    ``counts`` (P, V): pairable values per category; ``totals`` (P,): pairable values;
    ``freq`` (P,): how many identical units a row stands for; ``disagreement`` (P,): the
    unit's ``sum(n_c * n_k * d_ck) / (m - 1)`` for a fixed distance, None for ordinal;
    ``delta`` (V, V): the distance, None for nominal (0/1) and ordinal. ``level`` is
    "nominal", "ordinal", "interval", or any other name for a fixed ``delta`` (MASI).
    """

    counts: np.ndarray | sparse.csr_matrix
    totals: np.ndarray
    freq: np.ndarray
    level: str
    disagreement: np.ndarray | None = None
    delta: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.freq.shape[0])


def item_counts(items: np.ndarray, values: np.ndarray, *, n_items: int, n_categories: int) -> np.ndarray:
    """(n_items, n_categories) int64: how many ratings of each category each item got."""
    flat = np.bincount(items * n_categories + values, minlength=n_items * n_categories)
    return flat.reshape(n_items, n_categories)


def row_sums(matrix: np.ndarray) -> np.ndarray:
    """Row sums as float64 (a matrix-vector product: far faster than ``sum(axis=1)`` on narrow arrays)."""
    return np.asarray(matrix, dtype=np.float64) @ np.ones(matrix.shape[1])


def coincidences(counts: np.ndarray, freq: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's (V, V) coincidence matrix of the units (rows) with two or more values.

    ``o_ck = sum_u f_u * (n_uc * n_uk - [c == k] * n_uc) / (m_u - 1)``, with ``f_u`` how many
    units the row stands for (``freq``; one each without it).
    """
    counts = np.asarray(counts, dtype=np.float64)
    totals = row_sums(counts)
    keep = totals >= 2
    paired = counts[keep]
    share = 1.0 / (totals[keep] - 1.0)
    if freq is not None:
        share = share * np.asarray(freq, dtype=np.float64)[keep]
    scaled = paired * share[:, None]
    return scaled.T @ paired - np.diag(np.ones(paired.shape[0]) @ scaled)


def interval_scale(size: int, scale: ArrayLike | None = None) -> np.ndarray:
    """The value of each category on an interval scale: ``scale`` as given, else equally spaced codes."""
    if scale is None:
        return np.arange(size, dtype=np.float64)
    values = np.asarray(scale, dtype=np.float64)
    if values.shape != (size,) or not np.all(np.isfinite(values)):
        raise ValueError(f"scale must hold {size} finite numbers, one per category")
    return values


def distances(pooled: np.ndarray, level: str, scale: ArrayLike | None = None) -> np.ndarray:
    """(V, V) squared distances of a level; ordinal ones depend on the pooled value counts.

    ``scale`` gives each category's value on an interval scale (a 1-5 rating whose labels are
    1, 2, 4, 8 is not equally spaced); without it categories are one apart.
    """
    size = pooled.shape[0]
    if level == "nominal":
        return 1.0 - np.eye(size)
    position = interval_scale(size, scale) if level == "interval" else np.cumsum(pooled) - pooled / 2.0
    return (position[:, None] - position[None, :]) ** 2


def alpha_from_coincidences(matrix: np.ndarray, *, level: str, scale: ArrayLike | None = None) -> float:
    """Alpha of a coincidence matrix (NaN when fewer than two values occur)."""
    pooled = matrix.sum(axis=1)
    if (pooled > 0).sum() < 2:
        return float("nan")
    delta = distances(pooled, level, scale)
    expected = float(pooled @ delta @ pooled)
    return 1.0 - (pooled.sum() - 1.0) * float((matrix * delta).sum()) / expected


def _row_keys(counts: np.ndarray) -> tuple[np.ndarray, int | None]:
    """One int64 key per row: exact mixed-radix digits in ``base`` when they fit in 62 bits,
    else a multiplicative hash (``base`` None) that callers check, since sorting rows themselves
    is an order of magnitude slower than sorting one integer per row."""
    base = int(counts.max()) + 1
    width = counts.shape[1]
    if width * np.log2(max(base, 2)) < 62:
        return counts @ (base ** np.arange(width, dtype=np.int64)), base
    multipliers = np.random.default_rng(0).integers(1, 2**62, size=width, dtype=np.int64) | 1
    with np.errstate(over="ignore"):
        return counts.astype(np.int64) @ multipliers, None


def merge_identical(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a non-negative int matrix: the index of one row per distinct row, and how often each occurs.

    Distinct rows come in the order of their keys (``_row_keys``), falling back to sorting
    whole rows on a hash collision.
    """
    if counts.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys, base = _row_keys(counts)
    if base is not None:
        _, first, freq = np.unique(keys, return_index=True, return_counts=True)
        return first, freq
    _, first, inverse, freq = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    if np.array_equal(counts[first][inverse.ravel()], counts):
        return first, freq
    _, first, freq = np.unique(counts, axis=0, return_index=True, return_counts=True)
    return first, freq


def distinct_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a non-negative int matrix: its distinct rows, each row's index among them, and how
    often each occurs, with the distinct rows in the same order as ``merge_identical`` gives them.

    When there are few possible exact keys (a million items of three ratings over five labels
    have 4^5) they are counted into slots instead of sorted, and the rows read back from them.
    """
    if counts.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return counts[:0], empty, empty
    keys, base = _row_keys(counts)
    width = counts.shape[1]
    if base is not None and base**width <= KEY_SLOTS:
        freq = np.bincount(keys, minlength=base**width)
        present = np.flatnonzero(freq)
        slot = np.zeros(freq.size, dtype=np.int64)
        slot[present] = np.arange(present.size)
        rows = present[:, None] // (base ** np.arange(width, dtype=np.int64))[None, :] % base
        return rows.astype(counts.dtype), slot[keys], freq[present]
    _, first, inverse, freq = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    if base is None and not np.array_equal(counts[first][inverse], counts):
        _, first, inverse, freq = np.unique(counts, axis=0, return_index=True, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
    return counts[first], inverse, freq


def units_from_counts(
    counts: np.ndarray, *, level: str, merge: bool = True, scale: ArrayLike | None = None
) -> AlphaUnits:
    """Alpha units from an (items, categories) count matrix; items under two ratings drop out.

    ``scale``: the categories' values for the interval level (see ``distances``).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    totals = row_sums(counts)
    counts = counts[totals >= 2]
    if merge:
        first, freq = merge_identical(counts)
        counts = counts[first]
    else:
        freq = np.ones(counts.shape[0], dtype=np.int64)
    return units_from_rows(counts, freq, level=level, scale=scale)


def units_from_rows(counts: np.ndarray, freq: np.ndarray, *, level: str, scale: ArrayLike | None = None) -> AlphaUnits:
    """Alpha units from count rows that stand for ``freq`` items each; rows under two ratings drop out."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    keep = row_sums(counts) >= 2
    counts = np.asarray(counts)[keep].astype(np.float64)
    freq = np.asarray(freq)[keep].astype(np.float64)
    totals = row_sums(counts)
    if level == "ordinal":
        return AlphaUnits(counts=counts, totals=totals, freq=freq, level=level)
    if level == "nominal":
        pairs = totals**2 - row_sums(counts**2)
        delta = None
    else:
        position = interval_scale(counts.shape[1], scale)
        pairs = 2.0 * (totals * (counts @ position**2) - (counts @ position) ** 2)
        delta = (position[:, None] - position[None, :]) ** 2
    return AlphaUnits(
        counts=counts,
        totals=totals,
        freq=freq,
        level=level,
        disagreement=pairs / (totals - 1.0) if counts.shape[0] else np.zeros(0),
        delta=delta,
    )


def _pooled(units: AlphaUnits, weights: np.ndarray) -> np.ndarray:
    if sparse.issparse(units.counts):
        return np.asarray((units.counts.T @ weights.T).T)
    return weights @ units.counts


def alpha_values(units: AlphaUnits, weights: np.ndarray) -> np.ndarray:
    """Alpha for each row of ``weights`` (b, P): NaN where expected disagreement is zero."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    pooled = _pooled(units, weights)  # (b, V)
    n = pooled.sum(axis=1)
    if units.level == "ordinal":
        mid = np.cumsum(pooled, axis=1) - pooled / 2.0  # (b, V) mid-ranks
        expected = 2.0 * (n * (pooled * mid**2).sum(axis=1) - (pooled * mid).sum(axis=1) ** 2)
        first = units.counts @ mid.T  # (P, b)
        second = units.counts @ (mid**2).T
        per_unit = 2.0 * (units.totals[:, None] * second - first**2) / (units.totals[:, None] - 1.0)
        observed = np.einsum("bp,pb->b", weights, per_unit)
    else:
        if units.delta is None:
            expected = n**2 - (pooled**2).sum(axis=1)
        else:
            expected = ((pooled @ units.delta) * pooled).sum(axis=1)
        observed = weights @ units.disagreement
    defined = ((pooled > 0).sum(axis=1) >= 2) & (expected > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(defined, alpha, np.nan)


def alpha_point(units: AlphaUnits) -> float:
    """Alpha of the units as given (NaN when undefined)."""
    if units.size == 0:
        return float("nan")
    return float(alpha_values(units, units.freq[None, :])[0])


def _draw_weights(rng: np.random.Generator, freq: np.ndarray, total: int, batch: int) -> np.ndarray:
    """``batch`` resamples of ``total`` units with replacement, as draw counts per merged row."""
    if freq.size * 8 < total:
        return rng.multinomial(total, freq / total, size=batch).astype(np.float64)
    row_of_unit = np.repeat(np.arange(freq.size), freq.astype(np.int64))
    picks = row_of_unit[rng.integers(0, total, size=(batch, total))]
    picks += (np.arange(batch) * freq.size)[:, None]
    drawn = np.bincount(picks.ravel(), minlength=batch * freq.size)
    return drawn.reshape(batch, freq.size).astype(np.float64)


def bootstrap_interval(
    units: AlphaUnits, *, resamples: int, seed: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Percentile interval of alpha over resamples of the units (with replacement, same count).

    Resamples whose alpha is undefined (all values in one category) are left out; None when
    fewer than half of them are defined or there are under two units to resample.
    """
    total = int(np.rint(units.freq.sum()))
    if resamples <= 0 or total < 2:
        return None
    rng = np.random.default_rng(seed)
    batch = max(1, BATCH_CELLS // max(units.size, 1))
    if units.freq.size * 8 >= total:
        batch = max(1, BATCH_CELLS // max(total, 1))
    draws = []
    done = 0
    while done < resamples:
        size = min(batch, resamples - done)
        draws.append(alpha_values(units, _draw_weights(rng, units.freq, total, size)))
        done += size
    alphas = np.concatenate(draws)
    alphas = alphas[np.isfinite(alphas)]
    if alphas.size * 2 < resamples:
        return None
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(alphas, [tail, 1.0 - tail])
    return float(low), float(high)


def interval_or_reason(
    units: AlphaUnits, *, alpha: float, bootstrap: int, seed: int
) -> tuple[list[float] | None, str | None]:
    """The bootstrap interval as ``[lo, hi]``, or None and why."""
    if not np.isfinite(alpha):
        return None, "alpha is undefined"
    if bootstrap <= 0:
        return None, "no bootstrap was requested"
    interval = bootstrap_interval(units, resamples=bootstrap, seed=seed)
    if interval is None:
        return None, "too few items to resample, or most resamples have a single label"
    return [float(interval[0]), float(interval[1])], None


def krippendorff_alpha(
    items: ArrayLike,
    values: ArrayLike,
    *,
    n_items: int,
    n_categories: int,
    level: str = "nominal",
    scale: ArrayLike | None = None,
) -> float:
    """Alpha of long-format ratings (one per item and annotator); NaN when undefined."""
    items = np.asarray(items, dtype=np.int64)
    counts = item_counts(items, np.asarray(values, dtype=np.int64), n_items=n_items, n_categories=n_categories)
    return alpha_point(units_from_counts(counts, level=level, scale=scale))


def one_vs_rest_alpha(counts: np.ndarray, freq: np.ndarray | None = None) -> np.ndarray:
    """Nominal alpha of each category against all others (binary per category), NaN where undefined.

    For binary data a unit's disagreement is ``2 * a * (m - a) / (m - 1)`` with ``a`` the
    unit's count of the category, so all categories come out of one pass over the counts.
    ``freq``: how many units each row stands for (one each without it).
    """
    totals = row_sums(counts)
    pairable = totals >= 2
    counts = counts[pairable].astype(np.float64)
    totals = totals[pairable]
    if counts.shape[0] == 0:
        return np.full(counts.shape[1], np.nan)
    weight = np.ones(totals.size) if freq is None else np.asarray(freq, dtype=np.float64)[pairable]
    n = weight @ totals
    observed = weight @ (2.0 * counts * (totals[:, None] - counts) / (totals[:, None] - 1.0))
    used = weight @ counts
    expected = 2.0 * used * (n - used)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(expected > 0, alpha, np.nan)
