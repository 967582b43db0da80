"""Every figure of the multi-label and span evaluation against scikit-learn on the same values
(indicator matrices for multi-label, span sets for spans), the settled values and human
references against plain loops: no database."""

import warnings
from collections import Counter

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    f1_score,
    hamming_loss,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)

from labeling.models_eval import set_metrics
from labeling.models_eval.set_evaluation import MULTILABEL, SPANS, SetArrays, evaluate_sets
from labeling.models_eval.set_metrics import elements_from_lists

K = 4
LABELS = ["a", "b", "c", "d"]


class Interned:
    """Values (tuples of (start, end, label)) to codes, in order of first sight."""

    def __init__(self) -> None:
        self.codes: dict[tuple, int] = {}

    def __call__(self, value) -> int:
        return self.codes.setdefault(tuple(sorted(set(value))), len(self.codes))

    def values(self) -> list[tuple]:
        return list(self.codes)

    def elements(self):
        return elements_from_lists([list(v) for v in self.codes])


def _multilabel_value(rng, truth: set[int], noise: float) -> tuple:
    chosen = {label for label in range(K) if (label in truth) != (rng.random() < noise)}
    return tuple((0, 0, label) for label in sorted(chosen))


def _span_value(rng, truth: list[tuple], noise: float) -> tuple:
    kept = [s for s in truth if rng.random() > noise]
    if rng.random() < noise:
        start = int(rng.integers(0, 40))
        kept.append((start, start + int(rng.integers(1, 6)), int(rng.integers(0, K))))
    return tuple(sorted(set(kept)))


def make_arrays(task_type: str, seed: int, n_items: int = 150, n_annotators: int = 4) -> SetArrays:
    rng = np.random.default_rng(seed)
    interned = Interned()
    items, annotators, values = [], [], []
    adjudicated, predicted, confidence = [], [], []
    for item in range(n_items):
        if task_type == MULTILABEL:
            truth = {label for label in range(K) if rng.random() < 0.35}
            make = lambda noise, t=truth: _multilabel_value(rng, t, noise)  # noqa: E731
        else:
            starts = sorted(rng.choice(40, int(rng.integers(0, 3)), replace=False).tolist())
            truth = [(s, s + int(rng.integers(1, 5)), int(rng.integers(0, K - 1))) for s in starts]
            make = lambda noise, t=truth: _span_value(rng, t, noise)  # noqa: E731
        for annotator in range(n_annotators):
            if rng.random() < 0.25 and annotator:
                continue
            items.append(item)
            annotators.append(annotator)
            values.append(interned(make(0.15 + 0.05 * annotator)))
        adjudicated.append(interned(make(0.0)) if rng.random() < 0.05 else -1)
        if rng.random() < 0.05:
            predicted.append(-1)
            confidence.append(np.nan)
        else:
            predicted.append(interned(make(0.3)))
            confidence.append(float(rng.uniform(0.5, 1)) if task_type == MULTILABEL else np.nan)
    region = np.array([item % 3 for item in range(n_items)])
    return SetArrays(
        task_type=task_type,
        label_names=LABELS,
        item_ids=np.arange(100, 100 + n_items),
        annotation_items=np.array(items),
        annotation_annotators=np.array(annotators),
        annotation_values=np.array(values),
        usernames=[f"u{n}" for n in range(n_annotators)],
        adjudicated=np.array(adjudicated),
        predicted=np.array(predicted),
        confidence=np.array(confidence),
        elements=interned.elements(),
        slices=[("region", region, ["north", "south", "east"])],
    )


def _loop_majority(votes: list[int]) -> int:
    ranked = Counter(votes).most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return -1
    return ranked[0][0]


def _loop_references(arrays: SetArrays) -> tuple[np.ndarray, np.ndarray]:
    """(settled per item, each annotation's reference), by loops."""
    by_item: dict[int, list[int]] = {}
    for item, value in zip(arrays.annotation_items.tolist(), arrays.annotation_values.tolist(), strict=True):
        by_item.setdefault(item, []).append(value)
    settled = np.array(
        [a if a >= 0 else _loop_majority(by_item.get(i, [])) for i, a in enumerate(arrays.adjudicated.tolist())]
    )
    reference = []
    for row, item in enumerate(arrays.annotation_items.tolist()):
        if arrays.adjudicated[item] >= 0:
            reference.append(arrays.adjudicated[item])
            continue
        mine = np.flatnonzero(arrays.annotation_items == item)
        reference.append(_loop_majority([arrays.annotation_values[r] for r in mine.tolist() if r != row]))
    return settled, np.array(reference)


def _indicator(codes: np.ndarray, values: list[tuple]) -> np.ndarray:
    matrix = np.zeros((len(codes), K), dtype=int)
    for row, code in enumerate(codes.tolist()):
        for _, _, label in values[code]:
            matrix[row, label] = 1
    return matrix


