"""Running a GX suite over a batch streamed in blocks. The one module that imports great_expectations.

Row-wise (map) expectations run on each block and their counts add up. Expectations that need
whole columns (uniqueness, types, means, row counts...) run once at the end on just the columns
they name, so memory stays bounded by the block plus those columns. Blocks hold only the columns
the suite names. Each run gets its own ephemeral context: GX's shared contexts clash under concurrency.
"""

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from quality.validation.report import result_dict
from quality.validation.suites import expectation_shape

MAP_SHAPES = ("column_map", "column_pair_map", "multicolumn_map")
ROW_COUNT_TYPES = ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal")
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list",)
MAX_SAMPLE_TEXT = 500
INDEX_META = "groundwork_index"
TYPE_TYPES = ("expect_column_values_to_be_in_type_list", "expect_column_values_to_be_of_type")


def json_safe(value: Any, depth: int = 0) -> Any:
    """A value from pandas/GX as JSON: numpy scalars unwrapped, NaN/inf as None, long text cut."""
    if depth > 5:
        return str(value)[:MAX_SAMPLE_TEXT]
    if value is None or isinstance(value, bool | int | str):
        return value[:MAX_SAMPLE_TEXT] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item(), depth + 1)
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, depth + 1) for v in value]
    if value is pd.NaT or (not isinstance(value, list | dict) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)[:MAX_SAMPLE_TEXT]


def _exception_message(exception_info: Any) -> str | None:
    """GX reports errors either flat or keyed by metric; the first raised message, if any."""
    if not isinstance(exception_info, dict):
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = str(info.get("exception_message") or "error")
            return message.strip().splitlines()[-1][:1000] if message.strip() else "error"
    return None


