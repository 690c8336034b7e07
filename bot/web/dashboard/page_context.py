"""What every dashboard page needs: the services, the language, the signed-in viewer, the
channel warnings at its top, and how a page answers "sign in first" (303 to the sign-in
page) or "not for you" (an HTML error page, never JSON or a traceback)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from bot.staff.roles import Page, may_see, pages_for
from bot.web.dashboard.channel_warnings import channel_warnings
from bot.web.dashboard.i18n import LABELS, LANGUAGE_NAMES, page_language
from bot.web.dashboard.sessions import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Sessions,
    Viewer,
    read_cookie,
    set_cookie,
)
from bot.web.services import services_of

if TYPE_CHECKING:
    from bot.web.services import WebServices

log = logging.getLogger(__name__)

PREFIX = "/dashboard"
LOGIN_PATH = f"{PREFIX}/login"
_YEAR = 365 * 24 * 3600


@cache
def templates_at(directory: Path) -> Jinja2Templates:
    return Jinja2Templates(directory=str(directory))  # autoescapes every .html


class Refusal(Exception):
    """Answer with an error page: `title` and `message` are label keys (or plain text)."""

    def __init__(self, status: int, title: str, message: str, **values: object) -> None:
        self.status = status
        self.title = title
        self.message = message
        self.values = values
        super().__init__(message)


class SignInNeeded(Exception):
    """No (live) session: go to the sign-in page, then come back."""


@dataclass
class PageContext:
    request: Request
    services: WebServices
    lang: str
    viewer: Viewer | None
    page: Page | None = None
    cookies: list[tuple[str, str, int | None]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # channel_warnings

    @property
    def t(self) -> dict[str, str]:
        return LABELS[self.lang]

    def sessions(self) -> Sessions:
        settings = self.services.settings
        lifetime = timedelta(hours=settings.dashboard_session_hours)
        return Sessions(self.services.db, self.services.clock, lifetime)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        directory = self.services.settings.templates_dir / "pages"
        context = {
            "t": self.t,
            "lang": self.lang,
            "viewer": self.viewer,
            "menu": pages_for(self.viewer.role) if self.viewer else [],
            "current": self.page,
            "languages": self._language_links(),
            "prefix": PREFIX,
            "channel_warnings": self.warnings,
            **values,
        }
        response = templates_at(directory).TemplateResponse(
            self.request, template, context, status_code=status
        )
        self.finish(response)
        return response

    def finish(self, response: Response) -> None:
        """Security headers and the cookies this page decided to set."""
        settings = self.services.settings
        for name, value, max_age in self.cookies:
            set_cookie(response, settings, name, value, max_age)
        chosen = self.request.query_params.get("lang")
        if chosen in LABELS:
            set_cookie(response, settings, LANGUAGE_COOKIE, chosen, _YEAR)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )

    def _language_links(self) -> list[dict[str, Any]]:
        links = []
        for code, name in LANGUAGE_NAMES.items():
            query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
            query.append(("lang", code))
            links.append(
                {
                    "code": code,
                    "name": name,
                    "href": f"{self.request.url.path}?{urlencode(query)}",
                    "current": code == self.lang,
                }
            )
        return links


async def page_context(request: Request) -> PageContext:
    """The context of any dashboard page; 404 while the dashboard is off."""
    services = services_of(request)
    settings = services.settings
    remembered = read_cookie(request, settings, LANGUAGE_COOKIE)
    lang = page_language(request, settings.support_locale, remembered)
    context = PageContext(request, services, lang, None)
    if not settings.dashboard:
        raise Refusal(404, "not_found_title", "off")
    token = read_cookie(request, settings, SESSION_COOKIE)
    if token:
        context.viewer = await context.sessions().resolve(token)
    request.state.dashboard = context
    return context


def for_page(page: Page) -> Callable[[Request], Coroutine[Any, Any, PageContext]]:
    """A dependency: the page's context once the viewer is signed in and may see it."""

    async def dependency(request: Request) -> PageContext:
        context = await page_context(request)
        context.page = page
        if context.viewer is None:
            raise SignInNeeded()
        if not may_see(context.viewer.role, page):
            role = context.t.get(f"role_{context.viewer.role}", context.viewer.role)
            raise Refusal(403, "forbidden_title", "forbidden", role=role)
        context.warnings = await channel_warnings(context)
        return context

    return dependency


Context = Annotated[PageContext, Depends(page_context)]


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a dashboard path of this site."""
    if value and value.startswith(f"{PREFIX}/") and "//" not in value and "\\" not in value:
        return value
    return f"{PREFIX}/"


def error_page(request: Request, status: int, title: str, message: str, **values: Any) -> Response:
    context: PageContext | None = getattr(request.state, "dashboard", None)
    if context is None:
        services = services_of(request)
        lang = page_language(request, services.settings.support_locale)
        context = PageContext(request, services, lang, None)
    t = context.t
    text = t.get(message, message)
    if values:
        text = text.format(**values)
    return context.render("error.html", status=status, title=t.get(title, title), message=text)


class DashboardRoute(APIRoute):
    """Turns SignInNeeded, Refusal and FastAPI's own errors into dashboard pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                return login_redirect(request)
            except Refusal as exc:
                return error_page(request, exc.status, exc.title, exc.message, **exc.values)
            except RequestValidationError:
                return error_page(request, 400, "bad_request_title", "bad_request")
            except HTTPException as exc:
                titles = {403: "forbidden_title", 404: "not_found_title", 429: "too_many_title"}
                title = titles.get(exc.status_code, "bad_request_title")
                return error_page(request, exc.status_code, title, str(exc.detail))

        return guarded
