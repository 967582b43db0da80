"""The GX suite inside validate_batch: chunked results equal plain GX's, errors become results, suggestions hold."""

import json

import numpy as np
import pandas as pd
import pytest

from quality.validation import CheckSettings, suite_normalize, suite_suggest, validate_batch

ROWS = 2_000


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    price = rng.normal(50, 20, ROWS)
    price[rng.random(ROWS) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "text": pd.Series(
                [f"Item {i % 1500} is {'fine' if i % 4 else 'broken'}" for i in range(ROWS)], dtype="str"
            ),
            "price": price,
            "qty": rng.integers(0, 12, ROWS),
            "lang": pd.Series(rng.choice(["en", "de", "fr", "xx"], ROWS, p=[0.5, 0.3, 0.15, 0.05]), dtype="str"),
            "code": pd.Series([f"c-{i}" if i % 37 else f"C{i}" for i in range(ROWS)], dtype="str"),
            "a": rng.integers(0, 3, ROWS),
            "b": rng.integers(0, 3, ROWS),
        }
    )


SUITE = suite_normalize(
    {
        "name": "mixed",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "price", "min_value": 10, "max_value": 90},
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "price", "min_value": 0, "mostly": 0.9},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "price"}, "severity": "warning"},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "price", "mostly": 0.9}},
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "lang", "value_set": ["en", "de", "fr"]},
            },
            {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "code", "regex": "^c-[0-9]+$"}},
            {
                "type": "expect_column_value_lengths_to_be_between",
                "kwargs": {"column": "code", "min_value": 3, "max_value": 5},
            },
            {"type": "expect_column_pair_values_to_be_equal", "kwargs": {"column_A": "a", "column_B": "b"}},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "text"}},
            {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "b", "qty"]}},
            {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "qty", "min_value": 5, "max_value": 6}},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "price", "max_value": 200}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 10, "max_value": 1999}},
            {
                "type": "expect_table_columns_to_match_set",
                "kwargs": {"column_set": ["text", "price", "qty", "lang", "code", "a", "b"]},
            },
            {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "qty", "type_list": ["int64"]}},
            {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "lang", "type_list": ["str"]}},
        ],
    }
)


