"""Majority vote, per-item agreement and Dawid-Skene against crowd-kit."""

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene

from labeling.agreement import consensus, dawid_skene, majority_vote, per_item_agreement
from tests.labeling.agreement.synthetic import random_ratings

# crowd-kit 1.4 calls pandas APIs that pandas 3 deprecates; its results are unaffected.
pytestmark = pytest.mark.filterwarnings("ignore::Warning:crowdkit")


def test_majority_vote_ties_are_flagged_and_resolved_the_same_way_every_time():
    # item 0: 2 x label 2, 1 x label 0 -> 2; item 1: tie 1/3 -> 1 (lowest), flagged;
    # item 2: nobody; item 3: a single vote; item 4: three-way tie 4/0/2 -> 0.
    items = np.array([0, 0, 0, 1, 1, 3, 4, 4, 4])
    values = np.array([2, 0, 2, 3, 1, 4, 4, 0, 2])
    for order in (np.arange(items.size), np.arange(items.size)[::-1], np.random.default_rng(1).permutation(9)):
        result = majority_vote(items[order], values[order], n_items=5, n_categories=5)
        assert result.label.tolist() == [2, 1, -1, 4, 0]
        assert result.tie.tolist() == [False, True, False, False, True]
        assert result.confidence[[0, 1, 3, 4]] == pytest.approx([2 / 3, 1 / 2, 1.0, 1 / 3])
        assert np.isnan(result.confidence[2])


def test_per_item_agreement_is_the_share_of_matching_pairs():
    items = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    values = np.array([1, 1, 0, 2, 2, 0, 0, 1, 2, 0])
    agreement, counts = per_item_agreement(items, values, n_items=5, n_categories=3)
    assert counts.tolist() == [3, 2, 1, 4, 0]
    assert agreement[[0, 1, 3]] == pytest.approx([1 / 3, 1.0, 1 / 6])
    assert np.isnan(agreement[[2, 4]]).all()


def crowdkit_result(items, annotators, values, n_categories):
    frame = pd.DataFrame({"task": items, "worker": annotators, "label": values})
    model = DawidSkene(n_iter=100, tol=1e-5).fit(frame)
    probas = model.probas_.sort_index().reindex(columns=range(n_categories), fill_value=0.0)
    errors = model.errors_
    return model, probas, errors


@pytest.mark.parametrize("seed", range(4))
def test_dawid_skene_matches_crowdkit(seed):
    rng = np.random.default_rng(seed)
    n_items, n_annotators, n_categories = 400 + 100 * seed, 6, 3 + seed % 3
    truth = rng.choice(n_categories, n_items, p=rng.dirichlet(np.ones(n_categories) * 3))
    skill = rng.uniform(0.35, 0.95, n_annotators)
    answers = np.where(
        rng.random((n_items, n_annotators)) < skill, truth[:, None], rng.integers(0, n_categories, (n_items, 6))
    )
    present = (rng.random((n_items, n_annotators)) < 0.6).ravel()
    items = np.repeat(np.arange(n_items), n_annotators)[present]
    annotators = np.tile(np.arange(n_annotators), n_items)[present]
    values = answers.ravel()[present]

    result = dawid_skene(
        items, annotators, values, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories
    )
    model, probas, errors = crowdkit_result(items, annotators, values, n_categories)
    rated = probas.index.to_numpy()
    assert result.iterations == len(model.loss_history_)
    assert np.abs(result.posterior[rated] - probas.to_numpy()).max() < 1e-4
    # Same labels except where crowd-kit's posterior is itself tied.
    theirs = model.labels_.sort_index().to_numpy()
    top_two = np.sort(probas.to_numpy(), axis=1)[:, -2:]
    differ = result.label[rated] != theirs
    assert np.all(top_two[differ, 1] - top_two[differ, 0] < 1e-6)
    assert result.confidence[rated] == pytest.approx(probas.to_numpy().max(axis=1), abs=1e-4)
    # confusion[w, true, observed] against crowd-kit's errors_.loc[(w, observed), true]
    for (worker, observed), row in errors.iterrows():
        for true in row.index:
            assert result.confusion[worker, true, observed] == pytest.approx(row[true], abs=1e-4)
    assert result.confusion[:, :, :].sum(axis=2) == pytest.approx(np.ones((n_annotators, n_categories)), abs=1e-6)
    assert result.priors.sum() == pytest.approx(1.0)
    unrated = np.setdiff1d(np.arange(n_items), rated)
    assert (result.label[unrated] == -1).all()


