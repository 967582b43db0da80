"""The common expectations the suite form offers, and what each of its fields holds."""

from typing import Any

# kind: column (a column name) | number | int | string | list (of values) | regex | bool | types (list of type names)
FORM_EXPECTATIONS: dict[str, dict[str, Any]] = {
    "expect_column_to_exist": {
        "label": "Column exists",
        "params": [{"name": "column", "kind": "column", "required": True}],
    },
    "expect_column_values_to_not_be_null": {
        "label": "Values are not null",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "mostly", "kind": "number", "required": False},
        ],
    },
    "expect_column_values_to_be_in_set": {
        "label": "Values are in a set",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "value_set", "kind": "list", "required": True},
            {"name": "mostly", "kind": "number", "required": False},
        ],
    },
    "expect_column_values_to_be_between": {
        "label": "Values are between",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "min_value", "kind": "number", "required": False},
            {"name": "max_value", "kind": "number", "required": False},
            {"name": "mostly", "kind": "number", "required": False},
        ],
    },
    "expect_column_values_to_be_unique": {
        "label": "Values are unique",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "mostly", "kind": "number", "required": False},
        ],
    },
    "expect_column_values_to_match_regex": {
        "label": "Values match a regular expression",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "regex", "kind": "regex", "required": True},
            {"name": "mostly", "kind": "number", "required": False},
        ],
    },
    "expect_column_value_lengths_to_be_between": {
        "label": "Text length is between",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "min_value", "kind": "int", "required": False},
            {"name": "max_value", "kind": "int", "required": False},
            {"name": "mostly", "kind": "number", "required": False},
        ],
    },
    "expect_table_row_count_to_be_between": {
        "label": "Row count is between",
        "params": [
            {"name": "min_value", "kind": "int", "required": False},
            {"name": "max_value", "kind": "int", "required": False},
        ],
    },
    "expect_column_values_to_be_in_type_list": {
        "label": "Column type is one of",
        "params": [
            {"name": "column", "kind": "column", "required": True},
            {"name": "type_list", "kind": "types", "required": True},
        ],
    },
}

# Type names the form offers for "types". A numeric, boolean or datetime column is matched by its
# pandas dtype name; a text column (or one of mixed objects) value by value, by Python type name.
FORM_TYPES = (
    "str",
    "int64",
    "float64",
    "int",
    "float",
    "bool",
    "boolean",
    "Int64",
    "Float64",
    "datetime64[ns]",
    "datetime64[us]",
)
