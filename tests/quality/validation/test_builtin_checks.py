"""Each built-in check on small frames with a known answer, streamed in several chunks."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

from datasets.files.reader import content_hashes
from quality.validation import CheckSettings, validate_batch
from quality.validation.checks import FirstSeen


def chunked(frame: pd.DataFrame, size: int = 3) -> list[pd.DataFrame]:
    frame = frame.assign(__row__=np.arange(1, len(frame) + 1))
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def run(frame, *, reference=None, size=3, **kwargs):
    kwargs.setdefault("settings", CheckSettings())
    report = validate_batch(chunked(frame, size), suite=None, content_column="text", reference=reference, **kwargs)
    json.dumps(report.results, allow_nan=False)  # every report is strict JSON
    return report


def by_type(report, name):
    (result,) = [r for r in report.results if r["type"] == name]
    return result


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_empty_content_rows_are_a_failed_result_with_row_numbers():
    frame = pd.DataFrame({"text": ["a", "", "b", None, " \t ", "c", "d"]})
    report = run(frame)
    result = by_type(report, "empty_content")
    assert result["success"] is False
    assert result["severity"] == "critical"
    assert result["unexpected_count"] == 3
    assert result["unexpected_percent"] == pytest.approx(300 / 7)
    assert result["samples"] == [{"row": 2, "value": ""}, {"row": 4, "value": ""}, {"row": 5, "value": " \t "}]
    assert report.passed is False
    assert report.summary["critical_failed"] == 1


def test_empty_content_severity_comes_from_settings():
    report = run(pd.DataFrame({"text": ["a", ""]}), settings=CheckSettings(empty_content_severity="warning"))
    assert by_type(report, "empty_content")["severity"] == "warning"
    assert report.passed is True
    assert report.summary["warnings"] == 1


def test_duplicates_within_the_batch_across_chunks():
    texts = ["alpha", "beta", "alpha", "gamma", "beta", "delta", "alpha"]
    report = run(pd.DataFrame({"text": texts}), size=2)
    result = by_type(report, "duplicates_in_batch")
    assert result["unexpected_count"] == int(pd.Series(texts).duplicated().sum()) == 3
    assert result["samples"] == [
        {"row": 3, "value": "alpha", "duplicate_of": 1},
        {"row": 5, "value": "beta", "duplicate_of": 2},
        {"row": 7, "value": "alpha", "duplicate_of": 1},
    ]
    assert result["severity"] == "warning"
    assert report.passed is True  # duplicates only warn by default


def test_duplicates_against_the_dataset_by_content_hash():
    asked: list[list[str]] = []
    dataset = {sha("old one"), sha("old two")}

    def known(hashes):
        asked.append(hashes)
        return dataset & set(hashes)

    report = run(pd.DataFrame({"text": ["new", "old one", "old two", "new", "other"]}), known_hashes=known, size=2)
    result = by_type(report, "duplicates_in_dataset")
    assert result["unexpected_count"] == 2
    assert [s["row"] for s in result["samples"]] == [2, 3]
    # Hashes are the importer's: SHA-256 of the UTF-8 text, and in-batch repeats are not asked again.
    assert sorted(h for batch in asked for h in batch) == sorted(
        content_hashes(__import__("pyarrow").array(["new", "old one", "old two", "other"]))
    )
    assert by_type(report, "duplicates_in_batch")["unexpected_count"] == 1


def test_hashes_the_reader_already_computed_are_used():
    frame = pd.DataFrame({"text": ["a", "b"], "__hash__": ["h1", "h2"]})
    report = run(frame, known_hashes=lambda hashes: {"h2"} & set(hashes))
    assert [s["row"] for s in by_type(report, "duplicates_in_dataset")["samples"]] == [2]


def test_near_duplicates_within_the_batch_and_against_the_reference():
    reference = pd.DataFrame({"text": ["The cat sat", "Something else"]})
    texts = ["Hello   World", "hello world", "HELLO world ", "the  CAT sat", "unique", "hello world"]
    report = run(pd.DataFrame({"text": texts}), reference=reference, size=4)
    result = by_type(report, "near_duplicates")
    # Row 6 repeats row 2 exactly: a duplicate, not also a near duplicate.
    assert result["unexpected_count"] == 3
    assert result["samples"] == [
        {"row": 2, "value": "hello world", "matches": "batch", "duplicate_of": 1},
        {"row": 3, "value": "HELLO world ", "matches": "batch", "duplicate_of": 1},
        {"row": 4, "value": "the  CAT sat", "matches": "reference"},
    ]
    assert by_type(report, "duplicates_in_batch")["unexpected_count"] == 1


def test_near_duplicates_of_non_ascii_text():
    report = run(pd.DataFrame({"text": ["Über Straße", "über  straße", "ÜBER STRASSE", "über\u00a0straße"]}))
    assert [s["row"] for s in by_type(report, "near_duplicates")["samples"]] == [2, 4]


def test_first_seen_remembers_the_first_row_of_each_key():
    seen = FirstSeen()
    first = seen.add(np.array([5, 3, 5, 9], dtype=np.int64), np.array([1, 2, 3, 4]))
    assert first.tolist() == [0, 0, 1, 0]
    first = seen.add(np.array([9, 7, 7, 3], dtype=np.int64), np.array([5, 6, 7, 8]))
    assert first.tolist() == [4, 0, 6, 2]
    assert seen.keys.tolist() == [3, 5, 7, 9]
    assert seen.contains(np.array([7, 8], dtype=np.int64)).tolist() == [True, False]


def test_schema_against_the_reference():
    reference = pd.DataFrame({"text": ["a", "b"], "age": [30, 40], "city": ["x", "y"], "score": [1.5, 2.5]})
    batch = pd.DataFrame(
        {
            "text": ["c", "d", "e"],
            "age": [31, "unknown", 35],
            "score": [1, 2, 3],
            "extra": [1, 2, 3],
            "id": ["1", "2", "3"],
        }
    )
    report = run(batch, reference=reference, size=2)
    assert by_type(report, "new_columns")["observed_value"] == ["extra"]  # "id" is the external id, not metadata
    assert by_type(report, "missing_columns")["observed_value"] == ["city"]
    retyped = by_type(report, "retyped_columns")
    assert retyped["observed_value"] == ["age"]  # ints and floats are both numbers
    assert retyped["details"]["types"] == {"age": {"reference": "number", "batch": "mixed"}}
    assert all(r["severity"] == "critical" for r in report.results if r["check"] == "schema")
    assert report.passed is False


def test_schema_passes_when_columns_match_and_is_skipped_for_a_first_batch():
    reference = pd.DataFrame({"text": ["a"], "n": [1]})
    report = run(pd.DataFrame({"text": ["b", "c"], "n": [None, 2.0]}), reference=reference)
    assert [r["success"] for r in report.results if r["check"] == "schema"] == [True, True, True]
    assert not [r for r in run(pd.DataFrame({"text": ["b"]})).results if r["check"] == "schema"]


def test_labels_outside_the_schema_and_class_balance():
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        {"text": [f"r{i}" for i in range(400)], "label": rng.choice(["pos", "neg"], 400, p=[0.5, 0.5])}
    )
    labels = ["pos"] * 150 + ["neg"] * 40 + ["meh", None, "", "POS"]
    batch = pd.DataFrame({"text": [f"b{i}" for i in range(len(labels))], "label": labels})
    report = run(batch, reference=reference, label_column="label", labels=["pos", "neg"], size=50)
    values = by_type(report, "label_values")
    assert values["unexpected_count"] == 2
    assert values["samples"] == [{"row": 191, "value": "meh"}, {"row": 194, "value": "POS"}]
    assert values["unexpected_percent"] == pytest.approx(100 * 2 / 192)
    balance = by_type(report, "class_balance")
    assert balance["check"] == "class_balance"
    assert balance["details"]["method"] == "z"
    from statsmodels.stats.proportion import proportions_ztest

    categories = balance["details"]["histogram"]["categories"]
    first = categories[0]
    reference_first = int((reference["label"] == first).sum())
    batch_first = {"pos": 150, "neg": 40}[first]
    assert balance["details"]["p_value"] == pytest.approx(
        proportions_ztest([reference_first, batch_first], [400, 190])[1]
    )
    assert balance["success"] is False


def test_numeric_label_values_read_as_floats_match_text_labels():
    report = run(
        pd.DataFrame({"text": ["a", "b", "c"], "label": [1.0, 2.0, 7.0]}), label_column="label", labels=["1", "2", "3"]
    )
    assert [s["value"] for s in by_type(report, "label_values")["samples"]] == [7.0]


def test_drift_per_column_with_small_reference_uses_tests():
    rng = np.random.default_rng(2)
    reference = pd.DataFrame(
        {
            "text": [f"a text of some length {i}" for i in range(500)],
            "price": rng.normal(10, 2, 500),
            "lang": rng.choice(["en", "de", "fr"], 500, p=[0.6, 0.3, 0.1]),
            "verified": rng.choice([True, False], 500),
        }
    )
    batch = pd.DataFrame(
        {
            "text": [f"another much longer text about something else {i}" for i in range(600)],
            "price": rng.normal(13, 2, 600),
            "lang": rng.choice(["en", "de", "fr"], 600, p=[0.6, 0.3, 0.1]),
            "verified": rng.choice([True, False], 600),
        }
    )
    report = run(batch, reference=reference, size=100)
    drifts = {
        r["column"] if r["type"] == "column_drift" else r["type"]: r for r in report.results if r["check"] == "drift"
    }
    price = drifts["price"]
    assert price["details"]["method"] == "ks"
    assert price["details"]["p_value"] == pytest.approx(stats.ks_2samp(reference["price"], batch["price"]).pvalue)
    assert price["success"] is False
    assert price["severity"] == "warning"
    lang = drifts["lang"]
    assert lang["details"]["method"] == "chisquare"
    ref_counts = reference["lang"].value_counts()
    cur_counts = batch["lang"].value_counts().reindex(ref_counts.index, fill_value=0)
    expected = stats.chisquare(cur_counts, ref_counts * len(batch) / len(reference))
    assert lang["details"]["p_value"] == pytest.approx(expected.pvalue)
    assert drifts["verified"]["details"]["method"] == "z"
    length = drifts["text_length_drift"]
    assert length["details"]["method"] == "ks"
    assert length["details"]["p_value"] == pytest.approx(
        stats.ks_2samp(reference["text"].str.len(), batch["text"].str.len()).pvalue
    )
    assert length["success"] is False
    vocabulary = drifts["vocabulary_drift"]
    assert vocabulary["success"] is False
    assert 0 < vocabulary["details"]["out_of_vocabulary_share"] < 1
    assert report.passed is True  # drift warns by default


def test_drift_with_large_reference_uses_distances():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"text": ["t"] * 3000, "x": rng.normal(0, 1, 3000), "c": rng.choice(list("abcd"), 3000)})
    batch = pd.DataFrame({"text": ["t"] * 2000, "x": rng.normal(0.05, 1, 2000), "c": rng.choice(list("abcd"), 2000)})
    report = run(batch, reference=reference, size=700)
    x = next(r for r in report.results if r["column"] == "x")
    assert x["details"]["method"] == "wasserstein"
    assert x["observed_value"] == pytest.approx(
        stats.wasserstein_distance(reference["x"], batch["x"]) / np.std(reference["x"])
    )
    assert x["success"] is True
    c = next(r for r in report.results if r["column"] == "c")
    assert c["details"]["method"] == "jensenshannon"
    shares = pd.DataFrame(
        {"r": reference["c"].value_counts(normalize=True), "b": batch["c"].value_counts(normalize=True)}
    )
    assert c["observed_value"] == pytest.approx(distance.jensenshannon(shares["r"], shares["b"]))
    assert c["success"] is True
    assert c["details"]["reference_size"] == 3000
    assert c["details"]["batch_size"] == 2000


def test_drift_compares_a_bounded_sample_of_a_large_batch():
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"text": ["t"] * 200, "x": rng.normal(0, 1, 200)})
    batch = pd.DataFrame({"text": ["t"] * 5000, "x": rng.normal(0, 1, 5000)})
    settings = CheckSettings(batch_sample_rows=1000)
    report = run(batch, reference=reference, size=800, settings=settings)
    x = next(r for r in report.results if r["column"] == "x")
    assert x["details"]["batch_size"] == 1000
    assert x["success"] is True


def test_free_text_metadata_is_not_drift_tested_and_methods_follow_settings():
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"text": ["t"] * 300, "note": [f"n{i}" for i in range(300)], "x": rng.normal(0, 1, 300)})
    batch = pd.DataFrame({"text": ["t"] * 300, "note": [f"m{i}" for i in range(300)], "x": rng.normal(0, 1, 300)})
    report = run(
        batch, reference=reference, size=100, settings=CheckSettings(numeric_method="psi", drift_severity="critical")
    )
    columns = {r["column"] for r in report.results if r["type"] == "column_drift"}
    assert columns == {"x"}
    x = next(r for r in report.results if r["column"] == "x")
    assert x["details"]["method"] == "psi"
    assert x["severity"] == "critical"
    off = run(batch, reference=reference, settings=CheckSettings(check_drift=False))
    assert not [r for r in off.results if r["check"] == "drift"]


def test_progress_is_reported_up_to_one():
    seen: list[float] = []
    run(pd.DataFrame({"text": [str(i) for i in range(10)]}), size=4, on_progress=seen.append, total_rows=10)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert 0 < seen[0] < 1


def test_rows_are_counted_from_one_when_the_chunks_carry_no_numbers():
    chunks = [pd.DataFrame({"text": ["a", "b"]}), pd.DataFrame({"text": ["a", ""]}, index=[0, 1])]
    report = validate_batch(chunks, suite=None, settings=CheckSettings(), content_column="text", reference=None)
    assert by_type(report, "duplicates_in_batch")["samples"] == [{"row": 3, "value": "a", "duplicate_of": 1}]
    assert by_type(report, "empty_content")["samples"] == [{"row": 4, "value": ""}]


def test_drift_sample_is_the_bottom_k_of_its_keys():
    from quality.validation.drift_checks import DriftSample

    sample = DriftSample(50, seed=3)
    frames = [pd.DataFrame({"v": np.arange(start, start + 40)}) for start in range(0, 400, 40)]
    for frame in frames:
        sample.feed(frame)
    kept = sample.frame()
    keys = np.random.default_rng(3).random(400)  # the same draws, chunk after chunk
    assert sorted(kept["v"].tolist()) == sorted(np.argsort(keys)[:50].tolist())
    small = DriftSample(500)
    small.feed(frames[0])
    assert small.frame()["v"].tolist() == list(range(40))
