"""The three reports on edge cases (always JSON-safe, None with a reason) and their per-annotator figures."""

import json
import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from labeling.agreement import classification_report, multilabel_report, span_report
from tests.labeling.agreement.synthetic import random_ratings, reliability_matrix

ROOT = Path(__file__).resolve().parents[3]


def dumps(report: dict) -> str:
    return json.dumps(report, allow_nan=False)


def classification(items, annotators, values, *, n_items, n_annotators=3, n_categories=3, level="nominal"):
    report = classification_report(
        np.array(items, dtype=np.int64),
        np.array(annotators, dtype=np.int64),
        np.array(values, dtype=np.int64),
        n_items=n_items,
        n_annotators=n_annotators,
        n_categories=n_categories,
        level=level,
        bootstrap=200,
    )
    dumps(report)
    return report


def multilabel(items, annotators, sets, *, n_items, n_labels=3):
    matrix = np.zeros((len(sets), n_labels), dtype=bool)
    for row, chosen in enumerate(sets):
        matrix[row, list(chosen)] = True
    report = multilabel_report(
        np.array(items, dtype=np.int64),
        np.array(annotators, dtype=np.int64),
        matrix,
        n_items=n_items,
        n_annotators=3,
        bootstrap=200,
    )
    dumps(report)
    return report


def spans(items, annotators, span_rows, *, texts):
    columns = [np.array([s[k] for s in span_rows], dtype=np.int64) for k in range(4)]
    report = span_report(
        np.array(items, dtype=np.int64),
        np.array(annotators, dtype=np.int64),
        *columns,
        texts=texts,
        n_annotators=3,
        n_labels=2,
        bootstrap=100,
    )
    dumps(report)
    return report


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_no_annotations(level):
    report = classification([], [], [], n_items=4, level=level)
    assert report["annotations"] == report["items"] == report["items_compared"] == 0
    for key in ("krippendorff_alpha", "krippendorff_alpha_ci", "fleiss_kappa", "percent_agreement", "gwet_ac"):
        assert report[key] is None
    assert report["reasons"]["krippendorff_alpha"] == "no annotations"
    assert report["pairwise"] == [] and report["per_annotator"] == []
    report = multilabel([], [], [], n_items=2)
    assert report["krippendorff_alpha"] is None and report["reasons"]["krippendorff_alpha"] == "no annotations"
    report = spans([], [], [], texts=["a b"])
    assert report["f1_exact"] is None and report["token_alpha"] is None
    assert report["reasons"]["f1_exact"] == "no annotations"


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_one_annotation_per_item(level):
    report = classification([0, 1, 2], [0, 1, 2], [0, 1, 2], n_items=3, level=level)
    assert report["items"] == 3 and report["items_compared"] == 0
    assert report["krippendorff_alpha"] is None
    assert report["reasons"]["krippendorff_alpha"] == "every item has a single annotation"
    assert report["fleiss_kappa"] is None
    assert report["reasons"]["fleiss_kappa"] == "every item has a single annotation"
    assert report["reasons"]["pairwise"] == "no two annotators share an item"
    assert report["per_annotator"][0]["percent_agreement"] is None
    report = multilabel([0, 1], [0, 1], [{0}, {1}], n_items=2)
    assert report["reasons"]["krippendorff_alpha"] == "every item has a single annotation"
    report = spans([0], [0], [(0, 0, 1, 0)], texts=["a b"])
    assert report["reasons"]["f1_exact"] == "every item has a single annotation"


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_all_agree_with_one_label(level):
    report = classification([0, 0, 1, 1, 1], [0, 1, 0, 1, 2], [2, 2, 2, 2, 2], n_items=2, level=level)
    assert report["krippendorff_alpha"] is None
    assert "expected disagreement is zero" in report["reasons"]["krippendorff_alpha"]
    assert report["percent_agreement"] == 1.0  # the raw figure stays defined
    assert report["fleiss_kappa"] is None
    assert report["pairwise"][0]["cohen_kappa"] is None and "chance agreement is one" in report["pairwise"][0]["reason"]
    assert report["per_label"][2]["alpha"] is None and report["per_label"][2]["count"] == 5
    report = multilabel([0, 0], [0, 1], [{1}, {1}], n_items=1)
    assert report["krippendorff_alpha"] is None and report["percent_agreement"] == 1.0
    assert "expected disagreement is zero" in report["reasons"]["krippendorff_alpha"]


