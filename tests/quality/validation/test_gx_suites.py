"""Suites: checked without GX against the committed catalog, and that catalog checked against the installed GX."""

import json
import subprocess
import sys

import pytest

from quality.validation import (
    FORM_EXPECTATIONS,
    CheckSettings,
    SuiteError,
    catalog,
    suite_from_form,
    suite_normalize,
    suite_to_form,
)

FORM_ROWS = [
    {"type": "expect_column_to_exist", "severity": "critical", "column": "text"},
    {"type": "expect_column_values_to_not_be_null", "severity": "critical", "column": "text", "mostly": "0.95"},
    {"type": "expect_column_values_to_be_in_set", "severity": "warning", "column": "lang", "value_set": "en, de, 3"},
    {"type": "expect_column_values_to_be_between", "severity": "info", "column": "price", "min_value": "0"},
    {"type": "expect_column_values_to_be_unique", "severity": "warning", "column": "id"},
    {"type": "expect_column_values_to_match_regex", "severity": "warning", "column": "id", "regex": "^c-[0-9]+$"},
    {"type": "expect_column_value_lengths_to_be_between", "column": "text", "min_value": "1", "max_value": "5000"},
    {"type": "expect_table_row_count_to_be_between", "severity": "critical", "min_value": "1", "max_value": ""},
    {
        "type": "expect_column_values_to_be_in_type_list",
        "severity": "warning",
        "column": "price",
        "type_list": "int64,float64",
    },
]


@pytest.fixture(scope="module")
def gx():
    import great_expectations

    return great_expectations


def _suite(*expectations):
    return {"name": "s", "expectations": list(expectations)}


def test_normalize_matches_gx_serialisation(gx):
    raw = _suite(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "a", "min_value": 1, "max_value": 3, "mostly": 0.95},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "a", "value_set": [1, 2]},
            "severity": "warning",
        },
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "strict_min": False}},
        {
            "type": "expect_column_value_lengths_to_be_between",
            "kwargs": {"column": "t", "min_value": 1, "max_value": 3.0},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 1}, "meta": {"why": "x"}},
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "t", "regex": "^a"},
            "notes": "n",
            "description": "d",
        },
    )
    raw["id"] = "0f6f0b9c-1f1e-4c1b-9a7e-2f7f3d0c1a11"
    raw["expectations"][0]["id"] = "1f6f0b9c-1f1e-4c1b-9a7e-2f7f3d0c1a11"
    ours = suite_normalize(json.dumps(raw))
    theirs = gx.ExpectationSuite(**raw).to_json_dict()
    assert json.dumps(ours) == json.dumps(theirs)  # the same keys, values and order
    assert ours["expectations"][2]["severity"] == "critical"
    assert ours["expectations"][2]["kwargs"] == {"min_value": 1}  # defaults left out, as GX does
    assert ours["expectations"][0]["kwargs"]["min_value"] == 1.0


def test_normalize_accepts_gx_0x_spelling_and_replaces_the_name():
    suite = suite_normalize(
        {"name": "old", "expectations": [{"expectation_type": "expect_column_to_exist", "kwargs": {"column": "a"}}]},
        name="new",
    )
    assert suite["name"] == "new"
    assert suite["expectations"][0]["type"] == "expect_column_to_exist"


