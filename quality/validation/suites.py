"""Parsing and checking GX suites without importing great_expectations (its import takes seconds).

Each expectation is checked against the JSON schema of its kwargs in ``gx_catalog.json``
(generated from the installed GX), plus the few rules GX keeps in validators a schema cannot
express. The result is what GX's ``ExpectationSuite.to_json_dict()`` gives for the same suite:
kwargs coerced as GX's models coerce them and kwargs equal to their default left out.
"""

import datetime
import json
import math
import re
import uuid
from functools import cache
from typing import Any

import jsonschema
from jsonschema import Draft7Validator

from quality.validation.errors import SuiteError
from quality.validation.form import FORM_EXPECTATIONS
from quality.validation.settings import SEVERITIES

SUITE_KEYS = ("name", "id", "expectations", "meta", "notes")
EXPECTATION_KEYS = ("type", "kwargs", "meta", "notes", "description", "severity", "id", "rendered_content")
MAX_EXPECTATIONS = 1000
REGEX_KWARGS = ("regex", "regex_list")


def _catalog() -> dict[str, Any]:
    # Imported on first use, so ``python -m quality.validation.catalog`` can run that module as a script.
    from quality.validation.catalog import load

    return load()


def _multiple_of(validator: Any, divisor: float, instance: Any, schema: dict) -> Any:
    """multipleOf with a float tolerance, as pydantic checks it (0.95 is a multiple of 0.01)."""
    if not validator.is_type(instance, "number"):
        return
    quotient = instance / divisor
    if not math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9):
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {divisor}")


_Validator = jsonschema.validators.extend(Draft7Validator, {"multipleOf": _multiple_of})
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.date.fromisoformat(value))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.datetime.fromisoformat(value))


@cache
def _validator(expectation_type: str) -> Any:
    schema = _catalog()["expectations"][expectation_type]["kwargs_schema"]
    return _Validator(schema, format_checker=_FORMATS)


def expectation_types() -> list[str]:
    """Every expectation type the installed GX knows."""
    return sorted(_catalog()["expectations"])


def expectation_shape(expectation_type: str) -> str:
    """How the type reads data: column_map, column_pair_map, multicolumn_map, whole_column, column_aggregate, table."""
    return _catalog()["expectations"][expectation_type]["shape"]


def _error_text(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties" and not path:
        known = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - known)
        return f"unknown kwarg(s): {', '.join(unknown)}"
    if error.validator == "required" and not path:
        return f"missing kwarg: {error.message.split(' is a required')[0]}"
    if error.validator in ("anyOf", "oneOf") and error.context:
        # A branch of the right type that still failed says most (a number above its maximum...).
        specific = [e for e in error.context if e.validator not in ("type", "format")]
        if len(specific) == 1:
            return f"{path}: {specific[0].message}"
        return f"{path}: {error.instance!r} is not an accepted value"
    return f"{path}: {error.message}" if path else error.message


