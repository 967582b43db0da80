"""Statistics of values that are sets (multi-label: a set of labels; spans: a set of
``(start, end, label)`` character spans) on coded arrays: no database, no Django, vectorised.

A value is a code ``0..n-1`` (``-1``: none) whose elements are listed in ``Elements``. Two
values compared give, per label, the elements both hold (true positives), the reference's
alone (false negatives) and the other's alone (false positives), and whether they are equal
whole. Every figure derives from the sums of those counts over the compared units (items,
or annotations), so a bootstrap is a multinomial resample of the distinct count rows, as the
single-label evaluation resamples the cells of a confusion matrix.
"""

from dataclasses import dataclass

import numpy as np

from labeling.models_eval.metrics import BOOTSTRAP, CONFIDENCE_LEVEL

RESAMPLE_CHUNK = 100  # resamples drawn at a time: bounded memory whatever the number of distinct rows


@dataclass(frozen=True)
class Elements:
    """The elements of every value code, grouped by code: those of code ``c`` are
    ``start[offsets[c]:offsets[c + 1]]`` (and ``end``, ``label`` alike). Multi-label values
    hold elements with start = end = 0; no value holds an element twice."""

    offsets: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray

    @property
    def n_values(self) -> int:
        return len(self.offsets) - 1


def elements_from_lists(values: list[list[tuple[int, int, int]]]) -> Elements:
    """``Elements`` of values given as lists of distinct ``(start, end, label)`` triples, code = position."""
    sizes = np.array([len(v) for v in values], dtype=np.int64)
    flat = np.array([e for v in values for e in v], dtype=np.int64).reshape(-1, 3)
    return Elements(
        offsets=np.concatenate(([0], np.cumsum(sizes))),
        start=flat[:, 0],
        end=flat[:, 1],
        label=flat[:, 2],
    )


