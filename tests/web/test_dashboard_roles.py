"""Who sees what: support works cases and reads responses, marketers read reports and
campaigns, admins see everything; anything else is a clear 403 page."""

import pytest

from tests.web.dashboard_client import signed_in_as

PAGES = ("overview", "responses", "cases", "campaigns", "flows")
ALLOWED = {
    "admin": set(PAGES),
    "support": {"responses", "cases"},
    "marketer": {"overview", "campaigns", "flows"},
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
async def test_each_role_opens_only_its_pages(make_client, role):
    client = await signed_in_as(make_client, role)
    statuses = {page: (await client.get(f"/dashboard/{page}")).status_code for page in PAGES}
    assert statuses == {page: 200 if page in ALLOWED[role] else 403 for page in PAGES}


async def test_a_marketer_opening_a_case_gets_a_clear_403_page(make_client):
    client = await signed_in_as(make_client, "marketer")
    page = await client.get("/dashboard/cases/1")
    assert page.status_code == 403
    assert "text/html" in page.headers["content-type"]
    assert "Not allowed" in page.text and "Your role (marketer) cannot open this page" in page.text


async def test_the_menu_lists_only_the_roles_pages(make_client):
    client = await signed_in_as(make_client, "support")
    page = await client.get("/dashboard/cases")
    menu = page.text.split("<nav")[1].split("</nav>")[0]
    assert "/dashboard/responses" in menu and "/dashboard/cases" in menu
    assert "/dashboard/campaigns" not in menu and "/dashboard/overview" not in menu


@pytest.mark.parametrize(("role", "first"), [("support", "responses"), ("marketer", "overview")])
async def test_the_dashboard_home_opens_the_roles_first_page(make_client, role, first):
    client = await signed_in_as(make_client, role)
    response = await client.get("/dashboard/")
    assert response.status_code == 303 and response.headers["location"] == f"/dashboard/{first}"