def _coerce(value: Any, prop: dict[str, Any]) -> Any:
    """Coerce a number as GX's pydantic model does: float-only fields hold floats, int-only fields ints."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    branches = prop.get("anyOf", [prop])
    types = {branch.get("type") for branch in branches}
    if "number" in types and "integer" not in types:
        return float(value)
    if "integer" in types and "number" not in types and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_rules(expectation_type: str, kwargs: dict[str, Any]) -> None:
    """Rules GX keeps in its model validators, and ones that would only fail later at run time."""
    schema = _catalog()["expectations"][expectation_type]["kwargs_schema"]["properties"]
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if "min_value" in schema and "max_value" in schema:
        if expectation_type.endswith("_to_be_between") and low is None and high is None:
            raise SuiteError("min_value and max_value cannot both be empty")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
        if numbers and low > high:
            raise SuiteError(f"min_value ({low}) must not be greater than max_value ({high})")
    for name, value in kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            # Nothing passes parameter values at validation time, so GX would fail on every batch.
            raise SuiteError(f"{name}: suite parameters ($PARAMETER) are not supported")
        if isinstance(value, float) and not math.isfinite(value):
            raise SuiteError(f"{name}: must be a finite number")
    for name in REGEX_KWARGS:
        patterns = kwargs.get(name)
        for pattern in [patterns] if isinstance(patterns, str) else patterns or []:
            try:
                re.compile(pattern)
            except re.error as error:
                raise SuiteError(f"{name}: not a valid regular expression ({error})") from None


def _check_uuid(value: Any) -> None:
    """GX stores ids as UUIDs."""
    if value is None:
        return
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise SuiteError(f"id must be a UUID, not {value!r}") from None


def _normalize_expectation(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SuiteError("must be a JSON object")
    raw = dict(raw)
    if "type" not in raw and "expectation_type" in raw:  # GX 0.x spelling
        raw["type"] = raw.pop("expectation_type")
    unknown = sorted(set(raw) - set(EXPECTATION_KEYS))
    if unknown:
        raise SuiteError(f"unknown field(s): {', '.join(unknown)}")
    expectation_type = raw.get("type")
    if not isinstance(expectation_type, str) or not expectation_type:
        raise SuiteError("missing expectation type")
    expectations = _catalog()["expectations"]
    if expectation_type not in expectations:
        raise SuiteError(f"unknown expectation type {expectation_type!r}")
    kwargs = raw.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise SuiteError("kwargs must be a JSON object")
    severity = raw.get("severity") or "critical"
    if severity not in SEVERITIES:
        raise SuiteError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    meta = raw.get("meta") or {}
    if not isinstance(meta, dict):
        raise SuiteError("meta must be a JSON object")
    for field in ("notes", "description", "id"):
        value = raw.get(field)
        if value is not None and not isinstance(value, str) and not (field == "notes" and isinstance(value, list)):
            raise SuiteError(f"{field} must be text")
    _check_uuid(raw.get("id"))

    validator = _validator(expectation_type)
    errors = sorted(validator.iter_errors(kwargs), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        raise SuiteError(_error_text(errors[0]))
    _check_rules(expectation_type, kwargs)

    schema = expectations[expectation_type]["kwargs_schema"]
    properties, required = schema["properties"], set(schema.get("required", []))
    clean: dict[str, Any] = {}
    order = expectations[expectation_type]["fields"]  # GX serializes kwargs in its model's field order
    for name, value in sorted(kwargs.items(), key=lambda item: order.index(item[0])):
        prop = properties[name]
        if value is None and name not in required:
            continue
        default = prop.get("default")
        if "default" in prop and value == default and isinstance(value, bool) == isinstance(default, bool):
            continue
        clean[name] = _coerce(value, prop)

    # GX's field order; rendered_content is derived by GX, so it is not kept.
    out: dict[str, Any] = {"type": expectation_type, "kwargs": clean, "meta": meta}
    for field in ("notes", "id", "description"):
        if raw.get(field) is not None:
            out[field] = raw[field]
    out["severity"] = severity
    return out


def suite_normalize(suite: dict | str, *, name: str | None = None) -> dict:
    """Check a suite (JSON text or dict, as GX serializes it) and return GX's own serialisation.

    Severity defaults to "critical". Any problem raises SuiteError naming the expectation
    (index and type) and the reason. ``name`` replaces the suite's own name.
    """
    if isinstance(suite, bytes | bytearray):
        try:
            suite = suite.decode("utf-8")
        except UnicodeDecodeError:
            raise SuiteError("the suite is not UTF-8 text") from None
    if isinstance(suite, str):
        try:
            suite = json.loads(suite)
        except json.JSONDecodeError as error:
            raise SuiteError(f"malformed JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(suite, dict):
        raise SuiteError("a suite must be a JSON object with a list of expectations")
    unknown = sorted(set(suite) - set(SUITE_KEYS))
    if unknown:
        raise SuiteError(f"unknown suite field(s): {', '.join(unknown)}")
    suite_name = name if name is not None else suite.get("name")
    if not isinstance(suite_name, str) or not suite_name.strip():
        raise SuiteError("the suite needs a name")
    if "expectations" not in suite:  # {} is not a suite: an empty list is how to clear one
        raise SuiteError("a suite needs an 'expectations' list ([] for none)")
    expectations = suite["expectations"]
    if not isinstance(expectations, list):
        raise SuiteError("expectations must be a list")
    if len(expectations) > MAX_EXPECTATIONS:
        raise SuiteError(f"a suite holds at most {MAX_EXPECTATIONS} expectations")
    meta = suite.get("meta") or {}
    if not isinstance(meta, dict):
        raise SuiteError("meta must be a JSON object")
    notes = suite.get("notes")
    if notes is not None and not isinstance(notes, str | list):
        raise SuiteError("notes must be text")
    suite_id = suite.get("id")
    _check_uuid(suite_id)

    normalized = []
    for index, raw in enumerate(expectations):
        try:
            normalized.append(_normalize_expectation(raw))
        except SuiteError as error:
            label = raw.get("type") or raw.get("expectation_type") if isinstance(raw, dict) else None
            where = f"expectation {index + 1}" + (f" ({label})" if isinstance(label, str) else "")
            raise SuiteError(f"{where}: {error}") from None
    return {
        "name": suite_name,
        "id": suite_id,
        "expectations": normalized,
        "meta": {**meta, "great_expectations_version": _catalog()["great_expectations_version"]},
        "notes": notes,
    }


def _form_value(kind: str, value: Any, param: str) -> Any:
    """A form field's value as the kwarg it stands for ('' means not given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind in ("number", "int"):
        if isinstance(value, bool):
            raise SuiteError(f"{param} must be a number")
        try:
            number = float(value) if isinstance(value, str) else value
        except ValueError:
            raise SuiteError(f"{param} must be a number, not {value!r}") from None
        if not isinstance(number, int | float) or not math.isfinite(number):
            raise SuiteError(f"{param} must be a number")
        if kind == "int":
            if float(number) != int(number):
                raise SuiteError(f"{param} must be a whole number")
            return int(number)
        return number
    if kind in ("list", "types"):
        if isinstance(value, str):
            items = [part.strip() for part in re.split(r"[,\n]", value)]
            items = [part for part in items if part]
            if kind == "list":
                # GX takes a set of texts or a set of numbers, not a mix: numbers only when all are.
                numbers = [_list_item(part) for part in items]
                if all(isinstance(item, int | float) for item in numbers):
                    items = numbers
            return items
        if isinstance(value, list):
            return value
        raise SuiteError(f"{param} must be a list")
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "on", "yes")
        return bool(value)
    if not isinstance(value, str):
        raise SuiteError(f"{param} must be text")
    return value.strip() if kind == "column" else value


