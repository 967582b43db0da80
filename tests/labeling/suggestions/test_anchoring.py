"""The anchoring figures against independent computations: scikit-learn for the shares, a
brute-force count of pairs, and scipy's bootstrap for the interval."""

import itertools
from collections import defaultdict

import numpy as np
import pytest
from scipy.stats import bootstrap
from sklearn.metrics import accuracy_score

from labeling.suggestions.anchoring import anchoring_report, condition_figures, ratio_interval


def _annotations(seed: int, n_items: int = 300):
    rng = np.random.default_rng(seed)
    items, values, suggested, shown = [], [], [], []
    for item in range(n_items):
        model = rng.integers(0, 3)
        for _ in range(rng.integers(1, 4)):
            on_screen = rng.random() > 0.3
            follows = rng.random() < (0.8 if on_screen else 0.55)
            items.append(item)
            values.append(str(model if follows else rng.integers(0, 3)))
            suggested.append(str(model))
            shown.append(on_screen)
    return np.array(items), np.array(values, dtype=object), np.array(suggested, dtype=object), np.array(shown)


def test_the_shares_match_scikit_learn_and_a_count_of_pairs():
    items, values, suggested, shown = _annotations(1)
    report = anchoring_report(items=items, shown=shown, values=values, suggested=suggested)
    for key, mask in (("shown", shown), ("withheld", ~shown)):
        with_model = report[key]["agreement_with_model"]
        assert with_model["value"] == pytest.approx(accuracy_score(suggested[mask], values[mask]))
        assert with_model["n"] == mask.sum()
        assert with_model["low"] <= with_model["value"] <= with_model["high"]
        by_item = defaultdict(list)
        for item, value in zip(items[mask], values[mask], strict=True):
            by_item[item].append(value)
        pairs = [a == b for labels in by_item.values() for a, b in itertools.combinations(labels, 2)]
        between = report[key]["agreement_between_people"]
        assert between["n"] == len(pairs)
        assert between["value"] == pytest.approx(np.mean(pairs))
        assert between["items"] == sum(1 for labels in by_item.values() if len(labels) > 1)
    gap = report["model_agreement_gap"]
    expected = accuracy_score(suggested[shown], values[shown]) - accuracy_score(suggested[~shown], values[~shown])
    assert gap["value"] == pytest.approx(expected)
    assert gap["low"] < gap["value"] < gap["high"]
    assert gap["low"] > 0  # the simulated annotators follow the model when they see it


def test_the_interval_matches_scipy_bootstrap_with_one_annotation_per_item():
    rng = np.random.default_rng(7)
    hits = (rng.random(2000) < 0.7).astype(float)
    value, low, high = ratio_interval(hits, np.ones_like(hits), seed=1, resamples=4000)
    reference = bootstrap((hits,), np.mean, n_resamples=4000, method="percentile", random_state=2)
    assert value == pytest.approx(hits.mean())
    assert low == pytest.approx(reference.confidence_interval.low, abs=0.004)
    assert high == pytest.approx(reference.confidence_interval.high, abs=0.004)


def test_no_annotations_and_no_pairs_give_no_figure():
    empty = condition_figures(
        items=np.array([], dtype=np.int64), values=np.array([], dtype=np.int64), suggested=np.array([], dtype=np.int64)
    )
    assert empty.with_model.value is None and empty.between_people.n == 0
    single = condition_figures(items=np.array([1, 2]), values=np.array([0, 1]), suggested=np.array([0, 0]))
    assert single.with_model.value == 0.5 and single.between_people.value is None


def test_the_interval_over_items_matches_resampling_items_one_by_one():
    """Items of 1 to 4 labels: our multinomial draw of identical items against the plain loop."""
    rng = np.random.default_rng(5)
    counts = rng.integers(1, 5, 1500).astype(float)
    hits = rng.binomial(counts.astype(int), 0.6).astype(float)
    _, low, high = ratio_interval(hits, counts, seed=3, resamples=4000)
    plain = np.random.default_rng(4)
    ratios = []
    for _ in range(4000):
        drawn = plain.integers(0, len(counts), len(counts))
        ratios.append(hits[drawn].sum() / counts[drawn].sum())
    reference_low, reference_high = np.percentile(ratios, [2.5, 97.5])
    assert low == pytest.approx(reference_low, abs=0.004)
    assert high == pytest.approx(reference_high, abs=0.004)
