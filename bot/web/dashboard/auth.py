"""Signing in and out. Every POST checks its CSRF token; failed sign-ins are throttled."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.staff.accounts import Account, Accounts
from bot.staff.roles import pages_for
from bot.storable_text import has_nul
from bot.web.dashboard import csrf
from bot.web.dashboard.i18n import wait_text
from bot.web.dashboard.page_context import (
    LOGIN_PATH,
    PREFIX,
    Context,
    DashboardRoute,
    PageContext,
    Refusal,
    safe_next,
)
from bot.web.dashboard.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    delete_cookie,
    new_token,
    read_cookie,
    set_cookie,
)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)

_MAX_FIELD = 1000  # longer logins or passwords are refused unread


@router.get("/")
async def home(context: Context) -> Response:
    """The first page the viewer may see, or the sign-in page."""
    if context.viewer is None:
        return RedirectResponse(LOGIN_PATH, status_code=303)
    pages = pages_for(context.viewer.role)
    if not pages:
        raise Refusal(403, "forbidden_title", "forbidden", role=context.viewer.role)
    return RedirectResponse(f"{PREFIX}/{pages[0].value}", status_code=303)


@router.get("/login")
async def login_form(request: Request, context: Context) -> Response:
    if context.viewer is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form(context, request.query_params.get("next"), status=200)


@router.post("/login")
async def login(request: Request, context: Context) -> Response:
    form = await request.form()
    settings = context.services.settings
    expected = read_cookie(request, settings, LOGIN_CSRF_COOKIE)
    target = form.get("next")
    next_path = target if isinstance(target, str) and not has_nul(target) else None
    if not csrf.tokens_match(expected, form.get(csrf.FIELD)):
        return _form(context, next_path, status=403, error=context.t["form_expired"])
    login_value, password = form.get("login"), form.get("password")
    if not isinstance(login_value, str) or not isinstance(password, str):
        return _form(context, next_path, status=400, error=context.t["wrong_password"])
    if len(login_value) > _MAX_FIELD or len(password) > _MAX_FIELD:
        return _form(context, next_path, status=400, error=context.t["wrong_password"])
    if has_nul(login_value) or has_nul(password):
        # No login or password can hold one (PostgreSQL cannot even compare it): refused
        # unread and uncounted, and not echoed back into the form.
        return _form(context, next_path, status=400, error=context.t["bad_request"])
    address = request.client.host if request.client else "unknown"
    accounts = Accounts(context.services.db, context.services.clock)
    outcome = await accounts.sign_in(login_value, password, address)
    if not isinstance(outcome, Account):
        if outcome.throttled and outcome.retry_after is not None:
            error = context.t["throttled"].format(wait=wait_text(context.t, outcome.retry_after))
            response = _form(context, next_path, status=429, error=error, login=login_value)
            response.headers["Retry-After"] = str(int(outcome.retry_after.total_seconds()) + 1)
            return response
        return _form(
            context, next_path, status=401, error=context.t["wrong_password"], login=login_value
        )
    token, _viewer = await context.sessions().open(outcome)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    max_age = int(settings.dashboard_session_hours * 3600)
    set_cookie(response, settings, SESSION_COOKIE, token, max_age)
    delete_cookie(response, settings, LOGIN_CSRF_COOKIE)
    context.finish(response)
    return response


@router.post("/logout")
async def logout(request: Request, context: Context) -> Response:
    form = await request.form()
    viewer = context.viewer
    if viewer is None:
        return RedirectResponse(LOGIN_PATH, status_code=303)
    if not csrf.tokens_match(viewer.csrf_token, form.get(csrf.FIELD)):
        raise Refusal(403, "forbidden_title", "form_expired")
    await context.sessions().close(viewer)
    response = RedirectResponse(f"{LOGIN_PATH}?signed_out=1", status_code=303)
    delete_cookie(response, context.services.settings, SESSION_COOKIE)
    context.finish(response)
    return response


def _form(
    context: PageContext,
    next_path: str | None,
    *,
    status: int,
    error: str | None = None,
    login: str = "",
) -> Response:
    """The sign-in form, with a fresh double-submit CSRF token in a cookie and the form."""
    settings = context.services.settings
    token = read_cookie(context.request, settings, LOGIN_CSRF_COOKIE) or new_token()
    context.cookies.append((LOGIN_CSRF_COOKIE, token, 3600))
    signed_out = context.request.query_params.get("signed_out") == "1"
    return context.render(
        "login.html",
        status=status,
        csrf_token=token,
        next=safe_next(next_path),
        error=error,
        login=login[:254],
        notice=context.t["signed_out"] if signed_out and error is None else None,
    )
