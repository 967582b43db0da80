"""Built-in checks beside the suite, fed chunk by chunk: schema, empty content, duplicates, labels, drift.

State kept across chunks is small per row (a 64-bit key per content for duplicates) or bounded
(the drift sample), so a batch of any size streams through.
"""

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality.batch_files import ID_COLUMN
from quality.validation.columns import column_kind, merge_kinds
from quality.validation.drift_checks import DriftSample, drift_results, label_balance_result
from quality.validation.gx_runner import json_safe
from quality.validation.report import result_dict
from quality.validation.settings import CheckSettings

ROW_COLUMN = "__row__"
HASH_COLUMN = "__hash__"  # optional: the content's SHA-256 (hex) when the reader already computed it
IGNORED_COLUMNS = (ROW_COLUMN, HASH_COLUMN, ID_COLUMN)


def arrow_text(series: pd.Series) -> pa.Array:
    """A column as an Arrow string array (zero-copy for pandas' Arrow-backed strings)."""
    array = pa.array(series.astype("str"))
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


# Whitespace that is not one plain space between words (RE2's \s is ASCII only: Unicode spaces listed).
UNTIDY_SPACE = r"\s\s|[^\S ]|^\s|\s$|[\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


def normalize_text(text: pa.Array) -> pa.Array:
    """Text as near-duplicate detection compares it: lower case, runs of whitespace as one space, trimmed."""
    lower = pc.utf8_lower(text)  # not ascii_lower: it mangles arrays whose offsets do not start at 0 (pyarrow 26)
    # Collapsing whitespace is the slow part: only rows that need it go through it.
    untidy = pc.fill_null(pc.match_substring_regex(lower, UNTIDY_SPACE), False)
    if not pc.any(untidy).as_py():
        return lower
    words = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(lower.filter(untidy)))
    tidy = pc.binary_join(words, pa.scalar(" ", lower.type))
    return pc.replace_with_mask(lower, untidy, tidy)


def text_keys(texts: list[str]) -> np.ndarray:
    """A 64-bit key per text. Python's string hash: keys are only compared within one run."""
    return np.fromiter(map(hash, texts), dtype=np.int64, count=len(texts))


class FirstSeen:
    """64-bit keys with the file row where each was first seen, sorted: 16 bytes a key, vectorised lookups."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int64)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool)
        positions = np.searchsorted(self.keys, keys).clip(max=len(self.keys) - 1)
        return self.keys[positions] == keys

    def add(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Row (>= 1) each key was first seen at, earlier in the file, or 0 where it is new; remembers the new ones."""
        first = np.zeros(len(keys), dtype=np.int64)
        if not len(keys):
            return first
        # Look up the chunk's distinct keys in sorted order: searchsorted walks memory forwards.
        unique, first_index, inverse = np.unique(keys, return_index=True, return_inverse=True)
        unique_first = np.zeros(len(unique), dtype=np.int64)
        positions = np.searchsorted(self.keys, unique)
        hit = np.zeros(len(unique), dtype=bool)
        if len(self.keys):
            clipped = positions.clip(max=len(self.keys) - 1)
            hit = self.keys[clipped] == unique
            unique_first[hit] = self.rows[clipped[hit]]
        first = unique_first[inverse]
        earlier_here = np.arange(len(keys)) != first_index[inverse]
        from_chunk = (first == 0) & earlier_here
        first[from_chunk] = rows[first_index[inverse[from_chunk]]]
        new = ~hit
        if new.any():
            self._merge(positions[new], unique[new], rows[first_index[new]])
        return first

    def _merge(self, at: np.ndarray, keys: np.ndarray, rows: np.ndarray) -> None:
        """Insert sorted new keys at their search positions (np.insert would sort the positions again)."""
        size = len(self.keys) + len(keys)
        destination = at + np.arange(len(keys))
        old = np.ones(size, dtype=bool)
        old[destination] = False
        merged_keys = np.empty(size, dtype=np.int64)
        merged_rows = np.empty(size, dtype=np.int64)
        merged_keys[old], merged_rows[old] = self.keys, self.rows
        merged_keys[destination], merged_rows[destination] = keys, rows
        self.keys, self.rows = merged_keys, merged_rows


class _Flagged:
    """Rows a check flags: the count and the first samples."""

    def __init__(self, max_samples: int) -> None:
        self.count = 0
        self.samples: list[dict[str, Any]] = []
        self.max_samples = max_samples

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
        self.seen_exact = FirstSeen()
        self.seen_near = FirstSeen()
        self.reference_near = FirstSeen()
        if reference is not None and content_column in reference.columns and settings.check_near_duplicates:
            texts = normalize_text(arrow_text(reference[content_column].dropna())).to_pylist()
            keys = np.unique(text_keys(texts))
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
        text = arrow_text(content)
        empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True).to_numpy(zero_copy_only=False)
        if empty.any():
            self.empty.add(rows[empty], ["" if v is None else v for v in text.filter(pa.array(empty)).to_pylist()])
        keep = ~empty
        if not keep.any():
            return
        texts = text.filter(pa.array(keep)) if empty.any() else text
        kept_rows = rows[keep]
        values = texts.to_pylist()
        if given_hashes is not None:
            hashes = [given_hashes[i] for i in np.flatnonzero(keep)] if empty.any() else given_hashes
        else:
            sha256 = hashlib.sha256
            hashes = [sha256(value.encode()).hexdigest() for value in values]
        first = self.seen_exact.add(text_keys(hashes), kept_rows)
        exact = first > 0
        if exact.any():
            where = np.flatnonzero(exact)
            extra = [{"duplicate_of": int(first[i])} for i in where[: self.max_samples]]
            self.in_batch.add(kept_rows[where], [values[i] for i in where[: self.max_samples]], extra)
        if self.known_hashes is not None:
            # Rows repeating an earlier row of the batch are not asked about again.
            fresh = list(itertools.compress(hashes, ~exact)) if exact.any() else hashes
            known = set(self.known_hashes(fresh)) if fresh else set()
            if known:
                hits = np.array(
                    [i for i, digest in enumerate(hashes) if digest in known and not exact[i]], dtype=np.int64
                )
                exact[hits] = True
                self.in_dataset.add(kept_rows[hits], [values[i] for i in hits[: self.max_samples]])
        if self.settings.check_near_duplicates:
            self._feed_near(texts, kept_rows, exact, values)

    def _feed_near(self, texts: pa.Array, rows: np.ndarray, exact: np.ndarray, values: list[str]) -> None:
        keys = text_keys(normalize_text(texts).to_pylist())
        first = self.seen_near.add(keys, rows)
        in_reference = self.reference_near.contains(keys)
        flagged = np.flatnonzero(~exact & ((first > 0) | in_reference))
        if len(flagged):
            shown = flagged[: self.max_samples]
            extra = [
                {"matches": "batch", "duplicate_of": int(first[i])} if first[i] else {"matches": "reference"}
                for i in shown
            ]
            self.near.add(rows[flagged], [values[i] for i in shown], extra)

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
