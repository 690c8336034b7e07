"""The old address of the case list: /cases is now the dashboard's page, behind sign-in."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from bot.web.dashboard.page_context import PREFIX
from bot.web.services import services_of

router = APIRouter(include_in_schema=False)


@router.get("/cases")
async def cases_page(request: Request) -> RedirectResponse:
    if not services_of(request).settings.dashboard:
        raise HTTPException(404, "the web pages are off (SURVEYBOT_DASHBOARD=1 turns them on)")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{PREFIX}/cases{query}", status_code=308)
