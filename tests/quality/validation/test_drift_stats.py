"""Drift statistics against scipy, statsmodels and worked examples (published or done by hand)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance
from statsmodels.stats.proportion import proportions_ztest

from quality.validation import drift


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_ks_matches_scipy(rng):
    reference, current = rng.normal(0, 1, 400), rng.normal(0.3, 1, 300)
    expected = stats.ks_2samp(reference, current)
    assert drift.ks_test(reference, current) == pytest.approx((expected.statistic, expected.pvalue))


def test_normed_wasserstein_matches_scipy_and_the_documented_example():
    # scipy's documented example: the distance between [0, 1, 3] and [5, 6, 8] is 5.
    assert stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == pytest.approx(5.0)
    assert drift.normed_wasserstein(np.array([0, 1, 3.0]), np.array([5, 6, 8.0])) == pytest.approx(
        5.0 / np.std([0, 1, 3])
    )
    # A constant reference is normed by Evidently's floor of 0.001, not divided by zero.
    assert drift.normed_wasserstein(np.array([2.0, 2.0]), np.array([2.5])) == pytest.approx(0.5 / 0.001)


def test_chisquare_matches_scipy_documented_example():
    # scipy.stats.chisquare's example: observed [16, 18, 16, 14, 12, 12] against uniform -> 2.0, p 0.84914503608460956.
    statistic, p_value = drift.chisquare_test(np.ones(6), np.array([16, 18, 16, 14, 12, 12]))
    assert statistic == pytest.approx(2.0)
    assert p_value == pytest.approx(0.84914503608460956)


def test_chisquare_scales_reference_shares_to_batch_size(rng):
    reference, current = np.array([50, 30, 20]), np.array([500, 350, 150])
    expected = stats.chisquare(current, reference * current.sum() / reference.sum())
    assert drift.chisquare_test(reference, current) == pytest.approx((expected.statistic, expected.pvalue))


def test_chisquare_with_a_category_the_reference_never_saw_is_certain_drift():
    statistic, p_value = drift.chisquare_test(np.array([10, 10, 0]), np.array([10, 10, 5]))
    assert statistic is None
    assert p_value == 0.0


@pytest.mark.parametrize(
    ("reference", "current"), [([45, 55], [38, 82]), ([500, 500], [480, 520]), ([3, 97], [10, 90])]
)
def test_two_proportion_z_test_matches_statsmodels(reference, current):
    z, p_value = drift.proportions_z_test(np.array(reference), np.array(current))
    expected_z, expected_p = proportions_ztest(
        [reference[0], current[0]], [sum(reference), sum(current)], alternative="two-sided"
    )
    assert z == pytest.approx(expected_z)
    assert p_value == pytest.approx(expected_p)


def test_z_test_on_a_single_category_on_both_sides_finds_nothing():
    assert drift.proportions_z_test(np.array([10, 0]), np.array([7, 0])) == (0.0, 1.0)


def test_jensen_shannon_matches_scipy_documented_examples():
    # scipy's examples: jensenshannon([1, 0], [0.5, 0.5]) = 0.46450140402245893 (natural log);
    # distributions with disjoint support are sqrt(ln 2) apart.
    assert drift.jensen_shannon(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.46450140402245893)
    assert drift.jensen_shannon(np.array([1, 0, 0]), np.array([0, 1, 0])) == pytest.approx(math.sqrt(math.log(2)))
    counts_a, counts_b = np.array([30, 50, 20]), np.array([10, 60, 30])
    assert drift.jensen_shannon(counts_a, counts_b) == pytest.approx(distance.jensenshannon(counts_a, counts_b))


def test_psi_worked_by_hand():
    # Bins with reference shares 25% / 25% / 50% and batch shares 50% / 25% / 25%:
    # (0.5 - 0.25) ln(0.5 / 0.25) + 0 + (0.25 - 0.5) ln(0.25 / 0.5) = 0.5 ln 2 = 0.34657...
    assert drift.psi(np.array([0.25, 0.25, 0.5]), np.array([0.5, 0.25, 0.25])) == pytest.approx(0.5 * math.log(2))
    assert drift.psi(np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5])) == 0.0
    # An empty bin counts as 0.0001, so PSI stays finite: (0.1 - 0.0001) ln(0.1 / 0.0001) + (0.9 - 1) ln(0.9).
    expected = (0.1 - 1e-4) * math.log(0.1 / 1e-4) + (0.9 - 1.0) * math.log(0.9)
    assert drift.psi(np.array([0.0, 1.0]), np.array([0.1, 0.9])) == pytest.approx(expected)


def test_binned_shares_use_the_reference_quantiles():
    reference = np.arange(100, dtype=float)
    edges = drift.quantile_edges(reference, 4)
    assert edges.tolist() == pytest.approx([24.75, 49.5, 74.25])
    assert drift.binned_shares(reference, edges).tolist() == [0.25, 0.25, 0.25, 0.25]
    assert drift.binned_shares(np.array([-5.0, 30, 1000, 1000]), edges).tolist() == [0.25, 0.25, 0.0, 0.5]


def test_numeric_drift_follows_evidently_defaults(rng):
    small, large = rng.normal(0, 1, 1000), rng.normal(0, 1, 1001)
    shifted = rng.normal(1, 1, 800)
    found = drift.numeric_drift(small, shifted)
    assert found["method"] == "ks"
    assert found["p_value"] == pytest.approx(stats.ks_2samp(small, shifted).pvalue)
    assert found["drift"] is True
    assert found["threshold"] == 0.05
    found = drift.numeric_drift(large, shifted)
    assert found["method"] == "wasserstein"
    assert found["statistic"] == pytest.approx(stats.wasserstein_distance(large, shifted) / np.std(large))
    assert found["p_value"] is None
    assert found["drift"] is True
    same = drift.numeric_drift(large, rng.normal(0, 1, 2000))
    assert same["drift"] is False
    assert same["statistic"] < 0.1
    histogram = found["histogram"]
    assert len(histogram["edges"]) == 11
    assert sum(histogram["reference"]) == pytest.approx(1.0)
    assert sum(histogram["batch"]) == pytest.approx(1.0)


def test_whole_numbers_get_whole_number_bins(rng):
    """Ratings 1-5 in ten equal bins would leave every other bin empty: one bin a rating instead."""
    reference, batch = rng.integers(1, 6, 3000).astype(float), rng.integers(2, 6, 500).astype(float)
    histogram = drift.numeric_drift(reference, batch)["histogram"]
    assert histogram["labels"] == ["1", "2", "3", "4", "5"]
    assert histogram["edges"] == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    expected = pd.Series(reference).value_counts(normalize=True).sort_index()
    assert histogram["reference"] == pytest.approx(expected.tolist())
    assert histogram["batch"][0] == 0 and sum(histogram["batch"]) == pytest.approx(1.0)

    ages = rng.integers(0, 100, 4000).astype(float)  # 0-99 in ten bins of ten ages each
    histogram = drift.numeric_drift(ages, ages[:1000])["histogram"]
    assert histogram["labels"][:2] == ["0\u20139", "10\u201319"] and len(histogram["labels"]) == 10
    decades = pd.Series(ages // 10).value_counts(normalize=True).sort_index()
    assert histogram["reference"] == pytest.approx(decades.tolist())
    assert "labels" not in drift.numeric_drift(ages + 0.5, ages)["histogram"]  # not all whole: equal widths


def test_numeric_psi_method(rng):
    reference = rng.normal(0, 1, 5000)
    current = rng.normal(0.5, 1, 5000)
    found = drift.numeric_drift(reference, current, method="psi", psi_threshold=0.2)
    edges = drift.quantile_edges(reference, 10)
    expected = drift.psi(drift.binned_shares(reference, edges), drift.binned_shares(current, edges))
    assert found["statistic"] == pytest.approx(expected)
    assert found["psi"] == pytest.approx(expected)
    assert found["drift"] is (expected >= 0.2)


def test_categorical_drift_picks_the_test_by_size_and_categories():
    three = ["a", "b", "c"]
    found = drift.categorical_drift(three, np.array([300, 300, 400]), np.array([100, 100, 300]))
    assert found["method"] == "chisquare"
    expected = stats.chisquare([100, 100, 300], np.array([300, 300, 400]) * 500 / 1000)
    assert found["p_value"] == pytest.approx(expected.pvalue)
    assert found["drift"] is True

    found = drift.categorical_drift(["yes", "no"], np.array([450, 550]), np.array([380, 820]))
    assert found["method"] == "z"
    assert found["p_value"] == pytest.approx(proportions_ztest([450, 380], [1000, 1200])[1])

    found = drift.categorical_drift(three, np.array([3000, 3000, 4000]), np.array([100, 100, 300]))
    assert found["method"] == "jensenshannon"
    assert found["statistic"] == pytest.approx(distance.jensenshannon([0.3, 0.3, 0.4], [0.2, 0.2, 0.6]))
    assert found["drift"] is (found["statistic"] >= 0.1)
    assert found["histogram"] == {"categories": three, "reference": [0.3, 0.3, 0.4], "batch": [0.2, 0.2, 0.6]}


def test_categorical_methods_can_be_chosen():
    found = drift.categorical_drift(["a", "b", "c"], np.array([30, 30, 40]), np.array([30, 30, 40]), method="z")
    assert found["method"] == "chisquare"  # z compares one share; three categories need chi-square
    found = drift.categorical_drift(["a", "b"], np.array([30, 70]), np.array([60, 40]), method="psi")
    assert found["statistic"] == pytest.approx(drift.psi(np.array([0.3, 0.7]), np.array([0.6, 0.4])))
    with pytest.raises(ValueError, match="unknown"):
        drift.categorical_drift(["a"], np.array([1]), np.array([1]), method="nope")
