"""Multi-label agreement: MASI alpha against NLTK, binary alpha against the krippendorff package."""

import itertools

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance

from labeling.agreement import masi_distances, multilabel_report


def random_sets(seed: int, *, n_items: int, n_annotators: int, n_labels: int, keep: float = 0.7):
    """Label sets near a hidden true set: each label flipped with some probability; never empty."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n_items, n_labels)) < 0.35
    flips = rng.random((n_items, n_annotators, n_labels)) < 0.15
    chosen = truth[:, None, :] ^ flips
    empty = ~chosen.any(axis=2)
    chosen[empty, rng.integers(0, n_labels, empty.sum())] = True
    present = rng.random((n_items, n_annotators)) < keep
    items, annotators = np.nonzero(present)
    return items, annotators, chosen[items, annotators]


def test_masi_distances_match_nltk_on_every_pair_of_subsets():
    subsets = np.array(list(itertools.product([False, True], repeat=4)))
    ours = masi_distances(subsets)
    for i, j in itertools.product(range(len(subsets)), repeat=2):
        a, b = set(np.flatnonzero(subsets[i])), set(np.flatnonzero(subsets[j]))
        expected = 0.0 if not a and not b else masi_distance(a, b)  # NLTK divides by zero on two empty sets
        assert ours[i, j] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_masi_alpha_matches_nltk(seed):
    n_items, n_annotators, n_labels = 60 + 20 * seed, 3 + seed % 2, 3 + seed
    items, annotators, matrix = random_sets(seed, n_items=n_items, n_annotators=n_annotators, n_labels=n_labels)
    task = AnnotationTask(
        data=[
            (str(a), str(i), frozenset(np.flatnonzero(row).tolist()))
            for i, a, row in zip(items.tolist(), annotators.tolist(), matrix, strict=True)
        ],
        distance=masi_distance,
    )
    report = multilabel_report(items, annotators, matrix, n_items=n_items, n_annotators=n_annotators, bootstrap=200)
    assert report["krippendorff_alpha"] == pytest.approx(task.alpha(), abs=1e-9)
    low, high = report["krippendorff_alpha_ci"]
    assert low < report["krippendorff_alpha"] < high


@pytest.mark.parametrize("seed", range(3))
def test_binary_alpha_per_label_and_pooled_match_krippendorff_package(seed):
    n_items, n_annotators, n_labels = 80, 4, 4
    items, annotators, matrix = random_sets(seed, n_items=n_items, n_annotators=n_annotators, n_labels=n_labels)
    report = multilabel_report(items, annotators, matrix, n_items=n_items, n_annotators=n_annotators, bootstrap=0)
    # Units are (item, label) decisions: a reliability matrix of annotators x (items * labels).
    data = np.full((n_annotators, n_items, n_labels), np.nan)
    data[annotators, items] = matrix
    for label in range(n_labels):
        reference = krippendorff.alpha(reliability_data=data[:, :, label], level_of_measurement="nominal")
        assert report["per_label"][label]["alpha"] == pytest.approx(reference, abs=1e-9)
        assert report["per_label"][label]["count"] == int(matrix[:, label].sum())
    pooled = krippendorff.alpha(reliability_data=data.reshape(n_annotators, -1), level_of_measurement="nominal")
    assert report["binary_alpha"] == pytest.approx(pooled, abs=1e-9)


def test_pairwise_and_per_annotator_figures():
    # Two items, three annotators. Item 0: {0,1}, {0,1}, {0}; item 1: {2}, {1}, (annotator 2 absent).
    items = np.array([0, 0, 0, 1, 1])
    annotators = np.array([0, 1, 2, 0, 1])
    matrix = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=bool)
    report = multilabel_report(items, annotators, matrix, n_items=2, n_annotators=3, bootstrap=0)
    pairs = {(p["a"], p["b"]): p for p in report["pairwise"]}
    assert pairs[(0, 1)]["n"] == 2
    assert pairs[(0, 1)]["percent_agreement"] == pytest.approx(0.5)
    # MASI({0,1},{0,1}) = 0 and MASI({2},{1}) = 1: mean closeness 0.5
    assert pairs[(0, 1)]["masi_agreement"] == pytest.approx(0.5)
    # {0,1} vs {0}: subset, 1 - 1/2 * 2/3 = 2/3 distance -> closeness 1/3
    assert pairs[(0, 2)]["masi_agreement"] == pytest.approx(1 / 3)
    assert report["percent_agreement"] == pytest.approx((1 / 3 + 0) / 2)
    by_annotator = {entry["annotator"]: entry for entry in report["per_annotator"]}
    # annotator 0: item 0 matches 1 of 2 others, item 1 matches 0 of 1 -> (0.5 + 0) / 2
    assert by_annotator[0]["percent_agreement"] == pytest.approx(0.25)
    assert by_annotator[2]["percent_agreement"] == pytest.approx(0.0)
    task = AnnotationTask(
        data=[
            ("0", "0", frozenset({0, 1})),
            ("1", "0", frozenset({0, 1})),
            ("0", "1", frozenset({2})),
            ("1", "1", frozenset({1})),
        ],
        distance=masi_distance,
    )
    assert by_annotator[2]["alpha_without"] == pytest.approx(task.alpha(), abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_alpha_without_each_annotator_matches_a_recomputation(seed):
    n_items, n_annotators = 70, 4
    items, annotators, matrix = random_sets(seed, n_items=n_items, n_annotators=n_annotators, n_labels=3, keep=0.6)
    report = multilabel_report(items, annotators, matrix, n_items=n_items, n_annotators=n_annotators, bootstrap=0)
    for entry in report["per_annotator"]:
        others = annotators != entry["annotator"]
        task = AnnotationTask(
            data=[
                (str(a), str(i), frozenset(np.flatnonzero(row).tolist()))
                for i, a, row in zip(items[others].tolist(), annotators[others].tolist(), matrix[others], strict=True)
            ],
            distance=masi_distance,
        )
        assert entry["alpha_without"] == pytest.approx(task.alpha(), abs=1e-9)


def test_label_sets_over_64_labels():
    rng = np.random.default_rng(0)
    items = np.repeat(np.arange(40), 3)
    annotators = np.tile(np.arange(3), 40)
    matrix = rng.random((120, 70)) < 0.05
    matrix[:, 0] = True  # never an empty set, which NLTK cannot compare
    task = AnnotationTask(
        data=[
            (str(a), str(i), frozenset(np.flatnonzero(row).tolist()))
            for i, a, row in zip(items.tolist(), annotators.tolist(), matrix, strict=True)
        ],
        distance=masi_distance,
    )
    report = multilabel_report(items, annotators, matrix, n_items=40, n_annotators=3, bootstrap=0)
    assert report["krippendorff_alpha"] == pytest.approx(task.alpha(), abs=1e-9)
