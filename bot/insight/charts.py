"""A small bar chart of NPS per period as a PNG, drawn with Pillow (no plotting library).

Deterministic: the same points give the same bytes (Pillow's bundled font, no timestamp
in the file), so a chart can be re-drawn or compared in tests. Labels are ASCII on
purpose: the bundled font has no Vietnamese glyphs; the message around the chart carries
the words.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 800, 420
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 60, 20, 40, 52
_BACKGROUND = (255, 255, 255)
_INK = (40, 40, 40)
_GRID = (225, 225, 225)
_POSITIVE = (46, 139, 87)
_NEGATIVE = (205, 60, 60)
_EMPTY = (190, 190, 190)


@dataclass(frozen=True)
class ChartPoint:
    start: date  # the period's first day
    score: float | None  # NPS, -100..100; None when nobody answered
    n: int


def nps_chart(points: Sequence[ChartPoint], title: str = "NPS") -> bytes:
    """Bars from the zero line, one per period (green above, red below, a grey tick for a
    period without answers), each labelled with its score and its n. Returns PNG bytes."""
    if not points:
        raise ValueError("a chart needs at least one period")
    image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    big = ImageFont.load_default(size=18)
    top, bottom = _MARGIN_TOP, HEIGHT - _MARGIN_BOTTOM
    left, right = _MARGIN_LEFT, WIDTH - _MARGIN_RIGHT

    pad = 24  # room for a label beyond a bar of +-100

    def y_of(score: float) -> float:
        clamped = max(-100.0, min(100.0, score))
        return top + pad + (100 - clamped) / 200 * (bottom - top - 2 * pad)

    draw.text((left, 14), _ascii(title), fill=_INK, font=big)
    for tick in (-100, -50, 0, 50, 100):
        y = y_of(tick)
        draw.line([(left, y), (right, y)], fill=_INK if tick == 0 else _GRID, width=1)
        label = f"{tick:+d}" if tick else "0"
        width = draw.textlength(label, font=small)
        draw.text((left - 8 - width, y - 7), label, fill=_INK, font=small)
    slot = (right - left) / len(points)
    bar = max(4.0, slot * 0.6)
    zero = y_of(0)
    for index, point in enumerate(points):
        center = left + slot * (index + 0.5)
        x0, x1 = center - bar / 2, center + bar / 2
        if point.score is None or point.n == 0:
            draw.line([(x0, zero), (x1, zero)], fill=_EMPTY, width=3)
            value = "-"
            value_y = zero - 20
        else:
            y = y_of(point.score)
            colour = _POSITIVE if point.score >= 0 else _NEGATIVE
            draw.rectangle([x0, min(y, zero), x1, max(y, zero)], fill=colour)
            value = f"{round(point.score):+d}" if round(point.score) else "0"
            value_y = y - 20 if point.score >= 0 else y + 4
        _centered(draw, center, value_y, value, font)
        _centered(draw, center, bottom + 8, f"{point.start:%d/%m}", small)
        _centered(draw, center, bottom + 26, f"n={point.n}", small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _centered(
    draw: ImageDraw.ImageDraw,
    x: float,
    y: float,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
) -> None:
    width = draw.textlength(text, font=font)
    draw.text((x - width / 2, y), text, fill=_INK, font=font)


def _ascii(text: str) -> str:
    """The text with anything the bundled font cannot draw left out."""
    return "".join(char for char in text if 32 <= ord(char) < 127).strip() or "NPS"