def chunked(frame: pd.DataFrame, size: int, first_row: int = 1) -> list[pd.DataFrame]:
    frame = frame.assign(__row__=np.arange(first_row, first_row + len(frame)))
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def plain_gx(frame: pd.DataFrame, suite: dict) -> list[dict]:
    """The same suite run by GX alone on the whole frame, in the suite's order."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    definition = context.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    expectations = [{**e, "meta": {"position": i}} for i, e in enumerate(suite["expectations"])]
    outcome = definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        gx.ExpectationSuite(name="plain", expectations=expectations), result_format="SUMMARY"
    )
    results = sorted(outcome.results, key=lambda r: r.expectation_config.meta["position"])
    return [r.to_json_dict() for r in results]


@pytest.mark.parametrize("chunk_rows", [ROWS, 333])
def test_chunked_results_equal_plain_gx(frame, chunk_rows, monkeypatch):
    from quality.validation import engine

    monkeypatch.setattr(engine, "BLOCK_ROWS", 500)  # several GX runs even for a small frame
    report = validate_batch(
        chunked(frame, chunk_rows), suite=SUITE, settings=CheckSettings(), content_column="text", reference=None
    )
    ours = [r for r in report.results if r["check"] == "expectation"]
    theirs = plain_gx(frame, SUITE)
    assert len(ours) == len(theirs) == len(SUITE["expectations"])
    for mine, plain in zip(ours, theirs, strict=True):
        where = mine["type"], mine["kwargs"]
        assert mine["error"] is None, where
        if mine["kwargs"] == {"column": "lang", "type_list": ["str"]}:
            # GX 1.x matches no type name against pandas 3's "str" dtype; we check the values' types.
            assert (mine["success"], plain["success"]) == (True, False)
            continue
        assert mine["success"] == plain["success"], where
        result = plain["result"]
        if "unexpected_count" in result:
            assert mine["unexpected_count"] == result["unexpected_count"], where
            assert mine["unexpected_percent"] == pytest.approx(result["unexpected_percent"]), where
        if "observed_value" in result:
            assert (
                mine["observed_value"] == pytest.approx(result["observed_value"])
                if isinstance(result["observed_value"], float)
                else mine["observed_value"] == result["observed_value"]
            ), where
    failing = {r["type"] for r in ours if not r["success"]}
    assert "expect_column_values_to_be_in_set" in failing
    assert "expect_table_row_count_to_be_between" in failing


def test_samples_carry_file_row_numbers_and_are_capped(frame):
    report = validate_batch(
        chunked(frame, 300, first_row=2),
        suite=SUITE,
        settings=CheckSettings(),
        content_column="text",
        reference=None,
        max_samples=5,
    )
    in_set = next(r for r in report.results if r["type"] == "expect_column_values_to_be_in_set")
    assert len(in_set["samples"]) == 5
    for sample in in_set["samples"]:
        assert frame.loc[sample["row"] - 2, "lang"] == sample["value"] == "xx"
    expected_rows = (np.flatnonzero(frame["lang"].to_numpy() == "xx")[:5] + 2).tolist()
    assert [s["row"] for s in in_set["samples"]] == expected_rows
    unique = next(r for r in report.results if r["type"] == "expect_column_values_to_be_unique")
    assert 0 < len(unique["samples"]) <= 5
    for sample in unique["samples"]:
        assert frame.loc[sample["row"] - 2, "text"] == sample["value"]
    json.dumps(report.results, allow_nan=False)


def test_what_gx_cannot_evaluate_is_a_failed_result_not_an_exception(frame):
    suite = suite_normalize(
        {
            "name": "broken",
            "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "missing"}},
                {
                    "type": "expect_column_mean_to_be_between",
                    "kwargs": {"column": "nope", "min_value": 0},
                    "severity": "info",
                },
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "lang", "min_value": 0}},
                {"type": "expect_column_to_exist", "kwargs": {"column": "text"}},
            ],
        }
    )
    report = validate_batch(
        chunked(frame, 700), suite=suite, settings=CheckSettings(), content_column="text", reference=None
    )
    missing, mean, mistyped, exists = [r for r in report.results if r["check"] == "expectation"]
    assert missing["success"] is False and "missing" in missing["error"]
    assert mean["success"] is False and "nope" in mean["error"] and mean["severity"] == "info"
    assert mistyped["success"] is False and mistyped["error"]
    assert exists["success"] is True and exists["error"] is None
    assert report.passed is False
    json.dumps(report.results, allow_nan=False)


def test_warning_expectations_do_not_fail_the_batch(frame):
    suite = suite_normalize(
        {
            "name": "soft",
            "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "price"}, "severity": "warning"}
            ],
        }
    )
    report = validate_batch(
        chunked(frame, 1000), suite=suite, settings=CheckSettings(), content_column="text", reference=None
    )
    result = next(r for r in report.results if r["check"] == "expectation")
    assert result["success"] is False
    assert result["samples"][0]["value"] is None  # NaN is stored as null
    assert report.passed is True


def realistic(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(["US", "DE", "FR", "UK"], rows).astype(object)
    country[rng.random(rows) < 0.03] = None
    return pd.DataFrame(
        {
            "text": pd.Series(
                [f"Review {i}: the product was {'great' if i % 3 else 'awful'} overall" for i in range(rows)],
                dtype="str",
            ),
            "rating": rng.integers(1, 6, rows),
            "price": rng.gamma(2.0, 10.0, rows).round(2),
            "lang": pd.Series(rng.choice(["en", "de", "fr"], rows), dtype="str"),
            "verified": rng.choice([True, False], rows),
            "country": pd.Series(country, dtype="str"),
        }
    )


def test_a_suggested_suite_passes_its_own_data_and_catches_corruption():
    reference = realistic(3000, 1)
    suite = suite_suggest(reference, name="suggested", content_column="text")
    kinds = {(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]}
    assert ("expect_column_values_to_be_in_set", "lang") in kinds
    assert ("expect_column_values_to_be_between", "price") in kinds
    assert ("expect_column_values_to_be_in_type_list", "rating") in kinds
    assert all(e["meta"]["suggested_because"] for e in suite["expectations"])
    country_nulls = next(
        e
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null" and e["kwargs"]["column"] == "country"
    )
    assert 0.85 <= country_nulls["kwargs"]["mostly"] < 0.97
    assert country_nulls["severity"] == "warning"
    text_lengths = next(e for e in suite["expectations"] if e["type"] == "expect_column_value_lengths_to_be_between")
    assert text_lengths["severity"] == "warning"  # a longer text than the sample's does not stop a batch

    same = validate_batch(
        chunked(reference, 700), suite=suite, settings=CheckSettings(), content_column="text", reference=None
    )
    assert [r["type"] for r in same.results if not r["success"]] == []
    assert same.passed is True

    corrupted = reference.copy()
    corrupted.loc[5, "price"] = 1e6
    corrupted.loc[6, "lang"] = "klingon"
    corrupted.loc[7, "text"] = ""
    corrupted["rating"] = corrupted["rating"].astype(object)
    corrupted.loc[8, "rating"] = "five"
    report = validate_batch(
        chunked(corrupted, 700), suite=suite, settings=CheckSettings(), content_column="text", reference=None
    )
    failed = {(r["type"], r["column"]): r for r in report.results if not r["success"]}
    assert failed[("expect_column_values_to_be_between", "price")]["samples"] == [{"row": 6, "value": 1e6}]
    assert failed[("expect_column_values_to_be_in_set", "lang")]["samples"] == [{"row": 7, "value": "klingon"}]
    assert ("expect_column_value_lengths_to_be_between", "text") in failed
    assert ("empty_content", "text") in failed
    assert ("expect_column_values_to_be_in_type_list", "rating") in failed
    assert report.passed is False
    json.dumps(report.results, allow_nan=False)


def test_drift_and_suite_together_with_reference_is_strict_json():
    reference = realistic(800, 2)
    batch = realistic(1200, 3)
    batch["price"] = batch["price"] * 3
    suite = suite_suggest(reference, name="s", content_column="text")
    report = validate_batch(
        chunked(batch, 250), suite=suite, settings=CheckSettings(), content_column="text", reference=reference
    )
    price = next(r for r in report.results if r["type"] == "column_drift" and r["column"] == "price")
    assert price["success"] is False
    histogram = price["details"]["histogram"]
    assert len(histogram["edges"]) == len(histogram["reference"]) + 1 == len(histogram["batch"]) + 1
    text = json.dumps(report.results, allow_nan=False)
    assert json.loads(text) == report.results
    assert report.summary["rows"] == 1200
    assert report.summary["checks"] == len(report.results)


def test_an_empty_batch_is_reported_not_raised():
    suite = suite_normalize(
        {"name": "s", "expectations": [{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]}
    )
    report = validate_batch(iter([]), suite=suite, settings=CheckSettings(), content_column="text", reference=None)
    (row_count,) = [r for r in report.results if r["check"] == "expectation"]
    assert row_count["success"] is False
    assert row_count["observed_value"] == 0
    assert report.summary["rows"] == 0
    assert report.passed is False


KIND_A = {"type": "comparison", "column": {"name": "kind"}, "operator": "==", "parameter": "a"}


def test_nested_metadata_new_columns_and_row_conditions():
    suite = suite_normalize(
        {
            "name": "s",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "n", "min_value": 0, "row_condition": KIND_A},
                },
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": "n", "row_condition": KIND_A},
                },
            ],
        }
    )
    first = pd.DataFrame({"text": ["x", "y"], "meta": [{"a": 1}, {"b": [1, 2]}], "n": [1, -5], "kind": ["a", "b"]})
    second = pd.DataFrame(
        {"text": ["z", "w"], "meta": [{"a": 2}, None], "n": [-1, 1], "kind": ["a", "a"], "later": [1, 2]}
    )
    reference = pd.DataFrame(
        {"text": ["p", "q", "r"], "meta": [{"a": 1}, {"a": 3}, {}], "n": [1, 2, 3], "kind": ["a", "b", "a"]}
    )
    chunks = [first.assign(__row__=[1, 2]), second.assign(__row__=[3, 4])]
    report = validate_batch(chunks, suite=suite, settings=CheckSettings(), content_column="text", reference=reference)
    between, unique = [r for r in report.results if r["check"] == "expectation"]
    assert between["samples"] == [{"row": 3, "value": -1}]  # row 2 (-5) is of kind "b"
    assert unique["unexpected_count"] == 2  # n = 1 twice among kind "a"
    assert next(r for r in report.results if r["type"] == "new_columns")["observed_value"] == ["later"]
    assert not [r for r in report.results if r["column"] == "meta" and r["check"] == "drift"]
    json.dumps(report.results, allow_nan=False)


def test_validating_without_a_suite_does_not_import_great_expectations():
    import subprocess
    import sys

    code = (
        "import sys\nimport pandas as pd\nfrom quality.validation import CheckSettings, validate_batch\n"
        "chunk = pd.DataFrame({'text': ['a', 'b'], '__row__': [1, 2]})\n"
        "report = validate_batch([chunk], suite=None, settings=CheckSettings(), content_column='text',"
        " reference=None)\n"
        "print(report.passed, 'great_expectations' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False"


def test_every_form_type_name_is_one_gx_understands():
    frame = pd.DataFrame(
        {
            "text": pd.Series(["a", "b"], dtype="str"),
            "i": [1, 2],
            "f": [1.5, None],
            "b": [True, False],
            "o": pd.Series([1, 2.5], dtype=object),
            "d": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    )
    from quality.validation import FORM_TYPES

    matches = {
        "text": ["str"],
        "i": ["int64"],
        "f": ["float64"],
        "b": ["bool"],
        "o": ["int", "float"],
        "d": ["datetime64[us]"],
    }
    expectations = [
        {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": c, "type_list": t}}
        for c, t in matches.items()
    ]
    expectations.append(
        {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "i", "type_list": ["str"]}}
    )
    suite = suite_normalize({"name": "types", "expectations": expectations})
    report = validate_batch(
        chunked(frame, 1), suite=suite, settings=CheckSettings(), content_column="text", reference=None
    )
    outcomes = [r["success"] for r in report.results if r["check"] == "expectation"]
    assert outcomes == [True] * len(matches) + [False]
    assert {name for names in matches.values() for name in names} <= set(FORM_TYPES)
