"""Interval scales measure distance between the labels' values, not their positions in the schema."""

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from labeling.agreement import classification_report, gwet_ac, krippendorff_alpha, pairwise_kappa
from labeling.agreement.alpha import item_counts
from labeling.review.compute import label_values
from tests.labeling.agreement.synthetic import random_ratings, reliability_matrix

SCALES = [[1.0, 2.0, 4.0, 8.0], [0.0, 0.5, 3.0, 3.5], [-2.0, 10.0, 11.0, 40.0]]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("seed", range(3))
def test_alpha_on_values_matches_krippendorff_with_a_value_domain(scale, seed):
    items, annotators, codes = random_ratings(seed, n_items=150, n_annotators=5, n_categories=4, keep=0.6)
    ours = krippendorff_alpha(items, codes, n_items=150, n_categories=4, level="interval", scale=scale)
    data = reliability_matrix(items, annotators, np.asarray(scale)[codes], n_items=150, n_annotators=5)
    reference = krippendorff.alpha(reliability_data=data, value_domain=scale, level_of_measurement="interval")
    assert ours == pytest.approx(reference, abs=1e-9)
    equally_spaced = krippendorff_alpha(items, codes, n_items=150, n_categories=4, level="interval")
    assert ours != pytest.approx(equally_spaced, abs=1e-6), "the values must change the figure"


@pytest.mark.parametrize("scale", SCALES)
def test_weighted_kappa_on_values_matches_statsmodels(scale):
    items, annotators, codes = random_ratings(4, n_items=300, n_annotators=2, n_categories=4, keep=1.0)
    pairs = pairwise_kappa(items, annotators, codes, n_annotators=2, n_categories=4, weights="quadratic", scale=scale)
    first = codes[annotators == 0][np.argsort(items[annotators == 0])]
    second = codes[annotators == 1][np.argsort(items[annotators == 1])]
    table = np.zeros((4, 4))
    np.add.at(table, (first, second), 1)
    reference = cohens_kappa(table, weights=np.asarray(scale), wt="quadratic", return_results=False)
    assert pairs.weighted_kappa[0] == pytest.approx(reference, abs=1e-9)


def test_ac2_is_unchanged_by_an_affine_change_of_values_and_equal_spacing_is_the_default():
    items, _, codes = random_ratings(2, n_items=200, n_annotators=4, n_categories=4, keep=0.7)
    counts = item_counts(items, codes, n_items=200, n_categories=4)
    on_values = gwet_ac(counts, weights="quadratic", scale=[1, 2, 4, 8])[0]
    assert on_values == pytest.approx(gwet_ac(counts, weights="quadratic", scale=[-7, 3, 23, 63])[0], abs=1e-12)
    assert gwet_ac(counts, weights="quadratic", scale=[5, 6, 7, 8])[0] == pytest.approx(
        gwet_ac(counts, weights="quadratic")[0], abs=1e-12
    )
    assert on_values != pytest.approx(gwet_ac(counts, weights="quadratic")[0], abs=1e-6)


def test_the_report_uses_values_only_on_the_interval_scale():
    items, annotators, codes = random_ratings(7, n_items=120, n_annotators=3, n_categories=4, keep=0.8)
    common = {"n_items": 120, "n_annotators": 3, "n_categories": 4, "bootstrap": 0}
    scale = [1, 2, 4, 8]
    interval = classification_report(items, annotators, codes, level="interval", scale=scale, **common)
    data = reliability_matrix(items, annotators, np.asarray(scale, dtype=float)[codes], n_items=120, n_annotators=3)
    reference = krippendorff.alpha(reliability_data=data, value_domain=scale, level_of_measurement="interval")
    assert interval["krippendorff_alpha"] == pytest.approx(reference, abs=1e-9)
    ordinal = classification_report(items, annotators, codes, level="ordinal", scale=scale, **common)
    assert ordinal == classification_report(items, annotators, codes, level="ordinal", **common)
    with pytest.raises(ValueError, match="scale must hold 4 finite numbers"):
        classification_report(items, annotators, codes, level="interval", scale=[1, 2], **common)


@pytest.mark.parametrize(
    ("names", "values"),
    [
        (["1", "2", "3"], [1.0, 2.0, 3.0]),
        (["-1", "0.5", "10"], [-1.0, 0.5, 10.0]),
        (["cold", "warm", "hot"], None),
        (["1", "2", "many"], None),
        (["1", "nan"], None),
        ([], None),
    ],
)
def test_labels_read_as_values_only_when_every_one_is_a_number(names, values):
    assert label_values(names) == values
