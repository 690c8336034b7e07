"""The dashboard's stylesheet, served by the app itself (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.web.dashboard.page_context import PREFIX, DashboardRoute, Refusal
from bot.web.services import services_of

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)


@router.get("/static/dashboard.css")
async def stylesheet(request: Request) -> Response:
    services = services_of(request)
    if not services.settings.dashboard:
        raise Refusal(404, "not_found_title", "off")
    path = services.settings.templates_dir / "pages" / "static" / "dashboard.css"
    try:
        css = path.read_text(encoding="utf-8")
    except OSError:
        raise Refusal(404, "not_found_title", "not_found") from None
    return Response(
        css,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
