"""Built-in checks beside the suite, fed chunk by chunk: schema, empty content, duplicates, labels, drift.

State kept across chunks is small per row (a 64-bit key per content for duplicates) or bounded
(the drift sample), so a batch of any size streams through.
"""

import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.files.content_hash import utf8_bytes, utf8_sha256
from datasets.files.reader import ID_COLUMN
from datasets.label_columns import LABELSTUDIO_COLUMN
from datasets.lineage_columns import LINEAGE_COLUMNS
from quality.validation.columns import column_kind, merge_kinds
from quality.validation.drift_checks import DriftSample, drift_results, label_balance_result
from quality.validation.duplicates import (
    FirstSeen,
    array_keys,
    normalize_text,
    normalized_keys,
    text_keys,
)
from quality.validation.gx_runner import json_safe
from quality.validation.report import result_dict
from quality.validation.settings import CheckSettings

ROW_COLUMN = "__row__"
HASH_COLUMN = "__hash__"  # optional: the content's SHA-256 (hex) when the reader already computed it
# Lineage columns are kept beside the item, not in its metadata, so they are no schema change.
IGNORED_COLUMNS = (ROW_COLUMN, HASH_COLUMN, ID_COLUMN, LABELSTUDIO_COLUMN, *LINEAGE_COLUMNS)


def arrow_text(series: pd.Series) -> pa.Array:
    """A column as an Arrow string array (zero-copy for pandas' Arrow-backed strings)."""
    array = pa.array(series.astype("str"))
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


class _Flagged:
    """Rows a check flags: the count and the first samples."""

    def __init__(self, max_samples: int) -> None:
        self.count = 0
        self.samples: list[dict[str, Any]] = []
        self.max_samples = max_samples

    @property
    def room(self) -> int:
        """Samples still to take: callers fetch only these values."""
        return self.max_samples - len(self.samples)

    def add(self, rows: np.ndarray, values: list[Any], extra: list[dict[str, Any]] | None = None) -> None:
        """Count ``rows``; ``values`` (and ``extra``) may stop after the first samples."""
        self.count += len(rows)
        room = self.max_samples - len(self.samples)
        for i in range(min(room, len(rows))):
            sample = {"row": int(rows[i]), "value": json_safe(values[i])}
            if extra:
                sample.update(extra[i])
            self.samples.append(sample)


