"""Charts for the editors' pages, drawn on the server as inline SVG, each paired with an HTML
table of its numbers.

The SVG is an image to assistive technology (``role="img"`` named by its ``<title>``); the
table beside it is what a screen reader reads. The markup carries no script, no external
resource and no ``style`` attribute (the pages' CSP forbids inline styles): only SVG
presentation attributes. It scales to its container (a ``viewBox`` and ``width="100%"``), down
to a 360 px phone.

>>> svg = stacked_bars("Questions", ["12-01", "12-02"], {"answer": [3, 1]}, {"answer": "#1a7f37"})
>>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" role="img"')
True
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 480, 280  # viewBox units: at 360 px wide a unit is 0.75 px, text 10.5 px
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 36, 30  # room for the y ticks, the legend, the x labels
FONT_SIZE = 14
CHAR_WIDTH = 0.6 * FONT_SIZE  # a rough advance per character, to keep labels apart
TEXT_COLOUR = "#1f2328"
AXIS_COLOUR = "#59636e"  # 6:1 on white
GRID_COLOUR = "#d1d9e0"  # decorative: the axis and its ticks carry the scale
_PLOT_WIDTH = WIDTH - LEFT - RIGHT
_PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
_BASELINE = HEIGHT - BOTTOM


def stacked_bars(
    title: str, labels: list[str], series: dict[str, list[int]], colors: dict[str, str]
) -> str:
    """A bar per label, stacking each series' value in its colour (the first at the bottom),
    with a legend of the series above."""
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
        if any(value < 0 for value in values):
            raise ValueError(f"series {name!r} has a negative value")
    missing = set(series) - set(colors)
    if missing:
        raise ValueError(f"no colour for series {sorted(missing)}")
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = _nice_ceiling(max(totals, default=0))
    slot = _PLOT_WIDTH / max(len(labels), 1)
    marks = []
    for i, label in enumerate(labels):
        y = float(_BASELINE)
        for name, values in series.items():
            if values[i] == 0:
                continue
            height = values[i] / top * _PLOT_HEIGHT
            y -= height
            x = LEFT + (i + 0.1) * slot
            tip = f"{label}, {name}: {values[i]}"
            marks.append(_rect(x, y, 0.8 * slot, height, colors[name], tip))
    ticks = [(LEFT + (i + 0.5) * slot, label) for i, label in enumerate(labels)]
    legend = [(name, colors[name]) for name in series]
    return _chart(title, marks, ticks, top if any(totals) else None, legend)


def histogram(title: str, bins: list[tuple[float, float, int]], color: str) -> str:
    """A bar per ``(low, high, count)`` bin, side by side, the bins' edges on the x axis."""
    if any(count < 0 for _, _, count in bins):
        raise ValueError("a bin has a negative count")
    top = _nice_ceiling(max((count for _, _, count in bins), default=0))
    slot = _PLOT_WIDTH / max(len(bins), 1)
    gap = min(1.0, slot / 10)  # a hairline between neighbours, which touch as bins do
    marks = []
    for i, (low, high, count) in enumerate(bins):
        if count:
            height = count / top * _PLOT_HEIGHT
            x, y = LEFT + i * slot + gap, _BASELINE - height
            tip = f"{_number(low)}–{_number(high)}: {count}"
            marks.append(_rect(x, y, slot - 2 * gap, height, color, tip))
    edges = [low for low, _, _ in bins] + [high for _, high, _ in bins[-1:]]
    ticks = [(LEFT + i * slot, _number(edge)) for i, edge in enumerate(edges)]
    has_data = any(count for _, _, count in bins)
    return _chart(title, marks, ticks, top if has_data else None, [])


