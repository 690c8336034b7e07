"""Signed-in browsers: a random token in a cookie, its SHA-256 in `dashboard_sessions`.

Cookies are HttpOnly, SameSite=Lax and (by default) Secure with the `__Host-` prefix, which
browsers honour on https and on http://localhost / http://127.0.0.1 alike.
SURVEYBOT_DASHBOARD_SECURE_COOKIES=0 drops both, for plain http on another address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from bot.clock import Clock
from bot.config import Settings
from bot.staff.accounts import Account
from bot.storage.database import Database

SESSION_COOKIE = "surveybot_session"
LOGIN_CSRF_COOKIE = "surveybot_login"
LANGUAGE_COOKIE = "surveybot_lang"
_TOKEN_BYTES = 32
_MAX_TOKEN = 100  # longer cookies are not ours


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of this request."""

    session_id: str
    user_id: int
    login: str
    role: str
    csrf_token: str


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def session_id_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_name(settings: Settings, base: str) -> str:
    return f"__Host-{base}" if settings.dashboard_secure_cookies else base


def read_cookie(request: Request, settings: Settings, base: str) -> str | None:
    value = request.cookies.get(cookie_name(settings, base))
    return value if value and len(value) <= _MAX_TOKEN else None


def set_cookie(
    response: Response, settings: Settings, base: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        cookie_name(settings, base),
        value,
        max_age=max_age,
        path="/",
        secure=settings.dashboard_secure_cookies,
        httponly=True,
        samesite="lax",
    )


def delete_cookie(response: Response, settings: Settings, base: str) -> None:
    response.delete_cookie(
        cookie_name(settings, base),
        path="/",
        secure=settings.dashboard_secure_cookies,
        httponly=True,
        samesite="lax",
    )


class Sessions:
    def __init__(self, db: Database, clock: Clock, lifetime: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.lifetime = lifetime

    async def open(self, account: Account) -> tuple[str, Viewer]:
        """A new session for the account: (the cookie's token, the viewer)."""
        token = new_token()
        viewer = Viewer(session_id_of(token), account.id, account.login, account.role, new_token())
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.users.open_session(
                viewer.session_id, account.id, viewer.csrf_token, now, now + self.lifetime
            )
        return token, viewer

    async def resolve(self, token: str) -> Viewer | None:
        async with self.db.reading() as tx:
            found = await tx.users.session_user(session_id_of(token), self.clock.now())
        if found is None:
            return None
        session, user = found
        return Viewer(session.id, user.id, user.login, user.role, session.csrf_token)

    async def close(self, viewer: Viewer) -> None:
        async with self.db.transaction() as tx:
            await tx.users.close_session(viewer.session_id)
