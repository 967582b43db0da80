"""Suggesting a suite from a sample of the current dataset version, as TFDV infers a schema.

GX 1.x dropped its profilers, so this is ours: columns that exist, their types, not-null where
the sample has no nulls (or ``mostly`` with a margin where it has a few), value sets of
low-cardinality columns, numeric and text-length ranges with a margin, a non-empty batch.
Every suggestion says why in its meta, for the person who reviews it before saving.
"""

import math
from typing import Any

import numpy as np
import pandas as pd

from quality.validation import drift
from quality.validation.checks import IGNORED_COLUMNS
from quality.validation.columns import column_kind
from quality.validation.suites import suite_normalize

MAX_SET_VALUES = 20  # a column with at most this many distinct values gets a value set...
MAX_SET_SHARE = 0.5  # ...when they repeat: distinct values at most half the non-null rows
RANGE_MARGIN = 0.1  # share of the observed range added on both sides
NULL_MARGIN = 0.05  # allowed null share above the observed one
TYPE_LISTS = {
    # pandas dtype names GX compares whole columns with, and the Python types it checks per
    # value when a column holds objects.
    "number": ["int64", "float64", "Int64", "Float64", "int", "float"],
    "string": ["str"],
    "boolean": ["bool", "boolean"],
    "datetime": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
}


def _expectation(expectation_type: str, why: str, severity: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": expectation_type, "kwargs": kwargs, "severity": severity, "meta": {"suggested_because": why}}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _column_suggestions(column: str, series: pd.Series, *, is_content: bool, rows: int) -> list[dict[str, Any]]:
    kind = column_kind(series)
    out = [
        _expectation(
            "expect_column_to_exist",
            f"the column is in the current version ({kind})",
            "critical" if is_content else "warning",
            column=column,
        )
    ]
    if kind in TYPE_LISTS:
        out.append(
            _expectation(
                "expect_column_values_to_be_in_type_list",
                f"its values are {kind}s",
                "critical" if is_content else "warning",
                column=column,
                type_list=TYPE_LISTS[kind],
            )
        )
    nulls = int(series.isna().sum())
    if nulls == 0:
        out.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                f"no nulls in {rows} rows",
                "critical" if is_content else "warning",
                column=column,
            )
        )
    elif nulls < rows:
        observed = 1 - nulls / rows
        mostly = math.floor(max(observed - NULL_MARGIN, 0) * 100) / 100
        if mostly > 0:
            out.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    f"{nulls / rows:.1%} nulls in {rows} rows; allowed up to {1 - mostly:.0%}",
                    "warning",
                    column=column,
                    mostly=mostly,
                )
            )
    values = series.dropna()
    if values.empty:
        return out
    if kind == "number":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        numbers = numbers[np.isfinite(numbers)]
        if len(numbers):
            low, high = float(numbers.min()), float(numbers.max())
            margin = (high - low) * RANGE_MARGIN
            integers = bool(np.all(numbers == np.round(numbers)))
            low_bound, high_bound = low - margin, high + margin
            if integers:
                low_bound, high_bound = math.floor(low_bound), math.ceil(high_bound)
            if low >= 0:
                low_bound = max(low_bound, 0)
            out.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    f"observed {_number(low)} to {_number(high)}, widened by {RANGE_MARGIN:.0%} of the range",
                    "warning",
                    column=column,
                    min_value=_number(low_bound),
                    max_value=_number(high_bound),
                )
            )
    if kind in ("string", "number") and not is_content:
        distinct = values.unique()
        few = len(distinct) <= (MAX_SET_VALUES if kind == "string" else drift.NUMERIC_AS_CATEGORICAL_MAX_VALUES)
        if few and len(distinct) <= MAX_SET_SHARE * len(values):
            value_set = sorted(v.item() if isinstance(v, np.generic) else v for v in distinct)
            out.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    f"{len(value_set)} distinct values in {len(values)} rows",
                    "warning",
                    column=column,
                    value_set=value_set,
                )
            )
    if kind == "string":
        lengths = values.astype("str").str.len()
        low, high = int(lengths.min()), int(lengths.max())
        margin = max(math.ceil((high - low) * RANGE_MARGIN), 1)
        low_bound = max(low - margin, 1 if is_content else 0)
        out.append(
            _expectation(
                "expect_column_value_lengths_to_be_between",
                f"observed lengths {low} to {high}, widened by {RANGE_MARGIN:.0%} of the range",
                "warning",  # a longer text than the sample's is news, not breakage; empty content has its own check
                column=column,
                min_value=min(low_bound, low),
                max_value=high + margin,
            )
        )
    return out


def suite_suggest(frame: pd.DataFrame, *, name: str, content_column: str) -> dict:
    """A normalized suite for a person to review: columns, types, nulls, value sets, ranges, lengths, row count."""
    rows = len(frame)
    expectations = [
        _expectation("expect_table_row_count_to_be_between", "a batch should not be empty", "critical", min_value=1)
    ]
    for column in frame.columns:
        if column in IGNORED_COLUMNS:
            continue
        expectations.extend(
            _column_suggestions(str(column), frame[column], is_content=column == content_column, rows=rows)
        )
    return suite_normalize({"name": name, "expectations": expectations})
