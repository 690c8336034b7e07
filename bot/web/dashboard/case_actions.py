"""Working a case from the dashboard: claim, reply, note, voucher, resolve, reopen.

Plain HTML forms, each posting to `/dashboard/cases/{id}/<action>` with the session's CSRF
token. Each is the same operation as the Telegram group's button or reply (bot.support),
so a case claimed on one side shows as claimed on the other, and every action goes in the
case's timeline with who and when. A done action redirects back to the case page (303,
`?done=<action>`); one that did not take effect (somebody else was first, the customer
cannot be reached now) shows the case page again with why (409). A request that asks for
JSON (`Accept: application/json`) gets `{"done", "message", "case"}` instead.

A form carries the case's `version` (when its state last changed): a claim, resolve or
reopen from a page older than the case's last change is refused, so nobody acts on what
they did not see. Replies and notes carry a `key` of their own: a form sent twice is one
reply, not two; two staff replying at once are both stored, in order.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.campaigns.compensation import action_for
from bot.staff.roles import Page
from bot.storable_text import has_nul
from bot.support.cases import CaseAnswer, Staff
from bot.support.relay import STAFF_REPLY_LIMIT
from bot.web.dashboard import csrf
from bot.web.dashboard.case_list import staff_of
from bot.web.dashboard.cases_pages import case_number, render_case, version_of
from bot.web.dashboard.page_context import PREFIX, DashboardRoute, PageContext, Refusal, for_page

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
CasesContext = Annotated[PageContext, Depends(for_page(Page.CASES))]

NOTE_LIMIT = 4000
REASON_LIMIT = 500
KEY_LIMIT = 64


@dataclass(frozen=True)
class CaseForm:
    """A case action's posted form, checked: the case it names and its fields."""

    case_id: int
    fields: dict[str, str]
    staff: Staff

    def text(self, name: str, limit: int, *, required: bool = True) -> str | None:
        value = self.fields.get(name, "").strip()
        if not value:
            if required:
                raise Refusal(400, "bad_request_title", "field_required", field=name)
            return None
        if len(value) > limit:
            raise Refusal(400, "bad_request_title", "field_too_long", field=name, limit=limit)
        return value

    def key(self) -> str:
        """The form's own key (a re-sent form is the same reply); a fresh one if absent."""
        key = self.fields.get("key", "")
        if not key:
            return secrets.token_urlsafe(16)
        if len(key) > KEY_LIMIT or not key.isascii() or not key.isprintable():
            raise Refusal(400, "bad_request_title", "bad_request")
        return key


async def _form(context: PageContext, case_id: str) -> CaseForm:
    number = case_number(case_id)
    viewer = context.viewer
    assert viewer is not None  # for_page signed them in
    form = await context.request.form()
    if not csrf.tokens_match(viewer.csrf_token, form.get(csrf.FIELD)):
        raise Refusal(403, "forbidden_title", "form_expired")
    fields: dict[str, str] = {}
    for name, value in form.items():
        if not isinstance(value, str):
            raise Refusal(400, "bad_request_title", "bad_request")  # a file: not ours
        if has_nul(value):
            raise Refusal(400, "bad_request_title", "bad_request")
        fields[name] = value
    return CaseForm(number, fields, staff_of(viewer))


async def _act(
    context: PageContext,
    case_id: str,
    action: str,
    do: Callable[[CaseForm], Awaitable[CaseAnswer]],
    *,
    versioned: bool = False,
) -> Response:
    try:
        form = await _form(context, case_id)
        async with context.services.db.reading() as tx:
            case = await tx.cases.get(form.case_id)
        if case is None:
            raise Refusal(404, "not_found_title", "not_found")
        given = form.fields.get("version")
        if versioned and given and given != version_of(case.updated_at):
            answer = CaseAnswer(context.t["case_changed"], done=False)
        else:
            answer = await do(form)
    except Refusal as refusal:
        if not wants_json(context):
            raise
        message = context.t.get(refusal.message, refusal.message).format(**refusal.values)
        return JSONResponse({"done": False, "message": message}, status_code=refusal.status)
    log.info(
        "case action from the dashboard",
        extra={"case_id": form.case_id, "action": action, "done": answer.done},
    )
    if wants_json(context):
        return JSONResponse(
            {"done": answer.done, "message": str(answer), "case": await _case_json(context, form)},
            status_code=200 if answer.done else 409,
        )
    if answer.done:
        return RedirectResponse(f"{PREFIX}/cases/{form.case_id}?done={action}", status_code=303)
    return await render_case(context, form.case_id, error=str(answer), status=409)


def wants_json(context: PageContext) -> bool:
    return "application/json" in context.request.headers.get("accept", "")


async def _case_json(context: PageContext, form: CaseForm) -> dict[str, Any]:
    async with context.services.db.reading() as tx:
        case = await tx.cases.get(form.case_id)
    assert case is not None
    return {
        "id": case.id,
        "status": case.status,
        "claimed_by": case.claimed_by_name,
        "version": version_of(case.updated_at),
    }


@router.post("/cases/{case_id}/claim")
async def claim(case_id: str, context: CasesContext) -> Response:
    cases = context.services.cases
    return await _act(
        context, case_id, "claim", lambda f: cases.claim(f.staff, f.case_id), versioned=True
    )


@router.post("/cases/{case_id}/reply")
async def reply(case_id: str, context: CasesContext) -> Response:
    relay = context.services.relay

    async def send(form: CaseForm) -> CaseAnswer:
        text = form.text("text", STAFF_REPLY_LIMIT)
        assert text is not None
        return await relay.reply(form.staff, form.case_id, text, form.key())

    return await _act(context, case_id, "reply", send)


@router.post("/cases/{case_id}/note")
async def note(case_id: str, context: CasesContext) -> Response:
    cases = context.services.cases

    async def add(form: CaseForm) -> CaseAnswer:
        text = form.text("text", NOTE_LIMIT)
        assert text is not None
        return await cases.add_note(form.staff, form.case_id, text, form.key())

    return await _act(context, case_id, "note", add)


@router.post("/cases/{case_id}/voucher")
async def voucher(case_id: str, context: CasesContext) -> Response:
    services = context.services
    offered = {campaign.id for campaign in services.campaigns.compensation()}

    async def send(form: CaseForm) -> CaseAnswer:
        campaign = form.text("campaign", 64)
        if campaign not in offered:
            field = context.t["campaign"]
            raise Refusal(400, "bad_request_title", "bad_choice", field=field, value=campaign)
        assert campaign is not None
        action = action_for(campaign)  # as the Telegram card's button has it
        return await services.cases.extra_action(form.staff, form.case_id, action)

    return await _act(context, case_id, "voucher", send)


@router.post("/cases/{case_id}/resolve")
async def resolve(case_id: str, context: CasesContext) -> Response:
    cases = context.services.cases

    async def close(form: CaseForm) -> CaseAnswer:
        reason = form.text("reason", REASON_LIMIT, required=False)
        return await cases.resolve(form.staff, form.case_id, reason)

    return await _act(context, case_id, "resolve", close, versioned=True)


@router.post("/cases/{case_id}/reopen")
async def reopen(case_id: str, context: CasesContext) -> Response:
    cases = context.services.cases
    return await _act(
        context, case_id, "reopen", lambda f: cases.reopen(f.staff, f.case_id), versioned=True
    )
