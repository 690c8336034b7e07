"""What the database says about a channel: its token chain fine, running out within 14
days, run out, or dead since a refresh failed; its limit errors of the last 24 hours."""

from datetime import UTC, datetime, timedelta

from bot.messaging.channel_health import ChainState, read_channel_health
from tests.channel_state import store_chain, store_limit_error

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def health_now(database):
    async with database.reading() as tx:
        return await read_channel_health(tx, NOW)


async def test_a_chain_renewed_today_is_fine_and_needs_no_attention(database):
    await store_chain(database, NOW - timedelta(hours=3))
    [zalo] = await health_now(database)
    assert zalo.channel == "zalo" and zalo.chain is not None
    assert zalo.chain.state is ChainState.OK
    assert zalo.chain.refresh_expires_at == NOW - timedelta(hours=3) + timedelta(days=90)
    assert not zalo.needs_attention


async def test_a_refresh_token_ending_within_14_days_is_expiring(database):
    await store_chain(database, NOW - timedelta(days=77))  # 13 days left
    [zalo] = await health_now(database)
    assert zalo.chain is not None and zalo.chain.state is ChainState.EXPIRING
    assert zalo.needs_attention


async def test_a_refresh_token_15_days_from_its_end_is_still_fine(database):
    await store_chain(database, NOW - timedelta(days=75))
    [zalo] = await health_now(database)
    assert zalo.chain is not None and zalo.chain.state is ChainState.OK


async def test_a_refresh_token_past_its_end_is_expired(database):
    await store_chain(database, NOW - timedelta(days=91))
    [zalo] = await health_now(database)
    assert zalo.chain is not None and zalo.chain.state is ChainState.EXPIRED


async def test_a_failed_refresh_is_not_authorised_whatever_the_dates(database):
    failure = "Zalo refused the refresh token (Zalo error -14020: invalid)"
    await store_chain(database, NOW - timedelta(hours=3), failed=failure, failed_at=NOW)
    [zalo] = await health_now(database)
    assert zalo.chain is not None and zalo.chain.state is ChainState.NOT_AUTHORISED
    assert (zalo.chain.last_error, zalo.chain.failed_at) == (failure, NOW)


async def test_limit_errors_of_the_last_24_hours_are_counted_and_the_last_three_kept(database):
    await store_chain(database, NOW - timedelta(hours=3))
    await store_limit_error(database, -211, "old quota", NOW - timedelta(hours=25))
    for minutes, code in ((50, -32), (40, -211), (30, -32), (20, -211)):
        await store_limit_error(
            database, code, f"{code} {minutes}", NOW - timedelta(minutes=minutes)
        )
    [zalo] = await health_now(database)
    assert zalo.limit_counts == {-32: 2, -211: 2} and zalo.limit_errors == 4
    assert [error.message for error in zalo.recent_limits] == ["-211 20", "-32 30", "-211 40"]
    assert zalo.needs_attention


async def test_a_channel_with_limit_errors_but_no_tokens_is_still_reported(database):
    await store_limit_error(database, -32, "call limit", NOW)
    [other] = await health_now(database)
    assert other.chain is None and other.limit_errors == 1
