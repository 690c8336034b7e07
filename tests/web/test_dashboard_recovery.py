"""Service recovery on the dashboard: the follow-up's result on a case page, and the
recovery rate with its n on the overview (the same figure as the API's)."""

import re
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.support.cases import Staff
from bot.surveys.conversation import Contact
from tests.http_client import API_KEY
from tests.web.case_seed import seed_case, seed_followup
from tests.web.dashboard_client import runtime_of, signed_in_as
from tests.web.test_dashboard_cases import open_case

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City
HOUR = timedelta(hours=1)
LAN = Contact("telegram", "5", name="Lan <b>", language="vi")  # open_case's customer
MINH = Staff(4242, "Minh")


async def signed_in(make_client, role="admin", **overrides):
    return await signed_in_as(make_client, role, clock=ManualClock(NOW), **overrides)


def recovery_section(html: str) -> str:
    return html.split('id="recovery"')[1].split("</section>")[0]


async def case_recovery(client, case_id: int = 1) -> str:
    page = await client.get(f"/dashboard/cases/{case_id}")
    assert page.status_code == 200, page.text
    return recovery_section(page.text)


async def test_an_unresolved_case_says_when_the_follow_up_will_be_asked(make_client):
    client = await signed_in(make_client, "support")
    await open_case(client)
    section = await case_recovery(client)
    assert "Recovery" in section and "Is it sorted out for you?" in section
    assert "Asked 1h after the case is resolved." in section


async def test_the_follow_up_asked_then_answered_yes_shows_on_the_case_page(make_client):
    client = await signed_in(make_client, "support")
    runtime = runtime_of(client)
    await open_case(client)
    await runtime.cases.resolve(MINH, 1)
    assert "Not asked yet" in await case_recovery(client)
    runtime.clock.advance(HOUR)
    await runtime.timers.run_due()  # the follow-up goes out at 11:00
    asked = await case_recovery(client)
    assert "<dt>Asked</dt><dd>11:00</dd>" in asked and "No answer yet." in asked
    runtime.clock.advance(timedelta(minutes=5))
    async with runtime.db.reading() as tx:
        case = await tx.cases.get(1)
    assert case is not None and case.followup_survey_id is not None
    await runtime.conversation.press(LAN, case.followup_survey_id, 1, "yes")
    answered = await case_recovery(client)
    assert '<span class="met">Yes, it is sorted out</span> · 11:05' in answered


async def test_a_no_and_the_nps_afterwards_show_on_the_case_page(make_client):
    client = await signed_in(make_client, "support")
    runtime = runtime_of(client)
    no = await seed_case(runtime, NOW - 5 * HOUR, status="resolved", resolved_at=NOW - 3 * HOUR)
    yes = await seed_case(runtime, NOW - 5 * HOUR, status="resolved", resolved_at=NOW - 3 * HOUR)
    await seed_followup(runtime, no, NOW - 2 * HOUR, "no")
    await seed_followup(runtime, yes, NOW - 2 * HOUR, "yes", nps_after=9)
    said_no = await case_recovery(client, no)
    assert '<span class="missed">No, not yet</span> · 08:01' in said_no
    assert "NPS afterwards" not in said_no
    said_yes = await case_recovery(client, yes)
    assert "Yes, it is sorted out" in said_yes and "<dd>9/10</dd>" in said_yes


async def test_an_answer_the_rate_does_not_count_is_shown_escaped(make_client):
    client = await signed_in(make_client, "support")
    runtime = runtime_of(client)
    case_id = await seed_case(runtime, NOW - 5 * HOUR, status="resolved", resolved_at=NOW)
    await seed_followup(runtime, case_id, NOW, "<maybe>")
    section = await case_recovery(client, case_id)
    assert "“&lt;maybe&gt;” (not counted in the recovery rate)" in section


async def test_without_a_follow_up_flow_the_case_page_says_so(make_client):
    client = await signed_in(make_client, "support", followup_flow="")
    await open_case(client)
    assert "No follow-up is set up (SURVEYBOT_FOLLOWUP_FLOW)." in await case_recovery(client)


async def test_the_recovery_section_speaks_vietnamese(make_client):
    client = await signed_in(make_client, "support")
    runtime = runtime_of(client)
    case_id = await seed_case(runtime, NOW - 5 * HOUR, status="resolved", resolved_at=NOW)
    await seed_followup(runtime, case_id, NOW, "yes")
    page = await client.get(f"/dashboard/cases/{case_id}?lang=vi")
    section = recovery_section(page.text)
    assert "Khắc phục" in section and "Đã ổn rồi" in section


async def seed_outcomes(runtime) -> None:
    """Four resolved cases: follow-ups answered yes, yes and no, and one not answered."""
    for answer in ("yes", "yes", "no", None):
        case_id = await seed_case(runtime, NOW - 5 * HOUR, status="resolved", resolved_at=NOW)
        await seed_followup(runtime, case_id, NOW + HOUR, answer)


def recovery_card(html: str) -> str:
    return html.split('id="recovery"')[1].split("</section>")[0]


async def test_the_overview_shows_the_recovery_rate_with_its_n(make_client):
    client = await signed_in(make_client, "marketer")
    await seed_outcomes(runtime_of(client))
    page = await client.get("/dashboard/overview")
    assert page.status_code == 200
    card = recovery_card(page.text)
    assert '<p class="big">67%</p>' in card
    assert "2 of 3 say it is sorted out · n = 3" in card
    assert "n = resolved cases whose follow-up was answered yes or no." in card


async def test_the_overviews_recovery_rate_is_the_apis_figure(make_client):
    client = await signed_in(make_client, "admin")
    await seed_outcomes(runtime_of(client))
    page = await client.get("/dashboard/overview?from=2026-11-01&to=2026-11-30")
    api = await client.get(
        "/api/v1/metrics",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    figure = api.json()["recovery"]
    assert figure == {"n": 3, "recovered": 2, "rate": 66.67}
    card = recovery_card(page.text)
    assert f'<p class="big">{figure["rate"]:.0f}%</p>' in card
    assert re.search(rf"\b{figure['recovered']} of {figure['n']}\b", card)


async def test_the_recovery_rate_follows_the_overviews_dates(make_client):
    client = await signed_in(make_client, "marketer")
    await seed_outcomes(runtime_of(client))
    page = await client.get("/dashboard/overview?from=2026-10-01&to=2026-10-31")
    card = recovery_card(page.text)
    assert "No follow-up answers for these filters yet." in card and "n = 0" in card


async def test_the_overview_without_follow_up_answers_shows_n_0(make_client):
    client = await signed_in(make_client, "marketer")
    page = await client.get("/dashboard/overview?lang=vi")
    card = recovery_card(page.text)
    assert "Chưa có câu trả lời theo dõi nào với bộ lọc này." in card and "n = 0" in card
