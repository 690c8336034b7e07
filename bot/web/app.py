"""The HTTP application. Routes are thin: parse, call a service, answer.

The channels' own routes (a webhook, the web chat) are handed in by the composition root:
this package knows no channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.web import api_events, api_insight, api_vouchers, dashboard, pages
from bot.web.error_boundary import ErrorBoundary
from bot.web.errors import error_responses, install_error_handlers
from bot.web.limits import MAX_BODY_BYTES, BodySizeLimit
from bot.web.readable_text import UrlTextGuard
from bot.web.services import WebServices, services_of


def create_app(services: WebServices, *, routers: Sequence[APIRouter]) -> FastAPI:
    """The app over `services`, with the API, the dashboard and the channels' `routers`."""
    app = FastAPI(
        title="surveybot",
        summary="Post-purchase surveys in the messenger customers already use.",
        version="0.1.0",
    )
    app.state.services = services
    # The last added runs first: errors are caught around everything, an unreadable URL is
    # refused before the body is read, an oversized body before a route sees it.
    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(UrlTextGuard)
    app.add_middleware(ErrorBoundary)

    @app.get(
        "/healthz",
        tags=["operations"],
        responses={
            503: {"description": "The database does not answer: `database` names the error."},
            **error_responses(400),
        },
    )
    async def healthz(request: Request) -> JSONResponse:
        """Liveness and readiness: the database answers, and which channels are on."""
        services = services_of(request)
        body: dict[str, Any] = {
            "status": "ok",
            "database": "ok",
            "channels": services.channel_states(),
            "flows": sorted(services.catalog.flows),
        }
        try:
            async with services.db.reading() as tx:
                await tx.session.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not ready"
            body.update(status="unavailable", database=type(exc).__name__)
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    install_error_handlers(app)
    app.include_router(api_events.router)
    app.include_router(api_vouchers.router)
    app.include_router(api_insight.router)
    app.include_router(dashboard.router)
    app.include_router(pages.router)
    for router in routers:
        app.include_router(router)
    return app