def data_table(caption: str, header: list[str], rows: list[list[str | int]]) -> str:
    """An HTML table of a chart's numbers: a caption, column headers, and each row headed by
    its first cell."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row has {len(row)} cells for {len(header)} columns")
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in header)
    body = [
        f'<tr><th scope="row">{escape(str(row[0]))}</th>'
        + "".join(f"<td>{escape(str(cell))}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    ]
    return (
        f"<table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def chart_id(title: str) -> str:
    """The chart's element id: the title's slug, and a hash of the title so that two titles
    with the same slug (or none, as in scripts other than Latin) still differ."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    digest = hashlib.sha256(title.encode()).hexdigest()[:8]
    return f"chart-{slug}-{digest}" if slug else f"chart-{digest}"


def _chart(
    title: str,
    marks: list[str],
    ticks: Sequence[tuple[float, str]],
    top: int | None,
    legend: Sequence[tuple[str, str]],
) -> str:
    """The SVG around the bars: title, axes, y ticks (``top`` None: no data), x labels kept
    apart, legend."""
    ident = chart_id(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="{ident}" '
        f'aria-labelledby="{ident}-title" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    parts += _legend(legend)
    if top is not None:
        parts.append(_line(LEFT, TOP, WIDTH - RIGHT, TOP, GRID_COLOUR))
        parts.append(_text(LEFT - 6, TOP + 5, str(top), "end"))
    parts.append(_text(LEFT - 6, _BASELINE + 5, "0", "end"))
    parts.append('<g class="bars">' + "".join(marks) + "</g>")
    parts.append(_line(LEFT, TOP, LEFT, _BASELINE, AXIS_COLOUR))
    parts.append(_line(LEFT, _BASELINE, WIDTH - RIGHT, _BASELINE, AXIS_COLOUR))
    parts.append('<g class="labels">' + "".join(_x_labels(ticks)) + "</g>")
    if top is None:
        middle = TOP + _PLOT_HEIGHT / 2
        parts.append(_text(LEFT + _PLOT_WIDTH / 2, middle, "no data", "middle"))
    parts.append("</svg>")
    return "".join(parts)


def _legend(entries: Sequence[tuple[str, str]]) -> list[str]:
    """A row of colour swatches, each followed by its series' name, above the plot."""
    marks, x = [], float(LEFT)
    for name, color in entries:
        marks.append(
            f'<rect x="{_number(x)}" y="{TOP - 26}" width="12" height="12" fill="{escape(color)}"/>'
        )
        marks.append(_text(x + 16, TOP - 15, name, "start"))
        x += 16 + len(name) * CHAR_WIDTH + 16
    return ['<g class="legend">' + "".join(marks) + "</g>"] if marks else []


def _x_labels(ticks: Sequence[tuple[float, str]]) -> list[str]:
    """Every n-th label, n just large enough that no two overlap, each inside the viewBox."""
    if not ticks:
        return []
    widest = max(len(text) for _, text in ticks) * CHAR_WIDTH + CHAR_WIDTH
    spacing = ticks[1][0] - ticks[0][0] if len(ticks) > 1 else float(_PLOT_WIDTH)
    step = max(1, math.ceil(widest / spacing))
    labels = []
    for x, text in ticks[::step]:
        half = len(text) * CHAR_WIDTH / 2
        inside = min(max(x, half), WIDTH - half)
        labels.append(_text(inside, _BASELINE + 20, text, "middle"))
    return labels


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above ``value`` (1 for nothing)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _rect(x: float, y: float, width: float, height: float, color: str, tip: str) -> str:
    """A bar, with its value as a tooltip for a pointer."""
    return (
        f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
        f'height="{_number(height)}" fill="{escape(color)}"><title>{escape(tip)}</title></rect>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, color: str) -> str:
    return (
        f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" y2="{_number(y2)}" '
        f'stroke="{color}" stroke-width="1"/>'
    )


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}">{escape(text)}</text>'


def _number(value: float) -> str:
    """A coordinate or an edge, short: ``12.5``, ``0.1``, ``3``."""
    return f"{value:.3f}".rstrip("0").rstrip(".")
