"""The NPS chart: a real PNG, the same bytes for the same points, bars where they belong."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.insight.charts import HEIGHT, WIDTH, ChartPoint, nps_chart

START = date(2026, 9, 28)


def weeks(*scores: tuple[float | None, int]) -> list[ChartPoint]:
    return [ChartPoint(START + timedelta(weeks=i), s, n) for i, (s, n) in enumerate(scores)]


def test_the_chart_is_a_png_of_the_documented_size():
    png = nps_chart(weeks((35, 12), (-20, 5)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)


def test_the_same_points_draw_the_same_bytes():
    points = weeks((35, 12), (None, 0), (-100, 1))
    assert nps_chart(points, "NPS") == nps_chart(points, "NPS")
    assert nps_chart(points) != nps_chart(weeks((36, 12), (None, 0), (-100, 1)))


def test_bars_go_up_green_for_promoters_and_down_red_for_detractors():
    with Image.open(io.BytesIO(nps_chart(weeks((100, 3), (-100, 2))))) as image:
        rgb = image.convert("RGB")
        # Two slots across the plot (x 60-780): centres at 240 and 600; zero line at mid-plot.
        up = rgb.getpixel((240, 120))
        down = rgb.getpixel((600, 300))
        assert isinstance(up, tuple) and isinstance(down, tuple)
        assert up[1] > up[0] and up[1] > up[2]  # green above zero
        assert down[0] > down[1] and down[0] > down[2]  # red below zero
        assert rgb.getpixel((240, 300)) == (255, 255, 255)  # nothing under a positive bar


def test_a_title_with_letters_the_font_lacks_still_draws():
    assert nps_chart(weeks((10, 1)), "NPS tuần này").startswith(b"\x89PNG")


def test_a_chart_of_nothing_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        nps_chart([])
