"""Input checks, row pairing and JSON-safe numbers shared by the agreement reports. No Django."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

LEVELS = ("nominal", "ordinal", "interval")

NO_ANNOTATIONS = "no annotations"
SINGLE_ANNOTATIONS = "every item has a single annotation"
ONE_VALUE = "all annotations agree and only one label was used: expected disagreement is zero"


def as_codes(values: Any, *, name: str, size: int | None = None, upper: int | None = None) -> np.ndarray:
    """An int64 array of codes in ``0..upper-1``, or a ValueError that names the argument."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer codes")
    array = array.astype(np.int64, copy=False)
    if size is not None and array.size != size:
        raise ValueError(f"{name} has {array.size} entries, expected {size}")
    if array.size and upper is not None and (array.min() < 0 or array.max() >= upper):
        raise ValueError(f"{name} must be codes from 0 to {upper - 1}")
    return array


def check_size(value: int, *, name: str, minimum: int = 0) -> int:
    if int(value) != value or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}")
    return int(value)


def number(value: float | np.floating | None) -> float | None:
    """A plain float, or None where the figure is undefined (NaN or infinite)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def row_pairs(items: np.ndarray, annotators: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (i, j) of every two rows on the same item, with ``annotators[i] < annotators[j]``.

    Rows are sorted by (item, annotator) once; the k-th neighbour of a row is on the same
    item for every offset below the item's rating count, so pairs come out of a few
    vectorised comparisons instead of a loop over items.
    """
    if items.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    key = items * (int(annotators.max()) + 1) + annotators
    order = np.arange(key.size) if np.all(key[1:] >= key[:-1]) else np.argsort(key, kind="stable")
    sorted_items = items[order]
    firsts, seconds = [], []
    offset = 1
    while offset < order.size:
        same = sorted_items[offset:] == sorted_items[:-offset]
        if not same.any():
            break
        where = np.flatnonzero(same)
        firsts.append(order[where])
        seconds.append(order[where + offset])
        offset += 1
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(firsts), np.concatenate(seconds)


def annotator_pairs(
    first: np.ndarray, second: np.ndarray, *, n_annotators: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For annotator codes of row pairs: the distinct (a, b) pairs and each row pair's index among them."""
    keys = first * n_annotators + second
    if n_annotators * n_annotators <= 10_000_000:
        present = np.flatnonzero(np.bincount(keys, minlength=n_annotators * n_annotators))
        lookup = np.zeros(n_annotators * n_annotators, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        index = lookup[keys]
    else:
        present, index = np.unique(keys, return_inverse=True)
    return present // n_annotators, present % n_annotators, index