def test_leave_one_out_majority_matches_a_loop():
    rng = np.random.default_rng(0)
    items = rng.integers(0, 60, 400)
    values = rng.integers(-1, 4, 400)
    found = set_metrics.others_whole_majority(items, values, n_items=60)
    for row in range(400):
        others = [values[r] for r in np.flatnonzero(items == items[row]).tolist() if r != row and values[r] >= 0]
        assert found[row] == _loop_majority(others), row
    majority = set_metrics.whole_majority(items, values, n_items=60)
    for item in range(60):
        assert majority[item] == _loop_majority([v for v in values[items == item].tolist() if v >= 0])


@pytest.mark.parametrize("seed", [0, 1])
def test_multilabel_evaluation_matches_scikit_learn(seed):
    arrays = make_arrays(MULTILABEL, seed)
    result = evaluate_sets(arrays)
    values = stored_values(arrays)
    settled, reference = _loop_references(arrays)
    evaluated = (settled >= 0) & (arrays.predicted >= 0)
    truth = _indicator(settled[evaluated], values)
    predicted = _indicator(arrays.predicted[evaluated], values)
    model = result["model"]
    assert result["items_evaluated"] == model["n"] == evaluated.sum()
    _check_multilabel(model, truth, predicted)
    matrices = multilabel_confusion_matrix(truth, predicted)
    for row, matrix in zip(result["label_confusion"], matrices, strict=True):
        assert [[row["tn"], row["fp"]], [row["fn"], row["tp"]]] == matrix.tolist()

    keep = evaluated[arrays.annotation_items] & (reference >= 0)
    group = result["human_level"]
    ref = _indicator(reference[keep], values)
    given = _indicator(arrays.annotation_values[keep], values)
    _check_multilabel(group, ref, given)
    for entry in result["annotators"]:
        mine = arrays.annotation_annotators[keep] == arrays.usernames.index(entry["annotator"])
        _check_multilabel(entry, ref[mine], given[mine])

    for row in result["per_label_gap"]:
        index = LABELS.index(row["label"])
        assert row["gap"] == pytest.approx(group["per_label"][index]["f1"] - model["per_label"][index]["f1"], abs=1e-5)
    region = arrays.slices[0][1]
    for row in result["per_slice_gap"]:
        code = ["north", "south", "east"].index(row["value"])
        in_slice = region[evaluated] == code
        pairs = region[arrays.annotation_items[keep]] == code
        model_f1 = f1_score(truth[in_slice], predicted[in_slice], average="micro", zero_division=np.nan)
        human_f1 = f1_score(ref[pairs], given[pairs], average="micro", zero_division=np.nan)
        assert row["items"] == in_slice.sum()
        assert row["gap"] == pytest.approx(human_f1 - model_f1, abs=1e-5)

    exact = (truth == predicted).all(axis=1)
    confidence = arrays.confidence[evaluated]
    for row in result["coverage"]:
        taken = confidence >= row["threshold"]
        assert row["items"] == taken.sum()
        if taken.any():
            assert row["accuracy"] == pytest.approx(accuracy_score(truth[taken], predicted[taken]), abs=1e-6)
    assert len(result["disagreements"]) == (~exact).sum()
    shown = [row["confidence"] for row in result["disagreements"]]
    assert shown == sorted(shown, reverse=True)
    assert all(row["settled"] != row["predicted"] for row in result["disagreements"])


def stored_values(arrays: SetArrays) -> list[tuple]:
    """The values of the arrays' codes as (start, end, label) tuples, read back from ``elements``."""
    e = arrays.elements
    return [
        tuple(zip(e.start[lo:hi].tolist(), e.end[lo:hi].tolist(), e.label[lo:hi].tolist(), strict=True))
        for lo, hi in zip(e.offsets[:-1].tolist(), e.offsets[1:].tolist(), strict=True)
    ]


def _check_multilabel(found: dict, truth: np.ndarray, predicted: np.ndarray) -> None:
    nan = {"zero_division": np.nan}
    assert found["n"] == len(truth)
    assert found["micro_f1"] == pytest.approx(f1_score(truth, predicted, average="micro", **nan), abs=1e-6)
    assert found["macro_f1"] == pytest.approx(f1_score(truth, predicted, average="macro", **nan), abs=1e-6)
    assert found["micro_precision"] == pytest.approx(precision_score(truth, predicted, average="micro", **nan))
    assert found["micro_recall"] == pytest.approx(recall_score(truth, predicted, average="micro", **nan))
    assert found["subset_accuracy"] == pytest.approx(accuracy_score(truth, predicted), abs=1e-6)
    assert found["hamming_loss"] == pytest.approx(hamming_loss(truth, predicted), abs=1e-6)
    per_label_f1 = f1_score(truth, predicted, average=None, **nan)
    kappas = []
    for index, row in enumerate(found["per_label"]):
        assert row["f1"] == pytest.approx(per_label_f1[index], abs=1e-6, nan_ok=True) or (
            row["f1"] is None and np.isnan(per_label_f1[index])
        )
        assert row["support"] == truth[:, index].sum() and row["predicted"] == predicted[:, index].sum()
        with warnings.catch_warnings():  # scikit-learn warns where kappa is undefined
            warnings.simplefilter("ignore")
            kappa = cohen_kappa_score(truth[:, index], predicted[:, index])
        kappas.append(kappa)
        if np.isnan(kappa):
            assert row["kappa"] is None
        else:
            assert row["kappa"] == pytest.approx(kappa, abs=1e-6)
    assert found["mean_kappa"] == pytest.approx(np.nanmean(kappas), abs=1e-6)
    low, high = found["micro_f1_interval"]
    assert low <= found["micro_f1"] <= high


