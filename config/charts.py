"""Every chart of the app as server-rendered SVG, drawn from plain numbers and names.

No Django here, so any floor can use it and it is tested alone. Each function returns
finished markup (``Svg``): every name in it is escaped here, every figure formatted here,
and templates insert it as it is.

Charts that sit in cards of any width (bars, histograms) place things across in percent and
down in pixels, so they fill their card while their text keeps its size; the matrices and
the interval have a fixed size, and scroll when there is no room.
"""

import math
from dataclasses import dataclass
from html import escape as _escape
from typing import Any

NONE = "&#8211;"  # an en dash: no figure
ROW = 26
LABEL_WIDTH = 150
INK, MUTED, ACCENT, REFERENCE, BAD = "#1d2330", "#5b6475", "#2457c5", "#9aa7bd", "#b42318"


class Svg(str):
    """Markup that is safe as it is: templates (``__html__``) insert it without escaping it again."""

    def __html__(self) -> str:
        return self


def escape(value: Any) -> str:
    return _escape(str(value), quote=True)


def _fmt(value: float | None, digits: int = 2) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _empty(text: str) -> Svg:
    return Svg(f'<p class="empty">{escape(text)}</p>')


# -- items per dataset version -------------------------------------------------------------------
VERSION_LABEL_PCT = 9
VERSION_SPAN_PCT = 58  # leaves room on the right for the count


def version_bars(versions: list[tuple[int, int, int]]) -> Svg | None:
    """One bar per (number, items, added) version, oldest first: the items inherited, then the ones added."""
    if not versions:
        return None
    ordered = sorted(versions)
    peak = max(items for _, items, _ in ordered) or 1
    height = len(ordered) * ROW + 4
    summary = ", ".join(f"v{number} {items}" for number, items, _ in ordered)
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" width="100%" height="{height}" class="bars">'
        f'<title id="chart-title">Items per version: {escape(summary)}</title>'
    ]
    for row, (number, items, added) in enumerate(ordered):
        added = min(added, items)
        y = row * ROW
        inherited_pct = round(VERSION_SPAN_PCT * (items - added) / peak, 2)
        # A handful of new items on a big version still shows as a sliver.
        added_pct = round(max(VERSION_SPAN_PCT * added / peak, 0.6 if added else 0), 2)
        added_x = round(VERSION_LABEL_PCT + inherited_pct, 2)
        parts.append(
            f"<g><title>v{number}: {items} items, {added} added</title>"
            f'<text x="0" y="{y + 18}" class="bar-label">v{number}</text>'
            f'<rect x="{VERSION_LABEL_PCT}%" y="{y + 5}" width="{inherited_pct}%" height="18" class="bar-inherited"/>'
            f'<rect x="{added_x}%" y="{y + 5}" width="{added_pct}%" height="18" class="bar-added"/>'
            f'<text x="{round(added_x + added_pct + 1, 2)}%" y="{y + 18}" class="bar-value">{items} '
            f'<tspan class="bar-delta">(+{added})</tspan></text></g>'
        )
    parts.append("</svg>")
    return Svg("".join(parts))


# -- reference vs batch histograms (drift) -------------------------------------------------------
PLOT_HEIGHT = 130
LABEL_ROOM = 22  # below the bars, for horizontal bin labels
MAX_LABEL = 16
CHAR_WIDTH = 6.2  # an average character of the 11px label font
NARROWEST = 520  # the width (px) the labels must fit in; wider cards give them more room


@dataclass(frozen=True)
class HistogramBin:
    label: str
    reference_share: float
    batch_share: float
    new: bool  # in the batch, never in the reference
    x_pct: float
    bar_pct: float
    reference_height: float
    batch_height: float
    label_x_pct: float

    @property
    def reference_pct(self) -> str:
        return f"{self.reference_share:.1%}"

    @property
    def batch_pct(self) -> str:
        return f"{self.batch_share:.1%}"


@dataclass(frozen=True)
class Histogram:
    bins: list[HistogramBin]
    plot_height: int
    height: int
    label_y: int
    slanted: bool
    left: int  # pixels before the plot, where the first slanted label reaches

    @property
    def new_categories(self) -> list[str]:
        return [b.label for b in self.bins if b.new]