@pytest.mark.parametrize(
    ("suite", "reason"),
    [
        ('{"name": "s", "expectations": [', "malformed JSON"),
        ("[]", "JSON object"),
        ({"expectations": []}, "needs a name"),
        ({"name": "s", "expectations": [], "extra": 1}, "unknown suite field"),
        (_suite({"type": "expect_nope", "kwargs": {}}), "expectation 1 (expect_nope): unknown expectation type"),
        (
            _suite(
                {"type": "expect_column_to_exist", "kwargs": {"column": "a"}},
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "foo": 1, "min_value": 0}},
            ),
            "expectation 2 (expect_column_values_to_be_between): unknown kwarg(s): foo",
        ),
        (_suite({"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 1}}), "missing kwarg: 'column'"),
        (_suite({"type": "expect_column_values_to_be_between", "kwargs": {"column": "a"}}), "cannot both be empty"),
        (
            _suite({"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": "abc"}}),
            "min_value",
        ),
        (
            _suite(
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "a", "min_value": 5, "max_value": 1},
                }
            ),
            "greater than",
        ),
        (
            _suite({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 2}}),
            "mostly: 2 is greater than the maximum",
        ),
        (_suite({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": ""}}), "column"),
        (
            _suite({"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": []}}),
            "value_set",
        ),
        (
            _suite({"type": "expect_column_values_to_match_regex", "kwargs": {"column": "a", "regex": "("}}),
            "not a valid regular expression",
        ),
        (
            _suite({"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "severity": "fatal"}),
            "severity must be one of",
        ),
        (_suite({"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "bogus": 1}), "unknown field(s): bogus"),
        (_suite({"type": "expect_column_to_exist", "kwargs": ["a"]}), "kwargs must be a JSON object"),
        (
            _suite(
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "a", "min_value": {"$PARAMETER": "x"}},
                }
            ),
            "suite parameters",
        ),
        (_suite("expect_column_to_exist"), "expectation 1: must be a JSON object"),
        (_suite({"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "id": "e-1"}), "id must be a UUID"),
        ({"name": "s", "id": 5, "expectations": []}, "id must be a UUID"),
    ],
)
def test_bad_suites_raise_with_the_reason(suite, reason):
    with pytest.raises(SuiteError) as error:
        suite_normalize(suite)
    assert reason in str(error.value)


def test_the_committed_catalog_is_what_the_installed_gx_generates(gx):
    assert catalog.load()["great_expectations_version"] == gx.__version__
    assert catalog.dumps(catalog.generate()) == catalog.CATALOG_PATH.read_text(encoding="utf-8")


def test_form_expectations_are_in_the_catalog():
    known = catalog.load()["expectations"]
    for expectation_type, spec in FORM_EXPECTATIONS.items():
        properties = known[expectation_type]["kwargs_schema"]["properties"]
        assert {param["name"] for param in spec["params"]} <= set(properties), expectation_type


def test_catalog_valid_suites_build_in_gx(gx):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = suite_from_form(FORM_ROWS, name="form")
    more = suite_normalize(
        _suite(
            {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "a", "min_value": 0}},
            {"type": "expect_column_pair_values_to_be_equal", "kwargs": {"column_A": "a", "column_B": "b"}},
            {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "b"]}},
            {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["a", "b"], "exact_match": False}},
            {"type": "expect_column_values_to_match_regex_list", "kwargs": {"column": "a", "regex_list": ["^a", "b$"]}},
            {
                "type": "expect_column_quantile_values_to_be_between",
                "kwargs": {"column": "a", "quantile_ranges": {"quantiles": [0.5], "value_ranges": [[0, 1]]}},
            },
        )
    )
    for expectation in suite["expectations"] + more["expectations"]:
        built = ExpectationConfiguration(**expectation).to_domain_obj()
        assert built.expectation_type == expectation["type"]
    assert gx.ExpectationSuite(**more).to_json_dict() == more


def test_form_round_trip():
    suite = suite_from_form(FORM_ROWS, name="form")
    assert [e["type"] for e in suite["expectations"]] == [row["type"] for row in FORM_ROWS]
    by_type = {e["type"]: e for e in suite["expectations"]}
    assert by_type["expect_column_values_to_be_in_set"]["kwargs"]["value_set"] == ["en", "de", "3"]
    assert by_type["expect_column_values_to_not_be_null"]["kwargs"]["mostly"] == 0.95
    numbers = suite_from_form(
        [{"type": "expect_column_values_to_be_in_set", "column": "n", "value_set": "1, 2.5"}], name="n"
    )
    assert numbers["expectations"][0]["kwargs"]["value_set"] == [1, 2.5]
    assert by_type["expect_table_row_count_to_be_between"]["kwargs"] == {"min_value": 1}
    assert by_type["expect_column_value_lengths_to_be_between"]["severity"] == "critical"
    rows = suite_to_form(suite)
    assert not any(row.get("advanced") for row in rows)
    assert suite_from_form(rows, name="form") == suite


def test_form_keeps_what_it_cannot_show_as_advanced_json():
    suite = suite_normalize(
        _suite(
            {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "a", "min_value": 0}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "min_value": 0, "row_condition": 'b == "x"', "condition_parser": "pandas"},
            },
            {"type": "expect_column_to_exist", "kwargs": {"column": "a"}},
        )
    )
    rows = suite_to_form(suite)
    assert [bool(row.get("advanced")) for row in rows] == [True, True, False]
    assert json.loads(rows[0]["json"]) == suite["expectations"][0]
    assert suite_from_form(rows, name="s") == suite


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([{"type": "expect_nope"}], "row 1: unknown expectation type"),
        (
            [FORM_ROWS[0], {"type": "expect_column_to_exist", "column": ""}],
            "row 2 (expect_column_to_exist): column is required",
        ),
        (
            [{"type": "expect_column_values_to_be_between", "column": "a", "min_value": "ten"}],
            "min_value must be a number",
        ),
        ([{"type": "expect_table_row_count_to_be_between", "min_value": "1.5"}], "whole number"),
        (
            [{"type": "expect_column_values_to_match_regex", "column": "a", "regex": "[", "severity": "warning"}],
            "row 1 (expect_column_values_to_match_regex): regex: not a valid",
        ),
        (
            [{"type": "expect_column_to_exist", "column": "a", "severity": "loud"}],
            "row 1 (expect_column_to_exist): severity",
        ),
        ([{"advanced": True, "json": "{oops"}], "row 1: malformed JSON"),
    ],
)
def test_bad_form_rows_name_the_row(rows, reason):
    with pytest.raises(SuiteError) as error:
        suite_from_form(rows, name="s")
    assert reason in str(error.value)


def test_check_settings_round_trip_and_reject_bad_values():
    settings = CheckSettings(p_value=0.01, numeric_method="psi", drift_severity="critical")
    assert CheckSettings.from_dict(settings.asdict()) == settings
    loaded = CheckSettings.from_dict({"distance_threshold": 1})  # a whole number is accepted for a float
    assert loaded.distance_threshold == 1.0
    assert isinstance(loaded.distance_threshold, float)
    for bad, reason in [
        ({"nope": 1}, "unknown check setting"),
        ({"p_value": "0.05"}, "must be float"),
        ({"p_value": 0}, "positive"),
        ({"p_value": 1.5}, "below 1"),
        ({"reference_rows": 0}, "at least 1"),
        ({"numeric_method": "magic"}, "numeric_method"),
        ({"categorical_method": "ks"}, "categorical_method"),
        ({"drift_severity": "loud"}, "drift_severity"),
        ({"check_drift": "yes"}, "must be bool"),
        ([], "JSON object"),
    ]:
        with pytest.raises(SuiteError, match=reason):
            CheckSettings.from_dict(bad)


def test_checking_suites_does_not_import_great_expectations():
    code = (
        "import sys\nfrom quality.validation import suite_normalize, suite_from_form, suite_suggest, CheckSettings\n"
        "exists = {'type': 'expect_column_to_exist', 'kwargs': {'column': 'a'}}\n"
        "suite_normalize({'name': 's', 'expectations': [exists]})\n"
        "print(any(m.split('.')[0] in ('great_expectations', 'django') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
