"""GX's Spark engine (GROUNDWORK_VALIDATION_ENGINE=spark) gives the pandas engine's results on the same files.

Optional like the engine: skipped where pyspark (requirements-spark.txt) or Java is missing, as in CI.
"""

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.files.frames import FrameReader
from quality.pipeline import services
from quality.suites.services import suite_set
from quality.validation import CheckSettings, suite_normalize, validate_batch
from quality.validation.spark_runner import read_batch, spark_session, spark_suite_run, with_row_numbers

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17", allow_module_level=True)

ROWS = 240
MASTER = "local[2]"
TYPE_TYPES = ("expect_column_values_to_be_in_type_list",)

SUITE = suite_normalize(
    {
        "name": "spark-vs-pandas",
        "expectations": [
            # Row-wise, failing on 25 rows: samples are the first 20 in file order.
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "rating", "min_value": 1, "max_value": 5},
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "lang", "value_set": ["en", "de"]},
                "severity": "warning",
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "price", "mostly": 0.9}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "price"}, "severity": "info"},
            {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "code", "regex": "^c-[0-9]+$"}},
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "high", "column_B": "low"},
            },
            # Whole column: duplicates found across the file.
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"}},
            {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "low", "min_value": 0, "max_value": 50}},
            # Table-level: the row number Spark adds must not show.
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": ROWS}},
            {
                "type": "expect_table_columns_to_match_set",
                "kwargs": {"column_set": ["id", "text", "rating", "lang", "price", "code", "low", "high"]},
            },
            # Types as a suite names them for pandas; Spark must read them as its own.
            {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "rating", "type_list": ["int64"]}},
            {
                "type": "expect_column_values_to_be_in_type_list",
                "kwargs": {"column": "price", "type_list": ["float64"]},
            },
            {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "lang", "type_list": ["str"]}},
            {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "rating", "type_list": ["str"]}},
            # A column the batch does not have: an error in both engines, the rest still runs.
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "nope", "min_value": 0}},
            # An empty text is "", not null, as the importer reads it (row 51).
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "text"}},
            {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "text", "min_value": 1}},
        ],
    }
)


def batch_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rating = rng.integers(1, 6, ROWS)
    bad = np.sort(rng.choice(ROWS, 25, replace=False))
    rating[bad] = rng.choice([0, 9], 25)
    price = np.round(rng.normal(20, 5, ROWS), 2)
    price[rng.choice(ROWS, 12, replace=False)] = np.nan
    code = [f"c-{n}" for n in range(ROWS)]
    for a, b in ((10, 200), (33, 34), (150, 7)):
        code[b] = code[a]
    code[99] = "C99"
    low = rng.integers(0, 40, ROWS)
    high = low + rng.integers(1, 5, ROWS)
    high[[4, 120, 219]] = low[[4, 120, 219]]
    texts = [f"review {n}" for n in range(ROWS)]
    texts[3] = 'a "quoted", multi-line\nreview'  # CSV: quotes doubled, a newline inside a value
    texts[50] = ""
    return pd.DataFrame(
        {
            "id": [f"r{n}" for n in range(ROWS)],
            "text": texts,
            "rating": rating,
            "lang": rng.choice(["en", "de", "en", "de", "fr"], ROWS),
            "price": price,
            "code": code,
            "low": low,
            "high": high,
        }
    )


def write_batch(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow(["" if isinstance(v, float) and np.isnan(v) else v for v in row])
        path.write_text(out.getvalue(), encoding="utf-8")
    elif fmt in ("jsonl", "json"):
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        if fmt == "json":  # one JSON array over several lines, as people write it by hand
            path.write_text(json.dumps(records, default=int, indent=1), encoding="utf-8")
        else:
            path.write_text("".join(json.dumps(r, default=int) + "\n" for r in records), encoding="utf-8")
    else:  # small row groups, so Spark reads the file as several partitions
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=30)


@pytest.fixture(scope="module")
def spark():
    session = spark_session(MASTER)
    # Split files into ~2 KB partitions: row numbers must still follow the file's order.
    session.conf.set("spark.sql.files.maxPartitionBytes", "2048")
    session.conf.set("spark.sql.shuffle.partitions", "4")  # tiny data: 200 shuffle tasks would dominate
    yield session
    session.stop()  # the next use starts a new one


def both_engines(path: Path, fmt: str) -> tuple[list[dict], list[dict]]:
    def run(**extra):
        reader = FrameReader(path, fmt, content_column="text", max_rows=10**6, max_field_bytes=10**6, chunk_rows=50)
        report = validate_batch(
            reader.chunks(), suite=SUITE, settings=CheckSettings(), content_column="text", reference=None, **extra
        )
        return [r for r in report.results if r["check"] == "expectation"]

    def on_spark(suite: dict, max_samples: int) -> list[dict]:
        return spark_suite_run(
            suite, path=str(path), fmt=fmt, content_column="text", master=MASTER, max_samples=max_samples
        )

    return run(), run(suite_run=on_spark)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl", "json"])
