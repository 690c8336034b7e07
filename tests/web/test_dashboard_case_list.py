"""The case list as a work queue: by time left on the SLA, who holds each case, the
escalation mark, and the "mine", "unclaimed" and "breached" filters."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.support.cases import Staff
from tests.web.case_seed import seed_case
from tests.web.dashboard_client import runtime_of, signed_in_as
from tests.web.test_dashboard_cases import open_case

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City
HOUR = timedelta(hours=1)
LOGIN = "lan@shop.test"


async def support(make_client):
    return await signed_in_as(make_client, "support", LOGIN, clock=ManualClock(NOW))


async def my_staff_id(client) -> int:
    """The signed-in support user's id: what "mine" matches in claimed_by."""
    async with runtime_of(client).db.reading() as tx:
        user = await tx.users.by_login(LOGIN)
    assert user is not None
    return user.id


def listed(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="case-(\d+)"', html)]


def row(html: str, case_id: int) -> str:
    return html.split(f'<tr id="case-{case_id}"')[1].split("</tr>")[0]


async def seed_queue(client) -> dict[str, int]:
    """Cases in every state, opened at different times, against a 4 h SLA."""
    runtime = runtime_of(client)
    me = await my_staff_id(client)
    return {
        "open_fresh": await seed_case(runtime, NOW - HOUR),  # 3 h left
        "open_breached": await seed_case(runtime, NOW - 5 * HOUR),  # 1 h over
        "mine_soon": await seed_case(
            runtime, NOW - 3.5 * HOUR, status="claimed", claimed_by=me
        ),  # 30 min left
        "other_breached": await seed_case(
            runtime,
            NOW - 7 * HOUR,
            status="claimed",
            claimed_by=me,  # the same number, but a Telegram user's: not "mine"
            claimed_by_name="Minh",
            claimed_via="telegram",
            escalated_at=NOW - 3 * HOUR,
        ),  # 3 h over, escalated
        "resolved_late": await seed_case(
            runtime,
            NOW - 10 * HOUR,
            status="resolved",
            claimed_by=me,
            resolved_at=NOW - 2 * HOUR,
        ),
        "resolved_in_time": await seed_case(
            runtime,
            NOW - 6 * HOUR,
            status="resolved",
            claimed_by=me + 1000,
            claimed_by_name="Minh",
            resolved_at=NOW - 5 * HOUR,
        ),
    }


async def test_cases_are_listed_breached_first_then_by_time_left_and_resolved_ones_last(
    make_client,
):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = await client.get("/dashboard/cases")
    assert page.status_code == 200
    assert listed(page.text) == [
        ids["other_breached"],  # 3 h over its SLA
        ids["open_breached"],  # 1 h over
        ids["mine_soon"],  # 30 min left
        ids["open_fresh"],  # 3 h left
        ids["resolved_late"],  # resolved 2 h ago
        ids["resolved_in_time"],  # resolved 5 h ago
    ]


async def test_the_holder_column_names_who_holds_each_case_or_says_unclaimed(make_client):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = (await client.get("/dashboard/cases")).text
    assert "Held by" in page
    holder = re.compile(r'<td class="holder">(.*?)</td>')
    assert holder.findall(row(page, ids["open_fresh"])) == [
        '<span class="unclaimed">unclaimed</span>'
    ]
    assert holder.findall(row(page, ids["other_breached"])) == ["Minh"]
    mine = row(page, ids["mine_soon"])
    assert holder.findall(mine) == [f"Staff {await my_staff_id(client)} <small>(you)</small>"]
    assert 'class="mine"' in f'<tr id="case-{ids["mine_soon"]}"{mine}'


async def test_a_holders_name_is_escaped(make_client):
    client = await support(make_client)
    case_id = await seed_case(
        runtime_of(client), NOW, status="claimed", claimed_by=7, claimed_by_name="<b>Minh</b>"
    )
    page = (await client.get("/dashboard/cases")).text
    assert "&lt;b&gt;Minh&lt;/b&gt;" in row(page, case_id) and "<b>Minh</b>" not in page


async def test_an_escalated_case_is_marked_in_the_list(make_client):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = (await client.get("/dashboard/cases")).text
    escalated = row(page, ids["other_breached"])
    assert '<span class="pill escalated">Escalated</span>' in escalated
    assert "to the managers at 07:00" in escalated  # 00:00 UTC, in shop time
    assert "Escalated" not in row(page, ids["open_breached"])  # breached, not escalated yet


async def test_the_sla_watchs_escalation_marks_the_case_in_the_list(make_client):
    client = await support(make_client)
    runtime = runtime_of(client)
    await open_case(client)
    assert "Escalated" not in (await client.get("/dashboard/cases")).text
    runtime.clock.advance(4 * HOUR)  # the walk-in's SLA
    await runtime.sla.check()
    page = (await client.get("/dashboard/cases")).text
    assert '<span class="pill escalated">Escalated</span>' in row(page, 1)
    assert "to the managers at 14:00" in row(page, 1)


async def test_a_case_claimed_in_the_support_group_shows_its_holder(make_client):
    client = await support(make_client)
    await open_case(client)
    await runtime_of(client).cases.claim(Staff(4242, "Minh"), 1)
    page = (await client.get("/dashboard/cases")).text
    assert re.findall(r'<td class="holder">(.*?)</td>', row(page, 1)) == ["Minh"]


async def test_mine_lists_the_cases_the_viewer_holds_or_held(make_client):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = await client.get("/dashboard/cases?show=mine")
    assert page.status_code == 200
    assert listed(page.text) == [ids["mine_soon"], ids["resolved_late"]]
    assert '<option value="mine" selected>' in page.text


async def test_unclaimed_lists_the_open_cases(make_client):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = await client.get("/dashboard/cases?show=unclaimed")
    assert listed(page.text) == [ids["open_breached"], ids["open_fresh"]]


async def test_breached_lists_cases_past_their_sla_and_those_resolved_late(make_client):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = await client.get("/dashboard/cases?show=breached")
    assert listed(page.text) == [ids["other_breached"], ids["open_breached"], ids["resolved_late"]]


async def test_a_case_is_breached_from_the_moment_its_sla_is_due(make_client):
    client = await support(make_client)
    case_id = await seed_case(runtime_of(client), NOW - 4 * HOUR + timedelta(seconds=1))
    assert listed((await client.get("/dashboard/cases?show=breached")).text) == []
    runtime_of(client).clock.advance(timedelta(seconds=1))
    assert listed((await client.get("/dashboard/cases?show=breached")).text) == [case_id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=claimed&show=breached", ["other_breached"]),
        ("status=open&show=breached", ["open_breached"]),
        ("status=resolved&show=mine", ["resolved_late"]),
        ("status=claimed&show=mine", ["mine_soon"]),
        ("status=claimed&show=unclaimed", []),
    ],
)
async def test_a_show_filter_combines_with_the_status(make_client, query, expected):
    client = await support(make_client)
    ids = await seed_queue(client)
    page = await client.get(f"/dashboard/cases?{query}")
    assert page.status_code == 200
    assert listed(page.text) == [ids[name] for name in expected]


async def test_an_unknown_show_filter_is_a_clear_400(make_client):
    client = await support(make_client)
    for value in ("everything", "<x>", "MINE"):
        page = await client.get("/dashboard/cases", params={"show": value})
        assert page.status_code == 400, value
        assert "Show:" in page.text and "is not one of the choices" in page.text
    assert "&lt;x&gt;" in (await client.get("/dashboard/cases?show=<x>")).text


async def test_an_unknown_status_is_still_a_400_with_a_show_filter(make_client):
    client = await support(make_client)
    page = await client.get("/dashboard/cases?status=closed&show=mine")
    assert page.status_code == 400 and "Status:" in page.text


async def test_the_filters_and_holder_column_speak_vietnamese(make_client):
    client = await support(make_client)
    await seed_queue(client)
    page = (await client.get("/dashboard/cases?lang=vi")).text
    for words in ("Người phụ trách", "chưa ai nhận", "Của tôi", "Quá hạn xử lý", "Đã báo quản lý"):
        assert words in page, words