def test_single_item_with_disagreement():
    report = classification([0, 0, 0], [0, 1, 2], [0, 1, 1], n_items=1)
    reference = krippendorff.alpha(reliability_data=[[0], [1], [1]], level_of_measurement="nominal")
    assert report["krippendorff_alpha"] == pytest.approx(reference, abs=1e-12)
    assert report["percent_agreement"] == pytest.approx(1 / 3)
    # One item cannot be resampled into a spread: the interval is absent or a single point, never NaN.
    assert report["krippendorff_alpha_ci"] is None or len(report["krippendorff_alpha_ci"]) == 2


def test_annotators_who_share_no_items():
    # Annotators 0 and 1 share items 0-1; annotator 2 labels items 2-3 alone.
    report = classification([0, 0, 1, 1, 2, 3], [0, 1, 0, 1, 2, 2], [0, 0, 1, 2, 1, 1], n_items=4)
    assert [(p["a"], p["b"]) for p in report["pairwise"]] == [(0, 1)]
    lonely = next(entry for entry in report["per_annotator"] if entry["annotator"] == 2)
    assert lonely["percent_agreement"] is None and lonely["mean_kappa"] is None
    assert lonely["reason"] == "shares no item with another annotator"
    assert lonely["alpha_without"] == pytest.approx(report["krippendorff_alpha"], abs=1e-12)


def test_bad_input_is_a_value_error_with_a_message():
    with pytest.raises(ValueError, match="level"):
        classification([0], [0], [0], n_items=1, level="ratio")
    with pytest.raises(ValueError, match="values must be codes"):
        classification([0], [0], [7], n_items=1)
    with pytest.raises(ValueError, match="annotators has 1 entries, expected 2"):
        classification_report(
            np.array([0, 1]), np.array([0]), np.array([0, 1]), n_items=2, n_annotators=1, n_categories=2
        )
    with pytest.raises(ValueError, match="matrix"):
        multilabel_report(np.array([0]), np.array([0]), np.zeros((2, 2), bool), n_items=1, n_annotators=1)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_per_annotator_figures_against_a_direct_computation(level):
    n_items, n_annotators, n_categories = 150, 4, 4
    items, annotators, values = random_ratings(
        3, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories, keep=0.7
    )
    report = classification(
        items, annotators, values, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories, level=level
    )
    grid = reliability_matrix(items, annotators, values, n_items=n_items, n_annotators=n_annotators)
    pair_kappa = {(p["a"], p["b"]): p for p in report["pairwise"]}
    for entry in report["per_annotator"]:
        a = entry["annotator"]
        others = np.delete(grid, a, axis=0)
        expected = krippendorff.alpha(
            reliability_data=others, level_of_measurement=level, value_domain=np.arange(n_categories)
        )
        assert entry["alpha_without"] == pytest.approx(expected, abs=1e-9)
        shares = []
        for item in range(n_items):
            if np.isnan(grid[a, item]):
                continue
            rest = others[:, item][~np.isnan(others[:, item])]
            if rest.size:
                shares.append(np.mean(rest == grid[a, item]))
        assert entry["n"] == int((~np.isnan(grid[a])).sum())
        assert entry["n_compared"] == len(shares)
        assert entry["percent_agreement"] == pytest.approx(np.mean(shares), abs=1e-12)
        mine = [p for (x, y), p in pair_kappa.items() if a in (x, y)]
        weighted = sum(p["cohen_kappa"] * p["n"] for p in mine) / sum(p["n"] for p in mine)
        assert entry["mean_kappa"] == pytest.approx(weighted, abs=1e-12)


def test_reports_on_random_data_are_json_safe():
    for seed in range(5):
        items, annotators, values = random_ratings(seed, n_items=30, n_annotators=3, n_categories=2 + seed, keep=0.4)
        for level in ("nominal", "ordinal", "interval"):
            classification(items, annotators, values, n_items=30, n_categories=2 + seed, level=level)
        multilabel(items, annotators, [{v % 3} if v % 2 else set() for v in values.tolist()], n_items=30)


def test_per_label_alpha_is_binary_alpha_of_one_label_against_the_rest():
    n_items, n_annotators, n_categories = 120, 4, 4
    items, annotators, values = random_ratings(6, n_items=n_items, n_annotators=n_annotators, n_categories=3)
    report = classification(
        items, annotators, values, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories
    )
    grid = reliability_matrix(items, annotators, values, n_items=n_items, n_annotators=n_annotators)
    for entry in report["per_label"][:3]:
        binary = np.where(np.isnan(grid), np.nan, (grid == entry["label"]).astype(float))
        expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        assert entry["alpha"] == pytest.approx(expected, abs=1e-9)
        assert entry["count"] == int((values == entry["label"]).sum())
    unused = report["per_label"][3]
    assert unused["count"] == 0 and unused["alpha"] is None and unused["reason"]


def test_the_package_imports_no_django():
    code = "import sys, labeling.agreement; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0