class BuiltinChecks:
    """Feed each chunk (indexed by file row number) to ``feed``; ``finish`` returns the results."""

    def __init__(
        self,
        *,
        settings: CheckSettings,
        content_column: str,
        reference: pd.DataFrame | None,
        label_column: str | None,
        labels: list[str] | None,
        known_hashes: Callable[[list[str]], set[str]] | None,
        max_samples: int,
    ) -> None:
        self.settings = settings
        self.content_column = content_column
        self.reference = reference
        self.label_column = label_column
        self.labels = [str(label) for label in labels] if labels is not None else None
        self.known_hashes = known_hashes
        self.max_samples = max_samples
        self.columns: list[str] = []
        self.kinds: dict[str, set[str]] = {}
        self.content_present = True
        self.empty = _Flagged(max_samples)
        self.in_batch = _Flagged(max_samples)
        self.in_dataset = _Flagged(max_samples)
        self.near = _Flagged(max_samples)
        self.bad_labels = _Flagged(max_samples)
        self.label_counts: Counter[str] = Counter()
        self.labelled_rows = 0
        self.seen_exact = FirstSeen()  # exact texts, when near duplicates are not checked
        self.seen_near = FirstSeen(carry=True)  # normalized texts, carrying the exact key of their first row
        self.variants = FirstSeen()  # texts that are not the first of their normalized text
        self.reference_near = FirstSeen()
        if reference is not None and content_column in reference.columns and settings.check_near_duplicates:
            keys = np.unique(array_keys(normalize_text(arrow_text(reference[content_column].dropna()))))
            self.reference_near.add(keys, np.ones(len(keys), dtype=np.int64))
        self.drift_columns: list[str] | None = None
        self.sample = DriftSample(settings.batch_sample_rows)

    def feed(self, chunk: pd.DataFrame) -> None:
        rows = chunk.index.to_numpy()
        for column in chunk.columns:
            if column in IGNORED_COLUMNS:
                continue
            if column not in self.kinds:
                self.columns.append(column)
                self.kinds[column] = set()
            self.kinds[column].add(column_kind(chunk[column]))
        if self.content_column not in chunk.columns:
            self.content_present = False
        else:
            given = chunk[HASH_COLUMN].tolist() if HASH_COLUMN in chunk.columns else None
            self._feed_content(chunk[self.content_column], rows, given)
        if self.label_column and self.label_column in chunk.columns and self.labels is not None:
            self._feed_labels(chunk[self.label_column], rows)
        if self.reference is not None and self.settings.check_drift:
            if self.drift_columns is None:
                self.drift_columns = [c for c in chunk.columns if c in self.reference.columns]
            self.sample.feed(chunk[[c for c in self.drift_columns if c in chunk.columns]])

    def _feed_content(self, content: pd.Series, rows: np.ndarray, given_hashes: list[str] | None) -> None:
        # Texts become Python objects only where they must: bytes to hash, and the values of samples.
        text = arrow_text(content)
        empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True).to_numpy(zero_copy_only=False)
        if empty.any():
            where = np.flatnonzero(empty)
            shown = text.take(where[: self.empty.room]).to_pylist()
            self.empty.add(rows[where], ["" if v is None else v for v in shown])
        keep = ~empty
        if not keep.any():
            return
        texts = text.filter(pa.array(keep)) if empty.any() else text
        kept_rows = rows[keep]
        blobs = utf8_bytes(texts)
        if given_hashes is not None:
            hashes = [given_hashes[i] for i in np.flatnonzero(keep)] if empty.any() else given_hashes
        else:
            hashes = utf8_sha256(blobs)
        exact_keys = text_keys(blobs)
        near_keys = near_first = None
        if self.settings.check_near_duplicates:
            near_keys = normalized_keys(texts, exact_keys)
            near_first, near_exact = self.seen_near.add_carrying(near_keys, kept_rows, exact_keys)
            # A row repeating its normalized text's first row exactly repeats that row; other texts of
            # the group (rarer) have their own first row, among the variants.
            first = np.where(near_exact == exact_keys, near_first, 0)
            variant = near_exact != exact_keys
            if variant.any():
                first[variant] = self.variants.add(exact_keys[variant], kept_rows[variant])
        else:
            first = self.seen_exact.add(exact_keys, kept_rows)
        exact = first > 0
        if exact.any():
            where = np.flatnonzero(exact)
            shown = where[: self.in_batch.room]
            extra = [{"duplicate_of": int(first[i])} for i in shown]
            self.in_batch.add(kept_rows[where], texts.take(shown).to_pylist(), extra)
        if self.known_hashes is not None:
            # Rows repeating an earlier row of the batch are not asked about again.
            fresh = list(itertools.compress(hashes, ~exact)) if exact.any() else hashes
            known = set(self.known_hashes(fresh)) if fresh else set()
            if known:
                hits = np.array(
                    [i for i, digest in enumerate(hashes) if digest in known and not exact[i]], dtype=np.int64
                )
                exact[hits] = True
                self.in_dataset.add(kept_rows[hits], texts.take(hits[: self.in_dataset.room]).to_pylist())
        if near_keys is not None and near_first is not None:
            self._feed_near(texts, kept_rows, exact, near_keys, near_first)

    def _feed_near(
        self, texts: pa.Array, rows: np.ndarray, exact: np.ndarray, keys: np.ndarray, first: np.ndarray
    ) -> None:
        in_reference = self.reference_near.contains(keys)
        flagged = np.flatnonzero(~exact & ((first > 0) | in_reference))
        if len(flagged):
            shown = flagged[: self.near.room]
            extra = [
                {"matches": "batch", "duplicate_of": int(first[i])} if first[i] else {"matches": "reference"}
                for i in shown
            ]
            self.near.add(rows[flagged], texts.take(shown).to_pylist(), extra)

    def _feed_labels(self, column: pd.Series, rows: np.ndarray) -> None:
        text = column.astype("str")
        present = (column.notna() & (text.str.strip() != "")).to_numpy(dtype=bool)
        values = column[present]
        as_text = text[present]
        # 1.0 read from a file is the label "1" a person typed.
        as_text = as_text.where(~as_text.str.fullmatch(r"-?\d+\.0"), as_text.str[:-2])
        inside = as_text.isin(self.labels).to_numpy(dtype=bool)
        self.labelled_rows += int(present.sum())
        self.label_counts.update(as_text.value_counts().to_dict())
        if (~inside).any():
            self.bad_labels.add(rows[present][~inside], values[~inside].tolist())

    def finish(self, total_rows: int) -> list[dict[str, Any]]:
        settings = self.settings
        results = self._schema_results()
        if not self.content_present:
            results.append(
                result_dict(
                    check="empty_content",
                    type="empty_content",
                    column=self.content_column,
                    severity=settings.empty_content_severity,
                    success=False,
                    error=f"the batch has no {self.content_column!r} column",
                )
            )
        else:
            results.append(self._flag_result("empty_content", "empty_content", self.empty, total_rows))
            results.append(
                self._flag_result(
                    "duplicates", "duplicates_in_batch", self.in_batch, total_rows, settings.duplicate_severity
                )
            )
            if self.known_hashes is not None:
                results.append(
                    self._flag_result(
                        "duplicates", "duplicates_in_dataset", self.in_dataset, total_rows, settings.duplicate_severity
                    )
                )
            if settings.check_near_duplicates:
                results.append(
                    self._flag_result(
                        "near_duplicates", "near_duplicates", self.near, total_rows, settings.duplicate_severity
                    )
                )
        if self.label_column and self.labels is not None and self.label_column in self.kinds:
            result = self._flag_result("labels", "label_values", self.bad_labels, self.labelled_rows)
            result["severity"] = settings.label_severity
            result["kwargs"] = {"labels": self.labels}
            results.append(result)
        if self.reference is not None and settings.check_drift:
            sample = self.sample.frame()
            batch_kinds = {c: merge_kinds(k) for c, k in self.kinds.items()}
            results.extend(
                drift_results(
                    reference=self.reference,
                    sample=sample,
                    settings=settings,
                    content_column=self.content_column,
                    label_column=self.label_column,
                    batch_kinds=batch_kinds,
                )
            )
            if self.label_column and self.label_column in self.reference.columns and self.label_counts:
                # Values outside the labels are the label check's business, not a shift in balance.
                in_schema = Counter({k: v for k, v in self.label_counts.items() if k in self.labels})
                results.append(
                    label_balance_result(
                        reference=self.reference[self.label_column],
                        batch_counts=in_schema,
                        labels=self.labels,
                        settings=settings,
                        column=self.label_column,
                    )
                )
        # Drop what was kept per row before the suite's final run over whole columns needs memory.
        self.seen_exact, self.variants, self.reference_near = FirstSeen(), FirstSeen(), FirstSeen()
        self.seen_near = FirstSeen(carry=True)
        self.sample = DriftSample(settings.batch_sample_rows)
        return results

    def _flag_result(
        self, check: str, name: str, flagged: _Flagged, rows: int, severity: str | None = None
    ) -> dict[str, Any]:
        severity = severity or self.settings.empty_content_severity
        return result_dict(
            check=check,
            type=name,
            column=self.content_column if check != "labels" else self.label_column,
            severity=severity,
            success=flagged.count == 0,
            observed_value=flagged.count,
            unexpected_count=flagged.count,
            unexpected_percent=100.0 * flagged.count / rows if rows else 0.0,
            samples=flagged.samples,
        )

    def _schema_results(self) -> list[dict[str, Any]]:
        if self.reference is None:
            return []
        severity = self.settings.schema_severity
        reference_columns = [c for c in self.reference.columns if c not in IGNORED_COLUMNS]
        added = [c for c in self.columns if c not in reference_columns]
        missing = [c for c in reference_columns if c not in self.kinds]
        retyped = {}
        for column in reference_columns:
            if column not in self.kinds:
                continue
            before = column_kind(self.reference[column])
            now = merge_kinds(self.kinds[column])
            if before != now and "empty" not in (before, now):
                retyped[column] = {"reference": before, "batch": now}
        return [
            result_dict(
                check="schema",
                type="new_columns",
                severity=severity,
                success=not added,
                observed_value=added,
                details={"reference_columns": reference_columns},
            ),
            result_dict(
                check="schema", type="missing_columns", severity=severity, success=not missing, observed_value=missing
            ),
            result_dict(
                check="schema",
                type="retyped_columns",
                severity=severity,
                success=not retyped,
                observed_value=sorted(retyped),
                details={"types": retyped},
            ),
        ]
