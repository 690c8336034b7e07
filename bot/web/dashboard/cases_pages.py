"""Support cases: the list with each one's SLA state, and one case with its conversation."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
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
        # What the page shows is as of this mark: a change after it makes it live-update.
        live_mark = await tx.cases.change_mark()
        for case in await tx.cases.listed(list_query(status, show, viewer, now)):
            view = await services.cases.view(tx, case)
            row = _row(cards, view, case, now)
            row["holder"] = holder(case)
            row["mine"] = held_by(case, viewer)
            rows.append(row)
    return context.render(
        "cases.html",
        cases=rows,
        chosen=status,
        statuses=STATUSES,
        shown=show,
        shows=SHOWS,
        live_mark=live_mark,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, context: CasesContext) -> HTMLResponse:
    done = context.request.query_params.get("done")
    notice = context.t.get(f"done_{done}") if done else None
    return await render_case(context, case_number(case_id), notice=notice)


MAX_CASE_ID = 2**31 - 1  # cases.id is a 32-bit integer: a larger one is no case (not a 500)


def case_number(text: str) -> int:
    """A case id from its address, or a 404: digits only (not "²"), in the column's range."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_CASE_ID:
        raise Refusal(404, "not_found_title", "not_found")
    return int(text)


async def render_case(
    context: PageContext,
    case_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The case page: its facts, its timeline (what was said and what staff did, oldest
    first) and, for staff, the forms that work it."""
    services = context.services
    cards = _cards(context)
    now = services.clock.now()
    async with services.db.reading() as tx:
        # What the page shows is as of this mark: a change after it makes it live-update.
        live_mark = await tx.cases.change_mark()
        case = await tx.cases.get(case_id)
        if case is None:
            raise Refusal(404, "not_found_title", "not_found")
        view = await services.cases.view(tx, case)
        timeline = _timeline(
            [
                (m.created_at, m.direction, m.author_name, m.text)
                for m in await tx.cases.messages(case.id)
            ]
            + [
                (e.created_at, e.kind, e.actor_name, e.detail)
                for e in await tx.cases.events(case.id)
            ],
            cards,
            now,
        )
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
    row["resolution_reason"] = case.resolution_reason
    row["store"] = view.store
    row["version"] = version_of(case.updated_at)
    offered = [
        {"id": campaign.id, "name": campaign.name} for campaign in services.campaigns.compensation()
    ]
    return context.render(
        "case.html",
        live_mark=live_mark,
        status=status,
        case=row,
        messages=timeline,
        vouchers=vouchers,
        compensation=offered,
        form_key=secrets.token_urlsafe(16),
        notice=notice,
        error=error,
        recovery=recovery,
    )


def version_of(moment: datetime | None) -> str:
    """A case's version as its forms carry it: when its state last changed."""
    return moment.isoformat() if moment is not None else ""


def _timeline(
    entries: list[tuple[datetime, str, str | None, str | None]], cards: CaseCards, now: datetime
) -> list[dict[str, Any]]:
    """What was said and what staff did, oldest first (a stable sort: at the same moment,
    messages before events, each in the order stored)."""
    return [
        {"kind": kind, "author": author, "text": text or "", "at": cards.local_time(at, now)}
        for at, kind, author, text in sorted(entries, key=lambda entry: entry[0])
    ]


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
