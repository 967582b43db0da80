"""The pure rules of suggestions: the value a prediction suggests, the holdout, the margin."""

import numpy as np
from scipy.stats import binomtest

from labeling.suggestions.values import suggested_value, uncertainty, uncertainty_rank, withheld

LABELS = ["positive", "negative", "neutral"]


def test_classification_suggests_the_most_probable_label():
    found = suggested_value(task_type="classification", set_labels=LABELS, labels=LABELS, prediction=[0.2, 0.7, 0.1])
    assert (found.value, found.confidence) == ("negative", 0.7)


def test_a_label_removed_since_the_upload_suggests_nothing():
    assert suggested_value(task_type="image", set_labels=LABELS, labels=LABELS[:1], prediction=[0.2, 0.7, 0.1]) is None
    assert suggested_value(task_type="classification", set_labels=LABELS, labels=LABELS, prediction=[0.5, 0.5]) is None
    assert suggested_value(task_type="classification", set_labels=LABELS, labels=LABELS, prediction=None) is None


def test_multilabel_suggests_every_label_at_the_threshold_in_schema_order():
    found = suggested_value(task_type="multilabel", set_labels=LABELS[::-1], labels=LABELS, prediction=[0.5, 0.49, 0.9])
    assert found.value == ["positive", "neutral"]


def test_spans_need_a_spans_key():
    spans = {"spans": [{"start": 0, "end": 3, "label": "positive", "score": 0.9}, {"start": 4, "end": 5, "label": "x"}]}
    found = suggested_value(task_type="spans", set_labels=LABELS, labels=LABELS, prediction=spans)
    assert found.value == [{"start": 0, "end": 3, "label": "positive"}]
    assert suggested_value(task_type="spans", set_labels=LABELS, labels=LABELS, prediction=[0.1, 0.9]) is None


def test_the_holdout_share_is_honoured_and_the_same_on_every_request():
    pairs = [(item, annotator) for item in range(1, 2001) for annotator in range(1, 11)]
    picks = [withheld(item_id=i, annotator_id=a, share=0.1) for i, a in pairs]
    # A fixed hash: the count is fixed too; it must look like 10% drawn at random.
    assert binomtest(sum(picks), len(picks), 0.1).pvalue > 0.01
    assert picks == [withheld(item_id=i, annotator_id=a, share=0.1) for i, a in pairs]
    assert not any(withheld(item_id=i, annotator_id=a, share=0.0) for i, a in pairs[:500])
    assert all(withheld(item_id=i, annotator_id=a, share=1.0) for i, a in pairs[:500])


def test_the_margin_against_numpy():
    rng = np.random.default_rng(3)
    probabilities = rng.dirichlet(np.ones(4), size=200)
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    expected = top_two[:, 1] - top_two[:, 0]
    got = [uncertainty(task_type="classification", prediction=row.tolist()) for row in probabilities]
    np.testing.assert_allclose(got, expected)
    per_label = rng.random((200, 3))
    got = [uncertainty(task_type="multilabel", prediction=row.tolist()) for row in per_label]
    np.testing.assert_allclose(got, np.abs(2 * per_label - 1).min(axis=1))
    assert uncertainty(task_type="spans", prediction={"spans": []}) is None


def test_the_rank_sorts_like_the_margin():
    margins = [0.0, 0.0004, 0.001, 0.5, 0.999, 1.0]
    ranks = [uncertainty_rank(m) for m in margins]
    assert ranks == ["0000", "0000", "0001", "0500", "0999", "1000"]
    assert uncertainty_rank(None) == "9999" > max(ranks)
