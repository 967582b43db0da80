"""Every figure of the model evaluation against scikit-learn (and a brute-force loop for the
references), on the same random arrays: no database."""

from collections import Counter

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score

from labeling.models_eval import metrics
from labeling.models_eval.evaluation import EvaluationArrays, evaluate, most_confident, predictions_from_probabilities

K = 4


def _pairs(seed: int, n: int = 400, k: int = K) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.7, truth, rng.integers(0, k, n))
    return truth, given


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_match_scikit_learn(seed):
    truth, given = _pairs(seed)
    if seed == 2:  # a label nobody expected nor gave: F1 0, left out of the macro mean
        truth, given = np.where(truth == 3, 0, truth), np.where(given == 3, 1, given)
    matrix = metrics.confusion(truth, given, K)
    assert (matrix == confusion_matrix(truth, given, labels=range(K))).all()
    found = metrics.scores(matrix)
    assert found.accuracy == pytest.approx(accuracy_score(truth, given))
    assert found.kappa == pytest.approx(cohen_kappa_score(truth, given))
    assert found.f1 == pytest.approx(f1_score(truth, given, labels=range(K), average=None, zero_division=0))
    assert found.macro_f1 == pytest.approx(f1_score(truth, given, average="macro", zero_division=0))
    batched = metrics.scores(np.stack([matrix, metrics.confusion(*_pairs(seed + 10), K)]))
    assert batched.kappa[0] == pytest.approx(found.kappa)


def test_kappa_is_undefined_when_everyone_says_the_same():
    matrix = metrics.confusion(np.zeros(5, int), np.zeros(5, int), K)
    with pytest.warns(UserWarning):  # scikit-learn says it is undefined
        reference = cohen_kappa_score(np.zeros(5, int), np.zeros(5, int))
    assert np.isnan(reference) and np.isnan(metrics.scores(matrix).kappa)


def test_bootstrap_interval_agrees_with_scipy():
    truth, given = _pairs(3, n=600)
    bounds = metrics.bootstrap_intervals(metrics.confusion(truth, given, K), rng=np.random.default_rng(0))
    right = (truth == given).astype(float)
    reference = stats.bootstrap(
        (right,), np.mean, method="percentile", n_resamples=2000, random_state=np.random.default_rng(0)
    ).confidence_interval
    assert bounds.accuracy[0] < accuracy_score(truth, given) < bounds.accuracy[1]
    assert bounds.accuracy == pytest.approx((reference.low, reference.high), abs=0.01)
    kappa = cohen_kappa_score(truth, given)
    assert bounds.kappa[0] < kappa < bounds.kappa[1]


def _loop_others_majority(items, labels):
    """The leave-one-out reference by a plain loop: the strict majority of the other votes."""
    out = []
    for row, (item, _label) in enumerate(zip(items, labels, strict=True)):
        others = Counter(int(v) for r, (i, v) in enumerate(zip(items, labels, strict=True)) if i == item and r != row)
        ranked = others.most_common()
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            out.append(-1)
        else:
            out.append(ranked[0][0])
    return np.array(out)


