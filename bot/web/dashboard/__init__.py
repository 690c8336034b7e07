"""The staff dashboard (SURVEYBOT_DASHBOARD=1), under /dashboard.

Sign-in with a login and an argon2-hashed password (`surveybot users add`), sessions in
the database behind an HttpOnly, SameSite=Lax, Secure cookie, a CSRF token on every POST,
throttled failures. Pages by role: support sees cases and responses; marketers the
overview, flows and campaigns; admins everything. English and Vietnamese.
"""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.dashboard import (
    auth,
    campaign_pages,
    case_actions,
    cases_pages,
    live,
    report_pages,
    static,
)

router = APIRouter(include_in_schema=False)
for part in (auth, static, report_pages, cases_pages, case_actions, live, campaign_pages):
    router.include_router(part.router)
