"""The dashboard's stylesheet and its one script, served by the app itself (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.web.dashboard.page_context import PREFIX, DashboardRoute, Refusal
from bot.web.services import services_of

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)


@router.get("/static/dashboard.css")
async def stylesheet(request: Request) -> Response:
    return _static(request, "dashboard.css", "text/css; charset=utf-8")


@router.get("/static/live.js")
async def live_script(request: Request) -> Response:
    return _static(request, "live.js", "text/javascript; charset=utf-8")


def _static(request: Request, name: str, media_type: str) -> Response:
    services = services_of(request)
    if not services.settings.dashboard:
        raise Refusal(404, "not_found_title", "off")
    path = services.settings.templates_dir / "pages" / "static" / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise Refusal(404, "not_found_title", "not_found") from None
    return Response(
        text,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