def _arrays(seed: int) -> EvaluationArrays:
    rng = np.random.default_rng(seed)
    n_items, n_annotators = 60, 5
    truth = rng.integers(0, K, n_items)
    rows = [(i, a) for i in range(n_items) for a in rng.choice(n_annotators, rng.integers(1, 5), replace=False)]
    items = np.array([i for i, _ in rows])
    annotators = np.array([a for _, a in rows])
    labels = np.where(rng.random(len(rows)) < 0.75, truth[items], rng.integers(0, K, len(rows)))
    adjudicated = np.where(rng.random(n_items) < 0.2, truth, -1)
    probabilities = rng.dirichlet(np.ones(K), n_items)
    probabilities[np.arange(n_items), truth] += np.where(rng.random(n_items) < 0.6, 1.0, 0.0)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    probabilities[rng.random(n_items) < 0.1] = np.nan  # items without a prediction
    predicted, confidence = predictions_from_probabilities(probabilities)
    region = rng.integers(0, 3, n_items)
    region[:4] = -1  # items without this metadata key
    return EvaluationArrays(
        label_names=["a", "b", "c", "d"],
        item_ids=np.arange(100, 100 + n_items),
        annotation_items=items,
        annotation_annotators=annotators,
        annotation_labels=labels,
        usernames=[f"u{n}" for n in range(n_annotators)],
        adjudicated=adjudicated,
        predicted=predicted,
        confidence=confidence,
        slices=[("region", region, ["north", "south", "east"])],
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_evaluation_matches_scikit_learn_on_the_same_arrays(seed):
    arrays = _arrays(seed)
    result = evaluate(arrays)
    # settled: the adjudication, else a strict majority of all votes
    settled = []
    for item in range(arrays.n_items):
        votes = Counter(arrays.annotation_labels[arrays.annotation_items == item].tolist()).most_common()
        majority = -1 if len(votes) > 1 and votes[0][1] == votes[1][1] else votes[0][0]
        settled.append(arrays.adjudicated[item] if arrays.adjudicated[item] >= 0 else majority)
    settled = np.array(settled)
    evaluated = (settled >= 0) & (arrays.predicted >= 0)
    truth, predicted = settled[evaluated], arrays.predicted[evaluated]
    model = result["model"]
    assert result["items_evaluated"] == evaluated.sum() == model["n"]
    assert model["accuracy"] == pytest.approx(accuracy_score(truth, predicted), abs=1e-6)
    assert model["cohen_kappa"] == pytest.approx(cohen_kappa_score(truth, predicted), abs=1e-6)
    f1 = f1_score(truth, predicted, labels=range(K), average=None, zero_division=0)
    assert [row["f1"] for row in model["per_label"]] == pytest.approx(f1, abs=1e-6)
    assert result["confusion"] == confusion_matrix(truth, predicted, labels=range(K)).tolist()
    assert model["accuracy_interval"][0] <= model["accuracy"] <= model["accuracy_interval"][1]

    # people: each vote against the adjudication, else the OTHERS' majority, on the evaluated items
    loo = _loop_others_majority(arrays.annotation_items, arrays.annotation_labels)
    reference = np.where(
        arrays.adjudicated[arrays.annotation_items] >= 0, arrays.adjudicated[arrays.annotation_items], loo
    )
    keep = evaluated[arrays.annotation_items] & (reference >= 0)
    group = result["human_level"]
    ref, given = reference[keep], arrays.annotation_labels[keep]
    assert group["n"] == keep.sum()
    assert group["accuracy"] == pytest.approx(accuracy_score(ref, given), abs=1e-6)
    assert group["cohen_kappa"] == pytest.approx(cohen_kappa_score(ref, given), abs=1e-6)
    assert [r["f1"] for r in group["per_label"]] == pytest.approx(
        f1_score(ref, given, labels=range(K), average=None, zero_division=0), abs=1e-6
    )
    for entry in result["annotators"]:
        mine = keep & (arrays.annotation_annotators == arrays.usernames.index(entry["annotator"]))
        assert entry["n"] == mine.sum()
        assert entry["accuracy"] == pytest.approx(accuracy_score(reference[mine], arrays.annotation_labels[mine]))
        assert entry["cohen_kappa"] == pytest.approx(
            cohen_kappa_score(reference[mine], arrays.annotation_labels[mine]), abs=1e-6, nan_ok=True
        )

    # gaps: human-level minus the model, largest first
    for row in result["per_label_gap"]:
        index = arrays.label_names.index(row["label"])
        assert row["gap"] == pytest.approx(group["per_label"][index]["f1"] - f1[index], abs=1e-5)
    gaps = [row["gap"] for row in result["per_label_gap"] if row["gap"] is not None]
    assert gaps == sorted(gaps, reverse=True)
    region = arrays.slices[0][1]
    for row in result["per_slice_gap"]:
        code = ["north", "south", "east"].index(row["value"])
        in_slice = evaluated & (region == code)
        model_accuracy = accuracy_score(settled[in_slice], arrays.predicted[in_slice])
        pairs = keep & (region[arrays.annotation_items] == code)
        human_accuracy = accuracy_score(reference[pairs], arrays.annotation_labels[pairs])
        assert row["items"] == in_slice.sum()
        assert row["gap"] == pytest.approx(human_accuracy - model_accuracy, abs=1e-5)

    # confident disagreements: wrong, most confident first
    confidences = [row["confidence"] for row in result["disagreements"]]
    assert confidences == sorted(confidences, reverse=True)
    assert all(row["settled"] != row["predicted"] for row in result["disagreements"])
    assert len(result["disagreements"]) == (truth != predicted).sum()

    # coverage: what taking every item at or above a threshold would give
    confidence = arrays.confidence[evaluated]
    for row in result["coverage"]:
        taken = confidence >= row["threshold"]
        assert row["items"] == taken.sum()
        assert row["coverage"] == pytest.approx(taken.mean(), abs=1e-6)
        if taken.any():
            assert row["accuracy"] == pytest.approx(accuracy_score(truth[taken], predicted[taken]), abs=1e-6)


def test_no_one_is_scored_against_their_own_vote():
    # two annotators on each item: the reference of each is the other's label, never their own
    items = np.array([0, 0, 1, 1])
    labels = np.array([0, 1, 2, 2])
    counts = metrics.label_counts(items, labels, n_items=2, n_labels=3)
    assert metrics.others_majority(items, labels, counts).tolist() == [1, 0, 2, 2]
    assert metrics.others_majority(items, labels, counts).tolist() == _loop_others_majority(items, labels).tolist()


def test_the_most_confident_are_those_a_stable_sort_puts_first():
    rng = np.random.default_rng(4)
    confidence = rng.integers(0, 20, 500) / 20  # many ties
    rows = np.flatnonzero(rng.random(500) < 0.6)
    for limit in (1, 7, 50, 1000):
        expected = rows[np.argsort(-confidence[rows], kind="stable")][:limit]
        assert most_confident(rows, confidence, limit).tolist() == expected.tolist()
