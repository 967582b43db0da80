"""Krippendorff's alpha against the krippendorff package and Krippendorff's published worked example."""

import krippendorff
import numpy as np
import pytest

from labeling.agreement import classification_report, krippendorff_alpha
from labeling.agreement.alpha import (
    alpha_from_coincidences,
    alpha_point,
    bootstrap_interval,
    coincidences,
    item_counts,
    units_from_counts,
)
from tests.labeling.agreement.synthetic import random_ratings, reliability_matrix

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, values 1..5, missing values as None.
WORKED_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849}
LEVELS = ["nominal", "ordinal", "interval"]


def _kept(line):
    return [(unit, value) for unit, value in enumerate(line) if value is not None]


@pytest.fixture
def example():
    items, annotators, values = [], [], []
    for coder, line in enumerate(WORKED_EXAMPLE):
        for unit, value in _kept(line):
            items.append(unit)
            annotators.append(coder)
            values.append(value - 1)
    return np.array(items), np.array(annotators), np.array(values)


@pytest.mark.parametrize("level", LEVELS)
def test_published_worked_example(example, level):
    items, annotators, values = example
    ours = krippendorff_alpha(items, values, n_items=12, n_categories=5, level=level)
    assert round(ours, 3) == PUBLISHED[level]
    reference = krippendorff.alpha(reliability_data=np.array(WORKED_EXAMPLE, dtype=float), level_of_measurement=level)
    assert ours == pytest.approx(reference, abs=1e-9)
    report = classification_report(
        items, annotators, values, n_items=12, n_annotators=4, n_categories=5, level=level, bootstrap=0
    )
    assert report["krippendorff_alpha"] == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(6))
def test_random_data_with_missing_values_matches_krippendorff_package(level, seed):
    n_items, n_annotators, n_categories = 150 + 40 * seed, 3 + seed % 4, 2 + seed
    items, annotators, values = random_ratings(
        seed, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories, keep=0.55
    )
    reference = krippendorff.alpha(
        reliability_data=reliability_matrix(items, annotators, values, n_items=n_items, n_annotators=n_annotators),
        level_of_measurement=level,
        value_domain=np.arange(n_categories),
    )
    ours = krippendorff_alpha(items, values, n_items=n_items, n_categories=n_categories, level=level)
    assert ours == pytest.approx(reference, abs=1e-9)
    counts = item_counts(items, values, n_items=n_items, n_categories=n_categories)
    assert alpha_from_coincidences(coincidences(counts), level=level) == pytest.approx(reference, abs=1e-9)
    # Merging identical items must not change the figure.
    merged = units_from_counts(counts, level=level, merge=True)
    assert merged.size < (counts.sum(axis=1) >= 2).sum()
    assert alpha_point(merged) == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize("level", LEVELS)
def test_unused_labels_in_the_domain(level):
    """Codes nobody used sit in the domain; ordinal and nominal ignore them, interval keeps the distances."""
    items, annotators, values = random_ratings(7, n_items=200, n_annotators=4, n_categories=3)
    values = values * 2  # codes 0, 2, 4 of a domain of 6
    matrix = reliability_matrix(items, annotators, values, n_items=200, n_annotators=4)
    reference = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level, value_domain=np.arange(6))
    assert krippendorff_alpha(items, values, n_items=200, n_categories=6, level=level) == pytest.approx(
        reference, abs=1e-9
    )


def test_coincidence_matrix_of_worked_example(example):
    items, _, values = example
    matrix = coincidences(item_counts(items, values, n_items=12, n_categories=5))
    # Counted by hand from the table: pairable values per category (n = 40), o_11 from units
    # 1, 8 and 11 (3 + 2 + 2), o_12 from units 6 and 8 (1/3 + 1).
    assert matrix.sum(axis=1) == pytest.approx([9, 13, 10, 5, 3])
    assert matrix[0, 0] == pytest.approx(7.0)
    assert matrix[0, 1] == pytest.approx(4 / 3)
    assert np.allclose(matrix, matrix.T)


@pytest.mark.parametrize("level", LEVELS)
def test_bootstrap_interval_contains_estimate_and_narrows_with_more_items(level):
    widths = []
    for n_items in (60, 600, 6000):
        items, annotators, values = random_ratings(11, n_items=n_items, n_annotators=4, n_categories=4)
        report = classification_report(
            items, annotators, values, n_items=n_items, n_annotators=4, n_categories=4, level=level, bootstrap=500
        )
        low, high = report["krippendorff_alpha_ci"]
        assert low < report["krippendorff_alpha"] < high
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    # Roughly a sqrt(n) law: ten times the items, about a third of the width.
    assert widths[2] < widths[0] / 5


def test_bootstrap_is_seeded_and_merging_gives_the_same_distribution():
    items, _, values = random_ratings(5, n_items=400, n_annotators=3, n_categories=3)
    counts = item_counts(items, values, n_items=400, n_categories=3)
    merged = units_from_counts(counts, level="nominal", merge=True)
    separate = units_from_counts(counts, level="nominal", merge=False)
    first = bootstrap_interval(merged, resamples=2000, seed=3)
    assert first == bootstrap_interval(merged, resamples=2000, seed=3)
    assert first != bootstrap_interval(merged, resamples=2000, seed=4)
    other = bootstrap_interval(separate, resamples=2000, seed=3)
    # Same resampling law by two routes (multinomial over merged rows, indices over items).
    assert first[0] == pytest.approx(other[0], abs=0.02)
    assert first[1] == pytest.approx(other[1], abs=0.02)


def test_bootstrap_matches_a_plain_resampling_loop():
    """The percentile interval is that of alpha over items drawn with replacement."""
    items, _, values = random_ratings(8, n_items=120, n_annotators=3, n_categories=3, keep=1.0)
    counts = item_counts(items, values, n_items=120, n_categories=3)
    rng = np.random.default_rng(0)
    plain = []
    for _ in range(1500):
        drawn = counts[rng.integers(0, 120, 120)]
        plain.append(krippendorff.alpha(value_counts=drawn, value_domain=np.arange(3), level_of_measurement="nominal"))
    expected = np.quantile(plain, [0.025, 0.975])
    low, high = bootstrap_interval(units_from_counts(counts, level="nominal"), resamples=1500, seed=1)
    assert low == pytest.approx(expected[0], abs=0.03)
    assert high == pytest.approx(expected[1], abs=0.03)
