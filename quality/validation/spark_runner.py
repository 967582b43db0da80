"""Running a GX suite on Spark, for batches too large for pandas (``GROUNDWORK_VALIDATION_ENGINE=spark``).

Spark reads the batch file itself, so the file never sits whole in a pandas frame; GX's Spark
execution engine then computes the suite's metrics as Spark jobs. The results have the shape
``GxSuiteRunner.finish()`` gives, so the rest of the pipeline cannot tell the engines apart.
Only this module and ``gx_runner`` import great_expectations; only this one imports pyspark.

What differs from the pandas engine, and why:

- Row numbers: Spark has no row index. The frame gets a 1-based ``__row__`` column in file
  order, built from each partition's offset (a single file's splits are read in file order),
  and GX reports it through ``unexpected_index_column_names``. Table-level expectations (the
  columns' names, the row count) see the frame without it.
- Samples: GX takes the first unexpected rows Spark hands back. For row-wise expectations these
  are the first rows of the file, as in pandas; for expectations that compare rows (uniqueness)
  Spark shuffles, so the samples are *some* of the unexpected rows, sorted by row.
- Types: CSV cells are typed as ``FrameReader`` types them (empty is null; a column whose every
  cell is a JSON number is a long or a double), but over the whole file instead of per chunk.
  Type names a suite writes for pandas (``int64``, ``str``...) also accept the matching Spark
  types, so one suite works on both engines.
"""

import csv
import json
import logging
import threading
from typing import Any

import ijson

from datasets.files.frames import JSON_INTEGER
from datasets.files.reader import ID_COLUMN, JSON_NUMBER
from quality.validation.gx_runner import INDEX_META, _columns_named, _exception_message, json_safe
from quality.validation.report import result_dict
from quality.validation.suites import expectation_shape

ROW_COLUMN = "__row__"
PARTITION_BITS = 33  # monotonically_increasing_id(): the partition id above bit 33, the record's position below
TYPE_KWARGS = {"expect_column_values_to_be_in_type_list": "type_list", "expect_column_values_to_be_of_type": "type_"}
# pandas dtype names and Python type names -> the pyspark.sql.types classes a Spark column of that kind has.
SPARK_TYPES = {
    "str": ("StringType",),
    "string": ("StringType",),
    "int": ("LongType", "IntegerType", "ShortType", "ByteType"),
    "int64": ("LongType",),
    "Int64": ("LongType",),
    "int32": ("IntegerType",),
    "Int32": ("IntegerType",),
    "int16": ("ShortType",),
    "int8": ("ByteType",),
    "float": ("DoubleType", "FloatType"),
    "float64": ("DoubleType",),
    "Float64": ("DoubleType",),
    "float32": ("FloatType",),
    "bool": ("BooleanType",),
    "boolean": ("BooleanType",),
    **{f"datetime64[{unit}]": ("TimestampType", "TimestampNTZType") for unit in ("ns", "us", "ms", "s")},
}

_session: Any = None
_session_lock = threading.Lock()


