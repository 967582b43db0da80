"""The catalog of GX expectation types and their kwargs' JSON schemas, generated from the installed GX.

Suites are checked against ``gx_catalog.json`` so the web process never imports
great_expectations (its import takes seconds). After upgrading GX, regenerate it with
``python -m quality.validation.catalog``; a test fails while it is stale.
"""

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("gx_catalog.json")

# Fields of an expectation that GX serializes beside "kwargs", not inside it.
TOP_LEVEL_FIELDS = ("id", "meta", "notes", "description", "severity", "rendered_content")

# Row-wise by class, yet their answer for a row depends on other rows (or the column's dtype),
# so they need whole columns rather than chunks.
WHOLE_COLUMN_TYPES = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_increasing",
        "expect_column_values_to_be_decreasing",
        "expect_column_value_z_scores_to_be_less_than",
        "expect_column_values_to_not_be_outliers",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_of_type",
    }
)


def _strip(schema: Any) -> Any:
    """Drop prose GX embeds in its schemas (docstrings, titles, examples): they bloat the file."""
    if isinstance(schema, dict):
        return {
            key: (
                {name: _strip(sub) for name, sub in value.items()}
                if key in ("properties", "definitions")
                else _strip(value)
            )
            for key, value in schema.items()
            if key not in ("title", "examples") and not (key == "description" and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [_strip(value) for value in schema]
    return schema


def generate() -> dict[str, Any]:
    """Build the catalog from the installed great_expectations (slow: imports GX)."""
    import great_expectations
    from great_expectations.expectations.expectation import (
        BatchExpectation,
        ColumnAggregateExpectation,
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import (
        get_expectation_impl,
        list_registered_expectation_implementations,
    )

    expectations: dict[str, Any] = {}
    for name in sorted(list_registered_expectation_implementations()):
        cls = get_expectation_impl(name)
        schema = json.loads(cls.schema_json())
        properties = schema.get("properties", {})
        properties.pop("metadata", None)
        kwargs_schema = {
            "type": "object",
            "properties": {k: v for k, v in properties.items() if k not in TOP_LEVEL_FIELDS},
            "required": [k for k in schema.get("required", []) if k not in TOP_LEVEL_FIELDS],
            "additionalProperties": False,
        }
        if "definitions" in schema:
            kwargs_schema["definitions"] = schema["definitions"]
        if issubclass(cls, ColumnMapExpectation):
            shape = "column_map"
        elif issubclass(cls, ColumnPairMapExpectation):
            shape = "column_pair_map"
        elif issubclass(cls, MulticolumnMapExpectation):
            shape = "multicolumn_map"
        elif issubclass(cls, ColumnAggregateExpectation):
            shape = "column_aggregate"
        elif issubclass(cls, BatchExpectation):
            shape = "table"
        else:
            shape = "other"
        if name in WHOLE_COLUMN_TYPES:
            shape = "whole_column"
        expectations[name] = {
            "class": cls.__name__,
            "shape": shape,
            "fields": list(kwargs_schema["properties"]),
            "kwargs_schema": _strip(kwargs_schema),
        }
    return {"great_expectations_version": great_expectations.__version__, "expectations": expectations}


def dumps(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, indent=1, sort_keys=True) + "\n"


@cache
def load() -> dict[str, Any]:
    """The committed catalog (read once per process)."""
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


def main() -> None:
    CATALOG_PATH.write_text(dumps(generate()), encoding="utf-8")
    print(f"wrote {CATALOG_PATH} ({len(load.__wrapped__()['expectations'])} expectation types)", file=sys.stderr)


if __name__ == "__main__":
    main()
