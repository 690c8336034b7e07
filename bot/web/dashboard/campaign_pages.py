"""Campaigns: budget, vouchers issued and redeemed, what is left, codes in the pool."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from bot.campaigns.report import CampaignReport, campaign_report
from bot.campaigns.schema import Campaign
from bot.campaigns.voucher_display import money
from bot.staff.roles import Page
from bot.web.dashboard.page_context import PREFIX, DashboardRoute, PageContext, for_page

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
CampaignsContext = Annotated[PageContext, Depends(for_page(Page.CAMPAIGNS))]


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns_page(
    context: CampaignsContext,
) -> HTMLResponse:
    services = context.services
    today = services.clock.now().astimezone(services.vouchers.timezone).date()
    rows = []
    for campaign in sorted(services.campaigns.campaigns.values(), key=lambda c: c.id):
        report = await campaign_report(services.db, campaign)
        if report.paused:
            state = "paused"
        elif campaign.running(today):
            state = "running"
        elif campaign.starts is not None and today < campaign.starts:
            state = "upcoming"
        else:
            state = "ended"
        rows.append(_row(context, campaign, report, state))
    return context.render("campaigns.html", campaigns=rows)


def _row(
    context: PageContext, campaign: Campaign, report: CampaignReport, state: str
) -> dict[str, Any]:
    t, lang = context.t, context.lang
    currency = campaign.reward.currency or ""

    def amount(value: Decimal | None) -> str | None:
        if value is None or campaign.reward.amount is None:
            return None
        return money(value, currency, lang)

    budget = [
        t["vouchers_n"].format(n=campaign.budget.max_vouchers)
        if campaign.budget.max_vouchers is not None
        else None,
        money(campaign.budget.max_value, currency, lang)
        if campaign.budget.max_value is not None
        else None,
    ]
    left = [
        None if report.vouchers_left is None else t["vouchers_n"].format(n=report.vouchers_left),
        money(report.value_left, currency, lang) if report.value_left is not None else None,
    ]
    rate = report.redemption_rate
    reorder = report.reorder_rate
    return {
        "id": campaign.id,
        "name": campaign.name,
        "kind": "compensation" if campaign.compensation else campaign.kind.value,
        "state": state,
        "budget": " · ".join(x for x in budget if x) or t["no_limit"],
        "issued": report.issued,
        "issued_value": amount(report.value_issued),
        "redeemed": report.redeemed,
        "redeemed_value": amount(report.value_redeemed),
        "rate": None if rate is None else f"{100 * rate:.1f}%",
        "left": " · ".join(x for x in left if x) or t["no_limit"],
        "misses": sorted(report.misses.items()),
        "reorders": report.reorders,
        "reorder_rate": None if reorder is None else f"{100 * reorder:.1f}%",
        "pool": None
        if report.pool is None
        else {
            "text": t["pool_left"].format(
                available=report.pool.available, imported=report.pool.imported
            ),
            "low": report.pool.low,
        },
    }
