"""Small charts as SVG, drawn on the server: no JavaScript, no chart library.

Each chart is an `<svg role="img">` with a title, one `<circle class="point">` (or bar)
per value carrying its number and n in `data-` attributes and a tooltip, and the page
shows the same numbers in a table for screen readers and copy-paste.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 26
MAX_X_LABELS = 6


@dataclass(frozen=True)
class ChartPoint:
    label: str  # e.g. the period's first day
    value: float | None  # None: no answers in the period
    n: int


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def line_chart(
    chart_id: str, title: str, points: Sequence[ChartPoint], low: float, high: float
) -> Markup:
    """A line over the points (broken where a period has no answers), y from low to high."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = high - low or 1.0

    def x(index: int) -> float:
        return LEFT + (plot_w / 2 if len(points) == 1 else plot_w * index / (len(points) - 1))

    def y(value: float) -> float:
        clamped = min(max(value, low), high)
        return TOP + plot_h * (high - clamped) / span

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for tick in (low, (low + high) / 2, high):
        ty = y(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>'
    )
    for segment in _segments(points):
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in segment)
        if len(segment) > 1:
            parts.append(f'<polyline class="line" points="{coords}"/>')
    for index, point in enumerate(points):
        if point.value is None:
            continue
        tip = f"{point.label}: {_number(point.value)} (n={point.n})"
        parts.append(
            f'<circle class="point" cx="{x(index):.1f}" cy="{y(point.value):.1f}" r="4" '
            f'data-label="{escape(point.label)}" data-value="{_number(point.value)}" '
            f'data-n="{point.n}"><title>{escape(tip)}</title></circle>'
        )
    step = max(1, -(-len(points) // MAX_X_LABELS))
    for index in range(0, len(points), step):
        parts.append(
            f'<text x="{x(index):.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(points[index].label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, longest = the largest value (a funnel: sent, started, completed)."""
    row_h, label_w = 34, 110
    height = TOP + row_h * len(bars) + 4
    top = max((value for _, value in bars), default=0) or 1
    plot_w = WIDTH - label_w - RIGHT - 60
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, value) in enumerate(bars):
        by = TOP + index * row_h
        length = plot_w * value / top
        parts.append(
            f'<text class="bar-label" x="{label_w - 8}" y="{by + 19}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{by + 4}" width="{length:.1f}" height="22" '
            f'data-label="{escape(label)}" data-value="{value}"><title>{escape(label)}: '
            f"{value}</title></rect>"
        )
        parts.append(
            f'<text class="bar-label" x="{label_w + length + 6:.1f}" y="{by + 19}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _segments(points: Sequence[ChartPoint]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive points that have a value."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, point in enumerate(points):
        if point.value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, point.value))
    if current:
        runs.append(current)
    return runs
