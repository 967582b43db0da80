"""What the report's page and its offline file show: figures shaped for templates (bars as shares of a width)."""

from typing import Any

MAX_SLICES_SHOWN = 40


def _bars(rows: list[dict[str, Any]], label_key: str, value_key: str) -> list[dict[str, Any]]:
    peak = max((r.get(value_key) or 0 for r in rows), default=0) or 1
    return [
        {
            "label": r.get(label_key),
            "value": r.get(value_key) or 0,
            "pct": round(100 * (r.get(value_key) or 0) / peak, 1),
        }
        for r in rows
    ]


def _heat(matrix: list[list[int]], labels: list[Any]) -> dict[str, Any] | None:
    if not matrix:
        return None
    peak = max((max(row) for row in matrix if row), default=0) or 1
    return {
        "labels": [str(label) for label in labels],
        "rows": [
            {
                "label": str(labels[i]),
                "cells": [{"n": n, "alpha": round(0.08 + 0.85 * n / peak, 2) if n else 0} for n in row],
            }
            for i, row in enumerate(matrix)
        ],
    }


def page_context(data: dict[str, Any]) -> dict[str, Any]:
    """The report's sections with the chart geometry templates need; the figures stay as computed."""
    labels = data.get("labels") or {}
    summary = data.get("summary") or {}
    changes = summary.get("label_changes")
    agreement = data.get("agreement") or {}
    slices = (data.get("slices") or {}).get("slices", [])[:MAX_SLICES_SHOWN]
    return {
        "r": data,
        "balance_bars": _bars(labels.get("class_balance", []), "label", "count"),
        "coverage_bars": _bars((labels.get("coverage") or {}).get("by_annotations", []), "annotations", "items"),
        "batch_bars": _bars(summary.get("by_batch", []), "file", "added"),
        "changes_heat": _heat(changes["matrix"], changes["labels"]) if changes else None,
        "per_label_bars": [
            {**row, "pct": round(50 + 50 * max(min(row["alpha"], 1), -1), 1)}
            for row in agreement.get("per_label", [])
            if isinstance(row.get("alpha"), float)
        ],
        "slices": [
            {**s, "alpha_pct": round(50 + 50 * max(min(s["alpha"], 1), -1), 1) if s.get("alpha") is not None else None}
            for s in slices
        ],
    }
