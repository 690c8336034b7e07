"""Support cases: the list with each one's SLA state, and one case with its conversation."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from bot.staff.roles import Page
from bot.storage.models import Case
from bot.support.cards import CaseCards, CaseView
from bot.support.case_rules import sla_state
from bot.web.dashboard.case_list import SHOWS, held_by, holder, list_query, query_choice
from bot.web.dashboard.case_recovery import recovery_of
from bot.web.dashboard.page_context import PREFIX, DashboardRoute, PageContext, Refusal, for_page

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
CasesContext = Annotated[PageContext, Depends(for_page(Page.CASES))]

STATUSES = ("open", "claimed", "resolved")


@router.get("/cases", response_class=HTMLResponse)
async def cases_page(context: CasesContext) -> HTMLResponse:
    services = context.services
    viewer = context.viewer
    assert viewer is not None  # for_page signed them in
    status = query_choice(context, "status", STATUSES)
    show = query_choice(context, "show", SHOWS)
    cards = _cards(context)
    now = services.clock.now()
    rows: list[dict[str, Any]] = []
    async with services.db.reading() as tx:
        for case in await tx.cases.listed(list_query(status, show, viewer, now)):
            view = await services.cases.view(tx, case)
            row = _row(cards, view, case, now)
            row["holder"] = holder(case)
            row["mine"] = held_by(case, viewer)
            rows.append(row)
    return context.render(
        "cases.html", cases=rows, chosen=status, statuses=STATUSES, shown=show, shows=SHOWS
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, context: CasesContext) -> HTMLResponse:
    services = context.services
    if not (case_id.isascii() and case_id.isdigit()) or len(case_id) > 18:  # not "²"
        raise Refusal(404, "not_found_title", "not_found")
    cards = _cards(context)
    now = services.clock.now()
    async with services.db.reading() as tx:
        case = await tx.cases.get(int(case_id))
        if case is None:
            raise Refusal(404, "not_found_title", "not_found")
        view = await services.cases.view(tx, case)
        messages = [
            {
                "direction": message.direction,
                "author": message.author_name,
                "text": message.text,
                "at": cards.local_time(message.created_at, now),
            }
            for message in await tx.cases.messages(case.id)
        ]
        vouchers = [
            {
                "code": voucher.code,
                "campaign": voucher.campaign_id,
                "issued": cards.local_time(voucher.issued_at, now),
                "redeemed": cards.local_time(voucher.redeemed_at, now),
            }
            for voucher in await tx.vouchers.for_survey_or_case(case.survey_id, case.id)
        ]
        recovery = await recovery_of(services, tx, case, cards, now)
    row = _row(cards, view, case, now)
    row["resolved_by"] = view.resolved_by
    row["resolved"] = cards.local_time(view.resolved_at, now)
    row["store"] = view.store
    return context.render(
        "case.html", case=row, messages=messages, vouchers=vouchers, recovery=recovery
    )


def _cards(context: PageContext) -> CaseCards:
    services = context.services
    return CaseCards(services.texts, replace(services.cases.config, locale=context.lang))


def _row(cards: CaseCards, view: CaseView, case: Case, now: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "opened": cards.local_time(view.opened_at, now),
        "severity": view.severity,
        "customer": view.customer_name or view.customer_id or "?",
        "order": view.order_id,
        "scores": view.scores,
        "reason": view.reason,
        "comment": view.comment,
        "status": view.status,
        "claimed_by": view.claimed_by,
        "sla_due": cards.local_time(view.sla_due_at, now),
        "sla_label": cards.sla_label(view, now),
        "sla_state": sla_state(view.opened_at, view.sla_due_at, now, view.resolved_at).value,
        "first_response": cards.local_time(case.first_response_at, now),
        "escalated": cards.local_time(case.escalated_at, now),
    }
