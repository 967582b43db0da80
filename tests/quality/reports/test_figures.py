"""The report's figures against pandas and scikit-learn on the same arrays."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

from quality.reports import figures
from quality.reports.build import versions_compared
from quality.reports.presentation import compare_rows

LABELS = ["pos", "neg", "neu"]


def test_class_balance_equals_counted_values():
    rng = np.random.default_rng(3)
    codes = rng.integers(-1, 3, size=5_000)
    counted = pd.Series(codes[codes >= 0]).value_counts()
    balance = figures.class_balance(codes, LABELS)
    assert [row["count"] for row in balance] == [int(counted.get(i, 0)) for i in range(3)]
    assert sum(row["share"] for row in balance) == 1.0 or abs(sum(row["share"] for row in balance) - 1) < 1e-12


def test_coverage_counts_items_by_annotations():
    per_item = np.array([0, 0, 1, 2, 3, 3, 5])
    result = figures.coverage(per_item, overlap=3)
    expected = pd.Series(per_item).value_counts()
    assert {row["annotations"]: row["items"] for row in result["by_annotations"] if row["items"]} == expected.to_dict()
    assert result["at_full_overlap"] == 3 and result["unlabeled"] == 2


def test_label_changes_match_a_confusion_matrix():
    rng = np.random.default_rng(5)
    parent_ids = np.arange(1, 2001)
    parent = rng.integers(-1, 3, size=parent_ids.size)
    item_ids = np.arange(1, 2501)  # 500 new items
    now = rng.integers(-1, 3, size=item_ids.size)
    shuffled = rng.permutation(parent_ids.size)  # the parent's snapshot in any order
    result = figures.label_changes(item_ids, now, parent_ids[shuffled], parent[shuffled], 3)
    before = np.concatenate([parent, np.full(500, -1)])
    both = (before >= 0) & (now >= 0)
    assert result["matrix"] == confusion_matrix(before[both], now[both], labels=[0, 1, 2]).tolist()
    assert result["gained"] == int(((before < 0) & (now >= 0)).sum())
    assert result["changed"] == int((both & (before != now)).sum())
    assert result["lost"] == int(((before >= 0) & (now < 0)).sum())


def test_overturns_by_label_and_annotator():
    majority = np.array([0, 0, 1, 1, -1, 2])
    adjudicated = np.array([0, 1, 1, -1, 2, 0])
    result = figures.overturns(majority, adjudicated, LABELS)
    assert (result["reviewed"], result["overturned"]) == (4, 2)
    assert [(r["reviewed"], r["overturned"]) for r in result["by_label"]] == [(2, 1), (1, 0), (1, 1)]
    rows_item = np.array([0, 1, 1, 5])
    rows_annotator = np.array([0, 0, 1, 1])
    rows_value = np.array([0, 0, 1, 2])
    per = figures.annotator_overturns(rows_item, rows_annotator, rows_value, adjudicated, ["a", "b"])
    assert [(p["adjudicated"], p["overturned"]) for p in per] == [(2, 1), (2, 1)]


def test_total_variation_and_item_set_hash():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    assert figures.total_variation(p, q) == 0.5
    assert figures.item_set_hash(["b", "a", "c"]) == figures.item_set_hash(["c", "b", "a"])
    assert figures.item_set_hash(["a"]) != figures.item_set_hash(["a", "b"])


def test_item_set_hash_of_an_array_equals_the_hash_of_the_texts():
    rng = np.random.default_rng(9)
    texts = [f"{value:064x}" for value in rng.integers(0, 2**62, size=500)]
    packed = np.array([t.encode() for t in texts], dtype="S64")
    assert figures.item_set_hash_of_array(packed) == figures.item_set_hash(texts)
    assert figures.item_set_hash_of_array(packed[::-1]) == figures.item_set_hash(texts)  # order does not matter
    assert figures.item_set_hash_of_array(np.array([], dtype="S64")) == figures.item_set_hash([])


def test_compare_rows_read_as_figures():
    a = {"summary": {"items": 1200}, "agreement": {"krippendorff_alpha": 0.58292044},
         "labels": {"class_balance": [{"label": "pos", "share": 0.25}]}}  # fmt: skip
    b = {"summary": {"items": 1500}, "agreement": {"krippendorff_alpha": 0.61},
         "labels": {"class_balance": [{"label": "pos", "share": 0.3}, {"label": "neg", "share": 0.7}]}}  # fmt: skip
    shown = compare_rows(versions_compared(a, b), {"items": "Items"})
    rows = {row["figure"]: row for row in shown["rows"]}
    assert (rows["Items"]["a"], rows["Items"]["b"], rows["Items"]["delta"]) == ("1,200", "1,500", "+300")
    assert rows["krippendorff_alpha"]["a"] == "0.583" and rows["krippendorff_alpha"]["delta"] == "+0.027"
    assert rows["failed_checks"]["a"] == "\N{EN DASH}"
    assert shown["balance"][0] == {"label": "pos", "a": "25.0%", "b": "30.0%", "change": "+5.0 pp"}
    assert shown["balance"][1]["a"] == "\N{EN DASH}"


@pytest.mark.parametrize("kind", ["digests", "common prefix", "ties and duplicates", "odd width", "two"])
def test_bytes_order_sorts_as_numpy_does(kind):
    rng = np.random.default_rng(len(kind))
    if kind == "digests":
        rows = np.array([hashlib.sha256(str(n).encode()).hexdigest().encode() for n in range(3000)], dtype="S64")
    elif kind == "common prefix":  # every row shares its first words: they are compared, never sorted
        rows = np.array([f"{n:064x}".encode() for n in rng.permutation(3000)], dtype="S64")
    elif kind == "ties and duplicates":  # rows tied over several words, some of them equal
        rows = rng.choice(np.frombuffer(b"ab", dtype="S1"), size=(3000, 24)).view("S24").reshape(-1)
        rows[rng.random(3000) < 0.2] = b"\x00" * 7 + b"z" + b"a" * 16
    elif kind == "odd width":
        rows = rng.choice(np.frombuffer(b"xyz", dtype="S1"), size=(500, 5)).view("S5").reshape(-1)
    else:
        rows = np.array([b"b" * 16, b"a" * 16], dtype="S16")
    assert np.array_equal(rows[figures.bytes_order(rows)], np.sort(rows))