def _shares(counts: list[Any]) -> list[float]:
    values = [float(v) if isinstance(v, int | float) and v == v else 0.0 for v in counts]
    total = sum(values)
    return [v / total if total > 0 else 0.0 for v in values]


def histogram_geometry(histogram: dict[str, Any] | None) -> Histogram | None:
    """Bars of the reference's and the batch's share per bin or category; None when there is nothing to draw.

    ``histogram`` holds ``reference`` and ``batch`` counts (or shares) and the bins as
    ``categories``, ``labels`` or numeric ``edges``.
    """
    if not isinstance(histogram, dict):
        return None
    reference, batch = histogram.get("reference") or [], histogram.get("batch") or []
    categorical = histogram.get("categories") is not None
    if categorical:
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
    slot_pct = 100 / count
    # Labels wider than their slot would run into each other: slanted, they need height instead.
    longest = max(len(label) for label in labels) * CHAR_WIDTH
    slanted = longest > NARROWEST / count * 0.9
    label_room = math.ceil(longest * 0.71) + 16 if slanted else LABEL_ROOM
    left = max(0, math.ceil(len(labels[0]) * CHAR_WIDTH * 0.71 - NARROWEST / count / 2) + 2) if slanted else 0
    bins = [
        HistogramBin(
            label=labels[index],
            reference_share=reference_shares[index],
            batch_share=batch_shares[index],
            new=categorical and reference_shares[index] == 0 and batch_shares[index] > 0,
            x_pct=round(index * slot_pct + slot_pct * 0.1, 3),
            bar_pct=round(slot_pct * 0.38, 3),
            reference_height=round(PLOT_HEIGHT * reference_shares[index] / peak, 2),
            batch_height=round(PLOT_HEIGHT * batch_shares[index] / peak, 2),
            label_x_pct=round(index * slot_pct + slot_pct / 2, 3),
        )
        for index in range(count)
    ]
    return Histogram(
        bins=bins,
        plot_height=PLOT_HEIGHT,
        height=PLOT_HEIGHT + label_room,
        label_y=PLOT_HEIGHT + (12 if slanted else 16),
        slanted=slanted,
        left=left,
    )


def histogram(chart: Histogram, *, title: str) -> Svg:
    """The histogram as SVG filling its container's width; a new category is named "(new)" under its bar."""
    plot = chart.plot_height
    parts = [
        f'<svg role="img" class="histogram" width="100%" height="{chart.height}" overflow="visible" '
        f'style="padding-left: {chart.left}px; box-sizing: border-box"><title>{escape(title)}</title>'
    ]
    for b in chart.bins:
        name = f"{b.label} (new)" if b.new else b.label
        group = '<g class="new">' if b.new else "<g>"
        parts.append(
            f"{group}<title>{escape(name)}: reference {b.reference_pct}, "
            f"batch {b.batch_pct}</title>"
            f'<rect class="ref" x="{b.x_pct}%" y="{plot - b.reference_height}" width="{b.bar_pct}%" '
            f'height="{b.reference_height}"/>'
            f'<rect class="bat" x="{round(b.x_pct + b.bar_pct, 3)}%" y="{plot - b.batch_height}" '
            f'width="{b.bar_pct}%" height="{b.batch_height}"/>'
        )
        if chart.slanted:
            parts.append(
                f'<svg x="{b.label_x_pct}%" y="{chart.label_y}" overflow="visible">'
                f'<text text-anchor="end" transform="rotate(-45)">{escape(name)}</text></svg></g>'
            )
        else:
            parts.append(
                f'<text x="{b.label_x_pct}%" y="{chart.label_y}" text-anchor="middle">{escape(name)}</text></g>'
            )
    parts.append(f'<line x1="0" x2="100%" y1="{plot + 0.5}" y2="{plot + 0.5}" stroke="#d5dae3"/></svg>')
    return Svg("".join(parts))


# -- the agreement dashboard ---------------------------------------------------------------------
def _slant_overhang(longest: int) -> int:
    """How far a column name set at -55 degrees reaches right of its column (about 6 px a character)."""
    return 10 + int(6 * min(longest, 40) * 0.57)


