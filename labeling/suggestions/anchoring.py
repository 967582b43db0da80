"""How much a model's suggestion pulls the labels: agreement with the model and between people,
for annotations made with the suggestion on screen and without it (the holdout), with
bootstrap intervals. No Django: fed arrays, one entry per annotation.

The two groups differ only by the hash that withheld the suggestion, so a gap between them is
the suggestion's effect: people agreeing with the model more when they see it is anchoring
(or the model helping them); agreeing with each other more only when they see it means the
agreement figures of the project measure the model as much as the people. The bootstrap
resamples items, not annotations: the labels of one item are not independent.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

N_RESAMPLES = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class Figure:
    """A share with its bootstrap interval, and how many it is counted over."""

    value: float | None
    low: float | None
    high: float | None
    n: int  # annotations (agreement with the model) or pairs (between people)
    items: int

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n, "items": self.items}


def _per_item(items: np.ndarray, hits: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``hits`` and ``counts`` per distinct item (the bootstrap's unit)."""
    index, _ = pd.factorize(items)  # hashing, not sorting: a few million items in a fraction of a second
    return np.bincount(index, weights=hits), np.bincount(index, weights=counts)


def _resampled_ratios(hits: np.ndarray, counts: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """sum(hits) / sum(counts) of ``resamples`` resamples of the clusters, drawn with replacement
    (NaN where a resample counts nothing).

    Clusters with the same (hits, counts) are interchangeable, and an item holds a handful of
    labels, so there are few distinct pairs: drawing n clusters with replacement is drawing how
    many of each pair, a multinomial. Exactly the same distribution as resampling clusters one
    by one, at a cost that does not grow with the number of items.
    """
    width = int(counts.max()) + 1  # hits and counts are whole numbers: one integer key per pair
    keys, frequency = np.unique(hits.astype(np.int64) * width + counts.astype(np.int64), return_counts=True)
    drawn = rng.multinomial(len(counts), frequency / frequency.sum(), size=resamples)
    h, c = drawn @ (keys // width), drawn @ (keys % width)
    return np.divide(h, c, out=np.full(resamples, np.nan), where=c > 0)


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def ratio_interval(
    hits: np.ndarray, counts: np.ndarray, *, seed: int = 0, resamples: int = N_RESAMPLES, level: float = LEVEL
) -> tuple[float | None, float | None, float | None]:
    """sum(hits) / sum(counts) over clusters, with the percentile interval of resampled clusters."""
    if len(counts) == 0 or counts.sum() == 0:
        return None, None, None
    ratios = _resampled_ratios(hits, counts, np.random.default_rng(seed), resamples)
    return float(hits.sum() / counts.sum()), *_percentiles(ratios[~np.isnan(ratios)], level)


def _figure(items: np.ndarray, hits: np.ndarray, counts: np.ndarray, seed: int) -> Figure:
    if len(items) == 0:
        return Figure(value=None, low=None, high=None, n=0, items=0)
    item_hits, item_counts = _per_item(items, hits, counts)
    keep = item_counts > 0
    value, low, high = ratio_interval(item_hits[keep], item_counts[keep], seed=seed)
    return Figure(value=value, low=low, high=high, n=int(counts.sum()), items=int(keep.sum()))


def _pairs(items: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: agreeing pairs of annotations and all pairs (sum over values of c(c-1)/2).
    ``values``: integer codes."""
    if len(items) == 0:
        return np.array([], dtype=np.int64), np.array([]), np.array([])
    item_index, item_keys = pd.factorize(items)
    width = int(values.max()) + 1
    cells, per_cell = np.unique(item_index.astype(np.int64) * width + values, return_counts=True)
    agreeing = np.bincount(cells // width, weights=per_cell * (per_cell - 1) / 2, minlength=len(item_keys))
    sizes = np.bincount(item_index, minlength=len(item_keys)).astype(float)
    return item_keys, agreeing, sizes * (sizes - 1) / 2


@dataclass(frozen=True)
class Condition:
    """The figures of one group of annotations (suggestion shown, or withheld)."""

    with_model: Figure
    between_people: Figure

    def as_json(self) -> dict[str, Any]:
        return {
            "agreement_with_model": self.with_model.as_json(),
            "agreement_between_people": self.between_people.as_json(),
        }


def condition_figures(*, items: np.ndarray, values: np.ndarray, suggested: np.ndarray, seed: int = 0) -> Condition:
    """``values`` and ``suggested``: one integer code per annotation (equal codes, equal values)."""
    agree = (values == suggested).astype(float)
    with_model = _figure(items, agree, np.ones(len(items)), seed)
    pair_items, agreeing, pairs = _pairs(items, values)
    between = _figure(pair_items, agreeing, pairs, seed + 1)
    return Condition(with_model=with_model, between_people=between)


def difference_interval(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], *, seed: int = 0, resamples: int = N_RESAMPLES
) -> tuple[float | None, float | None, float | None]:
    """ratio(a) - ratio(b) for two independent groups of clusters (hits, counts), with its interval."""
    (ha, ca), (hb, cb) = a, b
    if not ca.sum() or not cb.sum():
        return None, None, None
    rng = np.random.default_rng(seed)
    # Each group resampled on its own; a resample whose ratio is undefined in either is dropped.
    diffs = _resampled_ratios(ha, ca, rng, resamples) - _resampled_ratios(hb, cb, rng, resamples)
    diffs = diffs[~np.isnan(diffs)]
    return float(ha.sum() / ca.sum() - hb.sum() / cb.sum()), *_percentiles(diffs, LEVEL)


def anchoring_report(
    *, items: np.ndarray, shown: np.ndarray, values: np.ndarray, suggested: np.ndarray, seed: int = 0
) -> dict[str, Any]:
    """Both groups' figures and the gap in agreement with the model (shown minus withheld).

    ``values`` and ``suggested``: one comparable value per annotation (text, or codes)."""
    codes, _ = pd.factorize(np.concatenate([values, suggested]))
    values, suggested = codes[: len(values)], codes[len(values) :]
    groups = {}
    per_item = {}
    for name, mask in (("shown", shown), ("withheld", ~shown)):
        groups[name] = condition_figures(items=items[mask], values=values[mask], suggested=suggested[mask], seed=seed)
        if mask.any():
            per_item[name] = _per_item(
                items[mask], (values[mask] == suggested[mask]).astype(float), np.ones(mask.sum())
            )
        else:
            per_item[name] = (np.array([]), np.array([]))
    gap, low, high = difference_interval(per_item["shown"], per_item["withheld"], seed=seed + 2)
    return {
        "shown": groups["shown"].as_json(),
        "withheld": groups["withheld"].as_json(),
        "model_agreement_gap": {"value": gap, "low": low, "high": high},
        "level": LEVEL,
        "resamples": N_RESAMPLES,
    }
