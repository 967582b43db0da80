"""What kind of values a column holds, as a person reading the schema would name it."""

import pandas as pd

# kinds: number, boolean, string, datetime, mixed, empty (all null)
_INFERRED = {
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
    "decimal": "number",
    "boolean": "boolean",
    "string": "string",
    "empty": "empty",
    "datetime": "datetime",
    "datetime64": "datetime",
    "date": "datetime",
}


def column_kind(series: pd.Series) -> str:
    """The kind of a column's non-null values; "mixed" when they disagree (numbers and text...)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number" if series.notna().any() else "empty"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "string" if series.notna().any() else "empty"
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    return _INFERRED.get(inferred, "mixed")


def merge_kinds(kinds: set[str]) -> str:
    """One kind for kinds seen in several chunks of the same column."""
    kinds = kinds - {"empty"}
    if not kinds:
        return "empty"
    return kinds.pop() if len(kinds) == 1 else "mixed"