def _skip_batch_fingerprints() -> None:
    """Stop GX hashing every value of each batch it is given.

    The hash (``pandas_data_fingerprint``) only labels the batch in the run's metadata, which we
    drop; computing it turns each text column into Python strings: a third of GX's time on a
    1M-row batch and, for the final run over a whole column, more memory than the expectation
    itself. GX hashes frames below ``HASH_THRESHOLD`` bytes; no result depends on it. The setting
    is the process's: other GX runs in the worker lose the label too (nothing here reads it).
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0


def _columns_named(kwargs: dict[str, Any]) -> list[str]:
    names = [kwargs[k] for k in COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
    for key in COLUMN_LIST_KWARGS:
        names.extend(c for c in kwargs.get(key) or [] if isinstance(c, str))
    return names


class _MapTotals:
    def __init__(self) -> None:
        self.element = 0
        self.missing = 0
        self.unexpected = 0
        self.samples: list[dict[str, Any]] = []
        self.error: str | None = None


class GxSuiteRunner:
    """Feed blocks (frames indexed by file row number) with ``feed``, then collect results with ``finish``."""

    def __init__(self, suite: dict, *, max_samples: int = 20) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        _skip_batch_fingerprints()
        # This module sets its own logger to INFO on import, over the settings' WARNING for GX:
        # one line per run about a temporary docs folder we never build.
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        self.max_samples = max_samples
        self.result_format = {"result_format": "SUMMARY", "partial_unexpected_count": max_samples}
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = self.context.data_sources.add_pandas("batch").add_dataframe_asset("rows")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole")

        self.expectations: list[dict[str, Any]] = list(suite.get("expectations", []))
        self.build_errors: dict[int, str] = {}
        groups: dict[str, list[Any]] = {"map": [], "names": [], "whole": []}
        self.whole_columns: list[str] = []
        self.type_columns: set[str] = set()
        self.whole_needs_all = False
        for index, expectation in enumerate(self.expectations):
            config = ExpectationConfiguration(
                type=expectation["type"],
                kwargs=expectation.get("kwargs", {}),
                meta={**expectation.get("meta", {}), INDEX_META: index},
                severity=expectation.get("severity", "critical"),
            )
            try:
                built = config.to_domain_obj()
            except Exception as error:  # GX rejects what our catalog let through: report it, run the rest
                self.build_errors[index] = str(error).strip().splitlines()[-1][:1000]
                continue
            shape = expectation_shape(expectation["type"])
            kwargs = expectation.get("kwargs", {})
            if shape in MAP_SHAPES:
                groups["map"].append(built)
            elif shape == "table" and expectation["type"] not in ROW_COUNT_TYPES and not kwargs.get("row_condition"):
                groups["names"].append(built)  # about the columns' names: the first block tells
            else:
                groups["whole"].append(built)
                if kwargs.get("row_condition"):
                    self.whole_needs_all = True
                self.whole_columns.extend(c for c in _columns_named(kwargs) if c not in self.whole_columns)
                if expectation["type"] in TYPE_TYPES and isinstance(kwargs.get("column"), str):
                    self.type_columns.add(kwargs["column"])
        # Row-wise expectations run per set of columns they name, on just those columns: for each
        # expectation GX copies every column of its frame (to drop the rows where its own is null),
        # so one frame per column set saves more copying than its run costs. A row condition may
        # read any column: then they all run together on the whole block.
        map_items = groups.pop("map")
        conditioned = any(built.configuration.kwargs.get("row_condition") for built in map_items)
        by_columns: dict[tuple[str, ...], list[Any]] = {}
        for built in map_items:
            columns = () if conditioned else tuple(dict.fromkeys(_columns_named(built.configuration.kwargs)))
            by_columns.setdefault(columns, []).append(built)
        self.map_runs: list[tuple[str, list[str] | None]] = []
        for number, (columns, items) in enumerate(by_columns.items()):
            groups[f"map-{number}"] = items
            self.map_runs.append((f"map-{number}", None if conditioned else list(columns)))
        # A validation definition per group, run once per block: GX then reads each block once
        # (Batch.validate would fetch it twice).
        self.definitions = {}
        for key, items in groups.items():
            if items:
                added = self.context.suites.add(gx.ExpectationSuite(name=f"suite-{key}", expectations=items))
                definition = gx.ValidationDefinition(name=f"run-{key}", data=self.batch_definition, suite=added)
                self.definitions[key] = self.context.validation_definitions.add(definition)
        self.map_columns: list[str] | None = None
        if not conditioned:
            self.map_columns = list(dict.fromkeys(c for columns in by_columns for c in columns))
        # What a block must hold: None when a row condition may read any column.
        self.needed: set[str] | None = None
        if self.map_columns is not None and not self.whole_needs_all:
            self.needed = set(self.map_columns) | set(self.whole_columns)
        self.map_totals = {i: _MapTotals() for i, e in enumerate(self.expectations) if i not in self.build_errors}
        self.results: dict[int, dict[str, Any]] = {}
        self.kept: list[pd.DataFrame] = []
        self.heads: list[pd.DataFrame] = []  # the first block's columns and types, for the "names" group
        self.blocks = 0

    def columns_of(self, chunk: pd.DataFrame, *, ignore: tuple[str, ...] = ()) -> pd.DataFrame:
        """The columns of a chunk the suite reads: a block gathers only these (``pd.concat`` copies)."""
        if self.blocks == 0 and "names" in self.definitions:
            # Empty columns of the same types, not a slice: a slice would keep the chunk's buffers.
            self.heads.append(
                pd.DataFrame(
                    {c: pd.Series([], dtype=t) for c, t in chunk.dtypes.items() if c not in ignore},
                    index=pd.Index([], dtype=chunk.index.dtype),
                )
            )
        if self.needed is None:
            dropped = [c for c in ignore if c in chunk.columns]
            return chunk.drop(columns=dropped) if dropped else chunk
        return chunk[[c for c in chunk.columns if c in self.needed]]

    def _validate(self, key: str, frame: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
        definition = self.definitions.get(key)
        if definition is None:
            return []
        try:
            outcome = definition.run(batch_parameters={"dataframe": frame}, result_format=self.result_format)
        except Exception as error:  # the whole run failed: every expectation in it failed with that error
            message = str(error).strip().splitlines()[-1][:1000] if str(error).strip() else type(error).__name__
            return [
                (e.meta[INDEX_META], {"success": False, "result": {}, "error": message})
                for e in definition.suite.expectations
            ]
        pairs = []
        for item in outcome.results:
            data = item.to_json_dict()
            index = item.expectation_config.meta[INDEX_META]
            pairs.append((index, {**data, "error": _exception_message(data.get("exception_info"))}))
        return pairs

    def feed(self, block: pd.DataFrame) -> None:
        """Run the row-wise expectations on one block and keep the columns the others need.

        A block is a frame of ``columns_of`` chunks (or any frame, when those were not used).
        """
        if self.blocks == 0:
            head = pd.concat(self.heads) if self.heads else block.iloc[:0]
            self.heads = []
            for index, data in self._validate("names", head):
                self.results[index] = data
        self.blocks += 1
        for key, columns in self.map_runs:
            frame = block if columns is None else block[[c for c in columns if c in block.columns]]
            self._add_counts(self._validate(key, frame))
        if "whole" in self.definitions:
            if self.whole_needs_all:
                self.kept.append(block)
            else:
                present = [c for c in self.whole_columns if c in block.columns]
                self.kept.append(block[present] if present else pd.DataFrame(index=block.index))

    def _add_counts(self, pairs: list[tuple[int, dict[str, Any]]]) -> None:
        """Add one block's results of row-wise expectations to their totals."""
        for index, data in pairs:
            totals = self.map_totals[index]
            result = data.get("result") or {}
            if data["error"] or "element_count" not in result:
                totals.error = totals.error or data["error"] or "GX returned no counts"
                continue
            totals.element += int(result.get("element_count") or 0)
            totals.missing += int(result.get("missing_count") or 0)
            totals.unexpected += int(result.get("unexpected_count") or 0)
            room = self.max_samples - len(totals.samples)
            if room > 0:
                rows = result.get("partial_unexpected_index_list") or []
                values = result.get("partial_unexpected_list") or []
                for row, value in list(zip(rows, values, strict=False))[:room]:
                    totals.samples.append({"row": json_safe(row), "value": json_safe(value)})

    def _whole_frame(self) -> pd.DataFrame:
        frame = pd.concat(self.kept) if self.kept else pd.DataFrame()
        self.kept = []
        # GX 1.x compares pandas 3's "str" dtype with no type name it accepts; as objects, it checks
        # each value's Python type ("str", "int"...), which is what a type list means.
        for column in self.type_columns:
            if column in frame.columns and pd.api.types.is_string_dtype(frame[column].dtype):
                frame[column] = frame[column].astype(object)
        if frame.shape[1] == 0:
            # Row counts only: a column of zeros gives GX a table of the right length.
            frame = frame.assign(__rows__=np.zeros(len(frame), dtype=np.int8))
        return frame

    def finish(self) -> list[dict[str, Any]]:
        """Every expectation's result, in the suite's order."""
        for index, data in self._validate("whole", self._whole_frame()):
            self.results[index] = data
        out = []
        for index, expectation in enumerate(self.expectations):
            kwargs = expectation.get("kwargs", {})
            base = {
                "check": "expectation",
                "type": expectation["type"],
                "column": kwargs.get("column") or (", ".join(_columns_named(kwargs)) or None),
                "kwargs": json_safe(kwargs),
                "severity": expectation.get("severity", "critical"),
            }
            if index in self.build_errors:
                out.append(result_dict(**base, success=False, error=self.build_errors[index]))
            elif index in self.results or expectation_shape(expectation["type"]) not in MAP_SHAPES:
                out.append(self._single_result(base, self.results.get(index)))
            else:
                out.append(self._map_result(base, self.map_totals[index], kwargs))
        return out

    def _map_result(self, base: dict[str, Any], totals: _MapTotals, kwargs: dict[str, Any]) -> dict[str, Any]:
        if totals.error:
            return result_dict(**base, success=False, error=totals.error, samples=totals.samples)
        nonnull = totals.element - totals.missing
        mostly = kwargs.get("mostly", 1)
        mostly = mostly if isinstance(mostly, int | float) else 1
        success = nonnull == 0 or (nonnull - totals.unexpected) / nonnull >= mostly
        percent = 100.0 * totals.unexpected / nonnull if nonnull else 0.0
        return result_dict(
            **base,
            success=success,
            unexpected_count=totals.unexpected,
            unexpected_percent=percent,
            samples=totals.samples,
            details={"element_count": totals.element, "missing_count": totals.missing},
        )

    def _single_result(self, base: dict[str, Any], data: dict[str, Any] | None) -> dict[str, Any]:
        if data is None:
            return result_dict(**base, success=False, error="the expectation was not evaluated")
        result = data.get("result") or {}
        samples = [
            {"row": json_safe(row), "value": json_safe(value)}
            for row, value in zip(
                result.get("partial_unexpected_index_list") or [],
                result.get("partial_unexpected_list") or [],
                strict=False,
            )
        ][: self.max_samples]
        unexpected = result.get("unexpected_count")
        percent = result.get("unexpected_percent")
        details = {k: json_safe(result[k]) for k in ("element_count", "missing_count", "details") if k in result}
        return result_dict(
            **base,
            success=bool(data.get("success")) and not data.get("error"),
            observed_value=json_safe(result.get("observed_value")),
            unexpected_count=int(unexpected) if unexpected is not None else None,
            unexpected_percent=json_safe(float(percent)) if percent is not None else None,
            samples=samples,
            details=details,
            error=data.get("error"),
        )