def _list_item(text: str) -> Any:
    """A value typed in a list field: a JSON number becomes a number, anything else stays text."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, int | float | str) and not isinstance(value, bool) else text


def suite_from_form(rows: list[dict[str, Any]], *, name: str) -> dict:
    """Form rows ``{type, severity, <params>}`` -> a normalized suite; SuiteError names the row.

    A row with "advanced": True carries a whole expectation as JSON in "json" (kept as is).
    """
    if not isinstance(rows, list):
        raise SuiteError("the form must send a list of rows")
    expectations = []
    for index, row in enumerate(rows):
        where = f"row {index + 1}"
        if not isinstance(row, dict):
            raise SuiteError(f"{where}: must be an object")
        if row.get("advanced"):
            raw = row.get("json")
            try:
                expectation = json.loads(raw) if isinstance(raw, str) else raw
            except json.JSONDecodeError as error:
                raise SuiteError(f"{where}: malformed JSON: {error.msg}") from None
            expectations.append(expectation)
            continue
        expectation_type = row.get("type")
        spec = FORM_EXPECTATIONS.get(expectation_type) if isinstance(expectation_type, str) else None
        if spec is None:
            raise SuiteError(f"{where}: unknown expectation type {expectation_type!r}")
        kwargs: dict[str, Any] = {}
        for param in spec["params"]:
            try:
                value = _form_value(param["kind"], row.get(param["name"]), param["name"])
            except SuiteError as error:
                raise SuiteError(f"{where} ({expectation_type}): {error}") from None
            if value is None or value == []:
                if param["required"]:
                    raise SuiteError(f"{where} ({expectation_type}): {param['name']} is required")
                continue
            kwargs[param["name"]] = value
        expectation = {"type": expectation_type, "kwargs": kwargs, "severity": row.get("severity") or "critical"}
        if isinstance(row.get("meta"), dict):
            expectation["meta"] = row["meta"]
        expectations.append(expectation)
    try:
        return suite_normalize({"name": name, "expectations": expectations})
    except SuiteError as error:
        raise SuiteError(str(error).replace("expectation ", "row ", 1)) from None


def suite_to_form(suite: dict) -> list[dict[str, Any]]:
    """Rows for the form; an expectation the form does not know comes back with "advanced": True and its JSON.

    An expectation the form knows but whose kwargs go beyond its fields (a row_condition, say)
    is advanced too, so saving the form never drops a kwarg.
    """
    rows = []
    for expectation in suite.get("expectations", []):
        spec = FORM_EXPECTATIONS.get(expectation.get("type"))
        kwargs = expectation.get("kwargs", {})
        known = {param["name"] for param in spec["params"]} if spec else set()
        if spec is None or set(kwargs) - known or expectation.get("notes") or expectation.get("description"):
            rows.append(
                {
                    "type": expectation.get("type"),
                    "severity": expectation.get("severity", "critical"),
                    "advanced": True,
                    "json": json.dumps(expectation, indent=2, sort_keys=True),
                }
            )
            continue
        row: dict[str, Any] = {"type": expectation["type"], "severity": expectation.get("severity", "critical")}
        for param in spec["params"]:
            value = kwargs.get(param["name"])
            if param["kind"] == "number" and isinstance(value, float) and value.is_integer():
                value = int(value)
            row[param["name"]] = value
        if expectation.get("meta"):
            row["meta"] = expectation["meta"]
        rows.append(row)
    return rows
