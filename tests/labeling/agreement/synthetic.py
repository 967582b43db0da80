"""Random long-format ratings and their conversion to the reference packages' layouts."""

import numpy as np


def random_ratings(
    seed: int, *, n_items: int, n_annotators: int, n_categories: int, accuracy: float = 0.6, keep: float = 0.7
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratings around a hidden truth, with about ``1 - keep`` of (item, annotator) cells missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_categories, n_items)
    noise = rng.integers(0, n_categories, (n_items, n_annotators))
    values = np.where(rng.random((n_items, n_annotators)) < accuracy, truth[:, None], noise)
    present = (rng.random((n_items, n_annotators)) < keep).ravel()
    items = np.repeat(np.arange(n_items), n_annotators)[present]
    annotators = np.tile(np.arange(n_annotators), n_items)[present]
    order = rng.permutation(items.size)  # the functions must not rely on any row order
    return items[order], annotators[order], values.ravel()[present][order]


def reliability_matrix(items, annotators, values, *, n_items: int, n_annotators: int) -> np.ndarray:
    """(annotators x items) float matrix with NaN where missing, as the krippendorff package takes it."""
    matrix = np.full((n_annotators, n_items), np.nan)
    matrix[annotators, items] = values
    return matrix
