"""The reports: the overview (NPS, CSAT, CES, their trends, the themes), the responses in
the customers' own words, and the flows that are live with their response funnel. All
figures come from bot.insight.reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from bot.insight.reports import Insight, ResponseFilter, ResponseRow, TooManyPeriods
from bot.staff.roles import Page
from bot.web.dashboard.charts_svg import ChartPoint, bar_chart, line_chart
from bot.web.dashboard.filters import FilterForm, parse_filters
from bot.web.dashboard.page_context import (
    PREFIX,
    DashboardRoute,
    PageContext,
    Refusal,
    for_page,
)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
OverviewContext = Annotated[PageContext, Depends(for_page(Page.OVERVIEW))]
ResponsesContext = Annotated[PageContext, Depends(for_page(Page.RESPONSES))]
FlowsContext = Annotated[PageContext, Depends(for_page(Page.FLOWS))]

PER_PAGE = 25
# (metric, the trend's key, y range): NPS -100..100, CSAT % satisfied, CES mean on 1-7.
TRENDS = (("nps", "nps", -100.0, 100.0), ("csat", "csat", 0.0, 100.0), ("ces", "ces", 1.0, 7.0))


async def _form(context: PageContext) -> FilterForm:
    insight = context.services.insight
    flows = sorted(await insight.known_flows())
    return parse_filters(context.request.query_params, context.t, insight.timezone, flows)


@router.get("/overview", response_class=HTMLResponse)
async def overview_page(context: OverviewContext) -> HTMLResponse:
    insight = context.services.insight
    form = await _form(context)
    metrics = await insight.metrics(form.filter)
    try:
        trend = await insight.trend(form.filter, form.period)
    except TooManyPeriods as exc:
        raise Refusal(400, "bad_request_title", str(exc)) from None
    themes = await insight.themes(form.filter, limit=10)
    t = context.t
    charts = []
    for metric, key, low, high in TRENDS:
        points = [
            ChartPoint(str(point["start"]), point[key], int(point[f"{metric}_n"]))
            for point in trend
        ]
        title = t["trend"].format(metric=metric.upper(), period=t[form.period].lower())
        charts.append(
            {
                "metric": metric,
                "title": title,
                "svg": line_chart(f"trend-{metric}", title, points, low, high)
                if points
                else Markup(""),
                "points": points,
            }
        )
    return context.render("overview.html", form=form, metrics=metrics, charts=charts, themes=themes)


@router.get("/responses", response_class=HTMLResponse)
async def responses_page(context: ResponsesContext) -> HTMLResponse:
    insight = context.services.insight
    form = await _form(context)
    page = await insight.responses(form.filter, form.page, PER_PAGE)
    themes = await insight.themes(form.filter, limit=8)
    rows = [_response(row, insight) for row in page.rows]
    return context.render("responses.html", form=form, page=page, rows=rows, themes=themes)


@router.get("/flows", response_class=HTMLResponse)
async def flows_page(context: FlowsContext) -> HTMLResponse:
    services = context.services
    form = await _form(context)
    t = context.t
    default = services.catalog.default()
    flows = []
    for flow in sorted(services.catalog.flows.values(), key=lambda f: f.id):
        funnel = await services.insight.funnel(
            ResponseFilter(flow=flow.id, start=form.filter.start, end=form.filter.end)
        )
        bars = [
            (t["sent"], funnel["sent"]),
            (t["started"], funnel["started"]),
            (t["completed"], funnel["completed"]),
        ]
        flows.append(
            {
                "id": flow.id,
                "name": flow.name,
                "version": flow.version,
                "default": default is not None and default.id == flow.id,
                "locales": flow.locales,
                "trigger": flow.trigger.on if flow.trigger else None,
                "steps": [(step.id, step.kind.value) for step in flow.steps],
                "funnel": funnel,
                "chart": bar_chart(f"funnel-{flow.id}", f"{t['funnel']}: {flow.name}", bars),
            }
        )
    return context.render("flows.html", form=form, flows=flows)


def _response(row: ResponseRow, insight: Insight) -> dict[str, Any]:
    scores = [
        (name.upper(), value)
        for name, value in (("csat", row.csat), ("nps", row.nps), ("ces", row.ces))
        if value is not None
    ]
    return {
        "when": _local(row.responded_at, insight),
        "customer": row.customer_name or row.customer or "?",
        "order": row.order,
        "store": row.store,
        "flow": row.flow,
        "channel": row.channel,
        "scores": scores,
        "reason": row.reason,
        "comment": row.comment,
    }


def _local(moment: datetime, insight: Insight) -> str:
    return moment.astimezone(insight.timezone).strftime("%Y-%m-%d %H:%M")
