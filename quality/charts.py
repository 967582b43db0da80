"""Geometry of the drift charts: reference vs batch histograms as server-rendered SVG.

No Django here; the template only places the rectangles this computes.
"""

from dataclasses import dataclass
from typing import Any

WIDTH = 520
HEIGHT = 150
LABEL_ROOM = 34  # below the bars, for the bin labels
MAX_LABEL = 14


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
    elif histogram.get("edges") is not None:
        edges = list(histogram["edges"])
        labels = [f"{_number(edges[i])}\u2013{_number(edges[i + 1])}" for i in range(len(edges) - 1)]
    else:
        return None
    count = min(len(labels), len(reference), len(batch))
    if count == 0:
        return None
    reference_shares, batch_shares = _shares(reference[:count]), _shares(batch[:count])
    peak = max([*reference_shares, *batch_shares, 1e-9])
    slot = WIDTH / count
    bar_width = max(slot * 0.38, 1.0)
    plot = HEIGHT - LABEL_ROOM
    bins = []
    for index in range(count):
        x = index * slot + slot * 0.1
        reference_height = plot * reference_shares[index] / peak
        batch_height = plot * batch_shares[index] / peak
        label = labels[index]
        bins.append(
            HistogramBin(
                label=label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…",
                reference_share=reference_shares[index],
                batch_share=batch_shares[index],
                x=round(x, 2),
                bar_width=round(bar_width, 2),
                reference_y=round(plot - reference_height, 2),
                reference_height=round(reference_height, 2),
                batch_x=round(x + bar_width, 2),
                batch_y=round(plot - batch_height, 2),
                batch_height=round(batch_height, 2),
                label_x=round(index * slot + slot / 2, 2),
            )
        )
    return {"bins": bins, "width": WIDTH, "height": HEIGHT, "plot_height": plot, "label_y": plot + 14}
