"""Figures over the distinct rows of a count matrix, weighted by frequency, against the same
figures over every row; and the classification report on every path of its row merging."""

import krippendorff
import numpy as np
import pytest

from labeling.agreement import alpha as alpha_module
from labeling.agreement import classification as classification_module
from labeling.agreement import classification_report, fleiss_kappa, gwet_ac
from labeling.agreement.alpha import (
    bootstrap_interval,
    coincidences,
    distinct_rows,
    item_counts,
    merge_identical,
    one_vs_rest_alpha,
    units_from_counts,
)
from tests.labeling.agreement.synthetic import random_ratings, reliability_matrix


@pytest.mark.parametrize(
    "high, width",
    [(4, 5), (40, 6), (2**40, 3)],  # keys counted into slots; keys sorted; hashed keys
)
def test_distinct_rows_give_back_every_row_in_merge_order(high, width):
    rng = np.random.default_rng(high)
    counts = rng.integers(0, 3, (500, width)) * (high // 3)
    rows, inverse, freq = distinct_rows(counts)
    assert np.array_equal(rows[inverse], counts)
    assert np.array_equal(freq, np.bincount(inverse, minlength=rows.shape[0]))
    assert len({tuple(row) for row in rows.tolist()}) == rows.shape[0]
    first, merged_freq = merge_identical(counts)
    assert np.array_equal(rows, counts[first]) and np.array_equal(freq, merged_freq)


def test_distinct_rows_of_nothing():
    rows, inverse, freq = distinct_rows(np.zeros((0, 4), dtype=np.int64))
    assert rows.shape == (0, 4) and inverse.size == 0 and freq.size == 0


@pytest.mark.parametrize("seed", range(4))
def test_weighted_figures_equal_the_figures_over_every_row(seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 4, (30, 4))
    rows[:3] = 0  # unrated items
    rows[3:6] = np.eye(4, dtype=np.int64)[:3]  # single ratings
    freq = rng.integers(1, 6, rows.shape[0])
    every = np.repeat(rows, freq, axis=0)
    np.testing.assert_allclose(coincidences(rows, freq), coincidences(every), atol=1e-9)
    np.testing.assert_allclose(one_vs_rest_alpha(rows, freq), one_vs_rest_alpha(every), atol=1e-12)
    for weights in (None, "linear", "quadratic"):
        assert gwet_ac(rows, weights=weights, freq=freq)[0] == pytest.approx(
            gwet_ac(every, weights=weights)[0], abs=1e-12
        )
    same = np.tile(np.array([[2, 1, 0, 0], [0, 0, 3, 0], [1, 1, 1, 0], [0, 0, 0, 0]]), (2, 1))
    weight = np.arange(1, 9)
    assert fleiss_kappa(same, weight)[0] == pytest.approx(fleiss_kappa(np.repeat(same, weight, axis=0))[0], abs=1e-12)


def figures(report):
    if isinstance(report, dict):
        return {key: figures(value) for key, value in report.items()}
    if isinstance(report, list):
        return [figures(value) for value in report]
    if isinstance(report, float):
        return pytest.approx(report, abs=1e-12)
    return report


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_report_is_the_same_when_rows_and_cells_are_sorted_instead_of_counted(level, monkeypatch):
    n_items, n_annotators, n_categories = 200, 9, 6
    items, annotators, values = random_ratings(
        11, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories, keep=0.5
    )
    shape = dict(n_items=n_items, n_annotators=n_annotators, n_categories=n_categories, level=level, bootstrap=300)
    counted = classification_report(items, annotators, values, **shape)
    monkeypatch.setattr(alpha_module, "KEY_SLOTS", 0)
    monkeypatch.setattr(classification_module, "KEY_SLOTS", 0)
    sorted_ = classification_report(items, annotators, values, **shape)
    assert figures(sorted_) == figures(counted)

    # Against the direct computations: alpha without each annotator from the krippendorff
    # package, and the interval of the bootstrap over the merged pairable items.
    grid = reliability_matrix(items, annotators, values, n_items=n_items, n_annotators=n_annotators)
    for entry in counted["per_annotator"]:
        others = np.delete(grid, entry["annotator"], axis=0)
        expected = krippendorff.alpha(
            reliability_data=others, level_of_measurement=level, value_domain=np.arange(n_categories)
        )
        assert entry["alpha_without"] == pytest.approx(expected, abs=1e-9)
    counts = item_counts(items, values, n_items=n_items, n_categories=n_categories)
    low, high = bootstrap_interval(units_from_counts(counts, level=level), resamples=300, seed=0)
    assert counted["krippendorff_alpha_ci"] == [pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12)]
