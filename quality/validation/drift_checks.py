"""Drift checks of a batch against the reference: per column, text length, vocabulary and class balance.

The batch side is a uniform sample (bottom-k of random keys, so it is exact for batches up to
``batch_sample_rows`` and bounded beyond), the reference side the sample the caller passes.
"""

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.files.reader import ID_COLUMN
from quality.validation import drift
from quality.validation.columns import column_kind
from quality.validation.gx_runner import json_safe
from quality.validation.report import result_dict
from quality.validation.settings import CheckSettings

VOCABULARY_CHART_TOKENS = 20
OTHER = "(other)"


class DriftSample:
    """A uniform random sample of at most ``size`` rows of the frames fed to it (seeded: reruns agree).

    Bottom-k sampling: every row draws a random key and the ``size`` smallest keys win. Once the
    sample is full, a row whose key is above the largest kept key can never win, so it is
    dropped before anything is copied: late chunks cost almost nothing.
    """

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.parts: list[pd.DataFrame] = []
        self.keys: list[np.ndarray] = []
        self.rows = 0
        self.threshold = np.inf

    def feed(self, frame: pd.DataFrame) -> None:
        keys = self.rng.random(len(frame))
        if self.threshold < np.inf:
            chosen = keys < self.threshold
            if not chosen.any():
                return
            frame, keys = frame[chosen], keys[chosen]
        self.parts.append(frame)
        self.keys.append(keys)
        self.rows += len(frame)
        if self.rows > 2 * self.size:
            self._shrink()

    def _shrink(self) -> None:
        frame = pd.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
        keys = np.concatenate(self.keys)
        if len(keys) > self.size:
            keep = np.sort(np.argpartition(keys, self.size - 1)[: self.size])
            frame, keys = frame.iloc[keep], keys[keep]
        if len(keys) >= self.size:
            self.threshold = float(keys.max())
        self.parts, self.keys, self.rows = [frame], [keys], len(frame)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame()
        self._shrink()
        return self.parts[0]


def _numeric_values(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dropna().astype("int64").to_numpy(dtype=float)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values[np.isfinite(values)]


def _counts(reference_counts: pd.Series, batch_counts: pd.Series) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Counts per category over the union of both sides' values, most frequent in the reference first."""
    categories = list(reference_counts.index) + [c for c in batch_counts.index if c not in reference_counts.index]
    return (
        [json_safe(c) for c in categories],
        reference_counts.reindex(categories, fill_value=0).to_numpy(dtype=float),
        batch_counts.reindex(categories, fill_value=0).to_numpy(dtype=float),
    )


def _drift_result(kind: str, column: str | None, found: dict[str, Any], severity: str) -> dict[str, Any]:
    details = {key: value for key, value in found.items() if key != "drift"}
    return result_dict(
        check="drift" if kind != "class_balance" else "class_balance",
        type=kind,
        column=column,
        kwargs={"method": found["method"], "threshold": found["threshold"]},
        severity=severity,
        success=not found["drift"],
        observed_value=found["statistic"] if found["statistic"] is not None else found["p_value"],
        details=details,
    )


def _categorical(reference: pd.Series, batch: pd.Series, settings: CheckSettings) -> dict[str, Any]:
    return _categorical_counts(reference.dropna().value_counts(), batch.dropna().value_counts(), settings)


def _categorical_counts(reference: pd.Series, batch: pd.Series, settings: CheckSettings) -> dict[str, Any]:
    categories, reference_counts, batch_counts = _counts(reference, batch)
    return drift.categorical_drift(
        categories,
        reference_counts,
        batch_counts,
        method=settings.categorical_method,
        small_reference_rows=settings.small_reference_rows,
        p_value=settings.p_value,
        distance_threshold=settings.distance_threshold,
        psi_threshold=settings.psi_threshold,
    )


def _numeric(reference: np.ndarray, batch: np.ndarray, settings: CheckSettings) -> dict[str, Any]:
    return drift.numeric_drift(
        reference,
        batch,
        method=settings.numeric_method,
        small_reference_rows=settings.small_reference_rows,
        p_value=settings.p_value,
        distance_threshold=settings.distance_threshold,
        psi_threshold=settings.psi_threshold,
        bins=settings.histogram_bins,
    )


def column_drift(reference: pd.Series, batch: pd.Series, settings: CheckSettings, kind: str) -> dict[str, Any] | None:
    """Drift of one metadata column, or None when it cannot be tested (free text, too few values)."""
    if kind in ("number", "datetime"):
        reference_values, batch_values = _numeric_values(reference), _numeric_values(batch)
        if len(reference_values) < 2 or len(batch_values) < 1:
            return None
        distinct = len(np.unique(np.concatenate([reference_values, batch_values])))
        if settings.numeric_method == "auto" and distinct <= drift.NUMERIC_AS_CATEGORICAL_MAX_VALUES:
            return _categorical(pd.Series(reference_values), pd.Series(batch_values), settings)
        return _numeric(reference_values, batch_values, settings)
    if kind in ("string", "boolean"):
        reference, batch = reference.dropna(), batch.dropna()
        if len(reference) < 2 or len(batch) < 1 or reference.nunique() > settings.max_categories:
            return None
        return _categorical(reference, batch, settings)
    return None


def _tokens(texts: pd.Series) -> Counter[str]:
    """Token counts: lower-cased runs of word characters."""
    array = pa.array(texts.dropna().astype("str"))
    words = pc.list_flatten(pc.split_pattern_regex(pc.utf8_lower(array), r"\W+"))
    counts = pc.value_counts(words.filter(pc.not_equal(words, "")))
    return Counter(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)))


