"""The agreement report of a span project: pairwise span F1 and token-level alpha. No Django.

For two annotations of the same item, a span is matched *exactly* when the other has the
same start, end and label, and *by overlap* when the other has a span of the same label
sharing at least one character. F1 over both sides is the share of all spans of the two
annotations that are matched: ``2 * tp / (|A| + |B|)`` for exact matches, and
``(matched in A + matched in B) / (|A| + |B|)`` for overlap, summed over every pair of
annotations on a shared item before dividing (micro average).

Token alpha splits each text on whitespace; a token's category, per annotation, is the
label of a span that overlaps it (the lowest label code when several do) or "outside".
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from labeling.agreement._common import NO_ANNOTATIONS, SINGLE_ANNOTATIONS, as_codes, check_size, number, row_pairs
from labeling.agreement._common import annotator_pairs as group_pairs
from labeling.agreement.alpha import AlphaUnits, alpha_point, interval_or_reason, item_counts

TOKEN = re.compile(r"\S+")
NO_SPANS = "the compared annotations have no spans"


def _pairs_within_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j), i < j, of every two entries of a sorted key array that share a key."""
    firsts, seconds = [], []
    offset = 1
    while offset < keys.size:
        same = np.flatnonzero(keys[offset:] == keys[:-offset])
        if not same.size:
            break
        firsts.append(same)
        seconds.append(same + offset)
        offset += 1
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(firsts), np.concatenate(seconds)


