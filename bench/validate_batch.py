"""Validation benchmark: our whole validation step beside plain Great Expectations, on the same data.

Run on demand (it is not a test)::

    .venv/bin/python bench/validate_batch.py [--rows 1000000] [--repeat 3]

It writes a CSV of ``--rows`` rows x 10 columns (text, ids, numbers, categories, emails)
and a 10-expectation suite, then runs, each in a fresh process so peak memory is its own:

- ``ours``: what the worker does in its validation stage: the file read in chunks by
  ``datasets.files.frames.FrameReader`` (the importer's parser and limits) and
  ``quality.validation.validate_batch`` with the suite, every built-in check (schema,
  empty content, duplicates in the batch and against the dataset, near duplicates, drift of
  each column against a 5,000-row reference) and sample rows. Only the database is left
  out: the reference is a frame and the known hashes a set, as the worker reads them.
- ``gx``: ``pandas.read_csv`` of the same file and one GX ``ValidationDefinition.run`` of
  the same suite on the whole DataFrame (ephemeral context, progress bars off, ``SUMMARY``),
  with no built-in check at all.

It prints wall time and peak RSS of each (and the RSS after imports, before the work), the
DataFrame's size in memory, and the ratios the goals judge: our time within 1.5x of plain
GX, our memory under 3x the DataFrame's size. On a shared machine single timings move by a
third: ``--repeat N`` runs the two children N times, alternately, and judges the median
time of each and the highest peak of ours.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUITE = {
    "name": "bench",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "text"}},
        {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "text", "min_value": 5}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "rating", "min_value": 1, "max_value": 5}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "score", "min_value": 0, "max_value": 1}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "lang", "value_set": ["en", "de", "fr"]}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "channel", "value_set": ["web", "app"]}},
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "email", "regex": r"^[a-z0-9.]+@[a-z]+\.com$"},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "country"}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 10_000_000}},
    ],
}
CHUNK_ROWS = 50_000  # GROUNDWORK_IMPORT_CHUNK_ROWS' default
REFERENCE_ROWS = 5_000


def write_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    words = np.array(["good", "bad", "fast", "slow", "printer", "screen", "ok", "broken", "late", "fine"])
    out = []
    for start in range(0, rows, 200_000):
        n = min(200_000, rows - start)
        numbers = np.arange(start, start + n)
        picks = rng.integers(0, len(words), size=(n, 3))
        text = (
            pd.Series(words[picks[:, 0]])
            + " "
            + words[picks[:, 1]]
            + " "
            + words[picks[:, 2]]
            + " #"
            + numbers.astype(str)
        )
        out.append(
            pd.DataFrame(
                {
                    "id": "r" + pd.Series(numbers).astype(str),
                    "text": text,
                    "rating": rng.integers(1, 6, n),
                    "score": rng.random(n).round(4),
                    "lang": rng.choice(["en", "de", "fr"], n),
                    "channel": rng.choice(["web", "app"], n),
                    "price": (rng.random(n) * 100).round(2),
                    "qty": rng.integers(0, 50, n),
                    "country": rng.choice(["fr", "de", "us", "uk", "es", "it", "pl", "nl", "se", "pt"], n),
                    "email": "user" + pd.Series(numbers % 1000).astype(str) + "@example.com",
                }
            )
        )
    pd.concat(out).to_csv(path, index=False)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def run_ours(path: Path) -> dict:
    import hashlib

    import great_expectations  # noqa: F401 - imported before measuring, as in a running worker
    import pandas as pd

    from datasets.files.frames import FrameReader
    from quality.validation import CheckSettings, suite_normalize, validate_batch

    suite = suite_normalize(SUITE)
    reference = pd.read_csv(path, nrows=REFERENCE_ROWS).drop(columns=["id"])
    known = {hashlib.sha256(t.encode()).hexdigest() for t in reference["text"]}
    baseline = current_rss_mb()
    started = time.perf_counter()
    reader = FrameReader(
        path, "csv", content_column="text", max_rows=5_000_000, max_field_bytes=1024 * 1024, chunk_rows=CHUNK_ROWS
    )
    report = validate_batch(
        reader.chunks(),
        suite=suite,
        settings=CheckSettings(),
        content_column="text",
        reference=reference,
        label_column="label",
        labels=["positive", "negative"],
        known_hashes=lambda hashes: known.intersection(hashes),
    )
    seconds = time.perf_counter() - started
    failed = [f"{r['check']}:{r['type']}:{r['column']}" for r in report.results if not r["success"]]
    return {"seconds": seconds, "peak_mb": rss_mb(), "baseline_mb": baseline, "results": len(report.results),
            "failed": failed, "rows": report.summary["rows"]}  # fmt: skip


def run_gx(path: Path) -> dict:
    import great_expectations as gx
    import pandas as pd

    from quality.validation import suite_normalize

    suite = suite_normalize(SUITE)
    baseline = current_rss_mb()
    started = time.perf_counter()
    frame = pd.read_csv(path)
    read_seconds = time.perf_counter() - started
    frame_mb = frame.memory_usage(deep=True).sum() / 1024 / 1024
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("batch")
    definition = asset.add_batch_definition_whole_dataframe("whole")
    expectations = [
        gx.expectations.registry.get_expectation_impl(e["type"])(**e["kwargs"]) for e in suite["expectations"]
    ]
    added = context.suites.add(gx.ExpectationSuite(name="bench", expectations=expectations))
    validation = context.validation_definitions.add(gx.ValidationDefinition(name="bench", data=definition, suite=added))
    result = validation.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "read_seconds": read_seconds, "validate_seconds": seconds - read_seconds,
            "peak_mb": rss_mb(), "baseline_mb": baseline, "frame_mb": frame_mb,
            "failed": [r.expectation_config.type for r in result.results if not r.success]}  # fmt: skip


def child(mode: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--file", str(path)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"{mode} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["ours", "gx"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each child, alternately (median judged)")
    args = parser.parse_args()
    if args.child:
        result = run_ours(args.file) if args.child == "ours" else run_gx(args.file)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as folder:
        path = Path(folder) / "batch.csv"
        started = time.perf_counter()
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1024 / 1024
        took = time.perf_counter() - started
        print(f"batch: {args.rows:,} rows x 10 columns, {size_mb:.0f} MB CSV (written in {took:.1f} s)")
        gx_runs, our_runs = [], []
        for _ in range(max(args.repeat, 1)):
            gx_runs.append(child("gx", path))
            our_runs.append(child("ours", path))

    gx_run, ours = _median(gx_runs), _median(our_runs)
    if len(our_runs) > 1:
        gx_times = ", ".join(f"{run['seconds']:.1f}" for run in gx_runs)
        our_times = ", ".join(f"{run['seconds']:.1f}" for run in our_runs)
        print(f"runs: plain GX {gx_times} s; ours {our_times} s (medians below, and our highest peak)")
    highest = max(our_runs, key=lambda run: run["peak_mb"] - run["baseline_mb"])
    frame_mb = gx_run["frame_mb"]
    ours_work = highest["peak_mb"] - highest["baseline_mb"]
    gx_work = gx_run["peak_mb"] - gx_run["baseline_mb"]
    print(f"DataFrame in memory (pandas, deep): {frame_mb:.0f} MB")
    print(f"plain GX:  {gx_run['seconds']:6.1f} s (read_csv {gx_run['read_seconds']:.1f} s + validate "
          f"{gx_run['validate_seconds']:.1f} s); peak RSS {gx_run['peak_mb']:.0f} MB, "
          f"{gx_work:.0f} MB above the {gx_run['baseline_mb']:.0f} MB after imports; "
          f"failed: {gx_run['failed']}")  # fmt: skip
    print(f"our step:  {ours['seconds']:6.1f} s ({ours['results']} results incl. built-in checks); peak RSS "
          f"{highest['peak_mb']:.0f} MB, {ours_work:.0f} MB above the {highest['baseline_mb']:.0f} MB after imports; "
          f"failed: {ours['failed']}")  # fmt: skip
    print(f"time: ours / plain GX = {ours['seconds'] / gx_run['seconds']:.2f}x (goal <= 1.5x)")
    print(f"memory: our work / DataFrame = {ours_work / frame_mb:.2f}x (goal < 3x); "
          f"plain GX work / DataFrame = {gx_work / frame_mb:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
