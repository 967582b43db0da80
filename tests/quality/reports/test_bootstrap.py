"""The slices' bootstrap: each resample's alpha, as a weighted sum over units, equals the
``krippendorff`` package's alpha of the resampled units, replicate for replicate."""

import krippendorff
import numpy as np
import pytest

from labeling.agreement.alpha import alpha_values, bootstrap_interval, item_counts, units_from_counts
from tests.labeling.agreement.synthetic import random_ratings


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_each_resample_equals_the_reference_on_the_resampled_units(level):
    items, _, values = random_ratings(21, n_items=150, n_annotators=3, n_categories=4, keep=0.9)
    counts = item_counts(items, values, n_items=150, n_categories=4)
    pairable = counts[counts.sum(axis=1) >= 2]
    units = units_from_counts(counts, level=level, merge=False)  # one row per pairable item, in order
    rng = np.random.default_rng(4)
    draws = rng.integers(0, len(pairable), size=(40, len(pairable)))  # 40 resamples of the items
    weights = np.stack([np.bincount(row, minlength=len(pairable)) for row in draws])
    fast = alpha_values(units, weights)
    slow = [
        krippendorff.alpha(value_counts=pairable[row], value_domain=np.arange(4), level_of_measurement=level)
        for row in draws
    ]
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_merged_units_give_the_same_resamples_as_separate_ones():
    """Merging identical units changes how draws are made, not their law: same seed, same interval on one
    route; the two routes agree to the bootstrap's own noise."""
    items, _, values = random_ratings(6, n_items=300, n_annotators=3, n_categories=3)
    counts = item_counts(items, values, n_items=300, n_categories=3)
    merged = units_from_counts(counts, level="nominal", merge=True)
    assert bootstrap_interval(merged, resamples=400, seed=7) == bootstrap_interval(merged, resamples=400, seed=7)
    separate = bootstrap_interval(units_from_counts(counts, level="nominal", merge=False), resamples=2000, seed=7)
    together = bootstrap_interval(merged, resamples=2000, seed=7)
    assert together == pytest.approx(separate, abs=0.03)