def _tokens(texts: list[str], wanted: np.ndarray) -> tuple[np.ndarray, ...]:
    """Whitespace tokens of the wanted items, on one axis where item ``u`` starts at ``base[u]``.

    Returns (token start, token end, first token of each item, token count of each item, base).
    """
    lengths = np.array([len(text) + 1 for text in texts], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(texts) else np.zeros(0, dtype=np.int64)
    starts, ends = [], []
    count = np.zeros(len(texts), dtype=np.int64)
    for item in wanted.tolist():
        found = [(m.start(), m.end()) for m in TOKEN.finditer(texts[item])]
        count[item] = len(found)
        if found:
            offsets = np.array(found, dtype=np.int64) + base[item]
            starts.append(offsets[:, 0])
            ends.append(offsets[:, 1])
    first = np.concatenate([[0], np.cumsum(count)[:-1]]) if len(texts) else np.zeros(0, dtype=np.int64)
    token_start = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    token_end = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    return token_start, token_end, first, count, base


def span_report(
    items: ArrayLike,
    annotators: ArrayLike,
    span_row: ArrayLike,
    span_start: ArrayLike,
    span_end: ArrayLike,
    span_label: ArrayLike,
    *,
    texts: list[str],
    n_annotators: int,
    n_labels: int,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """Span agreement, JSON-safe: undefined figures are None with a reason."""
    n_items = len(texts)
    check_size(n_annotators, name="n_annotators")
    check_size(n_labels, name="n_labels", minimum=1)
    items = as_codes(items, name="items", upper=n_items)
    annotators = as_codes(annotators, name="annotators", size=items.size, upper=n_annotators)
    n_rows = items.size
    span_row = as_codes(span_row, name="span_row", upper=n_rows)
    span_start = as_codes(span_start, name="span_start", size=span_row.size)
    span_end = as_codes(span_end, name="span_end", size=span_row.size)
    span_label = as_codes(span_label, name="span_label", size=span_row.size, upper=n_labels)
    if span_row.size:
        limit = np.array([len(texts[item]) for item in items.tolist()], dtype=np.int64)[span_row]
        if np.any(span_start < 0) or np.any(span_start >= span_end) or np.any(span_end > limit):
            raise ValueError("spans need 0 <= start < end <= the length of their item's text")
    # A span given twice in one annotation counts once.
    key = np.unique(np.stack([span_row, span_start, span_end, span_label], axis=1), axis=0)
    span_row, span_start, span_end, span_label = key[:, 0], key[:, 1], key[:, 2], key[:, 3]

    reasons: dict[str, str] = {}
    totals = np.bincount(items, minlength=n_items)
    n_compared = int((totals >= 2).sum())
    report: dict[str, Any] = {
        "annotations": int(n_rows),
        "items": int((totals > 0).sum()),
        "items_compared": n_compared,
    }
    why_none = NO_ANNOTATIONS if n_rows == 0 else SINGLE_ANNOTATIONS if n_compared == 0 else NO_SPANS

    f1 = _span_f1(items, annotators, span_row, span_start, span_end, span_label, n_labels=n_labels)
    report["f1_exact"] = number(f1["exact"])
    report["f1_overlap"] = number(f1["overlap"])
    for name in ("f1_exact", "f1_overlap"):
        if report[name] is None:
            reasons[name] = why_none
    pair_a, pair_b, pair_of = group_pairs(f1["first_annotator"], f1["second_annotator"], n_annotators=n_annotators)
    shared = np.bincount(pair_of, minlength=pair_a.size)
    spans = np.bincount(pair_of, weights=f1["spans"], minlength=pair_a.size)
    exact = np.bincount(pair_of, weights=f1["exact_matched"], minlength=pair_a.size)
    overlap = np.bincount(pair_of, weights=f1["overlap_matched"], minlength=pair_a.size)
    report["pairwise"] = []
    for index in range(pair_a.size):
        entry = {
            "a": int(pair_a[index]),
            "b": int(pair_b[index]),
            "n": int(shared[index]),
            "f1_exact": number(exact[index] / spans[index]) if spans[index] else None,
            "f1_overlap": number(overlap[index] / spans[index]) if spans[index] else None,
        }
        if entry["f1_exact"] is None:
            entry["reason"] = NO_SPANS
        report["pairwise"].append(entry)
    if not report["pairwise"]:
        reasons["pairwise"] = "no two annotators share an item" if n_rows else NO_ANNOTATIONS
    report["per_label"] = []
    for label in range(n_labels):
        total = f1["label_spans"][label]
        entry = {
            "label": label,
            "f1_exact": number(f1["label_exact"][label] / total) if total else None,
            "f1_overlap": number(f1["label_overlap"][label] / total) if total else None,
        }
        if total == 0:
            entry["reason"] = "no compared annotation has a span with this label"
        report["per_label"].append(entry)

    units = _token_units(items, span_row, span_start, span_end, span_label, texts=texts, n_labels=n_labels)
    alpha = alpha_point(units)
    report["token_alpha"] = number(alpha)
    if report["token_alpha"] is None:
        reasons["token_alpha"] = (
            why_none
            if why_none != NO_SPANS
            else "every compared token got the same category: expected disagreement is zero"
        )
    report["token_alpha_ci"], why = interval_or_reason(units, alpha=alpha, bootstrap=bootstrap, seed=seed)
    if why:
        reasons["token_alpha_ci"] = why
    report["reasons"] = reasons
    return report


def _span_f1(items, annotators, span_row, span_start, span_end, span_label, *, n_labels: int) -> dict[str, Any]:
    """Matched spans per pair of annotations on a shared item, overall, per pair and per label."""
    n_rows = items.size
    first, second = row_pairs(items, annotators)
    n_pairs = first.size
    pair_key = first * max(n_rows, 1) + second
    order = np.argsort(pair_key)
    sorted_keys = pair_key[order]

    def pair_of(row_x: np.ndarray, row_y: np.ndarray) -> np.ndarray:
        flip = annotators[row_x] > annotators[row_y]
        low, high = np.where(flip, row_y, row_x), np.where(flip, row_x, row_y)
        return order[np.searchsorted(sorted_keys, low * max(n_rows, 1) + high)]

    per_row = np.bincount(span_row, minlength=n_rows).astype(np.float64)
    per_row_label = np.bincount(span_row * n_labels + span_label, minlength=n_rows * n_labels).reshape(n_rows, n_labels)
    spans = per_row[first] + per_row[second]
    taking_part = np.bincount(first, minlength=n_rows) + np.bincount(second, minlength=n_rows)
    label_spans = (per_row_label * taking_part[:, None]).sum(axis=0).astype(np.float64)

    span_item = items[span_row]
    # Exact: identical (item, start, end, label) in two annotations.
    by_span = np.lexsort((annotators[span_row], span_label, span_end, span_start, span_item))
    exact_keys = np.stack([span_item, span_start, span_end, span_label], axis=1)[by_span]
    group = np.concatenate([[0], np.cumsum(np.any(exact_keys[1:] != exact_keys[:-1], axis=1))])
    left, right = _pairs_within_groups(group)
    x, y = by_span[left], by_span[right]
    exact_pair = pair_of(span_row[x], span_row[y])
    exact_matched = 2.0 * np.bincount(exact_pair, minlength=n_pairs)
    label_exact = 2.0 * np.bincount(span_label[x], minlength=n_labels)

    # Overlap: same item and label, different annotations, sharing a character.
    by_label = np.lexsort((span_start, span_label, span_item))
    label_keys = np.stack([span_item, span_label], axis=1)[by_label]
    group = np.concatenate([[0], np.cumsum(np.any(label_keys[1:] != label_keys[:-1], axis=1))])
    left, right = _pairs_within_groups(group)
    x, y = by_label[left], by_label[right]
    keep = (span_row[x] != span_row[y]) & (span_start[x] < span_end[y]) & (span_start[y] < span_end[x])
    x, y = x[keep], y[keep]
    overlap_pair = pair_of(span_row[x], span_row[y])
    matched = np.unique(np.concatenate([x * max(n_pairs, 1) + overlap_pair, y * max(n_pairs, 1) + overlap_pair]))
    matched_span, matched_pair = matched // max(n_pairs, 1), matched % max(n_pairs, 1)
    overlap_matched = np.bincount(matched_pair, minlength=n_pairs).astype(np.float64)
    label_overlap = np.bincount(span_label[matched_span], minlength=n_labels).astype(np.float64)

    total = spans.sum()
    return {
        "exact": exact_matched.sum() / total if total else float("nan"),
        "overlap": overlap_matched.sum() / total if total else float("nan"),
        "first_annotator": annotators[first],
        "second_annotator": annotators[second],
        "spans": spans,
        "exact_matched": exact_matched,
        "overlap_matched": overlap_matched,
        "label_spans": label_spans,
        "label_exact": label_exact,
        "label_overlap": label_overlap,
    }


def token_ratings(items, span_row, span_start, span_end, span_label, *, texts: list[str], n_labels: int):
    """Long-format token ratings: (token unit, category, item of the token) per annotation and token.

    Category ``n_labels`` is "outside". Tokens of every annotated item are numbered on one axis.
    """
    rated = np.flatnonzero(np.bincount(items, minlength=len(texts)))
    token_start, token_end, first, count, base = _tokens(texts, rated)
    per_row = count[items]
    row_base = np.concatenate([[0], np.cumsum(per_row)[:-1]]) if items.size else np.zeros(0, dtype=np.int64)
    n_ratings = int(per_row.sum())
    owner = np.repeat(np.arange(items.size), per_row)
    unit = first[items][owner] + (np.arange(n_ratings) - row_base[owner])
    category = np.full(n_ratings, n_labels, dtype=np.int64)
    if span_row.size and token_start.size:
        offset = base[items[span_row]]
        low = np.searchsorted(token_end, span_start + offset, side="right")
        high = np.searchsorted(token_start, span_end + offset, side="left")
        covered = np.maximum(high - low, 0)
        which = np.repeat(np.arange(span_row.size), covered)
        token = low[which] + (np.arange(covered.sum()) - np.repeat(np.cumsum(covered) - covered, covered))
        rating = row_base[span_row[which]] + (token - first[items[span_row[which]]])
        np.minimum.at(category, rating, span_label[which])
    token_item = np.repeat(np.arange(len(texts)), count)
    return unit, category, token_item, int(count.sum())


def _token_units(items, span_row, span_start, span_end, span_label, *, texts, n_labels: int) -> AlphaUnits:
    """Nominal alpha units for tokens, summed per item so a bootstrap resamples whole items."""
    unit, category, token_item, n_tokens = token_ratings(
        items, span_row, span_start, span_end, span_label, texts=texts, n_labels=n_labels
    )
    counts = item_counts(unit, category, n_items=n_tokens, n_categories=n_labels + 1).astype(np.float64)
    totals = counts.sum(axis=1)
    keep = totals >= 2
    counts, totals, token_item = counts[keep], totals[keep], token_item[keep]
    disagreement = (totals**2 - (counts**2).sum(axis=1)) / np.maximum(totals - 1.0, 1.0)
    cluster_items, cluster = np.unique(token_item, return_inverse=True)
    n_clusters = cluster_items.size
    summed = np.stack(
        [np.bincount(cluster, weights=counts[:, c], minlength=n_clusters) for c in range(n_labels + 1)], axis=1
    )
    return AlphaUnits(
        counts=summed,
        totals=np.bincount(cluster, weights=totals, minlength=n_clusters),
        freq=np.ones(n_clusters),
        level="nominal",
        disagreement=np.bincount(cluster, weights=disagreement, minlength=n_clusters),
    )