def _span_sets(codes_by_item: dict[int, int], values: list[tuple]) -> set[tuple]:
    return {(item, *span) for item, code in codes_by_item.items() for span in values[code]}


def _check_spans(found: dict, truth: set[tuple], predicted: set[tuple], n: int) -> None:
    """Span-level exact match by scikit-learn: every span either side holds is one yes/no decision."""
    union = sorted(truth | predicted)
    y_true = np.array([span in truth for span in union])
    y_pred = np.array([span in predicted for span in union])
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=np.nan)
    assert found["n"] == n
    assert found["micro_precision"] == pytest.approx(p, abs=1e-6)
    assert found["micro_recall"] == pytest.approx(r, abs=1e-6)
    assert found["micro_f1"] == pytest.approx(f, abs=1e-6)
    per_label = []
    for index, row in enumerate(found["per_label"]):
        mine = np.array([span[3] == index for span in union], dtype=bool)
        if not mine.any():
            assert row["f1"] is None and row["support"] == 0
            continue
        p, r, f, _ = precision_recall_fscore_support(y_true[mine], y_pred[mine], average="binary", zero_division=np.nan)
        per_label.append(f)
        assert row["f1"] == pytest.approx(f, abs=1e-6)
        assert (row["precision"], row["recall"]) == pytest.approx((p, r), abs=1e-6, nan_ok=True) or (
            row["precision"] is None or row["recall"] is None
        )
        assert row["support"] == (y_true & mine).sum()
    assert found["macro_f1"] == pytest.approx(np.mean(per_label), abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_span_evaluation_matches_scikit_learn(seed):
    arrays = make_arrays(SPANS, seed)
    result = evaluate_sets(arrays)
    values = stored_values(arrays)
    settled, reference = _loop_references(arrays)
    evaluated = (settled >= 0) & (arrays.predicted >= 0)
    ids = np.flatnonzero(evaluated).tolist()
    truth = _span_sets({i: settled[i] for i in ids}, values)
    predicted = _span_sets({i: arrays.predicted[i] for i in ids}, values)
    _check_spans(result["model"], truth, predicted, len(ids))
    exact = [settled[i] == arrays.predicted[i] for i in ids]
    assert result["model"]["exact_match"] == pytest.approx(np.mean(exact))
    assert result["coverage"] == [] and result["confusion"] is None

    # people: each annotation is its own unit (keyed by its row), against its reference
    keep = np.flatnonzero(evaluated[arrays.annotation_items] & (reference >= 0)).tolist()
    ref = _span_sets({row: reference[row] for row in keep}, values)
    given = _span_sets({row: arrays.annotation_values[row] for row in keep}, values)
    _check_spans(result["human_level"], ref, given, len(keep))
    for entry in result["annotators"]:
        mine = [r for r in keep if arrays.annotation_annotators[r] == arrays.usernames.index(entry["annotator"])]
        ref = _span_sets({row: reference[row] for row in mine}, values)
        given = _span_sets({row: arrays.annotation_values[row] for row in mine}, values)
        _check_spans(entry, ref, given, len(mine))
    errors = [len(r["settled"]) + len(r["predicted"]) for r in result["disagreements"]]
    assert len(errors) == len(exact) - sum(exact)


def test_bootstrap_interval_agrees_with_scipy():
    arrays = make_arrays(MULTILABEL, 3, n_items=400)
    result = evaluate_sets(arrays)
    values = stored_values(arrays)
    settled, _ = _loop_references(arrays)
    evaluated = (settled >= 0) & (arrays.predicted >= 0)
    exact = (settled[evaluated] == arrays.predicted[evaluated]).astype(float)
    truth, predicted = _indicator(settled[evaluated], values), _indicator(arrays.predicted[evaluated], values)
    assert result["model"]["subset_accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    reference = stats.bootstrap(
        (exact,), np.mean, method="percentile", n_resamples=2000, random_state=np.random.default_rng(0)
    ).confidence_interval
    assert result["model"]["subset_accuracy_interval"] == pytest.approx((reference.low, reference.high), abs=0.015)
