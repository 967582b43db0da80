"""Geometry of the drift charts: reference vs batch histograms as server-rendered SVG.

No Django here; the template only places the rectangles this computes.
"""

import math
from dataclasses import dataclass
from typing import Any

WIDTH = 520
PLOT_HEIGHT = 116
LABEL_ROOM = 34  # below the bars, for the bin labels
MAX_LABEL = 14
CHAR_WIDTH = 5.2  # an average character of the 9px label font


@dataclass(frozen=True)
class HistogramBin:
    label: str
    reference_share: float
    batch_share: float
    x: float
    bar_width: float
    reference_y: float
    reference_height: float
    batch_x: float
    batch_y: float
    batch_height: float
    label_x: float

    @property
    def reference_pct(self) -> str:
        return f"{self.reference_share:.1%}"

    @property
    def batch_pct(self) -> str:
        return f"{self.batch_share:.1%}"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _shares(counts: list[Any]) -> list[float]:
    values = [float(v) if isinstance(v, int | float) and v == v else 0.0 for v in counts]
    total = sum(values)
    return [v / total if total > 0 else 0.0 for v in values]


def histogram_chart(histogram: dict[str, Any] | None) -> dict[str, Any] | None:
    """Bars of the reference's and the batch's share per bin (or category); None when there is nothing to draw."""
    if not isinstance(histogram, dict):
        return None
    reference, batch = histogram.get("reference") or [], histogram.get("batch") or []
    if histogram.get("categories") is not None:
        labels = [str(c) for c in histogram["categories"]]
    elif histogram.get("labels") is not None:
        labels = [str(label) for label in histogram["labels"]]
    elif histogram.get("edges") is not None:
        edges = list(histogram["edges"])
        labels = [f"{_number(edges[i])}\u2013{_number(edges[i + 1])}" for i in range(len(edges) - 1)]
    else:
        return None
    count = min(len(labels), len(reference), len(batch))
    if count == 0:
        return None
    labels = [label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "\u2026" for label in labels[:count]]
    reference_shares, batch_shares = _shares(reference[:count]), _shares(batch[:count])
    peak = max([*reference_shares, *batch_shares, 1e-9])
    slot = WIDTH / count
    bar_width = max(slot * 0.38, 1.0)
    plot = PLOT_HEIGHT
    # Labels wider than their slot would run into each other: slanted, they need height instead.
    longest = max(len(label) for label in labels) * CHAR_WIDTH
    slanted = longest > slot * 0.9
    label_room = math.ceil(longest * 0.71) + 14 if slanted else LABEL_ROOM
    # A slanted label reaches left of its bar: the first one needs room before the plot.
    left = max(0, math.ceil(len(labels[0]) * CHAR_WIDTH * 0.71 - slot / 2) + 2) if slanted else 0
    bins = []
    for index in range(count):
        x = left + index * slot + slot * 0.1
        reference_height = plot * reference_shares[index] / peak
        batch_height = plot * batch_shares[index] / peak
        bins.append(
            HistogramBin(
                label=labels[index],
                reference_share=reference_shares[index],
                batch_share=batch_shares[index],
                x=round(x, 2),
                bar_width=round(bar_width, 2),
                reference_y=round(plot - reference_height, 2),
                reference_height=round(reference_height, 2),
                batch_x=round(x + bar_width, 2),
                batch_y=round(plot - batch_height, 2),
                batch_height=round(batch_height, 2),
                label_x=round(left + index * slot + slot / 2, 2),
            )
        )
    return {
        "bins": bins,
        "width": WIDTH + left,
        "height": plot + label_room,
        "plot_height": plot,
        "label_y": plot + (10 if slanted else 14),
        "slanted": slanted,
    }