def _heat_color(value: float | None) -> str:
    """Red (-1..0) through white (0.4) to blue (1): kappa's scale, with 'no figure' grey."""
    if value is None:
        return "#eceff3"
    value = max(-1.0, min(1.0, value))
    if value < 0.4:
        t = (value + 1) / 1.4
        return f"rgb({220},{int(80 + 170 * t)},{int(80 + 170 * t)})"
    t = (value - 0.4) / 0.6
    return f"rgb({int(250 - 200 * t)},{int(250 - 140 * t)},{int(250 - 30 * t)})"


def kappa_heatmap(*, annotators: list[str], pairwise: list[dict[str, Any]], key: str = "cohen_kappa") -> Svg:
    """Annotator x annotator matrix of pairwise kappa; each cell has a tooltip with n and raw agreement."""
    if len(annotators) < 2:
        return _empty("Needs two annotators who labeled the same items.")
    index = {name: position for position, name in enumerate(annotators)}
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for pair in pairwise:
        a, b = index.get(pair.get("a")), index.get(pair.get("b"))
        if a is not None and b is not None:
            cells[(a, b)] = cells[(b, a)] = pair
    size = min(44, max(22, 440 // len(annotators)))
    longest = max(len(name) for name in annotators)
    left = min(LABEL_WIDTH, 16 + 7 * longest)
    top = min(LABEL_WIDTH, 20 + int(6 * longest * 0.82))
    # The last column's slanted name reaches past the grid to the right.
    width, height = left + size * len(annotators) + _slant_overhang(longest), top + size * len(annotators) + 10
    parts = [
        f'<svg class="heatmap" role="img" aria-label="Pairwise {escape(key)} between annotators" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
    ]
    for position, name in enumerate(annotators):
        y = top + position * size + size / 2 + 4
        x = left + position * size + size / 2
        parts.append(f'<text x="{left - 6}" y="{y}" text-anchor="end" class="axis">{escape(name)}</text>')
        parts.append(f'<text transform="translate({x + 4},{top - 6}) rotate(-55)" class="axis">{escape(name)}</text>')
    for row in range(len(annotators)):
        for column in range(len(annotators)):
            x, y = left + column * size, top + row * size
            if row == column:
                parts.append(f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="#d5dae3"/>')
                continue
            pair = cells.get((row, column))
            value = pair.get(key) if pair else None
            raw, n = (pair.get("percent_agreement"), pair.get("n", 0)) if pair else (None, 0)
            title = (
                f"{escape(annotators[row])} &#215; {escape(annotators[column])}: {escape(key)} {_fmt(value)}, "
                f"{_fmt(raw)} raw agreement on {n} items"
            )
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{_heat_color(value)}" '
                f'stroke="#fff" data-a="{escape(annotators[row])}" data-b="{escape(annotators[column])}">'
                f"<title>{title}</title></rect>"
            )
            if size >= 30:
                ink = "#fff" if value is not None and value > 0.75 else INK
                parts.append(
                    f'<text x="{x + size / 2}" y="{y + size / 2 + 4}" text-anchor="middle" class="cell" '
                    f'fill="{ink}">{_fmt(value)}</text>'
                )
    parts.append("</svg>")
    return Svg("".join(parts))


def bar_chart(*, rows: list[tuple[str, float | None, str]], low: float = 0.0, high: float = 1.0, label: str) -> Svg:
    """Horizontal bars, one per (name, value, note); values from ``low`` to ``high``; None drawn as 'no figure'.

    It fills its container's width: the names, bars and figures are placed in percent,
    their text at its own size, however narrow the card.
    """
    if not rows:
        return _empty("Nothing to show yet.")
    longest = max(len(name) for name, _, _ in rows)
    names_pct = min(34, max(14, 2 + 1.6 * longest))  # the names' column, right-aligned against the bars
    longest_note = max(len(note) for _, _, note in rows)
    figures_pct = min(45, max(30, 1.45 * (6 + longest_note)))  # the figure and its note, at the narrowest card
    plot_pct = 100 - names_pct - 2 - figures_pct
    start = names_pct + 2
    height = ROW * len(rows) + 10

    def x_of(value: float) -> float:
        return start + plot_pct * (max(low, min(high, value)) - low) / (high - low)

    zero = x_of(0.0) if low < 0 else start
    parts = [
        f'<svg class="bars" role="img" aria-label="{escape(label)}" width="100%" height="{height}" '
        f'overflow="visible" style="font-size: 13px">'
    ]
    for position, (name, value, note) in enumerate(rows):
        y = position * ROW + 4
        parts.append(
            f'<text x="{names_pct}%" y="{y + 14}" text-anchor="end" class="axis" style="font-size: 13px">'
            f"{escape(name)}</text>"
        )
        if value is None:
            parts.append(
                f'<text x="{start}%" y="{y + 14}" class="muted" style="font-size: 13px">no figure {escape(note)}</text>'
            )
            continue
        end = x_of(value)
        x, w = min(zero, end), abs(end - zero)
        color = ACCENT if value >= 0 else BAD
        parts.append(
            f'<rect x="{x:.2f}%" y="{y}" width="{max(w, 0.3):.2f}%" height="{ROW - 8}" fill="{color}" rx="2">'
            f"<title>{escape(name)}: {_fmt(value, 3)} {escape(note)}</title></rect>"
        )
        parts.append(
            f'<text x="{start + plot_pct + 1.5:.2f}%" y="{y + 14}" class="value" style="font-size: 13px">'
            f'{_fmt(value)} <tspan class="muted" style="font-size: 13px">{escape(note)}</tspan></text>'
        )
    axis_y = ROW * len(rows) + 4
    parts.append(f'<line x1="{zero:.2f}%" x2="{zero:.2f}%" y1="0" y2="{axis_y}" stroke="#9aa6bd"/>')
    parts.append("</svg>")
    return Svg("".join(parts))


def line_chart(*, points: list[dict[str, Any]], key: str = "alpha", label: str, empty: str = "") -> Svg:
    """Alpha per week as a line with dots; weeks without a figure leave a gap."""
    usable = [p for p in points if p.get(key) is not None]
    if not usable:
        return _empty(empty or "Nothing to show yet.")
    width, height, left, bottom, top = 600, 220, 44, 40, 12
    plot_w, plot_h = width - left - 16, height - top - bottom
    low = min(0.0, min(p[key] for p in usable))
    step = plot_w / max(1, len(points) - 1)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (1 - low))

    parts = [
        f'<svg class="line" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" height="{height}">'
    ]
    for tick in (low, (low + 1) / 2, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{width - 16}" y1="{y_of(tick):.1f}" y2="{y_of(tick):.1f}" stroke="#e3e6ec"/>'
            f'<text x="{left - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end" class="axis">{tick:.1f}</text>'
        )
    path, pen_down = [], False
    for position, point in enumerate(points):
        x = left + position * step if len(points) > 1 else left + plot_w / 2
        value = point.get(key)
        if value is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y_of(value):.1f}")
        pen_down = True
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="4" fill="{ACCENT}">'
            f"<title>week of {escape(point['week'])}: {_fmt(value, 3)} ({point.get('annotations', 0)} annotations)"
            f"</title></circle>"
        )
    parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for position, point in enumerate(points):
        if len(points) <= 8 or position % max(1, len(points) // 6) == 0:
            x = left + position * step if len(points) > 1 else left + plot_w / 2
            parts.append(
                f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" class="axis">{escape(point["week"])}</text>'
            )
    parts.append("</svg>")
    return Svg("".join(parts))


def interval(*, value: float | None, low: float | None, high: float | None) -> Svg:
    """Alpha as a dot on -1..1 with its bootstrap interval as a bar: is 0.71 vs 0.74 noise?"""
    if value is None:
        return Svg("")
    width, left, plot = 420, 20, 380

    def x_of(v: float) -> float:
        return left + plot * (max(-1.0, min(1.0, v)) + 1) / 2

    parts = [
        f'<svg class="interval" role="img" aria-label="alpha {_fmt(value, 3)}, interval {_fmt(low, 3)} to '
        f'{_fmt(high, 3)}" viewBox="0 0 {width} 46" width="{width}" height="46">',
        f'<line x1="{left}" x2="{left + plot}" y1="20" y2="20" stroke="#d5dae3" stroke-width="2"/>',
    ]
    for tick in (-1, 0, 0.667, 0.8, 1):
        parts.append(f'<line x1="{x_of(tick):.1f}" x2="{x_of(tick):.1f}" y1="14" y2="26" stroke="#9aa6bd"/>')
        if tick != 0.667:  # too close to 0.8 to label both
            parts.append(f'<text x="{x_of(tick):.1f}" y="42" text-anchor="middle" class="axis">{tick:g}</text>')
    if low is not None and high is not None:
        parts.append(
            f'<rect x="{x_of(low):.1f}" y="14" width="{max(2, x_of(high) - x_of(low)):.1f}" height="12" '
            f'fill="#c9d6f2"><title>95% interval {_fmt(low, 3)} to {_fmt(high, 3)}</title></rect>'
        )
    parts.append(f'<circle cx="{x_of(value):.1f}" cy="20" r="6" fill="{ACCENT}"/></svg>')
    return Svg("".join(parts))


def _share_color(value: float) -> str:
    """White (0) to blue (1): a probability."""
    t = max(0.0, min(1.0, value))
    return f"rgb({int(247 - 216 * t)},{int(249 - 170 * t)},{int(252 - 68 * t)})"


def confusion_matrix(*, annotator: str, labels: list[str], matrix: list[list[float]]) -> Svg:
    """One annotator's Dawid-Skene confusion matrix: true label (rows) x label given (columns).

    Each cell prints its probability and has a ``<title>`` with it, so colour is never the only
    cue; the diagonal (right answers) is outlined. A row of zeros is a label nobody gave, with
    nothing to estimate from: drawn as "no figure".
    """
    n = len(labels)
    if not n or len(matrix) != n:
        return _empty("No confusion matrix for this annotator.")
    size = max(30, min(40, 240 // n))
    longest = max(len(name) for name in labels)
    left = min(LABEL_WIDTH, 18 + 7 * longest)
    top = min(LABEL_WIDTH, 24 + int(6 * longest * 0.82))
    width, height = left + size * n + _slant_overhang(longest), top + size * n + 8
    who = escape(annotator)
    parts = [
        f'<svg class="confusion" role="img" data-annotator="{who}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="Dawid-Skene confusion matrix of {who}: rows are the '
        f'true label, columns the label {who} gave; each row with a figure sums to 1">',
    ]
    for position, name in enumerate(labels):
        y = top + position * size + size / 2 + 4
        x = left + position * size + size / 2
        parts.append(f'<text x="{left - 6}" y="{y}" text-anchor="end" class="axis">{escape(name)}</text>')
        parts.append(f'<text transform="translate({x + 4},{top - 6}) rotate(-55)" class="axis">{escape(name)}</text>')
    for row, (true_name, shares) in enumerate(zip(labels, matrix, strict=True)):
        estimated = sum(shares) > 0
        for column, (given_name, share) in enumerate(zip(labels, shares, strict=True)):
            x, y = left + column * size, top + row * size
            value = float(share) if estimated else None
            title = f"{who}: true {escape(true_name)}, gave {escape(given_name)}: " + (
                _fmt(value, 3) if value is not None else "no figure (nobody gave this label)"
            )
            outline = ' stroke="#1d2330" stroke-width="1.5"' if row == column else ' stroke="#fff"'
            fill = _share_color(value) if value is not None else "#eceff3"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{fill}"{outline} '
                f'data-true="{escape(true_name)}" data-given="{escape(given_name)}"><title>{title}</title></rect>'
            )
            ink = "#fff" if value is not None and value > 0.55 else INK
            parts.append(
                f'<text x="{x + size / 2}" y="{y + size / 2 + 4}" text-anchor="middle" class="cell" fill="{ink}">'
                f"{_fmt(value)}</text>"
            )
    parts.append("</svg>")
    return Svg("".join(parts))


# -- model evaluation ----------------------------------------------------------------------------


def coverage_curve(*, points: list[tuple[float, float]], human: float | None = None, label: str) -> Svg:
    """Accuracy (up) against coverage (across) as the model takes its most confident items first;
    the human-level accuracy as a dashed line, when there is one."""
    usable = [(c, a) for c, a in points if c is not None and a is not None]
    if not usable:
        return _empty("No evaluated items yet.")
    width, height, left, bottom, top = 600, 240, 44, 40, 12
    plot_w, plot_h = width - left - 16, height - top - bottom
    low = math.floor(min([a for _, a in usable] + ([human] if human is not None else [])) * 10) / 10

    def x_of(value: float) -> float:
        return left + plot_w * value

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / max(1e-9, 1 - low))

    parts = [
        f'<svg class="coverage" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" height="{height}">'
    ]
    for tick in (low, (low + 1) / 2, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{width - 16}" y1="{y_of(tick):.1f}" y2="{y_of(tick):.1f}" stroke="#e3e6ec"/>'
            f'<text x="{left - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end" class="axis">{tick:.2f}</text>'
        )
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<text x="{x_of(tick):.1f}" y="{height - 20}" text-anchor="middle" class="axis">{tick:.0%}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" class="axis">'
        "share of items the model takes (most confident first)</text>"
    )
    if human is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - 16}" y1="{y_of(human):.1f}" y2="{y_of(human):.1f}" stroke="{BAD}" '
            f'stroke-dasharray="5 4"><title>human level: {_fmt(human, 3)}</title></line>'
        )
    path = " ".join(f"{'L' if i else 'M'}{x_of(c):.1f},{y_of(a):.1f}" for i, (c, a) in enumerate(usable))
    parts.append(f'<path d="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for c, a in usable:
        parts.append(
            f'<circle cx="{x_of(c):.1f}" cy="{y_of(a):.1f}" r="2.5" fill="{ACCENT}">'
            f"<title>{c:.0%} of the items: accuracy {_fmt(a, 3)}</title></circle>"
        )
    parts.append("</svg>")
    return Svg("".join(parts))


def count_matrix(*, labels: list[str], matrix: list[list[int]], rows: str, columns: str) -> Svg:
    """A confusion matrix of counts: ``rows`` (e.g. the settled label) by ``columns`` (the model's),
    each cell shaded by its share of its row, printing its count; the diagonal is outlined."""
    n = len(labels)
    if not n or len(matrix) != n:
        return _empty("No confusion matrix yet.")
    size = max(34, min(44, 300 // n))
    longest = max(len(name) for name in labels)
    left = min(LABEL_WIDTH, 18 + 7 * longest)
    top = min(LABEL_WIDTH, 24 + int(6 * longest * 0.82))
    width, height = left + size * n + _slant_overhang(longest), top + size * n + 8
    parts = [
        f'<svg class="confusion counts" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="Confusion matrix: rows are the {escape(rows)}, columns the {escape(columns)}">',
    ]
    for position, name in enumerate(labels):
        y = top + position * size + size / 2 + 4
        x = left + position * size + size / 2
        parts.append(f'<text x="{left - 6}" y="{y}" text-anchor="end" class="axis">{escape(name)}</text>')
        parts.append(f'<text transform="translate({x + 4},{top - 6}) rotate(-55)" class="axis">{escape(name)}</text>')
    for row, (row_name, counts) in enumerate(zip(labels, matrix, strict=True)):
        total = sum(counts)
        for column, (column_name, count) in enumerate(zip(labels, counts, strict=True)):
            x, y = left + column * size, top + row * size
            share = count / total if total else 0.0
            outline = ' stroke="#1d2330" stroke-width="1.5"' if row == column else ' stroke="#fff"'
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{_share_color(share)}"{outline}>'
                f"<title>{escape(rows)} {escape(row_name)}, {escape(columns)} {escape(column_name)}: {count} "
                f"({share:.0%} of the row)</title></rect>"
            )
            ink = "#fff" if share > 0.55 else INK
            parts.append(
                f'<text x="{x + size / 2}" y="{y + size / 2 + 4}" text-anchor="middle" class="cell" fill="{ink}">'
                f"{count}</text>"
            )
    parts.append("</svg>")
    return Svg("".join(parts))