def test_spark_and_pandas_engines_agree(spark, tmp_path, fmt):
    frame = batch_frame()
    path = tmp_path / f"batch.{fmt}"
    write_batch(frame, path, fmt)
    if fmt == "parquet":
        read = read_batch(spark, str(path), fmt, content_column="text")
        assert read.selectExpr("spark_partition_id() AS p").distinct().count() > 1

    pandas_results, spark_results = both_engines(path, fmt)

    assert [r["type"] for r in spark_results] == [e["type"] for e in SUITE["expectations"]]
    for on_pandas, on_spark in zip(pandas_results, spark_results, strict=True):
        what = (on_pandas["type"], on_pandas["column"])
        assert on_spark["success"] == on_pandas["success"], (what, on_pandas, on_spark)
        assert (on_spark["error"] is None) == (on_pandas["error"] is None), (
            what,
            on_pandas["error"],
            on_spark["error"],
        )
        assert on_spark["kwargs"] == on_pandas["kwargs"]  # as the suite wrote them, not as Spark was asked
        assert on_spark["severity"] == on_pandas["severity"]
        if on_pandas["type"] in TYPE_TYPES:
            continue  # per value in pandas, from the schema in Spark: no counts to compare
        assert on_spark["unexpected_count"] == on_pandas["unexpected_count"], (what, on_pandas, on_spark)
        assert on_spark["samples"] == on_pandas["samples"], what

    between, unique, pair = spark_results[0], spark_results[6], spark_results[5]
    bad_rows = [n + 1 for n in np.flatnonzero(~frame["rating"].between(1, 5))]
    assert (between["success"], between["unexpected_count"]) == (False, 25)
    assert [s["row"] for s in between["samples"]] == bad_rows[:20]
    assert all(s["value"] in (0, 9) for s in between["samples"])
    assert [s["row"] for s in unique["samples"]] == [8, 11, 34, 35, 151, 201]
    assert [s["row"] for s in pair["samples"]] == [5, 121, 220]
    assert spark_results[9]["success"] is True  # the columns' names, without Spark's row number
    assert [r["observed_value"] for r in spark_results[10:14]] == ["LongType", "DoubleType", "StringType", "LongType"]
    assert [r["success"] for r in spark_results[10:14]] == [True, True, True, False]
    assert "nope" in spark_results[14]["error"]
    assert spark_results[15]["success"] is True
    assert [s["row"] for s in spark_results[16]["samples"]] == [51]


def test_row_numbers_follow_the_file_across_partitions(spark, tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": [f"t{n}" for n in range(1000)]}), path, row_group_size=37)
    numbered, cached = with_row_numbers(read_batch(spark, str(path), "parquet", content_column="text"))
    try:
        assert numbered.rdd.getNumPartitions() > 1
        rows = {row["text"]: row["__row__"] for row in numbered.collect()}
    finally:
        cached.unpersist()
    assert rows == {f"t{n}": n + 1 for n in range(1000)}


def test_batch_import_validates_on_spark_when_the_setting_says_so(project, manager, settings, tmp_path, spark):
    settings.GROUNDWORK_VALIDATION_ENGINE = "spark"
    settings.GROUNDWORK_SPARK_MASTER = MASTER
    suite_set(project=project, user=manager, suite=SUITE)
    frame = batch_frame()
    path = tmp_path / "batch.csv"
    write_batch(frame, path, "csv")
    batch = services.batch_upload(
        project=project, user=manager, uploaded=SimpleUploadedFile("batch.csv", path.read_bytes()), enqueue=False
    )

    batch = services.batch_import(batch_id=str(batch.pk))

    assert batch.status == "quarantined", (batch.status, batch.error)
    results = [r for r in batch.results if r["check"] == "expectation"]
    assert [r["type"] for r in results] == [e["type"] for e in SUITE["expectations"]]
    between = results[0]
    bad_rows = [n + 1 for n in np.flatnonzero(~frame["rating"].between(1, 5))]
    assert (between["success"], between["unexpected_count"]) == (False, 25)
    assert [s["row"] for s in between["samples"]] == bad_rows[:20]
    # Spark's own type name: the suite ran on Spark, not on the pandas chunks.
    assert results[10]["observed_value"] == "LongType"
    # The built-in checks still ran, on the pandas chunks.
    assert {r["check"] for r in batch.results} >= {"empty_content", "duplicates", "expectation"}
    assert batch.summary["rows"] == ROWS