def test_dawid_skene_recovers_the_truth_better_than_majority_vote():
    rng = np.random.default_rng(0)
    n_items = 3000
    truth = rng.integers(0, 3, n_items)
    skill = np.array([0.95, 0.9, 0.4, 0.35, 0.35])  # two good annotators, three near-random
    answers = np.where(rng.random((n_items, 5)) < skill, truth[:, None], rng.integers(0, 3, (n_items, 5)))
    items, annotators = np.repeat(np.arange(n_items), 5), np.tile(np.arange(5), n_items)
    result = dawid_skene(items, annotators, answers.ravel(), n_items=n_items, n_annotators=5, n_categories=3)
    majority = majority_vote(items, answers.ravel(), n_items=n_items, n_categories=3)
    assert (result.label == truth).mean() > (majority.label == truth).mean() + 0.05
    diagonal = result.confusion[:, np.arange(3), np.arange(3)].mean(axis=1)
    assert diagonal[0] > 0.9 and diagonal[3] < 0.7


def test_dawid_skene_with_unused_labels_and_unrated_items():
    items, annotators, values = random_ratings(4, n_items=200, n_annotators=4, n_categories=3)
    values = values * 2  # codes 0, 2, 4 of a domain of 5
    result = dawid_skene(items, annotators, values, n_items=210, n_annotators=5, n_categories=5)
    assert result.posterior.shape == (210, 5)
    assert np.all(result.posterior[:, [1, 3]] == 0)
    assert set(np.unique(result.label[:200]).tolist()) <= {0, 2, 4}
    assert (result.label[200:] == -1).all() and np.isnan(result.confidence[200:]).all()
    assert np.all(result.confusion[4] == 0)  # annotator 4 never annotated


def test_dawid_skene_without_annotations():
    empty = np.zeros(0, dtype=np.int64)
    result = dawid_skene(empty, empty, empty, n_items=3, n_annotators=2, n_categories=2)
    assert result.label.tolist() == [-1, -1, -1]
    assert result.iterations == 0


def test_bad_codes_are_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="values must be codes from 0 to 2"):
        majority_vote(np.array([0, 1]), np.array([0, 3]), n_items=2, n_categories=3)
    with pytest.raises(ValueError, match="items"):
        per_item_agreement(np.array([0, 5]), np.array([0, 1]), n_items=2, n_categories=3)


def test_many_categories_count_only_the_pairs_that_occur(monkeypatch):
    """Whole-value codes (one per distinct span list) can be as many as the annotations."""
    items, _, values = random_ratings(12, n_items=200, n_annotators=5, n_categories=4, keep=0.6)
    values = values * 10_000 + items % 7  # sparse codes in a domain of 30,007
    shape = {"n_items": 200, "n_categories": 30_007}
    monkeypatch.setattr(consensus, "DENSE_CELLS", 10**9)
    dense_agreement, dense_counts = per_item_agreement(items, values, **shape)
    dense_vote = majority_vote(items, values, **shape)
    monkeypatch.setattr(consensus, "DENSE_CELLS", 0)
    agreement, counts = per_item_agreement(items, values, **shape)
    vote = majority_vote(items, values, **shape)
    assert np.array_equal(counts, dense_counts)
    assert np.allclose(agreement, dense_agreement, equal_nan=True)
    assert np.array_equal(vote.label, dense_vote.label)
    assert np.array_equal(vote.tie, dense_vote.tie)
    assert np.allclose(vote.confidence, dense_vote.confidence, equal_nan=True)
    assert vote.tie.any() and (~vote.tie).any()
    monkeypatch.undo()
    # A domain far too large for a dense table takes the sparse route by itself.
    huge = majority_vote(items, values, n_items=200, n_categories=10**9)
    assert np.array_equal(huge.label, dense_vote.label)