def spark_session(master: str = "local[*]") -> Any:
    """The process's one SparkSession, started on first use.

    Lazily, so a Celery child starts its JVM after the fork and the web process never starts one.
    """
    global _session
    with _session_lock:
        if _session is None or _session.sparkContext._jsc is None:  # none yet, or stopped
            from pyspark.sql import SparkSession

            # py4j logs each gateway connection at INFO, which the root logger would print.
            logging.getLogger("py4j").setLevel(logging.WARNING)
            _session = (
                SparkSession.builder.master(master)
                .appName("groundwork-validation")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        return _session


def _col(name: str) -> Any:
    """A column by its literal name: dots and spaces in CSV headers are not struct paths."""
    from pyspark.sql import functions as sf

    return sf.col("`" + name.replace("`", "``") + "`")


def _java_regex(pattern: str) -> str:
    """An anchored RE2 pattern for Java, whose ``$`` would also match before a final newline."""
    return pattern[:-1] + r"\z" if pattern.endswith("$") else pattern


def _read_csv(spark: Any, path: str, content_column: str) -> Any:
    from pyspark.sql import functions as sf
    from pyspark.sql.types import StringType, StructField, StructType

    with open(path, encoding="utf-8-sig", newline="") as handle:
        names = [name.strip() for name in next(csv.reader(handle), [])]
    schema = StructType([StructField(name, StringType()) for name in names])
    # multiLine: a quoted value may hold newlines (the importer allows them), so the file is read
    # by one task, streaming. It is parsed twice: once to type the columns, once into the cache.
    frame = spark.read.csv(
        path,
        schema=schema,
        header=True,
        multiLine=True,
        quote='"',
        escape='"',
        mode="FAILFAST",
        encoding="UTF-8",
    )
    # Spark reads an empty cell as null, Arrow as "": the content and the id stay text, never null;
    # in the other columns an empty cell is null, as the importer stores it.
    typed = [n for n in names if n not in (content_column, ID_COLUMN)]
    frame = frame.select(
        *[
            sf.when(_col(n) != "", _col(n)).alias(n) if n in typed else sf.coalesce(_col(n), sf.lit("")).alias(n)
            for n in names
        ]
    )
    if not typed:
        return frame
    number, integer = _java_regex(JSON_NUMBER), _java_regex(JSON_INTEGER)
    counts = []
    for n in typed:
        counts += [
            sf.count(_col(n)),
            sf.count_if(~_col(n).rlike(number)),
            sf.count_if(~_col(n).rlike(integer)),
            sf.count_if(_col(n).isNotNull() & _col(n).try_cast("long").isNull()),
        ]
    stats = frame.agg(*counts).first()
    kinds = {}
    for i, n in enumerate(typed):
        present, not_number, not_integer, not_long = stats[4 * i : 4 * i + 4]
        if present and not not_number:
            kinds[n] = "long" if not not_integer and not not_long else "double"
    return frame.select(*[_col(n).cast(kinds[n]).alias(n) if n in kinds else _col(n) for n in names])


def _first_record_keys(path: str, fmt: str) -> list[str]:
    """The first record's keys, in file order: pandas orders a frame's columns by them, Spark alphabetically."""
    with open(path, "rb") as handle:
        if fmt == "json":
            first = next(ijson.items(handle, "item"), None)
        else:
            line = next((raw for raw in handle if raw.strip()), b"{}")
            first = json.loads(line.decode("utf-8-sig"))
    return list(first) if isinstance(first, dict) else []


def read_batch(spark: Any, path: str, fmt: str, *, content_column: str) -> Any:
    """The batch file as a Spark DataFrame, columns and types as ``FrameReader`` gives them.

    Run after ``FrameReader`` has read the same file, so its errors and limits have been checked.
    """
    if fmt == "csv":
        return _read_csv(spark, path, content_column)
    if fmt == "parquet":
        return spark.read.parquet(path)
    if fmt not in ("jsonl", "json"):
        raise ValueError(f"unsupported format {fmt!r}")
    frame = spark.read.json(path, multiLine=fmt == "json", mode="FAILFAST")
    first = [k for k in _first_record_keys(path, fmt) if k in frame.columns]
    ordered = first + [c for c in frame.columns if c not in first]
    if content_column not in ordered:
        from pyspark.sql import functions as sf

        return frame.select(*[_col(c) for c in ordered], sf.lit(None).cast("string").alias(content_column))
    return frame.select(*[_col(c) for c in ordered])


def with_row_numbers(frame: Any) -> tuple[Any, Any]:
    """The frame with a 1-based ``__row__`` in file order, and the cache under it to ``unpersist()`` when done.

    monotonically_increasing_id() numbers rows within each partition; one small job counts the rows
    of each partition, and the row number is the partition's offset plus the position within it.
    The ids are computed once, into the cache, so every GX job sees the same numbers.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    ids = frame.withColumn(ROW_COLUMN, sf.monotonically_increasing_id()).persist(StorageLevel.MEMORY_AND_DISK)
    partition = sf.shiftright(_col(ROW_COLUMN), PARTITION_BITS)
    counts = sorted(tuple(row) for row in ids.groupBy(partition.alias("p")).count().collect())
    offsets, before = [], 0
    for partition_id, rows in counts:
        offsets += [sf.lit(partition_id), sf.lit(before)]
        before += rows
    if not offsets:
        return ids, ids
    position = _col(ROW_COLUMN) - sf.shiftleft(partition, PARTITION_BITS)
    return ids.withColumn(ROW_COLUMN, sf.element_at(sf.create_map(*offsets), partition) + position + 1), ids


def _spark_kwargs(expectation_type: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Type names written for pandas, with the Spark types that mean the same (GX skips names it does not know)."""
    key = TYPE_KWARGS.get(expectation_type)
    names = kwargs.get(key) if key else None
    if key == "type_list" and isinstance(names, list):
        extra = [t for name in names if isinstance(name, str) for t in SPARK_TYPES.get(name, ())]
        return {**kwargs, key: list(dict.fromkeys([*names, *extra]))}
    if key == "type_" and isinstance(names, str) and names in SPARK_TYPES:
        return {**kwargs, key: SPARK_TYPES[names][0]}
    return kwargs


def _sample_value(entry: dict[str, Any], kwargs: dict[str, Any], fallback: Any) -> Any:
    """A sample's value in the pandas engine's shape: the value, [A, B] for a pair, {column: value} for a list."""
    if isinstance(kwargs.get("column"), str) and kwargs["column"] in entry:
        return entry[kwargs["column"]]
    if all(isinstance(kwargs.get(k), str) and kwargs[k] in entry for k in ("column_A", "column_B")):
        return [entry[kwargs["column_A"]], entry[kwargs["column_B"]]]
    names = kwargs.get("column_list")
    if isinstance(names, list) and names and all(n in entry for n in names):
        return {n: entry[n] for n in names}
    return fallback


class SparkSuiteRunner:
    """One normalized suite (as ``GxSuiteRunner`` takes it), run by GX's Spark engine on one DataFrame."""

    def __init__(self, suite: dict, *, max_samples: int = 20) -> None:
        self.expectations: list[dict[str, Any]] = list(suite.get("expectations", []))
        self.max_samples = max_samples

    def run(self, frame: Any) -> list[dict[str, Any]]:
        """Every expectation's result, in the suite's order. ``frame`` has the ``__row__`` column."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = context.data_sources.add_spark("batch").add_dataframe_asset("rows")
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")

        build_errors: dict[int, str] = {}
        groups: dict[str, list[Any]] = {"rows": [], "table": []}
        for index, expectation in enumerate(self.expectations):
            config = ExpectationConfiguration(
                type=expectation["type"],
                kwargs=_spark_kwargs(expectation["type"], expectation.get("kwargs", {})),
                meta={**expectation.get("meta", {}), INDEX_META: index},
                severity=expectation.get("severity", "critical"),
            )
            try:
                built = config.to_domain_obj()
            except Exception as error:  # GX rejects what our catalog let through: report it, run the rest
                build_errors[index] = str(error).strip().splitlines()[-1][:1000]
                continue
            groups["table" if expectation_shape(expectation["type"]) == "table" else "rows"].append(built)

        formats = {
            "rows": {
                "result_format": "SUMMARY",
                "partial_unexpected_count": self.max_samples,
                "unexpected_index_column_names": [ROW_COLUMN],
            },
            "table": {"result_format": "SUMMARY", "partial_unexpected_count": self.max_samples},
        }
        frames = {"rows": frame, "table": frame.drop(ROW_COLUMN)}
        results: dict[int, dict[str, Any]] = {}
        for key, items in groups.items():
            if not items:
                continue
            added = context.suites.add(gx.ExpectationSuite(name=f"suite-{key}", expectations=items))
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"run-{key}", data=batch_definition, suite=added)
            )
            try:
                outcome = definition.run(batch_parameters={"dataframe": frames[key]}, result_format=formats[key])
            except Exception as error:  # the whole run failed: every expectation in it failed with that error
                message = str(error).strip().splitlines()[-1][:1000] if str(error).strip() else type(error).__name__
                for built in items:
                    results[built.meta[INDEX_META]] = {"success": False, "result": {}, "error": message}
                continue
            for item in outcome.results:
                data = item.to_json_dict()
                index = item.expectation_config.meta[INDEX_META]
                results[index] = {**data, "error": _exception_message(data.get("exception_info"))}

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
            if index in build_errors:
                out.append(result_dict(**base, success=False, error=build_errors[index]))
            else:
                out.append(self._result(base, kwargs, results.get(index)))
        return out

    def _result(self, base: dict[str, Any], kwargs: dict[str, Any], data: dict[str, Any] | None) -> dict[str, Any]:
        if data is None:
            return result_dict(**base, success=False, error="the expectation was not evaluated")
        result = data.get("result") or {}
        entries = result.get("partial_unexpected_index_list") or []
        values = result.get("partial_unexpected_list") or []
        samples = []
        for position, entry in enumerate(entries[: self.max_samples]):
            if not isinstance(entry, dict) or entry.get(ROW_COLUMN) is None:
                continue
            fallback = values[position] if position < len(values) else None
            samples.append(
                {"row": json_safe(entry[ROW_COLUMN]), "value": json_safe(_sample_value(entry, kwargs, fallback))}
            )
        samples.sort(key=lambda sample: sample["row"])
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


def spark_suite_run(
    suite: dict, *, path: str, fmt: str, content_column: str, master: str = "local[*]", max_samples: int = 20
) -> list[dict[str, Any]]:
    """The suite's results over the batch file, read and validated by Spark (see the module's docstring)."""
    spark = spark_session(master)
    frame, cached = with_row_numbers(read_batch(spark, path, fmt, content_column=content_column))
    try:
        return SparkSuiteRunner(suite, max_samples=max_samples).run(frame)
    finally:
        cached.unpersist()
