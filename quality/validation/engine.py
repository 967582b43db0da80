"""Validating one batch: the built-in checks and the GX suite, streamed chunk by chunk."""

from collections.abc import Callable, Iterable

import pandas as pd

from quality.validation.checks import HASH_COLUMN, ROW_COLUMN, BuiltinChecks
from quality.validation.report import ValidationReport
from quality.validation.settings import CheckSettings

# GX has a fixed cost per run (some 20 ms per expectation), so chunks are gathered into blocks of
# about this many rows. A block holds only the columns the suite names: on the benchmark's 7,
# 500k rows are ~55 MB; half as many cost ~15 % more time for ~12 % less peak memory.
BLOCK_ROWS = 500_000
ORDER = ("schema", "empty_content", "duplicates", "near_duplicates", "labels", "expectation", "drift", "class_balance")


def _indexed(chunk: pd.DataFrame, rows_before: int) -> pd.DataFrame:
    """The chunk indexed by its file row numbers, so GX's unexpected indexes are those row numbers."""
    if ROW_COLUMN in chunk.columns:
        chunk = chunk.set_index(ROW_COLUMN)
    else:  # no row numbers given: count data rows from 1
        chunk = chunk.set_axis(pd.RangeIndex(rows_before + 1, rows_before + 1 + len(chunk)), axis=0)
    chunk.index.name = None
    return chunk


def validate_batch(
    chunks: Iterable[pd.DataFrame],
    *,
    suite: dict | None,
    settings: CheckSettings,
    content_column: str,
    reference: pd.DataFrame | None,
    label_column: str | None = None,
    labels: list[str] | None = None,
    known_hashes: Callable[[list[str]], set[str]] | None = None,
    on_progress: Callable[[float], None] | None = None,
    total_rows: int | None = None,
    max_samples: int = 20,
    suite_run: Callable[[dict, int], list[dict]] | None = None,
) -> ValidationReport:
    """Run the built-in checks and the suite over the batch's chunks and return every result.

    ``chunks`` are the file's rows in order, each frame with an int column "__row__" (1-based
    file row) and optionally "__hash__" (the content's SHA-256 hex, when the reader has it).
    ``reference`` is a sample of the current version (None for a first batch). ``known_hashes``
    answers which content SHA-256s the dataset already holds. ``suite`` is a normalized suite
    (``suite_normalize``). GX is imported here, lazily, so the web process never pays for it;
    an expectation GX cannot evaluate becomes a failed result with "error". Problems in rows
    are results, never exceptions. ``suite_run(suite, max_samples)``, when given, runs the suite
    elsewhere (Spark, ``spark_runner``) once the chunks have gone through the built-in checks,
    so a file the reader refuses is refused before it, and the chunks are not gathered for GX.
    """
    settings.check()
    if reference is not None and ROW_COLUMN in reference.columns:
        reference = reference.drop(columns=[ROW_COLUMN])
    if reference is not None and len(reference) > settings.reference_rows:
        reference = reference.sample(n=settings.reference_rows, random_state=0)
    builtin = BuiltinChecks(
        settings=settings,
        content_column=content_column,
        reference=reference,
        label_column=label_column,
        labels=labels,
        known_hashes=known_hashes,
        max_samples=max_samples,
    )
    runner = None
    if suite and suite.get("expectations") and suite_run is None:
        from quality.validation.gx_runner import GxSuiteRunner

        runner = GxSuiteRunner(suite, max_samples=max_samples)

    rows = 0
    block: list[pd.DataFrame] = []
    block_rows = 0
    for raw in chunks:
        chunk = _indexed(raw, rows)
        builtin.feed(chunk)
        rows += len(chunk)
        if runner is not None:
            block.append(runner.columns_of(chunk, ignore=(HASH_COLUMN,)))
            block_rows += len(chunk)
            if block_rows >= BLOCK_ROWS:
                runner.feed(pd.concat(block) if len(block) > 1 else block[0])
                block, block_rows = [], 0
        if on_progress is not None and total_rows:
            on_progress(min(rows / total_rows, 0.99))
    results = builtin.finish(rows)
    if runner is not None:
        if block or runner.blocks == 0:
            runner.feed(pd.concat(block) if block else pd.DataFrame())
        results.extend(runner.finish())
    elif suite and suite.get("expectations") and suite_run is not None:
        results.extend(suite_run(suite, max_samples))
    results.sort(key=lambda result: ORDER.index(result["check"]))
    if on_progress is not None:
        on_progress(1.0)
    return ValidationReport.from_results(results, rows=rows)
