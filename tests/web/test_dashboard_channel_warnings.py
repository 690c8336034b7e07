"""The channel warnings at the top of the dashboard, read from the database: a dead token
chain with what to do, a refresh token running out within 14 days, and recent call-limit
and quota errors; nothing when all is well."""

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.messaging.channel_health import ChannelHealthRecorder
from tests.channel_state import store_chain, store_limit_error
from tests.web.dashboard_client import runtime_of, signed_in_as

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City, the shop's time
FAILURE = "Zalo refused the refresh token (Zalo error -14020: Refresh token is invalid)"


def warning(html: str, name: str) -> str:
    assert f'id="warning-zalo-{name}"' in html, "no such warning on the page"
    return html.split(f'id="warning-zalo-{name}"')[1].split("</div>")[0]


async def test_a_dead_chain_is_a_warning_with_the_reason_and_the_fix(make_client):
    client = await signed_in_as(make_client, "marketer", clock=ManualClock(NOW))
    await store_chain(runtime_of(client).db, NOW - timedelta(days=2), failed=FAILURE, failed_at=NOW)
    page = await client.get("/dashboard/overview")
    assert page.status_code == 200
    shown = warning(page.text, "token")
    assert "Zalo sends nothing: its token chain has been broken since 2026-12-01 10:00" in shown
    assert "Zalo error -14020: Refresh token is invalid" in shown
    assert "re-authorise the OA in Zalo&#39;s developer console" in shown
    assert "SURVEYBOT_ZALO_REFRESH_TOKEN" in shown and "docs/channels/zalo.md" in shown
    assert 'class="warning bad"' in page.text


async def test_a_refresh_token_ending_within_14_days_warns_that_surveybot_is_not_renewing_it(
    make_client,
):
    client = await signed_in_as(make_client, "admin", clock=ManualClock(NOW))
    await store_chain(runtime_of(client).db, NOW - timedelta(days=80))  # 10 days left
    shown = warning((await client.get("/dashboard/overview")).text, "token")
    assert "Zalo&#39;s refresh token runs out on 2026-12-11 10:00" in shown
    assert "last renewed 2026-09-12 10:00" in shown and "check that surveybot runs" in shown
    assert "If it runs out: re-authorise the OA" in shown


async def test_a_refresh_token_past_its_end_says_nothing_is_sent(make_client):
    client = await signed_in_as(make_client, "admin", clock=ManualClock(NOW))
    await store_chain(runtime_of(client).db, NOW - timedelta(days=91))
    shown = warning((await client.get("/dashboard/overview")).text, "token")
    assert "Zalo sends nothing: its refresh token ran out on 2026-11-30 10:00" in shown
    assert "To fix it: re-authorise the OA" in shown


async def test_recent_limit_errors_are_counted_and_the_last_ones_listed(make_client):
    client = await signed_in_as(make_client, "admin", clock=ManualClock(NOW))
    db = runtime_of(client).db
    await store_chain(db, NOW - timedelta(hours=2))
    await store_limit_error(db, -211, "a day and more ago", NOW - timedelta(hours=26))
    await store_limit_error(db, -32, "Zalo's call limit <b>", NOW - timedelta(minutes=30))
    await store_limit_error(db, -211, "Zalo quota used up", NOW - timedelta(minutes=5))
    page = await client.get("/dashboard/overview")
    assert 'id="warning-zalo-token"' not in page.text  # the chain itself is fine
    shown = warning(page.text, "limits")
    assert "Quota or call-limit errors on Zalo in the last 24 hours: 2." in shown
    items = [item.split("</li>")[0] for item in shown.split("<li>")[1:]]
    assert items == [
        "2026-12-01 09:55 · -211 · Zalo quota used up",
        "2026-12-01 09:30 · -32 · Zalo&#39;s call limit &lt;b&gt;",
    ]


async def test_the_warning_shows_on_each_roles_first_page_and_in_vietnamese(make_client):
    client = await signed_in_as(make_client, "support", clock=ManualClock(NOW))
    await store_chain(runtime_of(client).db, NOW - timedelta(days=2), failed=FAILURE, failed_at=NOW)
    home = await client.get("/dashboard/", follow_redirects=True)
    assert home.url.path == "/dashboard/responses"
    assert "Zalo sends nothing" in warning(home.text, "token")
    vietnamese = await client.get("/dashboard/cases?lang=vi")
    assert "Zalo không gửi được tin nào" in warning(vietnamese.text, "token")
    assert "SURVEYBOT_ZALO_REFRESH_TOKEN" in warning(vietnamese.text, "token")


async def test_a_healthy_channel_shows_no_warning(make_client):
    client = await signed_in_as(make_client, "admin", clock=ManualClock(NOW))
    await store_chain(runtime_of(client).db, NOW - timedelta(hours=2))
    page = await client.get("/dashboard/overview")
    assert page.status_code == 200 and 'class="warnings"' not in page.text


async def test_a_refused_messenger_page_token_is_a_warning_with_metas_fix(make_client):
    client = await signed_in_as(make_client, "marketer", clock=ManualClock(NOW))
    health = ChannelHealthRecorder(runtime_of(client).db, ManualClock(NOW), "messenger")
    await health.token_refused("Meta refused the Page access token (Meta error 190/460: ...)")
    page = await client.get("/dashboard/overview")
    assert page.status_code == 200
    assert 'id="warning-messenger-token"' in page.text
    shown = page.text.split('id="warning-messenger-token"')[1].split("</div>")[0]
    assert "Messenger sends nothing: Meta has refused the Page access token since" in shown
    assert "SURVEYBOT_MESSENGER_PAGE_TOKEN" in shown and "docs/channels/messenger.md" in shown

    await health.token_accepted()  # a send went through: the warning is gone
    assert 'id="warning-messenger-token"' not in (await client.get("/dashboard/overview")).text
