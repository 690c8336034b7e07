"""The report filters of a page's query string, checked: a bad date or choice is a 400 page
that says which field is wrong, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from bot.insight.reports import ResponseFilter
from bot.web.dashboard.page_context import Refusal

MAX_TEXT = 200
PERIODS = ("day", "week", "month")
TEXT_FIELDS = ("store", "channel", "sku", "search")


@dataclass(frozen=True)
class FilterForm:
    """What the filter form shows (the raw values) and the filter they make."""

    values: dict[str, str]
    filter: ResponseFilter
    period: str = "week"
    page: int = 1
    flows: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(
            self.values.get(name) for name in ("flow", "from", "to", "segment", *TEXT_FIELDS)
        )

    def query(self, **changes: Any) -> str:
        """This form's query string with some values changed (for page links)."""
        from urllib.parse import urlencode

        values = {**self.values, "period": self.period, **{k: str(v) for k, v in changes.items()}}
        return urlencode({k: v for k, v in values.items() if v})


def parse_filters(
    params: QueryParams, labels: dict[str, str], tz: ZoneInfo, flows: list[str]
) -> FilterForm:
    values = {name: (params.get(name) or "").strip() for name in ("flow", "from", "to", "segment")}
    for name in TEXT_FIELDS:
        values[name] = (params.get(name) or "").strip()
    for name, value in values.items():
        if len(value) > MAX_TEXT:
            _refuse(labels, "bad_choice", field=labels.get(name, name), value=value[:40] + "…")
    flow = values["flow"] or None
    if flow is not None and flow not in flows:
        _refuse(labels, "bad_choice", field=labels["flow"], value=flow)
    start_day = _day(values["from"], labels, labels["from"])
    end_day = _day(values["to"], labels, labels["to"])
    start = _midnight(start_day, tz) if start_day else None
    end = _midnight(end_day + timedelta(days=1), tz) if end_day else None
    if start is not None and end is not None and end <= start:
        _refuse(labels, "bad_range")
    segment = None
    if values["segment"]:
        key, sep, wanted = values["segment"].partition("=")
        if not sep or not key.strip() or not wanted.strip():
            _refuse(labels, "bad_segment")
        segment = (key.strip(), wanted.strip())
    period = params.get("period") or "week"
    if period not in PERIODS:
        _refuse(labels, "bad_choice", field=labels["period"], value=period)
    page_text = params.get("page") or "1"
    digits = page_text.isascii() and page_text.isdigit()  # "²" is a digit int() refuses
    if not digits or len(page_text) > 6 or not 1 <= int(page_text) <= 100_000:
        _refuse(labels, "bad_choice", field="page", value=page_text[:20])
    chosen = ResponseFilter(
        flow=flow,
        start=start,
        end=end,
        store=values["store"] or None,
        channel=values["channel"] or None,
        sku=values["sku"] or None,
        segment=segment,
        search=values["search"] or None,
    )
    return FilterForm(values, chosen, period, int(page_text), flows)


def _day(text: str, labels: dict[str, str], name: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2200:
        _refuse(labels, "bad_date", field=name, value=text)
    return day


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _refuse(labels: dict[str, str], key: str, **values: object) -> None:
    raise Refusal(400, "bad_request_title", key, **values)
