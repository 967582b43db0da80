"""Span agreement: F1 on hand-worked examples, token alpha against the krippendorff package."""

import krippendorff
import numpy as np
import pytest

from labeling.agreement import span_report
from labeling.agreement.spans import token_ratings

TEXTS = ["Alice met Bob in Paris", "the quick brown fox", "no entities here"]


def report_for(rows, spans, *, texts=TEXTS, n_annotators=3, n_labels=2, bootstrap=0):
    """rows: [(item, annotator)]; spans: [(row, start, end, label)]."""
    items = np.array([r[0] for r in rows], dtype=np.int64)
    annotators = np.array([r[1] for r in rows], dtype=np.int64)
    columns = [np.array([s[k] for s in spans], dtype=np.int64) for k in range(4)]
    return span_report(
        items, annotators, *columns, texts=texts, n_annotators=n_annotators, n_labels=n_labels, bootstrap=bootstrap
    )


# Item 0 "Alice met Bob in Paris": Alice 0-5, Bob 10-13, Paris 17-22. Labels: 0 person, 1 place.
# Annotator 0: Alice/person, Bob/person, Paris/place.
# Annotator 1: Alice/person (exact), "Bob in"/person 10-16 (overlap only), Paris/person (wrong label).
ROWS = [(0, 0), (0, 1)]
SPANS = [(0, 0, 5, 0), (0, 10, 13, 0), (0, 17, 22, 1), (1, 0, 5, 0), (1, 10, 16, 0), (1, 17, 22, 0)]


def test_exact_and_overlap_f1_worked_by_hand():
    report = report_for(ROWS, SPANS)
    # 6 spans in all. Exact: Alice on both sides -> 2 matched -> 2/6.
    assert report["f1_exact"] == pytest.approx(2 / 6)
    # Overlap (same label, a shared character): A's Alice and Bob, B's Alice and "Bob in" -> 4/6.
    # B's Paris/person overlaps A's Paris only with another label, so it is not matched.
    assert report["f1_overlap"] == pytest.approx(4 / 6)
    (pair,) = report["pairwise"]
    assert (pair["a"], pair["b"], pair["n"]) == (0, 1, 1)
    assert pair["f1_exact"] == pytest.approx(2 / 6) and pair["f1_overlap"] == pytest.approx(4 / 6)
    person, place = report["per_label"]
    # person: A has 2, B has 3 -> 5 spans; exact 2 matched; overlap 4 matched.
    assert person["f1_exact"] == pytest.approx(2 / 5) and person["f1_overlap"] == pytest.approx(4 / 5)
    # place: only A's Paris -> 1 span, unmatched.
    assert place["f1_exact"] == 0.0 and place["f1_overlap"] == 0.0


def test_micro_average_over_pairs_and_items():
    rows = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    spans = [
        (0, 0, 5, 0),  # item 0, annotators 0, 1, 2 all mark Alice
        (1, 0, 5, 0),
        (2, 0, 5, 0),
        (2, 17, 22, 1),  # annotator 2 also marks Paris
        (3, 4, 9, 1),  # item 1: "quick" vs "quick brown" -> overlap, not exact
        (4, 4, 15, 1),
    ]
    report = report_for(rows, spans)
    # Pairs: item 0 (0,1): 1+1 spans, 2 matched; (0,2): 1+2, 2 matched; (1,2): 1+2, 2 matched;
    # item 1 (0,1): 1+1, exact 0, overlap 2. Totals 10 spans.
    assert report["f1_exact"] == pytest.approx(6 / 10)
    assert report["f1_overlap"] == pytest.approx(8 / 10)
    pairs = {(p["a"], p["b"]): p for p in report["pairwise"]}
    assert pairs[(0, 1)]["n"] == 2
    assert pairs[(0, 1)]["f1_exact"] == pytest.approx(2 / 4)
    assert pairs[(0, 1)]["f1_overlap"] == pytest.approx(4 / 4)
    assert pairs[(0, 2)]["f1_exact"] == pytest.approx(2 / 3)


def test_token_categories_and_alpha_match_krippendorff_package():
    rows = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (2, 1)]
    spans = [(0, 0, 5, 0), (0, 17, 22, 1), (1, 0, 9, 0), (1, 17, 22, 1), (2, 10, 13, 0), (3, 4, 15, 1), (4, 10, 19, 1)]
    items = np.array([r[0] for r in rows])
    unit, category, _, n_tokens = token_ratings(
        items, *[np.array([s[k] for s in spans]) for k in range(4)], texts=TEXTS, n_labels=2
    )
    assert n_tokens == 5 + 4 + 3
    # Annotator 1 on item 0 ("Alice met" as person): tokens Alice, met -> 0; Paris -> 1; the rest outside (2).
    assert category[5:10].tolist() == [0, 0, 2, 2, 1]
    # Item 1: "quick brown" vs "brown fox".
    assert category[15:19].tolist() == [2, 1, 1, 2] and category[19:23].tolist() == [2, 2, 1, 1]
    annotators = np.array([r[1] for r in rows])
    data = np.full((3, n_tokens), np.nan)
    owner = np.repeat(np.arange(len(rows)), [5, 5, 5, 4, 4, 3, 3])
    data[annotators[owner], unit] = category
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    report = report_for(rows, spans, bootstrap=300)
    assert report["token_alpha"] == pytest.approx(reference, abs=1e-9)
    low, high = report["token_alpha_ci"]
    assert low <= report["token_alpha"] <= high


@pytest.mark.parametrize("seed", range(3))
def test_token_alpha_on_random_spans_matches_krippendorff_package(seed):
    rng = np.random.default_rng(seed)
    words = ["w" * int(n) for n in rng.integers(1, 6, 400)]
    texts = [" ".join(words[i : i + 8]) for i in range(0, 400, 8)]
    rows, spans = [], []
    for item, text in enumerate(texts):
        starts = [i for i, ch in enumerate(text) if ch != " " and (i == 0 or text[i - 1] == " ")]
        for annotator in range(3):
            if rng.random() < 0.2:
                continue
            row = len(rows)
            rows.append((item, annotator))
            for start in rng.choice(starts, size=2, replace=False):
                end = min(len(text), int(start) + int(rng.integers(1, 12)))
                spans.append((row, int(start), end, int(rng.integers(0, 3))))
    items = np.array([r[0] for r in rows])
    annotators = np.array([r[1] for r in rows])
    columns = [np.array([s[k] for s in spans]) for k in range(4)]
    unit, category, _, n_tokens = token_ratings(items, *columns, texts=texts, n_labels=3)
    tokens_per_item = np.array([len(t.split()) for t in texts])
    owner = np.repeat(np.arange(len(rows)), tokens_per_item[items])
    data = np.full((3, n_tokens), np.nan)
    data[annotators[owner], unit] = category
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    report = span_report(items, annotators, *columns, texts=texts, n_annotators=3, n_labels=3)
    assert report["token_alpha"] == pytest.approx(reference, abs=1e-9)


def test_spans_outside_the_text_are_rejected():
    with pytest.raises(ValueError, match="start < end"):
        report_for([(2, 0)], [(0, 3, 99, 0)])
