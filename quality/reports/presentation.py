"""What the report's page and its offline file show: the sections with their charts, drawn by ``config.charts``."""

from typing import Any

from config.charts import Svg, bar_chart

MAX_SLICES_SHOWN = 40
NONE = "\N{EN DASH}"  # what a table shows where a figure is undefined


def _share_bars(
    rows: list[dict[str, Any]], name_key: str, count_key: str, *, label: str, total: int | None = None
) -> Svg:
    """One bar per row: its share of ``total`` (or of the rows' sum), with the count beside it."""
    whole = total if total else sum(r.get(count_key) or 0 for r in rows)
    return bar_chart(
        rows=[
            (
                _short(str(r.get(name_key))),
                (r.get(count_key) or 0) / whole if whole else None,
                f"({(r.get(count_key) or 0):,})",
            )
            for r in rows
        ],
        label=label,
    )


def _short(name: str, limit: int = 32) -> str:
    """A long name (a generated batch file's) cut in the middle, so a chart's label column holds it whole."""
    return name if len(name) <= limit else f"{name[: limit // 2 - 1]}\N{HORIZONTAL ELLIPSIS}{name[-(limit // 2) :]}"


def _percent(share: float | None) -> str:
    """A share as a percentage with one decimal, so that 0.3% does not read as 0%."""
    return "" if share is None else f"{share * 100:.1f}%"


def _heat(matrix: list[list[int]], labels: list[Any]) -> dict[str, Any] | None:
    """The old final x new final table: cells shaded by their count, every count printed."""
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
    """The report's sections with their charts; the figures stay as computed."""
    labels = data.get("labels") or {}
    summary = data.get("summary") or {}
    changes = summary.get("label_changes")
    agreement = data.get("agreement") or {}
    slices = [
        {
            **s,
            "validation_shown": _percent(s.get("validation_failure_rate")),
            "issues_shown": _percent(s.get("label_issue_rate")),
        }
        for s in (data.get("slices") or {}).get("slices", [])[:MAX_SLICES_SHOWN]
    ]
    coverage = labels.get("coverage") or {}
    return {
        "r": data,
        "balance_chart": _share_bars(
            labels.get("class_balance", []), "label", "count", label="share of final labels per label"
        ),
        "coverage_chart": _share_bars(
            [
                {"n": f"{row['annotations']} annotation{'s' if row['annotations'] != 1 else ''}", **row}
                for row in coverage.get("by_annotations", [])
            ],
            "n",
            "items",
            label="share of items by number of annotations",
        ),
        "batch_chart": _share_bars(
            summary.get("by_batch", []), "file", "added", label="items added per batch", total=summary.get("items")
        ),
        "changes_heat": _heat(changes["matrix"], changes["labels"]) if changes else None,
        "per_label_chart": bar_chart(
            rows=[(str(row["label"]), row.get("alpha"), "") for row in agreement.get("per_label", [])],
            low=-1.0,
            label="one-vs-rest alpha per label",
        )
        if agreement.get("per_label")
        else None,
        "slices": slices,
        "slice_chart": bar_chart(
            rows=[
                (
                    f"{s['column']} = {s['value']}",
                    s.get("alpha"),
                    f"[{s['alpha_ci'][0]:.2f}, {s['alpha_ci'][1]:.2f}]" if s.get("alpha_ci") else "",
                )
                for s in slices
                if not s["too_small"]
            ],
            low=-1.0,
            label="alpha per slice, with its 95% interval",
        )
        if any(not s["too_small"] for s in slices)
        else None,
    }


def _figure(value: Any, *, signed: bool = False) -> str:
    """A headline figure as read: counts with thousands separators, alpha to three decimals, a dash for none."""
    if value is None:
        return NONE
    sign = "+" if signed and value > 0 else ""
    if isinstance(value, float) and not value.is_integer():
        return f"{sign}{value:.3f}"
    return f"{sign}{int(value):,}"


def compare_rows(comparison: dict[str, Any], names: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The compare page's two tables: headline figures, and each label's share, with b - a."""
    figures = [
        {
            "figure": names.get(key, key),
            "a": _figure(comparison["a"][key]),
            "b": _figure(comparison["b"][key]),
            "delta": _figure(comparison["delta"][key], signed=True),
        }
        for key in comparison["a"]
    ]
    balance = [
        {
            "label": row["label"],
            "a": _percent(row["a"]) or NONE,
            "b": _percent(row["b"]) or NONE,
            "change": f"{(row['b'] - row['a']) * 100:+.1f} pp"
            if row["a"] is not None and row["b"] is not None
            else NONE,
        }
        for row in comparison["class_balance"]
    ]
    return {"rows": figures, "balance": balance}
