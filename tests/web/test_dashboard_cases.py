"""The case list and one case, behind sign-in (the old /cases address leads there)."""

from bot.surveys.conversation import Contact
from tests.web.dashboard_client import runtime_of, signed_in_as


async def open_case(client) -> None:
    runtime = runtime_of(client)
    lan = Contact("telegram", "5", name="Lan <b>", language="vi")
    await runtime.conversation.walk_in(lan)
    for visit, value in enumerate(("1", "late", "3", "2"), start=1):
        assert await runtime.conversation.press(lan, 1, visit, value) == ""
    assert await runtime.conversation.skip(lan, 1, 5) == ""


async def test_the_old_case_list_address_is_off_by_default(client):
    response = await client.get("/cases")
    assert response.status_code == 404
    assert "SURVEYBOT_DASHBOARD" in response.json()["detail"]


async def test_the_old_case_list_address_leads_to_the_dashboard(make_client):
    client = await signed_in_as(make_client, "support")
    response = await client.get("/cases?status=open")
    assert response.status_code == 308
    assert response.headers["location"] == "/dashboard/cases?status=open"


async def test_the_case_list_shows_cases_in_the_browsers_language(make_client):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    english = await client.get("/dashboard/cases", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.status_code == 200
    assert "Support cases" in english.text
    assert "Lan &lt;b&gt;" in english.text  # escaped
    assert "CSAT 1/5" in english.text and "critical" in english.text
    assert "in 3h59m" in english.text or "in 4h" in english.text
    vietnamese = await client.get("/dashboard/cases?lang=vi")
    assert "Ca hỗ trợ" in vietnamese.text and "còn" in vietnamese.text


async def test_the_case_list_filters_by_status(make_client):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    assert "critical" in (await client.get("/dashboard/cases?status=open")).text
    resolved = await client.get("/dashboard/cases?status=resolved")
    assert "No cases yet." in resolved.text
    bad = await client.get("/dashboard/cases?status=<x>")
    assert bad.status_code == 400 and "&lt;x&gt;" in bad.text


async def test_a_case_page_shows_the_answers_and_the_sla(make_client):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    page = await client.get("/dashboard/cases/1")
    assert page.status_code == 200
    assert "Case #1" in page.text and "Lan &lt;b&gt;" in page.text and "CSAT 1/5" in page.text
    assert "Nothing has been said on this case yet." in page.text


async def test_an_unknown_case_is_a_404_page(make_client):
    client = await signed_in_as(make_client, "support")
    for path in ("/dashboard/cases/999", "/dashboard/cases/abc", "/dashboard/cases/-1"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert "There is nothing at this address." in page.text