def _order_by(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort`` of non-negative integer keys, first key first: by one sort of a combined key
    when it fits in 63 bits (several times faster on millions of rows)."""
    spans = [int(key.max()) + 1 if len(key) else 1 for key in keys]
    if float(np.prod([float(span) for span in spans])) >= 2.0**62:
        return np.lexsort(keys[::-1])
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for key, span in zip(keys, spans, strict=True):
        combined = combined * span + key
    return np.argsort(combined, kind="stable")


def _ranked(items: np.ndarray, values: np.ndarray, n_items: int) -> tuple[np.ndarray, ...]:
    """Per item, its most frequent value and count, the second's, and the third count (-1, 0: none)."""
    keep = values >= 0
    items, values = items[keep], values[keep]
    first_value = np.full(n_items, -1, dtype=np.int64)
    second_value = np.full(n_items, -1, dtype=np.int64)
    counts = np.zeros((3, n_items), dtype=np.int64)
    if not len(items):
        return first_value, counts[0], second_value, counts[1], counts[2]
    order = _order_by(items, values)
    items, values = items[order], values[order]
    starts = np.flatnonzero(np.concatenate(([True], (items[1:] != items[:-1]) | (values[1:] != values[:-1]))))
    run_item, run_value = items[starts], values[starts]
    run_count = np.diff(np.concatenate((starts, [len(items)])))
    most = int(run_count.max())
    order = _order_by(run_item, most - run_count, run_value)  # per item: most votes first, then the lowest code
    run_item, run_value, run_count = run_item[order], run_value[order], run_count[order]
    first = np.concatenate(([True], run_item[1:] != run_item[:-1]))
    rank = np.arange(len(run_item)) - np.maximum.accumulate(np.where(first, np.arange(len(run_item)), 0))
    for place in range(3):
        at = rank == place
        counts[place, run_item[at]] = run_count[at]
    first_value[run_item[rank == 0]] = run_value[rank == 0]
    second_value[run_item[rank == 1]] = run_value[rank == 1]
    return first_value, counts[0], second_value, counts[1], counts[2]


def whole_majority(items: np.ndarray, values: np.ndarray, *, n_items: int) -> np.ndarray:
    """Each item's value with strictly the most votes, values compared whole (-1: no vote, or a tie)."""
    top, top_count, _, second_count, _ = _ranked(items, values, n_items)
    return np.where((top_count > second_count) & (top_count > 0), top, -1)


def others_whole_majority(items: np.ndarray, values: np.ndarray, *, n_items: int) -> np.ndarray:
    """For each annotation, the value with strictly the most votes among the OTHER annotations of
    its item (-1: none, or a tie): nobody is measured against their own vote."""
    top, c1, second, c2, c3 = _ranked(items, values, n_items)
    top, c1, second, c2, c3 = top[items], c1[items], second[items], c2[items], c3[items]
    own_top = (values == top) & (values >= 0)
    own_second = (values == second) & (values >= 0)
    if_top = np.where(c1 - 1 > c2, top, np.where((c2 == c1) & (c2 > c3), second, -1))
    if_second = np.where(c1 > c3, top, -1)
    otherwise = np.where(c1 > c2, top, -1)
    return np.where(own_top, if_top, np.where(own_second, if_second, otherwise))


@dataclass(frozen=True)
class UnitCounts:
    """The counts of every compared unit (a pair of values), held as the few distinct count rows:
    ``rows`` (exact, then tp, fn and fp per label: what figures sum) and each unit's row ``group``."""

    rows: np.ndarray
    group: np.ndarray
    n_labels: int

    def weights(self, units: np.ndarray | None = None) -> np.ndarray:
        """How many of the units (all, or those of a boolean mask) hold each distinct row."""
        group = self.group if units is None else self.group[units]
        return np.bincount(group, minlength=len(self.rows))

    def exact(self) -> np.ndarray:
        return self.rows[self.group, 0] > 0

    def errors(self) -> np.ndarray:
        """Per unit, the elements found on one side only (false negatives and false positives)."""
        return self.rows[:, 1 + self.n_labels :].sum(axis=1)[self.group]


def _exploded(codes: np.ndarray, elements: Elements) -> tuple[np.ndarray, np.ndarray]:
    """(pair index, element index) of every element of every pair's value."""
    lows = elements.offsets[codes]
    sizes = elements.offsets[codes + 1] - lows
    pair = np.repeat(np.arange(len(codes)), sizes)
    within = np.arange(len(pair)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return pair, np.repeat(lows, sizes) + within


def _per_label(pair: np.ndarray, label: np.ndarray, n_pairs: int, n_labels: int) -> np.ndarray:
    return np.bincount(pair * n_labels + label, minlength=n_pairs * n_labels).reshape(n_pairs, n_labels)


def pair_counts(reference: np.ndarray, given: np.ndarray, elements: Elements, *, n_labels: int) -> UnitCounts:
    """Counts of each (reference, given) pair of value codes (both >= 0), computed once per distinct pair."""
    reference, given = np.asarray(reference, np.int64), np.asarray(given, np.int64)
    keys, inverse = np.unique(reference * elements.n_values + given, return_inverse=True)
    ref, giv = keys // elements.n_values, keys % elements.n_values
    n = len(keys)
    ref_pair, ref_element = _exploded(ref, elements)
    giv_pair, giv_element = _exploded(giv, elements)
    n_ref = _per_label(ref_pair, elements.label[ref_element], n, n_labels)
    n_giv = _per_label(giv_pair, elements.label[giv_element], n, n_labels)
    pair = np.concatenate((ref_pair, giv_pair))
    element = np.concatenate((ref_element, giv_element))
    start, end, label = elements.start[element], elements.end[element], elements.label[element]
    order = np.lexsort((label, end, start, pair))
    pair, start, end, label = pair[order], start[order], end[order], label[order]
    same = (pair[1:] == pair[:-1]) & (start[1:] == start[:-1]) & (end[1:] == end[:-1]) & (label[1:] == label[:-1])
    tp = _per_label(pair[1:][same], label[1:][same], n, n_labels)  # a value holds an element once: a match is a pair
    rows = np.column_stack([(ref == giv).astype(np.int64), tp, n_ref - tp, n_giv - tp]).reshape(n, 1 + 3 * n_labels)
    distinct, of_pair = np.unique(rows, axis=0, return_inverse=True) if n else (rows, np.zeros(0, np.int64))
    return UnitCounts(rows=distinct, group=of_pair.reshape(-1)[inverse.reshape(-1)], n_labels=n_labels)


@dataclass(frozen=True)
class SetScores:
    """Figures of summed count rows (leading axes kept): NaN where undefined, as scikit-learn
    with ``zero_division=np.nan``. Kappa, subset accuracy and Hamming loss treat each label as
    a yes/no decision per unit (multi-label); ``exact`` is the share of units equal whole."""

    n: np.ndarray
    tp: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    kappa: np.ndarray
    micro_precision: np.ndarray
    micro_recall: np.ndarray
    micro_f1: np.ndarray
    macro_f1: np.ndarray
    mean_kappa: np.ndarray
    exact: np.ndarray
    hamming_loss: np.ndarray


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)


def _nanmean(values: np.ndarray) -> np.ndarray:
    defined = np.isfinite(values)
    return _ratio(np.where(defined, values, 0).sum(axis=-1), defined.sum(axis=-1).astype(np.float64))


def set_scores(totals: np.ndarray, n: np.ndarray | int, *, n_labels: int) -> SetScores:
    """Figures from ``totals`` (..., 1 + 3k): summed ``PairCounts.rows()`` of ``n`` units."""
    totals = np.asarray(totals, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    k = n_labels
    exact, tp, fn, fp = totals[..., 0], totals[..., 1 : 1 + k], totals[..., 1 + k : 1 + 2 * k], totals[..., 1 + 2 * k :]
    tn = n[..., None] - tp - fn - fp
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    with np.errstate(invalid="ignore", divide="ignore"):
        seen = n[..., None] * n[..., None]
        agree = _ratio(tp + tn, n[..., None])
        chance = _ratio((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn), seen)
        kappa = np.where(chance < 1, (agree - chance) / (1 - chance), np.nan)
    all_tp, all_fn, all_fp = tp.sum(axis=-1), fn.sum(axis=-1), fp.sum(axis=-1)
    return SetScores(
        n=n,
        tp=tp,
        fn=fn,
        fp=fp,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=f1,
        kappa=kappa,
        micro_precision=_ratio(all_tp, all_tp + all_fp),
        micro_recall=_ratio(all_tp, all_tp + all_fn),
        micro_f1=_ratio(2 * all_tp, 2 * all_tp + all_fp + all_fn),
        macro_f1=_nanmean(f1),
        mean_kappa=_nanmean(kappa),
        exact=_ratio(exact, n),
        hamming_loss=_ratio(all_fn + all_fp, n * k),
    )


def bootstrap_set_scores(
    distinct: np.ndarray, weights: np.ndarray, *, n_labels: int, rng: np.random.Generator, resamples: int = BOOTSTRAP
) -> SetScores:
    """The figures of ``resamples`` multinomial redraws of the units (with replacement)."""
    keep = weights > 0
    distinct, weights = distinct[keep], weights[keep]
    total = int(weights.sum())
    draws = []
    for done in range(0, resamples, RESAMPLE_CHUNK):
        size = min(RESAMPLE_CHUNK, resamples - done)
        drawn = rng.multinomial(total, weights / total, size=size)
        draws.append(drawn @ distinct)
    return set_scores(np.concatenate(draws), np.full(resamples, total), n_labels=n_labels)


def percentile_bounds(values: np.ndarray) -> np.ndarray:
    """Percentile interval over the first axis (resamples): shape (2, ...); NaN where never defined."""
    tail = (1 - CONFIDENCE_LEVEL) / 2 * 100
    values = np.asarray(values, dtype=np.float64)
    defined = np.isfinite(values).any(axis=0)
    safe = np.where(defined, values, 0.0)  # a figure never defined: any number, masked below
    bounds = np.nanpercentile(safe, [tail, 100 - tail], axis=0)
    return np.where(defined, bounds, np.nan)
