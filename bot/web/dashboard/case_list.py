"""What the case list shows: which cases (a status, and "mine", "unclaimed" or "breached"
from `?show=`), and who holds each one."""

from __future__ import annotations

from datetime import datetime

from bot.storage.models import Case
from bot.storage.repositories.cases import CaseListQuery
from bot.support.case_rules import CaseStatus
from bot.support.cases import DASHBOARD_STAFF, Staff
from bot.web.dashboard.page_context import PageContext, Refusal
from bot.web.dashboard.sessions import Viewer

SHOWS = ("mine", "unclaimed", "breached")
NAME_LIMIT = 200  # cases.claimed_by_name, case_events.actor_name, case_messages.author_name


def staff_of(viewer: Viewer) -> Staff:
    """The staff member a dashboard user acts as: their dashboard user id, on the dashboard
    side (Case.claimed_by with claimed_via "dashboard"; a Telegram id is another person).
    Their name is their login without its e-mail domain (a reply signed with staff names
    must not hand customers the address), at most what the name columns hold."""
    name = viewer.login.split("@", 1)[0] or viewer.login
    return Staff(viewer.user_id, name[:NAME_LIMIT], via=DASHBOARD_STAFF)


def query_choice(context: PageContext, name: str, choices: tuple[str, ...]) -> str:
    """The query parameter `name`: one of `choices`, or "" for all; anything else is a 400
    naming the field (its label is the parameter's name)."""
    value = context.request.query_params.get(name) or ""
    if value and value not in choices:
        raise Refusal(400, "bad_request_title", "bad_choice", field=context.t[name], value=value)
    return value


def list_query(status: str, show: str, viewer: Viewer, now: datetime) -> CaseListQuery:
    """The cases a status and a `show` choice select; both must hold ("mine" and
    "resolved": the viewer's resolved cases; "unclaimed" and "claimed": none)."""
    return CaseListQuery(
        status=status or None,
        holder=viewer.user_id if show == "mine" else None,
        holder_via=DASHBOARD_STAFF,
        unclaimed=show == "unclaimed",
        breached_at=now if show == "breached" else None,
    )


def holder(case: Case) -> str | None:
    """Who holds the case (or held it, once resolved); None while it is open."""
    if case.status == CaseStatus.OPEN:
        return None
    return case.claimed_by_name or None


def held_by(case: Case, viewer: Viewer) -> bool:
    return case.status != CaseStatus.OPEN and staff_of(viewer).holds(case)
