"""Who may see what. Support works cases and reads responses; marketers read the reports
and campaigns; admins see everything."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPPORT = "support"
    MARKETER = "marketer"


class Page(StrEnum):
    OVERVIEW = "overview"
    RESPONSES = "responses"
    CASES = "cases"
    CAMPAIGNS = "campaigns"
    FLOWS = "flows"


PAGES_IN_MENU_ORDER = (Page.OVERVIEW, Page.RESPONSES, Page.CASES, Page.CAMPAIGNS, Page.FLOWS)

ACCESS: dict[Role, frozenset[Page]] = {
    Role.ADMIN: frozenset(Page),
    Role.SUPPORT: frozenset({Page.RESPONSES, Page.CASES}),
    Role.MARKETER: frozenset({Page.OVERVIEW, Page.CAMPAIGNS, Page.FLOWS}),
}


def may_see(role: str, page: Page) -> bool:
    try:
        return page in ACCESS[Role(role)]
    except ValueError:  # a role this version does not know sees nothing
        return False


def pages_for(role: str) -> list[Page]:
    return [page for page in PAGES_IN_MENU_ORDER if may_see(role, page)]