def vocabulary_drift(reference: pd.Series, batch: pd.Series, settings: CheckSettings) -> dict[str, Any] | None:
    """Jensen-Shannon distance between token frequencies (the reference's top tokens plus one bucket for the rest)."""
    reference_tokens, batch_tokens = _tokens(reference), _tokens(batch)
    reference_total, batch_total = sum(reference_tokens.values()), sum(batch_tokens.values())
    if not reference_total or not batch_total:
        return None
    vocabulary = [token for token, _ in reference_tokens.most_common(settings.vocabulary_size)]
    reference_counts = np.array([reference_tokens[t] for t in vocabulary] + [0], dtype=float)
    batch_counts = np.array([batch_tokens.get(t, 0) for t in vocabulary] + [0], dtype=float)
    reference_counts[-1] = reference_total - reference_counts[:-1].sum()
    batch_counts[-1] = batch_total - batch_counts[:-1].sum()
    distance = drift.jensen_shannon(reference_counts, batch_counts)
    unseen = sum(count for token, count in batch_tokens.items() if token not in reference_tokens)
    shown = VOCABULARY_CHART_TOKENS
    return {
        "method": "jensenshannon",
        "statistic": distance,
        "p_value": None,
        "threshold": settings.vocabulary_threshold,
        "drift": distance >= settings.vocabulary_threshold,
        "psi": drift.psi(reference_counts / reference_total, batch_counts / batch_total),
        "reference_size": len(reference),
        "batch_size": len(batch),
        "out_of_vocabulary_share": unseen / batch_total,
        "histogram": {
            "categories": [*vocabulary[:shown], OTHER],
            "reference": [
                *(reference_counts[:shown] / reference_total).tolist(),
                1 - reference_counts[:shown].sum() / reference_total,
            ],
            "batch": [*(batch_counts[:shown] / batch_total).tolist(), 1 - batch_counts[:shown].sum() / batch_total],
        },
    }


def drift_results(
    *,
    reference: pd.DataFrame,
    sample: pd.DataFrame,
    settings: CheckSettings,
    content_column: str,
    label_column: str | None,
    batch_kinds: dict[str, str],
) -> list[dict[str, Any]]:
    """A drift result per comparable column, then text length and vocabulary of the content."""
    if sample.empty or reference.empty:
        return []
    severity = settings.drift_severity
    results = []
    for column in sample.columns:
        if column in (content_column, label_column, ID_COLUMN, "__row__") or column not in reference.columns:
            continue
        kind = column_kind(reference[column])
        if batch_kinds.get(column, kind) not in (kind, "empty"):
            continue  # retyped: the schema check reports it
        found = column_drift(reference[column], sample[column], settings, kind)
        if found is not None:
            results.append(_drift_result("column_drift", column, found, severity))
    if content_column in sample.columns and content_column in reference.columns:
        reference_text = reference[content_column].dropna().astype("str")
        batch_text = sample[content_column].dropna().astype("str")
        lengths = (reference_text.str.len().to_numpy(dtype=float), batch_text.str.len().to_numpy(dtype=float))
        if len(lengths[0]) >= 2 and len(lengths[1]) >= 1:
            results.append(_drift_result("text_length_drift", content_column, _numeric(*lengths, settings), severity))
        found = vocabulary_drift(reference_text, batch_text, settings)
        if found is not None:
            results.append(_drift_result("vocabulary_drift", content_column, found, severity))
    return results


def label_balance_result(
    *,
    reference: pd.Series,
    batch_counts: Counter[str],
    settings: CheckSettings,
    column: str,
    labels: list[str] | None = None,
) -> dict[str, Any]:
    """Class balance shift: the labels' shares in the batch against the reference, as categorical drift."""
    text = reference.dropna().astype("str")
    text = text[text.str.strip() != ""]
    text = text.where(~text.str.fullmatch(r"-?\d+\.0"), text.str[:-2])
    if labels is not None:
        text = text[text.isin(labels)]
    batch = pd.Series(dict(batch_counts), dtype=float).sort_values(ascending=False)
    if len(text) < 2:
        return result_dict(
            check="class_balance",
            type="class_balance",
            column=column,
            severity=settings.drift_severity,
            success=True,
            details={"reason": "the reference has too few labels to compare"},
        )
    found = _categorical_counts(text.value_counts(), batch, settings)
    return _drift_result("class_balance", column, found, settings.drift_severity)
