"""Server-side SVG for the agreement dashboard: the annotator x annotator heat map, bar charts,
a line, an interval, and each annotator's Dawid-Skene confusion matrix.

Every name that reaches the SVG (usernames, label names) is escaped here; the figures
are numbers formatted here. The templates insert the finished, safe markup.
"""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ROW = 26
LABEL_WIDTH = 150
NONE = "&#8211;"  # an en dash: no figure


def _slant_overhang(longest: int) -> int:
    """How far a column name set at -55 degrees reaches right of its column (about 6 px a character)."""
    return 10 + int(6 * min(longest, 40) * 0.57)


def _fmt(value: float | None, digits: int = 2) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


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


def kappa_heatmap(*, annotators: list[str], pairwise: list[dict[str, Any]], key: str = "cohen_kappa") -> SafeString:
    """Annotator x annotator matrix of pairwise kappa; each cell has a tooltip with n and raw agreement."""
    if len(annotators) < 2:
        return mark_safe('<p class="empty">Needs two annotators who labeled the same items.</p>')
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
                f"{escape(annotators[row])} &#215; {escape(annotators[column])}: {key} {_fmt(value)}, "
                f"{_fmt(raw)} raw agreement on {n} items"
            )
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{_heat_color(value)}" '
                f'stroke="#fff" data-a="{escape(annotators[row])}" data-b="{escape(annotators[column])}">'
                f"<title>{title}</title></rect>"
            )
            if size >= 30:
                ink = "#fff" if value is not None and value > 0.75 else "#1d2330"
                parts.append(
                    f'<text x="{x + size / 2}" y="{y + size / 2 + 4}" text-anchor="middle" class="cell" '
                    f'fill="{ink}">{_fmt(value)}</text>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(
    *, rows: list[tuple[str, float | None, str]], low: float = 0.0, high: float = 1.0, label: str
) -> SafeString:
    """Horizontal bars, one per (name, value, note); values from ``low`` to ``high``; None drawn as 'no figure'."""
    if not rows:
        return mark_safe('<p class="empty">Nothing to show yet.</p>')
    width, plot = 560, 300
    height = ROW * len(rows) + 24
    zero = LABEL_WIDTH + plot * (0 - low) / (high - low) if low < 0 else LABEL_WIDTH
    parts = [
        f'<svg class="bars" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" height="{height}">'
    ]
    for position, (name, value, note) in enumerate(rows):
        y = position * ROW + 4
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" class="axis">{escape(name)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_WIDTH + 4}" y="{y + 15}" class="muted">no figure {escape(note)}</text>')
            continue
        clipped = max(low, min(high, value))
        end = LABEL_WIDTH + plot * (clipped - low) / (high - low)
        x, w = min(zero, end), abs(end - zero)
        color = "#2457c5" if value >= 0 else "#b42318"
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{ROW - 8}" fill="{color}" rx="2">'
            f"<title>{escape(name)}: {_fmt(value, 3)} {escape(note)}</title></rect>"
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + plot + 8}" y="{y + 15}" class="value">{_fmt(value)} '
            f'<tspan class="muted">{escape(note)}</tspan></text>'
        )
    axis_y = ROW * len(rows) + 8
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{axis_y}" stroke="#9aa6bd"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(*, points: list[dict[str, Any]], key: str = "alpha", label: str, empty: str = "") -> SafeString:
    """Alpha per week as a line with dots; weeks without a figure leave a gap."""
    usable = [p for p in points if p.get(key) is not None]
    if not usable:
        return mark_safe(f'<p class="empty">{escape(empty or "Nothing to show yet.")}</p>')
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
            f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="4" fill="#2457c5">'
            f"<title>week of {escape(point['week'])}: {_fmt(value, 3)} ({point.get('annotations', 0)} annotations)"
            f"</title></circle>"
        )
    parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="#2457c5" stroke-width="2"/>')
    for position, point in enumerate(points):
        if len(points) <= 8 or position % max(1, len(points) // 6) == 0:
            x = left + position * step if len(points) > 1 else left + plot_w / 2
            parts.append(
                f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" class="axis">{escape(point["week"])}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def interval(*, value: float | None, low: float | None, high: float | None) -> SafeString:
    """Alpha as a dot on -1..1 with its bootstrap interval as a bar: is 0.71 vs 0.74 noise?"""
    if value is None:
        return mark_safe("")
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
    parts.append(f'<circle cx="{x_of(value):.1f}" cy="20" r="6" fill="#2457c5"/></svg>')
    return mark_safe("".join(parts))


def _share_color(value: float) -> str:
    """White (0) to blue (1): a probability."""
    t = max(0.0, min(1.0, value))
    return f"rgb({int(247 - 216 * t)},{int(249 - 170 * t)},{int(252 - 68 * t)})"


def confusion_matrix(*, annotator: str, labels: list[str], matrix: list[list[float]]) -> SafeString:
    """One annotator's Dawid-Skene confusion matrix: true label (rows) x label given (columns).

    Each cell prints its probability and has a ``<title>`` with it, so colour is never the only
    cue; the diagonal (right answers) is outlined. A row of zeros is a label nobody gave, with
    nothing to estimate from: drawn as "no figure".
    """
    n = len(labels)
    if not n or len(matrix) != n:
        return mark_safe('<p class="empty">No confusion matrix for this annotator.</p>')
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
            ink = "#fff" if value is not None and value > 0.55 else "#1d2330"
            parts.append(
                f'<text x="{x + size / 2}" y="{y + size / 2 + 4}" text-anchor="middle" class="cell" fill="{ink}">'
                f"{_fmt(value)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
